import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeishuEmulator } from "../src/emulator";
import type { ConversationView } from "../src/conversations";

// The sandbox page's read-only views: the directory, and one person's chats with what was said, in order.
const emu = new FeishuEmulator({ appId: "cli_conv", appSecret: "conv-secret" });
let token = "";

async function botSend(receiveIdType: string, receiveId: string, msgType: string, content: object) {
  const res = await fetch(`${emu.url}/open-apis/im/v1/messages?receive_id_type=${receiveIdType}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ receive_id: receiveId, msg_type: msgType, content: JSON.stringify(content) }),
  });
  const body = (await res.json()) as { code: number; data: { message_id: string } };
  expect(body.code).toBe(0);
  return body.data.message_id;
}

beforeAll(async () => {
  await emu.start();
  emu.addUser({ open_id: "ou_a", name: "甲", locale: "en_us" });
  emu.addUser({ open_id: "ou_b", name: "乙" });
  emu.addChat({ chat_id: "oc_g", name: "工作群", members: ["ou_a", "ou_b"], botIsMember: true });
  emu.addChat({ chat_id: "oc_other", name: "别的群", members: ["ou_b"], botIsMember: true });
  // Nobody listens: the user messages are still recorded (the delivery fails with status 0).
  emu.configureDelivery({ url: "http://127.0.0.1:9/", verificationToken: "v" });
  const t = await fetch(`${emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ app_id: "cli_conv", app_secret: "conv-secret" }),
  });
  token = ((await t.json()) as { tenant_access_token: string }).tenant_access_token;
});
afterAll(() => emu.close());

describe("/_emulator/directory and /_emulator/conversations/:open_id", () => {
  it("lists the users (with their locale) and chats", async () => {
    const d = (await (await fetch(`${emu.url}/_emulator/directory`)).json()) as {
      bot: { open_id: string };
      users: { open_id: string; locale?: string }[];
      chats: { chat_id: string }[];
    };
    expect(d.bot.open_id).toBe(emu.botOpenId);
    expect(d.users.map((u) => [u.open_id, u.locale])).toEqual([
      ["ou_a", "en_us"],
      ["ou_b", undefined],
    ]);
    expect(d.chats.map((c) => c.chat_id)).toEqual(["oc_g", "oc_other"]);
  });

  it("gives a person's p2p chat first, then their groups, each oldest first, with what people typed", async () => {
    await emu.sendUserMessage({ from: "ou_a", text: "我的待办" });
    const p2p = await botSend("open_id", "ou_a", "text", { text: "你好" });
    await emu.sendUserMessage({ from: "ou_b", chatId: "oc_g", text: "进度" });
    const card = await botSend("chat_id", "oc_g", "interactive", {
      schema: "2.0",
      config: { update_multi: true },
      body: { elements: [{ tag: "markdown", content: "**进度**" }] },
    });
    await botSend("chat_id", "oc_other", "text", { text: "不在这个人的群" });
    const res = await fetch(`${emu.url}/_emulator/conversations/ou_a`);
    const v = (await res.json()) as { user: { name: string }; chats: ConversationView[] };
    expect(v.user.name).toBe("甲");
    expect(v.chats.map((c) => [c.chat_type, c.name])).toEqual([
      ["p2p", emu.botName],
      ["group", "工作群"],
    ]);
    expect(v.chats[0].chat_id).toBe(emu.p2pChatId("ou_a"));
    expect(v.chats[0].messages.map((m) => [m.sender, m.text])).toEqual([
      ["ou_a", "我的待办"],
      ["bot", "你好"],
    ]);
    expect(v.chats[0].messages[1].message_id).toBe(p2p);
    // In the group: the other member's question as typed (without the bot mention), then the bot's card.
    expect(v.chats[1].messages.map((m) => [m.sender_name, m.msg_type, m.text])).toEqual([
      ["乙", "text", "进度"],
      [emu.botName, "interactive", undefined],
    ]);
    expect(v.chats[1].messages[1]).toMatchObject({ message_id: card, updates: 0, card: { schema: "2.0" } });
    expect((await fetch(`${emu.url}/_emulator/conversations/ou_nobody`)).status).toBe(404);
  });
});
