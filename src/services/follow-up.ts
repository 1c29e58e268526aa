import {
  FOLLOW_UP_FIELDS,
  followUpCard,
  type FollowUpView,
  type FollowUpViewer,
} from "../../cards/follow-up-card";
import type { Card } from "../../cards/kit";
import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import type { WorkCalendar } from "../calendar";
import { AppError, forbidden, invalid, stale } from "../errors";
import { formatDateTime, todayIn } from "../time";
import {
  audit,
  charCount,
  claimSeq,
  isAdmin,
  loadCampaign,
  operatorIn,
  today as todayOf,
  type Campaign,
  type Person,
  type ServiceDeps,
} from "./context";
import { createMeasureOnce, loadMeasure } from "./measures";
import { LIMITS } from "./self-check";
import type { Measure } from "./views";

/**
 * 回头看 (issue 15 §2): `follow_up.after_days` working days after a measure is closed, its owner and its
 * reviewer get a card asking whether the result holds (巩固) or has relapsed (反弹). The first answer is
 * stored on the measure (`followUp`) with an audit entry; 反弹 reopens the problem as a new measure
 * linked to the old one (`relapseOf`), which stays closed with the result 反弹. A follow-up not answered
 * within FOLLOW_UP_ANSWER_DAYS working days climbs the escalation ladder like any overdue work.
 */
export const DEFAULT_FOLLOW_UP_DAYS = 30;
/** Working days to answer a follow-up before it counts as overdue work. */
export const FOLLOW_UP_ANSWER_DAYS = 5;
/** A relapse measure gets as many working days as the original had, at least this many. */
export const RELAPSE_MIN_DAYS = 5;

export type FollowUpResult = "holds" | "relapsed";

export interface FollowUpDeps extends ServiceDeps {
  calendar: WorkCalendar;
}

/** The campaign's follow-up interval in working days; 0 = off. */
export function followUpDays(c: { followUp?: { afterDays?: number | null } | null }): number {
  const n = c.followUp?.afterDays;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : DEFAULT_FOLLOW_UP_DAYS;
}

/** The day a measure closed at `closedAt` is due for its follow-up. */
export function followUpDueDate(
  calendar: WorkCalendar,
  timezone: string,
  closedAt: Date,
  afterDays: number,
): string {
  return calendar.addWorkingDays(todayIn(timezone, closedAt), afterDays);
}

/** Closed measures whose follow-up is due today or earlier and has not been sent. */
export async function dueFollowUps(d: FollowUpDeps, c: Campaign): Promise<{ m: Measure; due: string }[]> {
  const days = followUpDays(c);
  if (days === 0) return [];
  const today = todayOf(d, c);
  const closed = (await d.models.Measure.find({
    campaignKey: c.key,
    state: "closed",
    "followUp.sentAt": { $exists: false },
  }).lean()) as Measure[];
  const out: { m: Measure; due: string }[] = [];
  for (const m of closed) {
    if (!m.closedAt) continue;
    const due = followUpDueDate(d.calendar, c.timezone, new Date(m.closedAt), days);
    if (due <= today) out.push({ m, due });
  }
  return out.sort((a, b) => a.m.seq - b.m.seq);
}

/** Owner and reviewer of a measure: the people a follow-up is sent to. */
async function partiesOf(d: ServiceDeps, m: Measure): Promise<Person[]> {
  const keys = [...new Set([m.ownerKey, m.reviewerKey].filter((k): k is string => Boolean(k)))];
  const people = await d.models.Person.find({ campaignKey: m.campaignKey, key: { $in: keys } }).lean();
  return keys.map((k) => people.find((p) => p.key === k)).filter((p): p is Person => Boolean(p));
}

export function followUpUuid(campaignKey: string, measureId: string, due: string, personKey: string) {
  return outboundUuid("follow-up", campaignKey, measureId, due, personKey);
}

/**
 * Send every due follow-up: the card to the owner and the reviewer (deterministic uuids: a repeat or a
 * run after a crash in the middle queues nothing twice), then mark it sent on the measure with an audit
 * entry. Only active campaigns (an ended one has no schedules).
 */
