import type { Types } from "mongoose";
import type { AssignmentView, MeasureView, ResponseView } from "../../cards/view-types";
import type { ChecklistSpec, Locale } from "../domain/types";
import type { MeasureDoc } from "../repositories/models";
import { formatDateTime } from "../time";
import type { Campaign, ServiceDeps } from "./context";
import type { Assignment } from "./self-check";

/** Records → the plain view data card builders take. Reads only. */

export type Measure = MeasureDoc & { _id: Types.ObjectId };

async function personNames(
  d: ServiceDeps,
  campaignKey: string,
  keys: (string | undefined | null)[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(keys.filter((k): k is string => Boolean(k)))];
  if (!wanted.length) return new Map();
  const people = await d.models.Person.find(
    { campaignKey, key: { $in: wanted } },
    { key: 1, name: 1 },
  ).lean();
  return new Map(people.map((p) => [p.key, p.name]));
}

export async function assignmentView(d: ServiceDeps, a: Assignment, c: Campaign): Promise<AssignmentView> {
  const unit = await d.models.Unit.findOne(
    { campaignKey: a.campaignKey, key: a.unitKey },
    { name: 1 },
  ).lean();
  const names = await personNames(d, a.campaignKey, [a.assigneeKey]);
  return assignmentViewFrom(a, c, unit?.name ?? a.unitKey, names.get(a.assigneeKey) ?? a.assigneeKey);
}

/** The same, from names already loaded (campaign start builds thousands at once). */
export function assignmentViewFrom(
  a: Pick<Assignment, "_id" | "rev" | "itemKey" | "sectionKey" | "dueDate" | "state" | "returnReason">,
  c: Campaign,
  unitName: string,
  assigneeName: string,
): AssignmentView {
  const item = c.items.find((i) => i.key === a.itemKey);
  const section = c.sections.find((s) => s.key === a.sectionKey);
  return {
    id: String(a._id),
    rev: a.rev,
    campaignTitle: c.title,
    sectionCode: section?.code ?? "",
    sectionTitle: section?.title ?? "",
    itemTitle: item?.title ?? a.itemKey,
    checkpoints: item?.checkpoints ?? [],
    unitName,
    assigneeName,
    dueDate: a.dueDate,
    state: a.state,
    returnReason: a.returnReason ?? undefined,
    closed: c.status === "ended",
  };
}

/** The latest answer with its problems and their measures; undefined before the first answer. */
export async function responseView(
  d: ServiceDeps,
  a: Assignment,
  c: Campaign,
): Promise<ResponseView | undefined> {
  if (!a.responseVersion) return undefined;
  const r = await d.models.Response.findOne({ assignmentId: a._id, version: a.responseVersion }).lean();
  if (!r) return undefined;
  const problems = await d.models.Problem.find({
    assignmentId: a._id,
    responseVersion: r.version,
    withdrawn: { $ne: true },
  })
    .sort({ index: 1 })
    .lean();
  const measures = problems.length
    ? await d.models.Measure.find({
        problemId: { $in: problems.map((p) => p._id) },
        state: { $ne: "withdrawn" },
      })
        .sort({ seq: 1 })
        .lean()
    : [];
  const names = await personNames(d, a.campaignKey, [r.byKey, ...measures.map((m) => m.ownerKey)]);
  return {
    version: r.version,
    conclusion: r.conclusion,
    narrative: r.narrative,
    evidence: r.evidence ?? undefined,
    problems: problems.map((p) => ({
      id: String(p._id),
      seq: p.seq,
      text: p.text,
      measures: measures
        .filter((m) => String(m.problemId) === String(p._id))
        .map((m) => ({
          seq: m.seq,
          content: m.content,
          ownerName: names.get(m.ownerKey) ?? m.ownerKey,
          dueDate: m.dueDate,
          state: m.state,
        })),
    })),
    byName: names.get(r.byKey) ?? r.byKey,
    at: formatDateTime(r.createdAt, c.timezone),
  };
}

