import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIGEST_ACTIONS } from "../../cards/digest-card";
import { ESCALATION_ACTIONS } from "../../cards/escalation-card";
import { FOLLOW_UP_ACTIONS, FOLLOW_UP_FIELDS } from "../../cards/follow-up-card";
import { MEASURE_ACTIONS, MEASURE_FIELDS } from "../../cards/measure-card";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import { runSweep } from "../../jobs/sweeps";
import { campaignStatus } from "../../src/cli/campaign";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";
import type { CampaignSpec } from "../../src/domain/types";
import { exportLedger, exportReport } from "../../src/exports/index";
import { importCampaign } from "../../src/services/campaign-import";
import { digestLinesFor } from "../../src/services/cards";
import { computeSummary } from "../../src/services/summary";
import {
  runEscalationSweep,
  runFollowUpSweep,
  runBroadcast,
  runReminderSweep,
  type SweepDeps,
} from "../../src/services/sweeps";
import { startTestBot, type TestBot } from "../helpers/bot";
import { buttons, text } from "../helpers/cards";
import { expectValid } from "../helpers/card-checks";
import {
  CAMPAIGN_NOW,
  cardMessage,
  loadSpec,
  importAndStart,
  openIdIn,
  pressCard,
} from "../helpers/campaign";
import { waitFor } from "../helpers/services";
import { unzipText } from "../helpers/zip";

/**
 * 回头看 (issue 15 §2) through the real bot, Redis, the store and the emulator, on a campaign clock the
 * test moves: measures closed on one day get their follow-up card 30 working days later (owner and
 * reviewer only), 巩固 is recorded, 反弹 reopens the problem as a linked measure sent to its owner and is
 * counted in the report and the ledger, an unanswered follow-up escalates, after_days 0 sends nothing,
 * and a repeated sweep sends nothing twice.
 */
// The campaign clock: set to a day by the test, moving on with real time from there (the emulator's rate
// limits need time to pass).
let base = Date.parse("2026-12-08T02:00:00Z"); // Tue 10:00 Shanghai
let setAt = Date.now();
const nowMs = () => base + (Date.now() - setAt);
const clock = () => new Date(nowMs());
/** Move the clock to 10:00 in Shanghai on a date. */
const moveTo = (date: string) => {
  base = Date.parse(`${date}T02:00:00Z`);
  setAt = Date.now();
};
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
let dir: string;
const openIdOf = (key: string) => openIdIn(spec, users, key);
const deps = (): SweepDeps => ({ ...t.bot.deps });
const click = (personKey: string, messageId: string, action: string, formValue?: Record<string, unknown>) =>
  pressCard(t, openIdOf(personKey), messageId, action, formValue);