export async function sendDueFollowUps(
  d: FollowUpDeps & {
    outbound: { enqueue(job: OutboundJob, o?: { delayMs?: number }): Promise<void> };
  },
  campaignKey: string,
  delayMs: number,
): Promise<{ sent: number; skipped: number; note?: string }> {
  const c = await loadCampaign(d, campaignKey);
  if (c.status !== "active") return { sent: 0, skipped: 0, note: "inactive" };
  if (followUpDays(c) === 0) return { sent: 0, skipped: 0, note: "off" };
  const today = todayOf(d, c);
  const answerBy = d.calendar.addWorkingDays(today, FOLLOW_UP_ANSWER_DAYS);
  let sent = 0;
  let skipped = 0;
  for (const { m, due } of await dueFollowUps(d, c)) {
    const id = String(m._id);
    const pending = { ...m, followUp: { dueDate: due, answerBy, sentAt: d.now() } } as Measure;
    for (const p of await partiesOf(d, m)) {
      if (!p.openId || p.undeliverable?.at) {
        skipped++;
        continue;
      }
      const card = await buildCard(d, pending, c, p);
      await d.outbound.enqueue(
        {
          op: "send",
          to: { type: "open_id", id: p.openId },
          content: { card },
          uuid: followUpUuid(campaignKey, id, due, p.key),
          ref: { campaignId: campaignKey, kind: "follow-up", refId: id, personKey: p.key },
        },
        { delayMs },
      );
      sent++;
    }
    const marked = await d.models.Measure.updateOne(
      { _id: m._id, "followUp.sentAt": { $exists: false } },
      { $set: { "followUp.dueDate": due, "followUp.sentAt": d.now(), "followUp.answerBy": answerBy } },
    );
    if (marked.modifiedCount)
      await audit(d, {
        campaignKey,
        entity: "measure",
        entityId: id,
        action: "follow_up_sent",
        to: answerBy,
        key: `measure:${id}:follow-up:${due}:sent`,
      });
  }
  return { sent, skipped };
}

/** Follow-ups sent and not answered (one person's: as owner or reviewer); overdue after their answer-by day. */
export async function awaitingFollowUps(
  d: ServiceDeps,
  campaignKey: string,
  personKey?: string,
): Promise<Measure[]> {
  return (await d.models.Measure.find({
    campaignKey,
    state: "closed",
    "followUp.sentAt": { $exists: true },
    "followUp.result": { $exists: false },
    ...(personKey ? { $or: [{ ownerKey: personKey }, { reviewerKey: personKey }] } : {}),
  }).lean()) as Measure[];
}

/** The title a follow-up goes by in escalations (the card labels it 【回头看】). */
export function followUpTitle(m: Pick<Measure, "seq" | "content">): string {
  return `#${m.seq} ${m.content}`;
}

export interface FollowUpCounts {
  /** Sent and not answered yet. */
  due: number;
  done: number;
  holds: number;
  relapsed: number;
}

/**
 * Follow-ups by state (counted in the database); undefined when follow-up is off or none was sent yet,
 * so nothing shows a row of zeros for a campaign that does not use it.
 */
export async function followUpCounts(
  d: ServiceDeps,
  c: Pick<Campaign, "key" | "followUp">,
  unitKeys?: string[],
): Promise<FollowUpCounts | undefined> {
  if (followUpDays(c) === 0) return undefined;
  const rows = await d.models.Measure.aggregate<{ _id: string | null; n: number }>([
    {
      $match: {
        campaignKey: c.key,
        "followUp.sentAt": { $exists: true },
        ...(unitKeys ? { unitKey: { $in: unitKeys } } : {}),
      },
    },
    { $group: { _id: "$followUp.result", n: { $sum: 1 } } },
  ]);
  if (!rows.length) return undefined;
  const n = (r: string | null) => rows.filter((x) => (x._id ?? null) === r).reduce((s, x) => s + x.n, 0);
  const holds = n("holds");
  const relapsed = n("relapsed");
  const total = rows.reduce((s, x) => s + x.n, 0);
  return { due: total - holds - relapsed, done: holds + relapsed, holds, relapsed };
}

async function buildCard(
  d: ServiceDeps,
  m: Measure,
  c: Campaign,
  viewer: Person | null,
  notice?: string,
): Promise<Card> {
  // Not localeOf from ./cards: that module lists follow-ups in digests and imports this one.
  const locale = viewer?.locale === "en" ? "en" : "zh";
  const keys = [m.ownerKey, m.reviewerKey, m.closedByKey, m.followUp?.byKey].filter((k): k is string =>
    Boolean(k),
  );
  const [problem, unit, people] = await Promise.all([
    d.models.Problem.findById(m.problemId, { text: 1 }).lean(),
    d.models.Unit.findOne({ campaignKey: m.campaignKey, key: m.unitKey }, { name: 1 }).lean(),
    d.models.Person.find({ campaignKey: m.campaignKey, key: { $in: keys } }, { key: 1, name: 1 }).lean(),
  ]);
  const name = (k?: string | null) => (k ? (people.find((p) => p.key === k)?.name ?? k) : undefined);
  const fu = m.followUp ?? {};
  const role: FollowUpViewer =
    viewer && (viewer.key === m.ownerKey || viewer.key === m.reviewerKey || isAdmin(viewer))
      ? "party"
      : "other";
  const view: FollowUpView = {
    id: String(m._id),
    seq: m.seq,
    content: m.content,
    problemText: problem?.text ?? "",
    itemTitle: c.items.find((i) => i.key === m.itemKey)?.title ?? m.itemKey,
    unitName: unit?.name ?? m.unitKey,
    ownerName: name(m.ownerKey) ?? m.ownerKey,
    reviewerName: name(m.reviewerKey),
    closedOn: m.closedAt ? todayIn(c.timezone, new Date(m.closedAt)) : "",
    closedByName: name(m.closedByKey),
    dueDate: fu.dueDate ?? "",
    answerBy: fu.answerBy ?? "",
    result: (fu.result as FollowUpResult | undefined) ?? undefined,
    answeredByName: name(fu.byKey),
    answeredAt: fu.at ? formatDateTime(new Date(fu.at), c.timezone) : undefined,
    note: fu.note ?? undefined,
    relapseSeq: fu.relapseSeq ?? undefined,
  };
  return followUpCard({ f: view, locale, today: todayOf(d, c), viewer: role, notice });
}

