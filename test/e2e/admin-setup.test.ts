/**
 * Before anyone can import: ADMIN_OPEN_IDS empty and the app without `admin:app.info:readonly`, so the
 * app's owner cannot be read and no one is an admin. A file sent then is refused unread with what the
 * system administrator must set; once the scope is granted, the owner's file is read.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { APP_INFO_SCOPE, APP_SCOPES, DEMO_USERS, type SentMessage } from "@rectify-bot/feishu-emulator";
import type { TestBot } from "../helpers/bot";
import { text } from "../helpers/cards";
import { startClockedBot } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

const OWNER = DEMO_USERS[0].open_id;
let t: TestBot;

beforeAll(async () => {
  t = await startClockedBot();
  t.emu.addUser(DEMO_USERS[0]);
  t.emu.setScopes(APP_SCOPES.filter((s) => s !== APP_INFO_SCOPE));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const YAML_FILE = Buffer.from("key: k\ntitle: 测试\n");
let seq = 0;
async function sendFile(from: string): Promise<SentMessage> {
  const chat = t.emu.p2pChatId(from);
  const cards = () => t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive");
  const before = cards().length;
  await t.emu.sendUserMessage({
    from,
    text: "",
    messageId: `om_setup_${++seq}`,
    file: { name: "活动.yaml", data: YAML_FILE },
  });
  return (await waitFor(() => cards().length > before && cards(), 30_000, "the bot's answer"))[before];
}
const downloads = () => t.emu.calls.filter((c) => c.path.includes("/resources/"));

it("without ADMIN_OPEN_IDS and the app-info scope, a file is refused unread, naming both ways to set an admin", async () => {
  const answer = await sendFile(OWNER);
  const said = text(answer.card);
  expect(said).toContain("尚未设置管理员");
  expect(said).toContain("ADMIN_OPEN_IDS");
  expect(said).toContain("admin:app.info:readonly");
  expect(downloads()).toHaveLength(0);
  expect(await t.bot.models.PendingImport.countDocuments({})).toBe(0);
});

it("once the scope is granted, the app's owner's file is read (and checked)", async () => {
  t.emu.setScopes([...APP_SCOPES]);
  const answer = await sendFile(OWNER);
  expect(text(answer.card)).not.toContain("尚未设置管理员");
  expect(text(answer.card)).not.toContain("只有牵头科室（管理员）可以");
  expect(downloads()).toHaveLength(1);
});
