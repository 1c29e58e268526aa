/**
 * Admin in chat (issue 13 §2), end to end through the emulator and the real node-sdk: the admin sends
 * the template filled for the seed's bureau with two cell errors, gets both cells named, sends the fixed
 * file, gets the preview, 确认导入, 启动 from the campaign card; every assignee gets their cards. Bad
 * files, a non-admin and a re-import (diff first, answers kept) each get their answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import type { SentMessage } from "@rectify-bot/feishu-emulator";
import { CAMPAIGN_CARD_ACTIONS } from "../../cards/campaign-card";
import { IMPORT_ACTIONS } from "../../cards/import-cards";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import { loadCampaignFile } from "../../src/campaign/file";
import type { CampaignSpec } from "../../src/domain/types";
import { emulatorUsersFor } from "../../src/sandbox-users";
import type { TestBot } from "../helpers/bot";
import { button, hasButton, text } from "../helpers/cards";
import { cardMessage, startClockedBot } from "../helpers/campaign";
import { waitFor } from "../helpers/services";
import { appendRows, fillCampaign, templateWorkbook, toBuffer } from "../helpers/workbook";

const ROOT = join(import.meta.dirname, "../..");
const BUREAU = YAML.parse(readFileSync(join(ROOT, "examples/bureau.yaml"), "utf8")) as Record<
  string,
  unknown
>;
let t: TestBot;
let spec: CampaignSpec;
let openIdOf: (key: string) => string;
/** 孙志强, admin of the bureau in the file; the app's owner in the emulator (no ADMIN_OPEN_IDS). */
let ADMIN: string;
let seq = 0;