/** The follow-up card of a measure as `viewer` sees it now. */
export async function followUpCardFor(
  d: ServiceDeps,
  measureId: string,
  viewer: Person | null,
  notice?: string,
): Promise<Card> {
  const m = await loadMeasure(d, measureId);
  const c = await loadCampaign(d, m.campaignKey);
  return buildCard(d, m, c, viewer, notice);
}

function str(v: unknown): string {
  return typeof v === "string" ? v.trim() : "";
}

const RESULT_WORDS: Record<FollowUpResult, [string, string]> = {
  holds: ["巩固", "holds"],
  relapsed: ["反弹", "relapsed"],
};

export function followUpResultWord(r: FollowUpResult | string, locale: "zh" | "en" = "zh"): string {
  const w = RESULT_WORDS[r as FollowUpResult];
  return w ? (locale === "en" ? w[1] : w[0]) : r;
}

export interface AnswerInput {
  measureId: unknown;
  operatorOpenId: string;
  result: FollowUpResult;
  /** The follow-up's due date the card was made for (a card of another round is stale). */
  due?: unknown;
  form?: Record<string, unknown>;
}

export interface AnswerOutcome {
  measure: Measure;
  operator: Person;
  /** The measure reopening the problem (反弹). */
  relapse?: Measure;
  /** True when this call recorded the answer or completed a relapse left half done. */
  recorded: boolean;
}

/**
 * Record the first answer to a follow-up. A second answer (anyone's) is refused with who answered what;
 * the same press again after a failure completes the relapse measure instead. Bad input stores nothing.
 */
export async function answerFollowUp(d: FollowUpDeps, input: AnswerInput): Promise<AnswerOutcome> {
  const m = await loadMeasure(d, input.measureId);
  const c = await loadCampaign(d, m.campaignKey, { mustBeOpen: true });
  const op = await operatorIn(d, m.campaignKey, input.operatorOpenId);
  if (op.key !== m.ownerKey && op.key !== m.reviewerKey && !isAdmin(op))
    throw forbidden(
      "只有措施责任人、审核人或管理员可以回复回头看。",
      "Only the measure's owner, its reviewer or an admin can answer this follow-up.",
    );
  const fu = m.followUp;
  if (m.state !== "closed" || !fu?.sentAt) throw stale();
  if (typeof input.due === "string" && input.due && input.due !== fu.dueDate) throw stale();
  const note = str(input.form?.[FOLLOW_UP_FIELDS.note]);
  if (fu.result) return repeatOrRefuse(d, m, c, op, input.result, note);
  const fp: string[][] = [];
  if (input.result === "relapsed" && !note)
    fp.push(["选择“反弹”时请填写说明：哪些问题又出现了", "say what has come back when choosing relapsed"]);
  if (charCount(note) > LIMITS.reason)
    fp.push([`说明不超过 ${LIMITS.reason} 字`, `the note is at most ${LIMITS.reason} characters`]);
  if (fp.length)
    throw invalid(fp.map((x) => x[0]).join("；"), fp.map((x) => x[1]).join("; "), {
      fields: fp.map((x) => x[1]),
    });
  const at = d.now();
  const updated = (await d.models.Measure.findOneAndUpdate(
    {
      _id: m._id,
      state: "closed",
      "followUp.sentAt": { $exists: true },
      "followUp.result": { $exists: false },
    },
    {
      $set: {
        "followUp.result": input.result,
        "followUp.byKey": op.key,
        "followUp.at": at,
        ...(note ? { "followUp.note": note } : {}),
      },
    },
    { returnDocument: "after" },
  ).lean()) as Measure | null;
  if (!updated) return repeatOrRefuse(d, await loadMeasure(d, String(m._id)), c, op, input.result, note);
  return settleAnswer(d, updated, c, op);
}