export async function measureView(
  d: ServiceDeps,
  m: Measure,
  c: Campaign,
  locale: Locale = "zh",
): Promise<MeasureView> {
  const [problem, unit, updates, audits] = await Promise.all([
    d.models.Problem.findById(m.problemId, { text: 1 }).lean(),
    d.models.Unit.findOne({ campaignKey: m.campaignKey, key: m.unitKey }, { name: 1 }).lean(),
    d.models.ProgressUpdate.find({ measureId: m._id }).sort({ createdAt: 1 }).lean(),
    d.models.AuditEntry.find({ campaignKey: m.campaignKey, entity: "measure", entityId: String(m._id) })
      .sort({ at: 1 })
      .lean(),
  ]);
  const names = await personNames(d, m.campaignKey, [
    m.ownerKey,
    m.reviewerKey,
    ...updates.map((u) => u.byKey),
    ...audits.map((a) => a.byKey),
  ]);
  const owner = await d.models.Person.findOne(
    { campaignKey: m.campaignKey, key: m.ownerKey },
    { openId: 1 },
  ).lean();
  // Chronological, on the service clock; within one transition "开始整改" comes before its progress note.
  const rank = (action?: string) => (action === "start" ? 0 : action === undefined ? 1 : 2);
  const history = [
    ...updates.map((u) => ({
      t: (u.at ?? u.createdAt).getTime(),
      r: rank(undefined),
      at: formatDateTime(u.at ?? u.createdAt, c.timezone),
      byName: names.get(u.byKey) ?? u.byKey,
      text: `${locale === "en" ? "Progress" : "进展"}${u.percent !== undefined && u.percent !== null ? ` ${u.percent}%` : ""}：${u.note}${u.evidence ? `（${u.evidence}）` : ""}`,
    })),
    ...audits
      .filter((a) => a.action !== "progress")
      .map((a) => ({
        t: a.at.getTime(),
        r: rank(a.action),
        at: formatDateTime(a.at, c.timezone),
        byName: (a.byKey && names.get(a.byKey)) || a.byKey || "",
        text: auditText(a.action, a.to ?? undefined, a.reason ?? undefined, locale),
      })),
  ]
    .sort((x, y) => x.t - y.t || x.r - y.r)
    .map(({ at, byName, text }) => ({ at, byName, text }));
  const ext = m.extension?.status
    ? {
        requestedDue: m.extension.requestedDue ?? "",
        reason: m.extension.reason ?? "",
        status: m.extension.status,
      }
    : undefined;
  const item = c.items.find((i) => i.key === m.itemKey);
  return {
    id: String(m._id),
    seq: m.seq,
    rev: m.rev,
    content: m.content,
    problemText: problem?.text ?? "",
    itemTitle: item?.title ?? m.itemKey,
    unitName: unit?.name ?? m.unitKey,
    ownerName: names.get(m.ownerKey) ?? m.ownerKey,
    ownerOpenId: owner?.openId ?? undefined,
    reviewerName: m.reviewerKey ? (names.get(m.reviewerKey) ?? m.reviewerKey) : undefined,
    dueDate: m.dueDate,
    originalDueDate: m.originalDueDate,
    state: m.state,
    percent: m.percent,
    extension: ext,
    sendBackReason: m.sendBackReason ?? undefined,
    history,
  };
}

const AUDIT_TEXT: Record<string, [string, string]> = {
  create: ["提出措施", "measure proposed"],
  request_closure: ["申请销号", "closure requested"],
  close: ["同意销号，已销号", "closure accepted"],
  send_back: ["退回整改", "sent back"],
  request_extension: ["申请延期", "extension requested"],
  grant_extension: ["同意延期", "extension granted"],
  refuse_extension: ["不同意延期", "extension refused"],
  start: ["开始整改", "work started"],
  withdraw: ["措施撤回", "withdrawn"],
  follow_up_sent: ["回头看已发起，请回复至", "follow-up sent, answer by"],
  follow_up_holds: ["回头看：巩固", "follow-up: holds"],
  follow_up_relapsed: ["回头看：反弹，已重新整改", "follow-up: relapsed, reopened"],
};

function auditText(
  action: string,
  to: string | undefined,
  reason: string | undefined,
  locale: Locale,
): string {
  const [zh, en] = AUDIT_TEXT[action] ?? [action, action];
  const base = locale === "en" ? en : zh;
  const withTo = action.includes("extension") || action === "follow_up_sent";
  const extra = [to && withTo ? to : undefined, reason].filter(Boolean).join("，");
  return extra ? `${base}（${extra}）` : base;
}

/** A stored campaign's checklist in the shape of a campaign file's. */
export function campaignChecklist(
  c: Pick<Campaign, "checklistKey" | "checklistTitle" | "sections" | "items">,
): ChecklistSpec {
  return {
    key: c.checklistKey,
    title: c.checklistTitle,
    sections: c.sections.map((s) => ({
      key: s.key,
      code: s.code,
      title: s.title,
      items: c.items
        .filter((i) => i.sectionKey === s.key)
        .map((i) => ({ key: i.key, title: i.title, checkpoints: i.checkpoints ?? [] })),
    })),
  };
}