beforeAll(async () => {
  t = await startClockedBot();
  const r = await loadCampaignFile(join(ROOT, "examples/bureau.yaml"), { today: "2026-12-02" });
  if (!r.ok) throw new Error("bureau.yaml does not load");
  spec = r.spec;
  const users = emulatorUsersFor(spec);
  for (const u of users) t.emu.addUser(u);
  openIdOf = (key) => users[spec.people.findIndex((p) => p.key === key)].open_id;
  ADMIN = openIdOf("sun_zhiqiang");
  for (const c of spec.chats)
    t.emu.addChat({
      chat_id: c.chatId,
      name: c.name ?? c.chatId,
      members: users.map((u) => u.open_id),
      botIsMember: true,
    });
  t.emu.setAppOwner(ADMIN);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const cardsIn = (chat: string) => t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive");

/** Send a file as a user in private; the bot's next answer card there. */
async function sendFile(from: string, name: string, data: Buffer): Promise<SentMessage> {
  const chat = t.emu.p2pChatId(from);
  const before = cardsIn(chat).length;
  const d = await t.emu.sendUserMessage({
    from,
    text: "",
    messageId: `om_admin_file_${++seq}`,
    file: { name, data },
  });
  expect(d.status).toBe(200);
  const cards = await waitFor(
    () => cardsIn(chat).length > before && cardsIn(chat),
    30_000,
    `answer to ${name}`,
  );
  return cards[before];
}

async function bureauWorkbook(raw: Record<string, unknown> = BUREAU) {
  const wb = await templateWorkbook();
  const rows = fillCampaign(wb, raw);
  return { wb, rows };
}

/** What an import writes (and what a bad file must leave as it was). */
async function snapshot() {
  const m = t.bot.models;
  const strip = { _id: 0, updatedAt: 0 };
  return {
    campaigns: await m.Campaign.find({}, strip).lean(),
    units: await m.Unit.find({}, strip).sort({ key: 1 }).lean(),
    people: await m.Person.find({}, strip).sort({ key: 1 }).lean(),
    assignments: await m.Assignment.find({}, { updatedAt: 0 }).sort({ key: 1 }).lean(),
    responses: await m.Response.countDocuments({}),
    pending: await m.PendingImport.countDocuments({}),
  };
}

async function press(operator: string, messageId: string, action: string) {
  const b = button(t.emu.message(messageId)!.card, action);
  return t.emu.clickCard({ operator, messageId, tag: "button", name: b.name, value: b.value });
}

/**
 * Press and wait for the outcome: a success toast with the new card, or, when the action ran past the
 * callback's budget (a loaded machine), "正在处理" and then the card's delayed update.
 */
async function pressDone(operator: string, messageId: string, action: string) {
  const before = JSON.stringify(t.emu.message(messageId)!.card);
  const d = await press(operator, messageId, action);
  expect(["success", "info"]).toContain(d.toast?.type);
  if (d.toast?.type === "info")
    await waitFor(() => JSON.stringify(t.emu.message(messageId)!.card) !== before, 30_000, `${action} done`);
  return d;
}

describe("an admin runs the bureau's campaign from chat", () => {
  it("two cell errors named; fixed file previewed; 确认导入; 启动; every assignee gets their cards", async () => {
    const empty = await snapshot();
    const { wb, rows } = await bureauWorkbook();
    const ws = wb.getWorksheet("人员")!;
    const unitCell = ws.getCell(rows.people[7], 3);
    const goodUnit = unitCell.value;
    unitCell.value = "财务科2";
    const dueCell = wb.getWorksheet("分工")!.getCell(rows.assignments[0], 4);
    const goodDue = dueCell.value;
    dueCell.value = "2026-02-30";
    const errorsCard = await sendFile(ADMIN, "作风整治.xlsx", await toBuffer(wb));
    expect(errorsCard.card!.header).toMatchObject({ title: { content: "文件有错误，未导入" } });
    const said = text(errorsCard.card);
    expect(said).toContain(`人员!C${rows.people[7]}`);
    expect(said).toContain("财务科2");
    expect(said).toContain(`分工!D${rows.assignments[0]}`);
    expect(said).toContain("共有 **2** 处错误");
    expect(await snapshot()).toEqual(empty);

    unitCell.value = goodUnit;
    dueCell.value = goodDue;
    const preview = await sendFile(ADMIN, "作风整治.xlsx", await toBuffer(wb));
    expect(preview.card!.header).toMatchObject({ title: { content: "导入预览：请确认" } });
    expect(text(preview.card)).toContain("单位 **7** 个 · 人员 **14** 人");
    expect(hasButton(preview.card, IMPORT_ACTIONS.cancel)).toBe(true);
    expect(await t.bot.models.Campaign.countDocuments({})).toBe(0);

    await pressDone(ADMIN, preview.message_id, IMPORT_ACTIONS.confirm);
    expect(await t.bot.models.Campaign.findOne({ key: spec.key }).lean()).toMatchObject({ status: "draft" });
    expect(
      await t.bot.models.Person.countDocuments({ campaignKey: spec.key, openId: { $exists: true } }),
    ).toBe(14);
    // A second press (the card kept its buttons elsewhere, or a double click) imports nothing again.
    const again = await t.emu.clickCard({
      operator: ADMIN,
      messageId: preview.message_id,
      tag: "button",
      value: { action: IMPORT_ACTIONS.confirm, id: button(preview.card, IMPORT_ACTIONS.confirm).value.id },
    });
    expect(again.toast?.type).toBe("error");
    expect(again.toast?.content).toContain("已处理或已过期");

    // The preview became the campaign card: 启动 with a confirm that counts people and cards.
    const campaignCard = t.emu.message(preview.message_id)!.card;
    const assignments = await t.bot.models.Assignment.find({
      campaignKey: spec.key,
      withdrawn: false,
    }).lean();
    const assignees = [...new Set(assignments.map((a) => a.assigneeKey))];
    const startJson = JSON.stringify(campaignCard);
    expect(startJson).toContain(
      `将向 ${assignees.length} 人发送 ${assignees.length + assignments.length} 张卡片`,
    );
    await pressDone(ADMIN, preview.message_id, CAMPAIGN_CARD_ACTIONS.start);
    expect(await t.bot.models.Campaign.findOne({ key: spec.key }).lean()).toMatchObject({ status: "active" });
    await waitFor(
      async () =>
        (await t.bot.models.SentCard.countDocuments({ campaignKey: spec.key })) >=
        assignees.length + assignments.length,
      30_000,
      "start cards",
    );
    for (const a of assignments) {
      const id = await cardMessage(t, { kind: "selfcheck", refId: String(a._id), personKey: a.assigneeKey });
      expect(t.emu.message(id)!.receive_id).toBe(openIdOf(a.assigneeKey));
    }
    // Self-check cards went to the assignees and to no one else.
    const selfCheckRecipients = new Set(
      t.emu
        .messages()
        .filter(
          (m) => m.msg_type === "interactive" && JSON.stringify(m.card).includes(SELF_CHECK_ACTIONS.submit),
        )
        .map((m) => m.receive_id),
    );
    expect([...selfCheckRecipients].sort()).toEqual(assignees.map(openIdOf).sort());
    expect(text(t.emu.message(preview.message_id)!.card)).toContain("已启动");
    // Everything is sent: no 启动 (or 补发) is offered any more.
    expect(hasButton(t.emu.message(preview.message_id)!.card, CAMPAIGN_CARD_ACTIONS.start)).toBe(false);
    expect(hasButton(t.emu.message(preview.message_id)!.card, CAMPAIGN_CARD_ACTIONS.broadcast)).toBe(true);
    // 发送进度通报: the broadcast goes to the campaign's group chats.
    const group = spec.chats[0].chatId;
    expect(cardsIn(group)).toHaveLength(0);
    const sent = await press(ADMIN, preview.message_id, CAMPAIGN_CARD_ACTIONS.broadcast);
    expect(["success", "info"]).toContain(sent.toast?.type);
    await waitFor(() => cardsIn(group).length > 0, 30_000, "the progress broadcast");
  }, 90_000);

  it("a re-import shows what would change first, and keeps the answers already given", async () => {
    // One assignee answers first.
    const a = (await t.bot.models.Assignment.find({ campaignKey: spec.key }).sort({ key: 1 }).lean())[0];
    const messageId = await cardMessage(t, {
      kind: "selfcheck",
      refId: String(a._id),
      personKey: a.assigneeKey,
    });
    const b = button(t.emu.message(messageId)!.card, SELF_CHECK_ACTIONS.submit);
    const answered = await t.emu.clickCard({
      operator: openIdOf(a.assigneeKey),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: {
        conclusion: "compliant",
        narrative: "对照要点逐条自查，未发现问题。",
        evidence: "",
        problems: "",
      },
    });
    expect(answered.toast?.type).toBe("success");
    // The answer's flags are computed after the submit (jobs/flags.ts): let that finish first.
    await waitFor(
      async () => (await t.bot.models.Response.findOne({ campaignKey: spec.key }).lean())?.flaggedAt,
      15_000,
      "flags computed",
    );
    const responses = await t.bot.models.Response.find({ campaignKey: spec.key }).lean();
    expect(responses).toHaveLength(1);

    // The changed file: a new person (not in Feishu), one assignment row dropped, a due date moved.
    const raw = structuredClone(BUREAU) as Record<string, unknown> & {
      people: Record<string, unknown>[];
      assignments: Record<string, unknown>[];
    };
    raw.people.push({
      key: "new_hire",
      name: "新同事",
      unit: "office",
      roles: ["member"],
      email: "nobody@wlj.example.cn",
    });
    const dropped = raw.assignments.pop()!;
    raw.assignments[0] = { ...raw.assignments[0], due: "2027-01-29" };
    raw.assignments.push({ item: "z4", people: ["wang_chen"], due: "2027-02-26" });
    const { wb } = await bureauWorkbook(raw);
    const before = await snapshot();
    const preview = await sendFile(ADMIN, "作风整治（修订）.xlsx", await toBuffer(wb));
    expect(preview.card!.header).toMatchObject({ title: { content: "重新导入预览：请确认变化" } });
    const said = text(preview.card);
    expect(said).toMatch(/人员\*\*\n新增 1：\n {2}- 新同事/);
    expect(said).toMatch(/分工\*\*[\s\S]*修改 \d+：[\s\S]*完成时限: 2027-01-\d\d → 2027-01-29/);
    expect(said).toMatch(/删除 \d+（撤回，已填答复保留）/);
    expect(said).toContain("新同事（nobody@wlj.example.cn）");
    expect(said).toContain("在飞书中按手机或邮箱没有找到");
    // Nothing is applied before 确认导入 (only the pending import is kept).
    expect({ ...(await snapshot()), pending: before.pending }).toEqual(before);

    await pressDone(ADMIN, preview.message_id, IMPORT_ACTIONS.confirm);
    expect(await t.bot.models.Person.findOne({ campaignKey: spec.key, key: "new_hire" }).lean()).toBeTruthy();
    expect(await t.bot.models.Response.find({ campaignKey: spec.key }).lean()).toEqual(responses);
    expect(await t.bot.models.Assignment.findById(a._id).lean()).toMatchObject({ state: "submitted" });
    const withdrawn = await t.bot.models.Assignment.countDocuments({
      campaignKey: spec.key,
      withdrawn: true,
    });
    expect(withdrawn).toBeGreaterThan(0);
    expect(dropped).toBeTruthy();
    // Changed and withdrawn assignments had their cards already; only 王晨's new one is to send.
    const card = t.emu.message(preview.message_id)!.card;
    expect(button(card, CAMPAIGN_CARD_ACTIONS.start).text).toBe("补发卡片");
    expect(JSON.stringify(card)).toContain("将向 1 人发送 2 张卡片");
    const wang = openIdOf("wang_chen");
    expect(t.emu.messagesTo(wang)).toHaveLength(0);
    await pressDone(ADMIN, preview.message_id, CAMPAIGN_CARD_ACTIONS.start);
    await waitFor(() => t.emu.messagesTo(wang).length >= 2, 10_000, "王晨's cards");
    expect(
      t.emu.messagesTo(wang).filter((m) => JSON.stringify(m.card).includes(SELF_CHECK_ACTIONS.submit)),
    ).toHaveLength(1);
    expect(hasButton(t.emu.message(preview.message_id)!.card, CAMPAIGN_CARD_ACTIONS.start)).toBe(false);
  }, 60_000);

  it("bad files each get their answer and leave the database as it was", async () => {
    const before = await snapshot();
    const calls = t.emu.calls.length;
    const zip = new JSZip();
    zip.file("xl/workbook.xml", "<workbook/>");
    const bomb = Buffer.from(await zip.generateAsync({ type: "nodebuffer" }));
    bomb.writeUInt32LE(3_000_000_000, bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
    const ole = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(1024),
    ]);
    const cases: [string, Buffer, string][] = [
      ["大文件.xlsx", Buffer.alloc(10 * 1024 * 1024 + 1, 1), "文件超过 10 MB"],
      ["改了名的.xlsx", Buffer.from("这不是表格\n", "utf8"), "不是 Excel 工作簿"],
      ["炸弹.xlsx", bomb, "解压后超过 200 MB"],
      ["加密.xlsx", ole, "设了密码"],
      ["通知.pdf", Buffer.from("%PDF-1.4\n"), "文件类型不支持"],
      ["乱码.yaml", Buffer.from([0xff, 0xfe, 0x00, 0xd8, 0x00]), ""],
    ];
    for (const [name, data, says] of cases) {
      const answer = await sendFile(ADMIN, name, data);
      expect(answer.card, name).toBeTruthy();
      if (says) expect(text(answer.card), name).toContain(says);
      expect(await snapshot(), name).toEqual(before);
    }
    // Feishu failing the download: an answer, nothing written.
    t.emu.failNext(1, { status: 500, code: 2200, msg: "Internal Error" }, { path: /\/resources\// });
    const failed = await sendFile(ADMIN, "作风整治.xlsx", Buffer.from("x"));
    expect(text(failed.card)).toContain("没能从飞书取到这个文件");
    expect(await snapshot()).toEqual(before);
    // A file of the wrong type is not even downloaded.
    const downloads = t.emu.calls.slice(calls).filter((c) => c.path.includes("/resources/"));
    expect(downloads.length).toBe(cases.length - 1 + 1); // −1 the .pdf, +1 the failed download
  }, 60_000);

  it("more than 20 errors: 20 on the card, the count, and the full list as a text file", async () => {
    const { wb, rows } = await bureauWorkbook();
    const ws = wb.getWorksheet("人员")!;
    for (const r of rows.people) ws.getCell(r, 3).value = `不存在的科室${r}`;
    const extra = wb.getWorksheet("分工")!;
    for (const r of rows.assignments) extra.getCell(r, 4).value = "明天";
    const added = appendRows(
      ws,
      Array.from({ length: 10 }, (_, i) => ({
        人员编号: `extra_${i}`,
        姓名: `临时${i}`,
        所在单位: "没有这个科",
      })),
    );
    const total = rows.people.length + rows.assignments.length + added.length;
    expect(total).toBeGreaterThan(20);
    const chat = t.emu.p2pChatId(ADMIN);
    const filesBefore = t.emu.messagesTo(chat).filter((m) => m.msg_type === "file").length;
    const answer = await sendFile(ADMIN, "错很多.xlsx", await toBuffer(wb));
    const said = text(answer.card);
    expect(said).toMatch(/另有 \d+ 处错误，完整列表见随后发送的文本文件/);
    const file = await waitFor(
      () => t.emu.messagesTo(chat).filter((m) => m.msg_type === "file")[filesBefore],
      10_000,
      "error list file",
    );
    expect(file.file?.file_name).toBe("错很多-错误列表.txt");
    const listed = t.emu.file(file.file!.file_key)!.bytes.toString("utf8");
    expect(listed.split("\n").filter((l) => l.startsWith("错很多.xlsx: ")).length).toBeGreaterThan(20);
    expect(listed).toContain(`人员!C${added.at(-1)}`);
  }, 60_000);

  it("a non-admin's file is refused unread; 下载模板 sends the template workbook", async () => {
    const member = openIdOf("wang_chen");
    const calls = t.emu.calls.length;
    const { wb } = await bureauWorkbook();
    const refused = await sendFile(member, "作风整治.xlsx", await toBuffer(wb));
    expect(text(refused.card)).toContain("只有牵头科室（管理员）可以");
    expect(t.emu.calls.slice(calls).some((c) => c.path.includes("/resources/"))).toBe(false);

    const chat = t.emu.p2pChatId(member);
    await t.emu.sendUserMessage({ from: member, text: "下载模板", messageId: `om_admin_tpl_${++seq}` });
    const file = await waitFor(
      () => t.emu.messagesTo(chat).find((m) => m.msg_type === "file"),
      10_000,
      "template",
    );
    expect(file.file?.file_name).toBe("自查整改活动模板.xlsx");
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(t.emu.file(file.file!.file_key)!.bytes as unknown as ExcelJS.Buffer);
    expect(book.worksheets.map((w) => w.name)).toEqual(
      expect.arrayContaining(["说明", "活动", "人员", "分工"]),
    );
  }, 30_000);

  it("结束 from the campaign card ends the campaign; the card then offers nothing but the template", async () => {
    const ended = await t.bot.models.PendingImport.findOne({ state: "imported" })
      .sort({ createdAt: -1 })
      .lean();
    expect(ended).toBeTruthy();
    const msg = t.emu
      .messagesTo(t.emu.p2pChatId(ADMIN))
      .filter((m) => m.msg_type === "interactive" && hasButton(m.card, CAMPAIGN_CARD_ACTIONS.end))
      .at(-1)!;
    const other = await press(openIdOf("wang_chen"), msg.message_id, CAMPAIGN_CARD_ACTIONS.end);
    expect(other.toast?.type).toBe("error");
    expect(await t.bot.models.Campaign.findOne({ key: spec.key }).lean()).toMatchObject({ status: "active" });
    await pressDone(ADMIN, msg.message_id, CAMPAIGN_CARD_ACTIONS.end);
    expect(await t.bot.models.Campaign.findOne({ key: spec.key }).lean()).toMatchObject({ status: "ended" });
    const after = t.emu.message(msg.message_id)!.card;
    expect(hasButton(after, CAMPAIGN_CARD_ACTIONS.start)).toBe(false);
    expect(hasButton(after, CAMPAIGN_CARD_ACTIONS.end)).toBe(false);
    expect(hasButton(after, IMPORT_ACTIONS.template)).toBe(true);
  }, 30_000);
});