async function repeatOrRefuse(
  d: FollowUpDeps,
  m: Measure,
  c: Campaign,
  op: Person,
  result: FollowUpResult,
  note: string,
): Promise<AnswerOutcome> {
  const fu = m.followUp!;
  // The same press again (a retry after a failure): complete what it implies.
  if (fu.byKey === op.key && fu.result === result && (fu.note ?? "") === note)
    return settleAnswer(d, m, c, op);
  const by = fu.byKey
    ? ((await d.models.Person.findOne({ campaignKey: m.campaignKey, key: fu.byKey }, { name: 1 }).lean())
        ?.name ?? fu.byKey)
    : "";
  const when = fu.at ? formatDateTime(new Date(fu.at), c.timezone) : "";
  throw new AppError(
    "conflict",
    `该回头看已由${by}于 ${when} 回复为“${followUpResultWord(fu.result!, "zh")}”，不能重复回复。`,
    `This follow-up was already answered "${followUpResultWord(fu.result!, "en")}" by ${by} on ${when}.`,
  );
}

/** The answer's audit entry and, for 反弹, the new measure: each under a natural key. */
async function settleAnswer(d: FollowUpDeps, m: Measure, c: Campaign, op: Person): Promise<AnswerOutcome> {
  const fu = m.followUp!;
  const id = String(m._id);
  const recorded = await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: id,
    action: `follow_up_${fu.result}`,
    from: "closed",
    to: "closed",
    reason: fu.note ?? undefined,
    by: op,
    at: fu.at ? new Date(fu.at) : undefined,
    key: `measure:${id}:follow-up:${fu.dueDate}:answer`,
  });
  if (fu.result !== "relapsed") return { measure: m, operator: op, recorded };
  const { relapse, created } = await createRelapse(d, m, c, op);
  let measure = m;
  if (!fu.relapseMeasureId) {
    measure =
      ((await d.models.Measure.findOneAndUpdate(
        { _id: m._id },
        { $set: { "followUp.relapseMeasureId": relapse._id, "followUp.relapseSeq": relapse.seq } },
        { returnDocument: "after" },
      ).lean()) as Measure | null) ?? m;
  }
  return { measure, operator: op, relapse, recorded: recorded || created };
}

/**
 * The new measure for a relapsed one: same problem, owner and reviewer; the note as its content; a due
 * date as far from today as the original's was from its start (at least RELAPSE_MIN_DAYS working days),
 * never past the campaign's end — the rule every new measure keeps.
 */
async function createRelapse(
  d: FollowUpDeps,
  m: Measure,
  c: Campaign,
  op: Person,
): Promise<{ relapse: Measure; created: boolean }> {
  const proposalKey = `relapse:${String(m._id)}`;
  let relapse = (await d.models.Measure.findOne({
    campaignKey: m.campaignKey,
    proposalKey,
  }).lean()) as Measure | null;
  let created = false;
  if (!relapse) {
    const today = todayOf(d, c);
    const started = todayIn(
      c.timezone,
      new Date((m as { createdAt?: Date }).createdAt ?? m.closedAt ?? d.now()),
    );
    const span = Math.max(RELAPSE_MIN_DAYS, d.calendar.workingDaysBetween(started, m.originalDueDate));
    let due = d.calendar.addWorkingDays(today, span);
    if (c.endDate && due > c.endDate && c.endDate >= today) due = c.endDate;
    const seq = await claimSeq(d, `${m.campaignKey}:measure`, proposalKey);
    const note = m.followUp?.note ?? "";
    ({ measure: relapse, created } = await createMeasureOnce(d, {
      campaignKey: m.campaignKey,
      seq,
      problemId: m.problemId,
      itemKey: m.itemKey,
      unitKey: m.unitKey,
      content: `回头看发现反弹（原措施#${m.seq}）：${note}`,
      ownerKey: m.ownerKey,
      reviewerKey: m.reviewerKey ?? undefined,
      dueDate: due,
      originalDueDate: due,
      createdByKey: op.key,
      proposalKey,
      relapseOf: { measureId: m._id, seq: m.seq },
    }));
  }
  // The problem has open work again.
  await d.models.Problem.updateOne({ _id: m.problemId }, { $set: { resolved: false } });
  const audited = await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(relapse._id),
    action: "create",
    to: "open",
    reason: `回头看反弹，原措施#${m.seq}`,
    by: op,
    key: `measure:${String(relapse._id)}:create`,
  });
  return { relapse, created: created || audited };
}
