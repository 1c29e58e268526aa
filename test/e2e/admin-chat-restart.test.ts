/**
 * Admin in chat across a restart, with ADMIN_OPEN_IDS set: the pending import lives in Mongo, so the
 * preview's 确认导入 works on a new bot process; with ADMIN_OPEN_IDS set, the app's owner is no admin.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import YAML from "yaml";
import { DEMO_USERS, type SentMessage } from "@rectify-bot/feishu-emulator";
import { IMPORT_ACTIONS } from "../../cards/import-cards";
import { silentLogger } from "../../src/logger";
import { startBot, type RunningBot } from "../../src/runtime";
import { emulatorUsersFor } from "../../src/sandbox-users";
import type { TestBot } from "../helpers/bot";
import { button, text } from "../helpers/cards";
import { loadSpec, startClockedBot } from "../helpers/campaign";
import { waitFor } from "../helpers/services";
import { fillCampaign, templateWorkbook, toBuffer } from "../helpers/workbook";

const ROOT = join(import.meta.dirname, "../..");
const BUREAU = YAML.parse(readFileSync(join(ROOT, "examples/bureau.yaml"), "utf8")) as Record<
  string,
  unknown
>;
/** 李欣然, named in ADMIN_OPEN_IDS (and an admin in the file). */
const LI = "ou_cd808a4b6c430f5b2de8a5ebb11a955b";
const OWNER = DEMO_USERS[0].open_id;
let t: TestBot;
let second: RunningBot | undefined;

beforeAll(async () => {
  t = await startClockedBot({ adminOpenIds: [LI] });
  for (const u of emulatorUsersFor(await loadSpec("examples/bureau.yaml"))) t.emu.addUser(u);
  t.emu.addUser(DEMO_USERS[0]);
}, 60_000);
afterAll(async () => {
  await second?.stop();
  await t?.stop();
});

const cardsIn = (chat: string) => t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive");
let seq = 0;
async function sendFile(from: string, data: Buffer): Promise<SentMessage> {
  const chat = t.emu.p2pChatId(from);
  const before = cardsIn(chat).length;
  await t.emu.sendUserMessage({
    from,
    text: "",
    messageId: `om_restart_${++seq}`,
    file: { name: "局.xlsx", data },
  });
  return (await waitFor(() => cardsIn(chat).length > before && cardsIn(chat), 30_000, "answer"))[before];
}

it("ADMIN_OPEN_IDS decides who may bring a new campaign; 确认导入 works after a restart, once", async () => {
  const wb = await templateWorkbook();
  fillCampaign(wb, BUREAU);
  const file = await toBuffer(wb);
  const refused = await sendFile(OWNER, file);
  expect(text(refused.card)).toContain("只有牵头科室（管理员）可以");

  const preview = await sendFile(LI, file);
  expect(text(preview.card)).toContain("单位 **7** 个");
  const b = button(preview.card, IMPORT_ACTIONS.confirm);

  // A new process on the same database and Redis.
  await t.bot.stop();
  second = await startBot({ ...t.settings, port: 0 }, silentLogger);
  t.emu.configureDelivery({
    url: `${second.url}/feishu/events`,
    encryptKey: t.settings.feishu.encryptKey!,
    verificationToken: t.settings.feishu.verificationToken!,
  });
  const other = await t.emu.clickCard({
    operator: OWNER,
    messageId: preview.message_id,
    tag: "button",
    value: b.value,
  });
  expect(other.toast?.type).toBe("error");
  expect(await second.models.Campaign.countDocuments({})).toBe(0);
  const ok = await t.emu.clickCard({
    operator: LI,
    messageId: preview.message_id,
    tag: "button",
    value: b.value,
  });
  // "success", or "正在处理" when the import ran past the callback's budget (a loaded machine).
  expect(["success", "info"]).toContain(ok.toast?.type);
  const bot = second;
  await waitFor(
    async () => (await bot.models.Person.countDocuments({ campaignKey: "wlj-jgzf-2027" })) === 14,
    30_000,
    "the import",
  );
  const cancel = button(preview.card, IMPORT_ACTIONS.cancel);
  const late = await t.emu.clickCard({
    operator: LI,
    messageId: preview.message_id,
    tag: "button",
    value: cancel.value,
  });
  expect(late.toast?.type).toBe("error");
  expect(await second.models.PendingImport.findById(b.value.id).lean()).toMatchObject({ state: "imported" });
}, 90_000);

it("an import whose process died mid-way (left 'importing') can be confirmed again; a live one is not run twice", async () => {
  const bot = second ?? t.bot;
  const raw = { ...BUREAU, key: "wlj-killed-2027" };
  const wb = await templateWorkbook();
  fillCampaign(wb, raw);
  const preview = await sendFile(LI, await toBuffer(wb));
  const b = button(preview.card, IMPORT_ACTIONS.confirm);
  const press = () =>
    t.emu.clickCard({ operator: LI, messageId: preview.message_id, tag: "button", value: b.value });
  // Another process claimed it a moment ago and is still importing: this press does not import again.
  const now = bot.deps.now();
  await bot.models.PendingImport.updateOne(
    { _id: String(b.value.id) },
    { $set: { state: "importing", claimedAt: now } },
  );
  expect((await press()).toast?.type).toBe("error");
  expect(await bot.models.Campaign.countDocuments({ key: "wlj-killed-2027" })).toBe(0);
  // That process was killed: ten minutes on, the claim is stale and the admin's press imports.
  await bot.models.PendingImport.updateOne(
    { _id: String(b.value.id) },
    { $set: { claimedAt: new Date(now.getTime() - 10 * 60_000) } },
  );
  expect(["success", "info"]).toContain((await press()).toast?.type);
  await waitFor(
    async () => (await bot.models.Person.countDocuments({ campaignKey: "wlj-killed-2027" })) === 14,
    30_000,
    "the import",
  );
  expect(await bot.models.PendingImport.findById(b.value.id).lean()).toMatchObject({ state: "imported" });
}, 90_000);
