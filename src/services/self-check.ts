import { MEASURE_DONE, type Conclusion } from "../domain/types";
import { AppError, FormProblems, forbidden, invalid, isDuplicateKey, notFound, stale } from "../errors";
import type { Types } from "mongoose";
import {
  audit,
  charCount,
  claimSeq,
  isAdmin,
  loadCampaign,
  operatorIn,
  toObjectId,
  type Person,
  type ServiceDeps,
} from "./context";

export const LIMITS = {
  narrative: 1000,
  evidence: 500,
  problems: 1000,
  problemLine: 300,
  maxProblems: 20,
  reason: 500,
} as const;
const CONCLUSIONS: Conclusion[] = ["compliant", "basically_compliant", "problems"];

export interface SelfCheckForm {
  conclusion: Conclusion;
  narrative: string;
  evidence?: string;
  problems: string[];
}

function str(v: unknown): string {
  return typeof v === "string" ? v.trim() : "";
}

/** Validate the submitted form. Every problem is named; nothing is stored when any is found. */
export function parseSelfCheckForm(form: Record<string, unknown> | undefined): SelfCheckForm {
  const f = form ?? {};
  const conclusion = str(f.conclusion) as Conclusion;
  const narrative = str(f.narrative);
  const evidence = str(f.evidence);
  const problems = str(f.problems)
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*(\d+[.、)）]|[-*•])\s*/, "").trim())
    .filter(Boolean);
  const fp = new FormProblems();
  if (!CONCLUSIONS.includes(conclusion)) fp.add("请选择自查结论", "choose a conclusion");
  if (!narrative) fp.add("请填写自查情况", "write the narrative");
  if (charCount(narrative) > LIMITS.narrative)
    fp.add(`自查情况不超过 ${LIMITS.narrative} 字`, `narrative at most ${LIMITS.narrative} characters`);
  if (charCount(evidence) > LIMITS.evidence)
    fp.add(`佐证材料不超过 ${LIMITS.evidence} 字`, `evidence at most ${LIMITS.evidence} characters`);
  if (charCount(str(f.problems)) > LIMITS.problems)
    fp.add(`问题描述不超过 ${LIMITS.problems} 字`, `problems at most ${LIMITS.problems} characters`);
  if (problems.length > LIMITS.maxProblems)
    fp.add(`问题最多 ${LIMITS.maxProblems} 条`, `at most ${LIMITS.maxProblems} problems`);
  if (problems.some((p) => charCount(p) > LIMITS.problemLine))
    fp.add(
      `每条问题不超过 ${LIMITS.problemLine} 字`,
      `each problem at most ${LIMITS.problemLine} characters`,
    );
  if (conclusion === "problems" && problems.length === 0)
    fp.add(
      "结论为“存在问题”时，请至少填写一条问题",
      "list at least one problem when the conclusion is 'problems'",
    );
  fp.throwIfAny();
  return { conclusion, narrative, evidence: evidence || undefined, problems };
}

export async function loadAssignment(d: ServiceDeps, id: unknown) {
  const oid = toObjectId(id);
  const a = oid ? await d.models.Assignment.findById(oid).lean() : null;
  if (!a || a.withdrawn) throw notFound("该自查事项已不存在。", "This self-check item no longer exists.");
  return a;
}
export type Assignment = Awaited<ReturnType<typeof loadAssignment>>;

/** Problems are the same when their texts are, whitespace aside (spaces carry no meaning in Chinese). */
export function sameProblemText(x: string, y: string): boolean {
  const norm = (t: string) => t.replace(/\s+/g, "");
  return norm(x) === norm(y);
}

const ALREADY = () => new AppError("stale", "已提交，无需重复提交。", "Already submitted.");

/**
 * Submit (or re-submit after amending or a return) the answer to an assignment. The card's `rev` must be
 * current: a second click on the same card, or a card older than the record, changes nothing.
 *
 * The steps, each safe to run again: (1) the Response of the next version, keyed (assignment, version),
 * replaced while it is not yet committed; (2) the commit: the assignment points at that version; (3) the
 * problems re-derived from the stored Response (see `completeSubmission`); (4) the audit entry, keyed by
 * version. A retry after a failure at any step finishes the committed answer instead of answering
 * "already submitted" over a half-written one.
 */
