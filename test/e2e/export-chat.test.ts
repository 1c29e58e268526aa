import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser, SentMessage } from "@rectify-bot/feishu-emulator";
import { startTestBot, type TestBot } from "../helpers/bot";
import { text } from "../helpers/cards";
import { clockOffset, importAndStart, loadSpec, openIdIn } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

/**
 * 导出台账 / 生成自查报告 asked in chat through the emulator: who gets which file, privately; who gets a
 * refusal and nothing else; what a failure tells the asker. The file's bytes are fetched back from the
 * emulator's control API and compared with the digest of what was written to disk (the audit entry).
 */
// The clock runs (rate windows need it to), from the campaign tests' day.
const offset = clockOffset();
const nowMs = () => Date.now() + offset;
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
/** One of the campaign's chats (its `chats`): questions there are answered. */
const GROUP = "oc_5e1f0c0ffee0000000000000000e0f01";
/** A group the bot is in that is none of the campaign's chats. */
const OTHER_GROUP = "oc_5e1f0c0ffee0000000000000000e0f02";
const openIdOf = (key: string) => openIdIn(spec, users, key);
let seq = 0;

beforeAll(async () => {
  t = await startTestBot({ emulator: { now: nowMs }, settings: { now: () => new Date(nowMs()) } });
  spec = await loadSpec("examples/bureau.yaml");
  spec.chats = [...spec.chats, { chatId: GROUP, name: "作风整治工作群" }];
  ({ users } = await importAndStart(t, spec));
  for (const [chat_id, name] of [
    [GROUP, "作风整治工作群"],
    [OTHER_GROUP, "局机关闲聊群"],
  ])
    t.emu.addChat({ chat_id, name, members: users.map((u) => u.open_id), botIsMember: true });
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const files = (personKey: string): SentMessage[] =>
  t.emu.messagesTo(openIdOf(personKey)).filter((m) => m.msg_type === "file");
const texts = (personKey: string): string[] =>
  t.emu
    .messagesTo(openIdOf(personKey))
    .filter((m) => m.msg_type === "text")
    .map((m) => m.text ?? "");
const allFiles = () => t.emu.messages().filter((m) => m.msg_type === "file");

/** Ask in p2p (or @mention in the group); the bot's immediate answer card. */
async function ask(
  personKey: string,
  question: string,
  where: "p2p" | "group" = "p2p",
  group = GROUP,
): Promise<SentMessage> {
  const messageId = `om_export_q_${++seq}`;
  const chat = where === "group" ? group : t.emu.p2pChatId(openIdOf(personKey));
  const before = t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive").length;
  const d = await t.emu.sendUserMessage({
    from: openIdOf(personKey),
    chatId: where === "group" ? group : undefined,
    chatType: where,
    messageId,
    text: where === "group" ? `@_user_1 ${question}` : question,
    mentions:
      where === "group" ? [{ key: "@_user_1", open_id: t.emu.botOpenId, name: t.emu.botName }] : undefined,
  });
  expect(d.status).toBe(200);
  const cards = await waitFor(
    () => {
      const c = t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive");
      return c.length > before && c;
    },
    5000,
    `answer to ${question}`,
  );
  return cards[cards.length - 1];
}

/** The next file message to a person (after `before` of them), its bytes from the emulator, its audit entry. */
async function nextFile(personKey: string, before: number) {
  const m = await waitFor(() => files(personKey)[before], 15_000, `a file for ${personKey}`);
  const res = await fetch(`${t.emu.url}/_emulator/files/${m.file!.file_key}`);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const entry = await t.bot.models.AuditEntry.findOne({
    entity: "export",
    entityId: m.file!.file_key,
  }).lean();
  return { m, bytes, entry: entry! };
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("an admin", () => {
  it("导出台账 in p2p: the ledger arrives privately as an .xlsx file, the bytes that were written, with a note", async () => {
    const ack = await ask("sun_zhiqiang", "导出台账");
    expect(text(ack.card)).toContain("全部科室");
    const { m, bytes, entry } = await nextFile("sun_zhiqiang", 0);
    expect(m.chat_type).toBe("p2p");
    expect(m.file!.file_type).toBe("xls");
    expect(m.file!.file_name).toBe("市文化广电旅游局机关作风突出问题专项整治自查整改台账20261202.xlsx");
    expect(m.file!.size).toBe(bytes.length);
    expect(entry.reason).toBe(`${bytes.length} bytes sha256:${sha256(bytes)}`);
    expect(entry).toMatchObject({
      action: "ledger",
      from: "all",
      byKey: "sun_zhiqiang",
      to: m.file!.file_name,
    });
    // The note names what the file holds (the builder's summary line); its wording is the chat side's.
    await waitFor(
      () => texts("sun_zhiqiang").find((x) => x.startsWith("整改台账已生成，文件已发给您：")),
      5000,
      "note",
    );
  });

  it("asked in the group: the group gets a note that it comes privately, the file goes to the asker only", async () => {
    const before = files("sun_zhiqiang").length;
    const groupBefore = t.emu.messagesTo(GROUP).length;
    const ack = await ask("sun_zhiqiang", "生成自查报告", "group");
    expect(ack.chat_id).toBe(GROUP);
    expect(text(ack.card)).toContain("私信");
    const { m } = await nextFile("sun_zhiqiang", before);
    expect(m.chat_type).toBe("p2p");
    expect(m.file!.file_type).toBe("doc");
    expect(m.file!.file_name).toMatch(/自查报告（草稿）20261202\.docx$/);
    const note = await waitFor(
      () => texts("sun_zhiqiang").find((x) => x.includes("草稿")),
      5000,
      "draft note",
    );
    expect(note).toContain("修改完善");
    // Nothing but the answer card landed in the group.
    const inGroup = t.emu.messagesTo(GROUP).slice(groupBefore);
    expect(inGroup.map((x) => x.msg_type)).toEqual(["interactive"]);
  });

  it("asked in a group that is none of the campaign's chats: the same refusal as any question there, no file", async () => {
    const filesBefore = allFiles().length;
    const before = t.emu.messagesTo(OTHER_GROUP).length;
    const privateBefore = t.emu.messagesTo(openIdOf("sun_zhiqiang")).length;
    for (const q of ["导出台账", "生成自查报告"]) {
      const ack = await ask("sun_zhiqiang", q, "group", OTHER_GROUP);
      expect(ack.chat_id).toBe(OTHER_GROUP);
      expect(text(ack.card)).toContain("本群无法查询");
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(allFiles()).toHaveLength(filesBefore);
    expect(
      t.emu
        .messagesTo(OTHER_GROUP)
        .slice(before)
        .map((x) => x.msg_type),
    ).toEqual(["interactive", "interactive"]);
    expect(t.emu.messagesTo(openIdOf("sun_zhiqiang"))).toHaveLength(privateBefore);
  });

  it("in English: an English file name and note", async () => {
    const before = files("li_xinran").length;
    await ask("li_xinran", "export the ledger");
    const { m } = await nextFile("li_xinran", before);
    expect(m.file!.file_name).toMatch(/rectification ledger 20261202\.xlsx$/);
    await waitFor(() => texts("li_xinran").find((x) => x.includes("rectification ledger")), 5000, "note");
  });
});

describe("heads and leaders: the units they may see", () => {
  it("a head gets their own unit's report", async () => {
    await ask("feng_jianhua", "生成自查报告");
    const { entry } = await nextFile("feng_jianhua", 0);
    expect(entry).toMatchObject({ action: "report", from: "finance", byKey: "feng_jianhua" });
  });

  it("a head asking for another unit is refused, and gets no file", async () => {
    const before = files("feng_jianhua").length;
    const c = text((await ask("feng_jianhua", "导出办公室的整改台账")).card);
    expect(c).toContain("办公室不在其中");
    await new Promise((r) => setTimeout(r, 1500));
    expect(files("feng_jianhua")).toHaveLength(before);
  });

  it("a leader names one of their units: only that unit", async () => {
    await ask("deputy_chen", "导出财务科的台账");
    const { entry } = await nextFile("deputy_chen", 0);
    expect(entry).toMatchObject({ action: "ledger", from: "finance" });
  });

  it("a leader without a unit: the units in their charge", async () => {
    const before = files("deputy_chen").length;
    await ask("deputy_chen", "导出台账");
    const { entry } = await nextFile("deputy_chen", before);
    expect(entry.from!.split(",").sort()).toEqual(["finance", "hr", "office"]);
  });
});

describe("members and failures", () => {
  it("a member gets a polite refusal and no file, in p2p and in the group", async () => {
    const filesBefore = allFiles().length;
    expect(text((await ask("he_jing", "导出台账")).card)).toContain("抱歉");
    expect(text((await ask("he_jing", "生成自查报告", "group")).card)).toContain("科室负责人");
    await new Promise((r) => setTimeout(r, 1500));
    expect(files("he_jing")).toHaveLength(0);
    expect(allFiles()).toHaveLength(filesBefore);
  });

  it("an upload the platform refuses: the asker is told, nothing is sent", async () => {
    const filesBefore = allFiles().length;
    t.emu.failNext(
      1,
      {
        status: 400,
        code: 99991672,
        msg: "Access denied. One of the following scopes is required: [im:resource]",
      },
      { path: /\/im\/v1\/files$/ },
    );
    await ask("sun_zhiqiang", "导出财务科整改台账");
    const msg = await waitFor(
      () => texts("sun_zhiqiang").find((x) => x.includes("未能上传")),
      8000,
      "failure text",
    );
    expect(msg).toContain("导出失败");
    expect(allFiles()).toHaveLength(filesBefore);
  });

  it("an upload that fails once for a passing reason is retried: the file arrives once, no failure text", async () => {
    const before = files("zheng_haiyan").length;
    t.emu.failNext(1, { status: 503, code: 2200, msg: "Internal Error" }, { path: /\/im\/v1\/files$/ });
    await ask("zheng_haiyan", "导出台账");
    await nextFile("zheng_haiyan", before);
    await new Promise((r) => setTimeout(r, 1500));
    expect(files("zheng_haiyan")).toHaveLength(before + 1);
    expect(texts("zheng_haiyan").filter((x) => x.includes("导出失败"))).toEqual([]);
  });

  it("a unit that does not exist (any more) when the job runs: a clear message", async () => {
    const filesBefore = allFiles().length;
    const textsBefore = texts("sun_zhiqiang").length;
    await t.bot.deps.exports!.add({
      kind: "ledger",
      campaignKey: spec.key,
      lang: "zh",
      asker: { openId: openIdOf("sun_zhiqiang"), personKey: "sun_zhiqiang" },
      unit: "no_such_unit",
      requestId: "om_export_unknown_unit",
    });
    const msg = await waitFor(
      () =>
        texts("sun_zhiqiang")
          .slice(textsBefore)
          .find((x) => x.includes("导出失败")),
      8000,
      "failure text",
    );
    expect(msg).not.toContain("上传");
    expect(allFiles()).toHaveLength(filesBefore);
  });
});