beforeAll(async () => {
  expect(nowMs()).toBeGreaterThan(CAMPAIGN_NOW); // after the fixture's "today"
  t = await startTestBot({ emulator: { now: nowMs }, settings: { now: clock } });
  spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  spec.followUp = { afterDays: 30 };
  ({ users } = await importAndStart(t, spec));
  dir = await mkdtemp(path.join(os.tmpdir(), "follow-up-"));
}, 60_000);
afterAll(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** song_yu answers his nth item with a problem and proposes a measure owned by bai_lu; it is closed. */
async function closedMeasure(nth: number) {
  const { a, messageId } = await (async () => {
    const list = await t.bot.models.Assignment.find({ campaignKey: spec.key, assigneeKey: "song_yu" })
      .sort({ key: 1 })
      .lean();
    const a = list[nth]!;
    const messageId = await cardMessage(t, { kind: "selfcheck", refId: String(a._id), personKey: "song_yu" });
    return { a, messageId };
  })();
  const sub = await click("song_yu", messageId, SELF_CHECK_ACTIONS.submit, {
    conclusion: "problems",
    narrative: "逐项对照检查。",
    evidence: "",
    problems: `问题${nth}：投诉回访记录缺失`,
  });
  expect(sub.toast?.type, JSON.stringify(sub.toast)).toBe("success");
  const content = `措施${nth}：补齐回访记录`;
  const pm = await click("song_yu", messageId, SELF_CHECK_ACTIONS.proposeMeasure, {
    measure_content: content,
    measure_owner: openIdOf("bai_lu"),
    measure_due: "2027-01-29 +0800",
  });
  expect(pm.toast?.type, JSON.stringify(pm.toast)).toBe("success");
  const m = (await t.bot.models.Measure.findOne({ campaignKey: spec.key, content }).lean())!;
  expect(m.itemKey).toBe(a.itemKey);
  const id = String(m._id);
  const ownerCard = await waitFor(
    () => cardMessage(t, { kind: "measure", refId: id, personKey: "bai_lu" }).catch(() => ""),
    20_000, // the emulator holds back a burst of messages to one person, as Feishu does
    "owner's measure card",
  );
  const p = await click("bai_lu", ownerCard, MEASURE_ACTIONS.progress, {
    [MEASURE_FIELDS.progressNote]: "已补齐全部回访记录",
    [MEASURE_FIELDS.progressPercent]: "100",
    [MEASURE_FIELDS.progressEvidence]: "回访登记表扫描件",
  });
  expect(p.toast?.type, JSON.stringify(p.toast)).toBe("success");
  const rc = await click("bai_lu", ownerCard, MEASURE_ACTIONS.requestClose);
  expect(rc.toast?.type, JSON.stringify(rc.toast)).toBe("success");
  const reviewerKey = m.reviewerKey!;
  const reviewCard = await waitFor(
    () => cardMessage(t, { kind: "measure", refId: id, personKey: reviewerKey }).catch(() => ""),
    20_000,
    "reviewer's measure card",
  );
  const ok = await click(reviewerKey, reviewCard, MEASURE_ACTIONS.accept);
  expect(ok.toast?.type, JSON.stringify(ok.toast)).toBe("success");
  const closed = (await t.bot.models.Measure.findById(m._id).lean())!;
  expect(closed.state).toBe("closed");
  return closed;
}

const followUpCards = (refId?: string) =>
  t.bot.models.SentCard.find({
    campaignKey: spec.key,
    kind: "follow-up",
    ...(refId ? { refId } : {}),
  }).lean();
/** Every emulator message whose card is a follow-up card, by recipient open_id. */
const followUpMessages = () =>
  users.flatMap((u) =>
    t.emu
      .messagesTo(u.open_id)
      .filter((msg) => text(msg.card).includes("回头看 · 整改措施"))
      .map(() => u.open_id),
  );

let holds: Awaited<ReturnType<typeof closedMeasure>>;
let relapsed: Awaited<ReturnType<typeof closedMeasure>>;
let silent: Awaited<ReturnType<typeof closedMeasure>>;
let due: string;

describe("回头看", () => {
  it("is sent to the owner and the reviewer only, 30 working days after closure; never with after_days 0, never twice", async () => {
    holds = await closedMeasure(0);
    relapsed = await closedMeasure(1);
    silent = await closedMeasure(2);
    expect(holds.reviewerKey).toBe("director"); // reviewer: leader
    const cal = t.bot.deps.calendar;
    due = cal.addWorkingDays("2026-12-08", 30);

    // The day before: nothing due.
    moveTo(cal.addWorkingDays(due, -1));
    expect((await runFollowUpSweep(deps(), spec.key)).sent).toBe(0);

    // after_days 0 (re-imported campaign file): off, even when due.
    moveTo(due);
    await importCampaign(
      t.bot.models,
      { ...spec, followUp: { afterDays: 0 } },
      {
        lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q),
      },
    );
    expect(await runFollowUpSweep(deps(), spec.key)).toMatchObject({ sent: 0, note: "off" });
    expect((await computeSummary(deps(), spec.key)).followUps).toBeUndefined();
    await importCampaign(t.bot.models, spec, { lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q) });
    expect(await followUpCards()).toHaveLength(0);

    // Due: through the sweep job, as the scheduler runs it.
    const r = await runSweep(deps(), { kind: "follow-up", campaignKey: spec.key }, "t1");
    expect(r.sent).toBe(6); // 3 measures × owner and reviewer
    await waitFor(async () => (await followUpCards()).length === 6, 10_000, "follow-up cards delivered");
    for (const m of [holds, relapsed, silent]) {
      const sent = await followUpCards(String(m._id));
      expect(sent.map((s) => s.personKey).sort()).toEqual(["bai_lu", "director"]);
      const stored = (await t.bot.models.Measure.findById(m._id).lean())!.followUp!;
      expect(stored.dueDate).toBe(due);
      expect(stored.answerBy).toBe(cal.addWorkingDays(due, 5));
      expect(stored.result).toBeUndefined();
    }
    // Nobody else got one.
    expect([...new Set(followUpMessages())].sort()).toEqual(
      [openIdOf("bai_lu"), openIdOf("director")].sort(),
    );
    const card = t.emu.message(
      await cardMessage(t, { kind: "follow-up", refId: String(holds._id), personKey: "bai_lu" }),
    )!.card;
    expectValid(card!);
    expect(text(card)).toContain("整改成效是否巩固");
    expect(text(card)).toContain("补齐回访记录");

    // Again, and again the next day: nothing more.
    expect((await runFollowUpSweep(deps(), spec.key)).sent).toBe(0);
    moveTo(cal.addWorkingDays(due, 1));
    expect((await runFollowUpSweep(deps(), spec.key)).sent).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    expect(await followUpCards()).toHaveLength(6);
    expect(followUpMessages()).toHaveLength(6);
    const audits = await t.bot.models.AuditEntry.countDocuments({ action: "follow_up_sent" });
    expect(audits).toBe(3);
  });

  it("巩固 is recorded once, creates nothing, and the other party's card shows who answered", async () => {
    const id = String(holds._id);
    const reviewerCard = await cardMessage(t, { kind: "follow-up", refId: id, personKey: "director" });
    const ownerCard = await cardMessage(t, { kind: "follow-up", refId: id, personKey: "bai_lu" });
    const measuresBefore = await t.bot.models.Measure.countDocuments({ campaignKey: spec.key });
    const d = await click("director", reviewerCard, FOLLOW_UP_ACTIONS.holds, { [FOLLOW_UP_FIELDS.note]: "" });
    expect(d.toast?.type, JSON.stringify(d.toast)).toBe("success");
    const fu = (await t.bot.models.Measure.findById(holds._id).lean())!.followUp!;
    expect(fu).toMatchObject({ result: "holds", byKey: "director" });
    expect(fu.at).toBeInstanceOf(Date);
    expect(await t.bot.models.Measure.countDocuments({ campaignKey: spec.key })).toBe(measuresBefore);
    expect(await t.bot.models.AuditEntry.countDocuments({ entityId: id, action: "follow_up_holds" })).toBe(1);
    // The owner's copy now says so, with no buttons to press.
    await waitFor(
      () => text(t.emu.message(ownerCard)!.card).includes("回头看结果：**巩固**"),
      5000,
      "owner's card updated",
    );
    expect(text(t.emu.message(ownerCard)!.card)).toContain("韩所长");
    // Answered cards offer nothing to press; a second answer (a stale copy) gets a toast naming the first.
    expect(JSON.stringify(t.emu.message(ownerCard)!.card)).not.toContain(FOLLOW_UP_ACTIONS.holds);
    const second = await t.emu.clickCard({
      operator: openIdOf("bai_lu"),
      messageId: reviewerCard,
      tag: "button",
      value: { action: FOLLOW_UP_ACTIONS.relapsed, m: id, fu: due },
      formValue: { [FOLLOW_UP_FIELDS.note]: "又出现了" },
    });
    expect(second.toast?.type).toBe("error");
    expect(second.toast?.content).toContain("已由韩所长");
    expect((await t.bot.models.Measure.findById(holds._id).lean())!.followUp!.result).toBe("holds");
    // Someone who is neither owner nor reviewer nor admin may not answer.
    const stranger = await t.emu.clickCard({
      operator: openIdOf("tan_min"),
      messageId: reviewerCard,
      tag: "button",
      value: { action: FOLLOW_UP_ACTIONS.holds, m: String(silent._id), fu: due },
    });
    expect(stranger.toast?.type).toBe("error");
    expect((await t.bot.models.Measure.findById(silent._id).lean())!.followUp!.result).toBeUndefined();
  });

  it("反弹 needs a note, then reopens the problem as a linked measure sent to its owner and is counted", async () => {
    const id = String(relapsed._id);
    const ownerCard = await cardMessage(t, { kind: "follow-up", refId: id, personKey: "bai_lu" });
    const bare = await click("bai_lu", ownerCard, FOLLOW_UP_ACTIONS.relapsed, {
      [FOLLOW_UP_FIELDS.note]: " ",
    });
    expect(bare.toast?.type).toBe("error");
    expect(bare.toast?.content).toContain("请填写说明");
    expect((await t.bot.models.Measure.findById(relapsed._id).lean())!.followUp!.result).toBeUndefined();

    const note = "近两周回访记录又有缺漏";
    const d = await click("bai_lu", ownerCard, FOLLOW_UP_ACTIONS.relapsed, { [FOLLOW_UP_FIELDS.note]: note });
    expect(d.toast?.type, JSON.stringify(d.toast)).toBe("success");
    const old = (await t.bot.models.Measure.findById(relapsed._id).lean())!;
    expect(old.state).toBe("closed");
    expect(old.followUp).toMatchObject({ result: "relapsed", byKey: "bai_lu", note });
    const fresh = (await t.bot.models.Measure.findOne({ "relapseOf.measureId": relapsed._id }).lean())!;
    expect(fresh).toBeTruthy();
    expect(old.followUp!.relapseSeq).toBe(fresh.seq);
    expect(fresh).toMatchObject({
      state: "open",
      ownerKey: "bai_lu",
      reviewerKey: relapsed.reviewerKey,
      problemId: relapsed.problemId,
    });
    expect(fresh.content).toContain(note);
    expect(fresh.content).toContain(`#${relapsed.seq}`);
    expect(fresh.dueDate > t.bot.deps.calendar.addWorkingDays(due, 1)).toBe(true);
    expect(fresh.dueDate <= spec.endDate!).toBe(true);
    expect((await t.bot.models.Problem.findById(relapsed.problemId).lean())!.resolved).toBe(false);
    // Its card went to its owner, like any new measure.
    const sent = await waitFor(
      () =>
        cardMessage(t, { kind: "measure", refId: String(fresh._id), personKey: "bai_lu" }).catch(() => ""),
      5000,
      "relapse measure card",
    );
    const mc = t.emu.message(sent)!.card;
    expect(text(mc)).toContain(note);
    expect(text(mc)).toContain("回头看反弹");
    // A double press records it once and makes one measure.
    const again = await click("bai_lu", ownerCard, FOLLOW_UP_ACTIONS.relapsed, {
      [FOLLOW_UP_FIELDS.note]: note,
    }).catch(() => undefined);
    expect(again?.toast?.type ?? "error").not.toBe("success");
    expect(await t.bot.models.Measure.countDocuments({ "relapseOf.measureId": relapsed._id })).toBe(1);

    // Counted: the broadcast numbers, the report's statistics, the ledger.
    const s = await computeSummary(deps(), spec.key);
    expect(s.followUps).toEqual({ due: 1, done: 2, relapsed: 1 });
    const rep = path.join(dir, "r.docx");
    await exportReport(deps(), { campaignKey: spec.key, lang: "zh" }, rep);
    const doc = unzipText(rep).get("word/document.xml")!;
    const plain = [...doc.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((x) => x[1]).join("");
    expect(plain).toContain("开展回头看3项，整改成效巩固1项，反弹1项");
    expect(plain).toContain("待回复1项");

    const xlsx = path.join(dir, "l.xlsx");
    await exportLedger(deps(), { campaignKey: spec.key, lang: "zh" }, xlsx);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    const ws = wb.getWorksheet("整改台账")!;
    const header = ws.getRow(ws.actualRowCount >= 3 ? findHeader(ws) : 1);
    const col = (title: string) => {
      let n = 0;
      header.eachCell((c, i) => {
        if (String(c.value) === title) n = i;
      });
      return n;
    };
    const rows: string[][] = [];
    ws.eachRow((r) => rows.push((r.values as unknown[]).map((v) => String(v ?? ""))));
    const remarksCol = col("备注");
    expect(remarksCol).toBeGreaterThan(0);
    const oldRow = rows.find((r) => r.some((v) => v === old.content))!;
    expect(oldRow[remarksCol]).toMatch(
      /回头看 \d{4}-\d{2}-\d{2}：反弹（近两周回访记录又有缺漏），已重新整改（措施#\d+）/,
    );
    const holdsRow = rows.find((r) => r.some((v) => v === holds.content))!;
    expect(holdsRow[remarksCol]).toMatch(/回头看 \d{4}-\d{2}-\d{2}：巩固/);
    const newRow = rows.find((r) => r.some((v) => v === fresh.content))!;
    expect(newRow[remarksCol]).toContain(`原措施#${relapsed.seq}`);
    const stats = wb.getWorksheet("统计")!;
    const statRows: unknown[][] = [];
    stats.eachRow((r) => statRows.push(r.values as unknown[]));
    expect(statRows[0]).toContain("回头看反弹");
    const total = statRows.find((r) => r[1] === "合计")!;
    expect(total[7]).toBe(1);
  });

  it("unanswered for 5 working days, it climbs the escalation ladder and the cards name the follow-up", async () => {
    const cal = t.bot.deps.calendar;
    const answerBy = cal.addWorkingDays(due, 5);
    const id = String(silent._id);
    const escalated = async (personKey: string) => {
      const cards = await t.bot.models.SentCard.find({ kind: "escalation", personKey }).lean();
      return cards
        .map((c) => text(t.emu.message(c.messageId)?.card ?? {}))
        .filter((x) => named(silent).test(x));
    };
    // The day before it is due, the reminder digests of both owner and reviewer name it, and only it.
    moveTo(cal.addWorkingDays(answerBy, -1));
    await runReminderSweep(deps(), spec.key);
    for (const k of ["bai_lu", "director"]) {
      const msg = await waitFor(
        () => cardMessage(t, { kind: "reminder", personKey: k }).catch(() => ""),
        5000,
        `${k}'s reminder`,
      );
      const digest = text(t.emu.message(msg)!.card);
      expect(digest).toMatch(named(silent));
      expect(digest).not.toContain(holds.content);
      expect(digest).not.toContain(relapsed.content);
    }
    // And on their to-do list (我的待办), nobody else's.
    for (const k of ["bai_lu", "director"])
      expect(
        (await digestLinesFor(t.bot.deps, spec.key, k))
          .filter((x) => x.kind === "follow-up")
          .map((x) => x.id),
      ).toEqual([id]);
    expect((await digestLinesFor(t.bot.deps, spec.key, "song_yu")).some((x) => x.kind === "follow-up")).toBe(
      false,
    );
    moveTo(answerBy); // the last day to answer: not overdue yet
    await runEscalationSweep(deps(), spec.key);
    await new Promise((res) => setTimeout(res, 300));
    expect(await escalated("bai_lu")).toHaveLength(0);

    moveTo(cal.addWorkingDays(answerBy, 1)); // owner step
    await runEscalationSweep(deps(), spec.key);
    await waitFor(async () => (await escalated("bai_lu")).length === 1, 5000, "owner escalation");
    moveTo(cal.addWorkingDays(answerBy, 2)); // head step: song_yu heads bai_lu's unit
    await runEscalationSweep(deps(), spec.key);
    await runEscalationSweep(deps(), spec.key);
    await waitFor(async () => (await escalated("song_yu")).length === 1, 5000, "head escalation");
    await new Promise((res) => setTimeout(res, 300));
    expect(await escalated("bai_lu")).toHaveLength(1);
    // The answered ones never escalate.
    const all = await t.bot.models.SentCard.find({ kind: "escalation" }).lean();
    const texts = all.map((c) => text(t.emu.message(c.messageId)?.card ?? {})).join("\n");
    expect(texts).not.toContain(holds.content);
    // The head's 催办 sends the owner the follow-up card again (once a day); 打开 sends it to the asker.
    const headCard = await cardMessage(t, { kind: "escalation", personKey: "song_yu" });
    const nudge = buttons(t.emu.message(headCard)!.card).find(
      (b) => b.value.action === ESCALATION_ACTIONS.nudge && b.value.kind === "follow-up",
    )!;
    expect(nudge.value.id).toBe(id);
    const before = (await followUpCards(id)).length;
    const n1 = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId: headCard,
      tag: "button",
      value: nudge.value,
    });
    expect(n1.toast?.type, JSON.stringify(n1.toast)).toBe("success");
    const n2 = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId: headCard,
      tag: "button",
      value: nudge.value,
    });
    expect(n2.toast?.content).toContain("已经催办");
    await waitFor(async () => (await followUpCards(id)).length === before + 1, 5000, "nudged follow-up card");
    const nudged = await cardMessage(t, { kind: "follow-up", refId: id, personKey: "bai_lu" });
    expect(text(t.emu.message(nudged)!.card)).toContain("宋宇 催办");
    const open = buttons(t.emu.message(headCard)!.card).find(
      (b) => b.value.action === DIGEST_ACTIONS.open && b.value.kind === "follow-up",
    )!;
    const o = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId: headCard,
      tag: "button",
      value: open.value,
    });
    expect(o.toast?.type).toBe("error"); // the head is neither owner nor reviewer
    // Answering stops it.
    const ownerCard = await cardMessage(t, { kind: "follow-up", refId: id, personKey: "bai_lu" });
    const d = await click("bai_lu", ownerCard, FOLLOW_UP_ACTIONS.holds, {
      [FOLLOW_UP_FIELDS.note]: "已巩固",
    });
    expect(d.toast?.type).toBe("success");
    moveTo(cal.addWorkingDays(answerBy, 5)); // leader step, had it still been open
    await runEscalationSweep(deps(), spec.key);
    await new Promise((res) => setTimeout(res, 300));
    const director = await t.bot.models.SentCard.find({ kind: "escalation", personKey: "director" }).lean();
    expect(director.map((c) => text(t.emu.message(c.messageId)?.card ?? {})).join("\n")).not.toContain(
      `#${silent.seq} ${silent.content}`,
    );
    expect((await computeSummary(deps(), spec.key)).followUps).toEqual({ due: 0, done: 3, relapsed: 1 });
  });

  it("campaign status and the progress broadcast show the follow-ups due, done and relapsed", async () => {
    const lines: string[] = [];
    const code = await campaignStatus(
      { models: t.bot.models, redisPrefix: "t", close: async () => {} },
      spec.key,
      {
        print: (x) => lines.push(x),
        error: (x) => lines.push(x),
      },
    );
    expect(code).toBe(0);
    expect(lines).toContain(
      "follow-ups (回头看, 30 working days after closure): 0 due, 3 done (2 holds, 1 relapsed)",
    );
    t.emu.addChat({
      chat_id: spec.chats[0]!.chatId,
      name: "所务群",
      members: users.map((u) => u.open_id),
      botIsMember: true,
    });
    await runBroadcast(deps(), spec.key, "follow-up-slot");
    const [msg] = await waitFor(
      () => t.emu.messagesTo(spec.chats[0]!.chatId).length > 0 && t.emu.messagesTo(spec.chats[0]!.chatId),
      10_000,
      "broadcast",
    );
    expect(text(msg!.card)).toMatch(/回头看：待回复 \*\*0\*\*.*已完成 \*\*3\*\*.*反弹 .*1.* 项/);
  });
});

/** A card line naming the follow-up of a measure ("#" is escaped in card markdown). */
function named(m: { seq: number; content: string }): RegExp {
  return new RegExp(`【回头看】(?:#|&#35;)${m.seq} ${m.content}`);
}

/** The ledger sheet's header row: the first with a 序号 cell. */
function findHeader(ws: ExcelJS.Worksheet): number {
  let n = 1;
  ws.eachRow((r, i) => {
    if (n === 1 && (r.values as unknown[]).some((v) => String(v) === "序号")) n = i;
  });
  return n;
}