export async function submitSelfCheck(
  d: ServiceDeps,
  input: {
    assignmentId: unknown;
    rev: unknown;
    operatorOpenId: string;
    form: Record<string, unknown> | undefined;
  },
): Promise<{ assignment: Assignment; version: number; problemIds: string[] }> {
  const a = await loadAssignment(d, input.assignmentId);
  await loadCampaign(d, a.campaignKey, { mustBeOpen: true });
  const op = await operatorIn(d, a.campaignKey, input.operatorOpenId);
  if (op.key !== a.assigneeKey) throw forbidden();
  if (Number(input.rev) !== a.rev) {
    if (a.state !== "submitted") throw stale();
    const done = await completeSubmission(d, a, op);
    void d.flags?.enqueue({
      campaignKey: a.campaignKey,
      answer: `${String(a._id)}-v${a.responseVersion}`,
      at: d.now().toISOString(),
    });
    if (!done.changed) throw ALREADY();
    return { assignment: a, version: a.responseVersion, problemIds: done.problemIds };
  }
  const form = parseSelfCheckForm(input.form);
  const version = a.responseVersion + 1;
  const content = {
    conclusion: form.conclusion,
    narrative: form.narrative,
    evidence: form.evidence,
    problems: form.problems,
    byKey: op.key,
    byOpenId: op.openId,
  };
  try {
    await d.models.Response.create({ campaignKey: a.campaignKey, assignmentId: a._id, version, ...content });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    // Left by a failed attempt or a concurrent press: not committed yet (the assignment still points at
    // the version before), so this answer replaces it.
    await d.models.Response.updateOne(
      { assignmentId: a._id, version },
      { $set: content, ...(form.evidence ? {} : { $unset: { evidence: "" } }) },
    );
  }
  let updated = await d.models.Assignment.findOneAndUpdate(
    { _id: a._id, rev: a.rev, responseVersion: a.responseVersion },
    {
      $set: { state: "submitted", submittedAt: d.now(), responseVersion: version },
      $unset: { returnReason: "" },
      $inc: { rev: 1 },
    },
    { returnDocument: "after" },
  ).lean();
  if (!updated) {
    // A concurrent press committed this version first: make sure it is complete, answer as a repeat.
    const now = await loadAssignment(d, String(a._id));
    if (now.state !== "submitted" || now.responseVersion !== version) throw stale();
    await completeSubmission(d, now, op, a.state);
    throw ALREADY();
  }
  updated = updated as Assignment;
  const done = await completeSubmission(d, updated, op, a.state);
  void d.flags?.enqueue({
    campaignKey: a.campaignKey,
    answer: `${String(a._id)}-v${version}`,
    at: d.now().toISOString(),
  });
  return { assignment: updated, version, problemIds: done.problemIds };
}

/**
 * Bring the problems and the audit trail in line with the committed Response (idempotent):
 * - each problem line is the problem at (assignment, version, index): a live problem of an earlier
 *   version with the same text (whitespace folded) carries over, keeping its number and measures;
 *   otherwise a new problem, numbered once per (assignment, version, index);
 * - a problem of an earlier version the answer no longer lists is withdrawn, and so are its measures
 *   that are not closed (a closed measure stays closed: the work was done), each with an audit entry;
 * - then the submit/resubmit audit entry of this version.
 * `changed` says whether anything was missing.
 */
export async function completeSubmission(
  d: ServiceDeps,
  a: Assignment,
  op: Person,
  from?: string,
): Promise<{ changed: boolean; problemIds: string[] }> {
  const v = a.responseVersion;
  const r = await d.models.Response.findOne({ assignmentId: a._id, version: v }).lean();
  if (!r) return { changed: false, problemIds: [] };
  let changed = false;
  const all = await d.models.Problem.find({ assignmentId: a._id })
    .sort({ responseVersion: 1, index: 1 })
    .lean();
  const current = new Map(all.filter((p) => p.responseVersion === v).map((p) => [p.index, p]));
  const earlier = all.filter((p) => p.responseVersion < v);
  const carried = new Set<string>();
  const problemIds: string[] = [];
  for (const [index, text] of r.problems.entries()) {
    const here = current.get(index);
    if (here) {
      problemIds.push(String(here._id));
      continue;
    }
    const same = earlier.find(
      (p) => !p.withdrawn && !carried.has(String(p._id)) && sameProblemText(p.text, text),
    );
    if (same) {
      carried.add(String(same._id));
      await d.models.Problem.updateOne(
        { _id: same._id, responseVersion: same.responseVersion },
        { $set: { responseVersion: v, index, text } },
      );
      problemIds.push(String(same._id));
      changed = true;
      continue;
    }
    const seq = await claimSeq(d, `${a.campaignKey}:problem`, `${String(a._id)}:${v}:${index}`);
    try {
      const p = await d.models.Problem.create({
        campaignKey: a.campaignKey,
        seq,
        assignmentId: a._id,
        responseVersion: v,
        index,
        itemKey: a.itemKey,
        unitKey: a.unitKey,
        text,
        reportedByKey: r.byKey,
      });
      problemIds.push(String(p._id));
      changed = true;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const p = await d.models.Problem.findOne({ assignmentId: a._id, responseVersion: v, index }).lean();
      if (!p) throw e;
      problemIds.push(String(p._id));
    }
  }
  for (const p of earlier) {
    if (carried.has(String(p._id))) continue;
    if (await withdrawProblem(d, p, op, v)) changed = true;
  }
  const audited = await audit(d, {
    campaignKey: a.campaignKey,
    entity: "assignment",
    entityId: String(a._id),
    action: v > 1 ? "resubmit" : "submit",
    from: from ?? (v > 1 ? undefined : "pending"),
    to: "submitted",
    by: op,
    key: `assignment:${String(a._id)}:submit:v${v}`,
  });
  return { changed: changed || audited, problemIds };
}

/** A problem the new answer no longer lists: withdrawn, with its open measures. Safe to run again. */
async function withdrawProblem(
  d: ServiceDeps,
  p: { _id: Types.ObjectId; campaignKey: string; withdrawn?: boolean | null },
  op: Person,
  version: number,
): Promise<boolean> {
  // One update per measure whatever state it is in (a concurrent transition cannot slip past it).
  const w = await d.models.Measure.updateMany(
    { problemId: p._id, state: { $nin: MEASURE_DONE } },
    { $set: { state: "withdrawn" }, $inc: { rev: 1 } },
  );
  let changed = w.modifiedCount > 0;
  // Audit entries of measures withdrawn with this problem (also those a failed run left without one).
  const withdrawnAudit = (entity: string, id: unknown, reason: string) =>
    audit(d, {
      campaignKey: p.campaignKey,
      entity,
      entityId: String(id),
      action: "withdraw",
      to: "withdrawn",
      by: op,
      reason,
      key: `${entity}:${String(id)}:withdraw`,
    });
  const withdrawn = await d.models.Measure.find({ problemId: p._id, state: "withdrawn" }, { _id: 1 }).lean();
  for (const m of withdrawn) {
    const why = `问题已在第 ${version} 版自查中撤回 / problem withdrawn in answer v${version}`;
    if (await withdrawnAudit("measure", m._id, why)) changed = true;
  }
  if (!p.withdrawn) {
    await d.models.Problem.updateOne({ _id: p._id }, { $set: { withdrawn: true, withdrawnAt: d.now() } });
    changed = true;
  }
  const why = `第 ${version} 版自查不再列出 / not listed in answer v${version}`;
  if (await withdrawnAudit("problem", p._id, why)) changed = true;
  return changed;
}

/** Open the answered card for editing again (the state stays submitted until the new answer). */
export async function amendSelfCheck(
  d: ServiceDeps,
  input: { assignmentId: unknown; rev: unknown; operatorOpenId: string },
): Promise<Assignment> {
  const a = await loadAssignment(d, input.assignmentId);
  await loadCampaign(d, a.campaignKey, { mustBeOpen: true });
  const op = await operatorIn(d, a.campaignKey, input.operatorOpenId);
  if (op.key !== a.assigneeKey) throw forbidden();
  if (Number(input.rev) !== a.rev) throw stale();
  return a;
}

/**
 * Who may return an answer: an admin, or the head or leader in charge of the answer's unit (a 疑似敷衍
 * answer's reviewers); nobody their own answer.
 */
export function mayReturnAnswer(
  op: Pick<Person, "key" | "roles">,
  a: { unitKey: string; assigneeKey: string },
  unit: { headKey?: string | null; leaderKey?: string | null } | null | undefined,
): boolean {
  if (op.key === a.assigneeKey) return false;
  if (isAdmin(op)) return true;
  return Boolean(unit && (unit.headKey === op.key || unit.leaderKey === op.key));
}

/**
 * An admin, or the unit's head or leader in charge, returns a submitted answer with a reason: the
 * assignee gets the editable card back (the caller sends it).
 */
export async function returnSelfCheck(
  d: ServiceDeps,
  input: { assignmentId: unknown; reason: string; by: Person | { admin: "cli" } },
): Promise<Assignment> {
  const a = await loadAssignment(d, input.assignmentId);
  await loadCampaign(d, a.campaignKey, { mustBeOpen: true });
  const by = "key" in input.by ? input.by : null;
  const unit = by ? await d.models.Unit.findOne({ campaignKey: a.campaignKey, key: a.unitKey }).lean() : null;
  if (by && !mayReturnAnswer(by, a, unit))
    throw forbidden(
      "只有本单位负责人、分管领导或牵头科室（管理员）可以退回，且不能退回本人的回答。",
      "Only the unit's head, its leader in charge or an admin can return an answer, and not their own.",
    );
  const reason = input.reason.trim();
  if (!reason) throw invalid("请填写退回原因。", "Give a reason.");
  if (charCount(reason) > LIMITS.reason)
    throw invalid(`退回原因不超过 ${LIMITS.reason} 字。`, `Reason at most ${LIMITS.reason} characters.`);
  const returnAudit = (x: Assignment) =>
    audit(d, {
      campaignKey: a.campaignKey,
      entity: "assignment",
      entityId: String(a._id),
      action: "return",
      from: "submitted",
      to: "pending",
      by,
      reason,
      key: `assignment:${String(a._id)}:return:v${x.responseVersion}`,
    });
  if (a.state !== "submitted") {
    // The same return again after a failure before its audit entry: complete it.
    if (a.responseVersion > 0 && a.returnReason === reason && (await returnAudit(a))) return a;
    throw new AppError("conflict", "该事项尚未提交，无需退回。", "Not submitted; nothing to return.");
  }
  const updated = await d.models.Assignment.findOneAndUpdate(
    { _id: a._id, rev: a.rev, state: "submitted" },
    { $set: { state: "pending", returnReason: reason }, $inc: { rev: 1 } },
    { returnDocument: "after" },
  ).lean();
  if (!updated) throw stale();
  await returnAudit(updated as Assignment);
  return updated as Assignment;
}
