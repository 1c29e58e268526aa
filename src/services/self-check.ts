import type { Conclusion } from "../domain/types";
import { AppError, FormProblems, forbidden, invalid, isDuplicateKey, notFound, stale } from "../errors";
import {
  audit,
  isAdmin,
  loadCampaign,
  nextSeq,
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
  if (narrative.length > LIMITS.narrative)
    fp.add(`自查情况不超过 ${LIMITS.narrative} 字`, `narrative at most ${LIMITS.narrative} characters`);
  if (evidence.length > LIMITS.evidence)
    fp.add(`佐证材料不超过 ${LIMITS.evidence} 字`, `evidence at most ${LIMITS.evidence} characters`);
  if (str(f.problems).length > LIMITS.problems)
    fp.add(`问题描述不超过 ${LIMITS.problems} 字`, `problems at most ${LIMITS.problems} characters`);
  if (problems.length > LIMITS.maxProblems)
    fp.add(`问题最多 ${LIMITS.maxProblems} 条`, `at most ${LIMITS.maxProblems} problems`);
  if (problems.some((p) => p.length > LIMITS.problemLine))
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

/**
 * Submit (or re-submit after amending) the answer to an assignment. The card's `rev` must be current:
 * a second click on the same card, or a card older than the record, changes nothing.
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
    throw a.state === "submitted"
      ? new AppError("stale", "已提交，无需重复提交。", "Already submitted.")
      : stale();
  }
  const form = parseSelfCheckForm(input.form);
  const version = a.responseVersion + 1;
  try {
    await d.models.Response.create({
      campaignKey: a.campaignKey,
      assignmentId: a._id,
      version,
      conclusion: form.conclusion,
      narrative: form.narrative,
      evidence: form.evidence,
      problems: form.problems,
      byKey: op.key,
      byOpenId: op.openId,
    });
  } catch (e) {
    // A concurrent double click: the other request stored this version first.
    if (isDuplicateKey(e)) throw new AppError("stale", "已提交，无需重复提交。", "Already submitted.");
    throw e;
  }
  const updated = await d.models.Assignment.findOneAndUpdate(
    { _id: a._id, rev: a.rev },
    {
      $set: { state: "submitted", submittedAt: d.now(), responseVersion: version },
      $unset: { returnReason: "" },
      $inc: { rev: 1 },
    },
    { returnDocument: "after" },
  ).lean();
  if (!updated) throw stale();
  const problemIds: string[] = [];
  for (const [index, text] of form.problems.entries()) {
    const existing = await d.models.Problem.findOne({
      assignmentId: a._id,
      responseVersion: version,
      index,
    }).lean();
    if (existing) {
      problemIds.push(String(existing._id));
      continue;
    }
    const p = await d.models.Problem.create({
      campaignKey: a.campaignKey,
      seq: await nextSeq(d, `${a.campaignKey}:problem`),
      assignmentId: a._id,
      responseVersion: version,
      index,
      itemKey: a.itemKey,
      unitKey: a.unitKey,
      text,
      reportedByKey: op.key,
    });
    problemIds.push(String(p._id));
  }
  await audit(d, {
    campaignKey: a.campaignKey,
    entity: "assignment",
    entityId: String(a._id),
    action: version > 1 ? "resubmit" : "submit",
    from: a.state,
    to: "submitted",
    by: op,
  });
  return { assignment: updated as Assignment, version, problemIds };
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

/** An admin returns a submitted answer with a reason: the assignee gets the editable card back. */
export async function returnSelfCheck(
  d: ServiceDeps,
  input: { assignmentId: unknown; reason: string; by: Person | { admin: "cli" } },
): Promise<Assignment> {
  const a = await loadAssignment(d, input.assignmentId);
  await loadCampaign(d, a.campaignKey, { mustBeOpen: true });
  const by = "key" in input.by ? input.by : null;
  if (by && !isAdmin(by))
    throw forbidden("只有牵头科室（管理员）可以退回。", "Only an admin can return an answer.");
  const reason = input.reason.trim();
  if (!reason) throw invalid("请填写退回原因。", "Give a reason.");
  if (reason.length > LIMITS.reason)
    throw invalid(`退回原因不超过 ${LIMITS.reason} 字。`, `Reason at most ${LIMITS.reason} characters.`);
  if (a.state !== "submitted")
    throw new AppError("conflict", "该事项尚未提交，无需退回。", "Not submitted; nothing to return.");
  const updated = await d.models.Assignment.findOneAndUpdate(
    { _id: a._id, rev: a.rev, state: "submitted" },
    { $set: { state: "pending", returnReason: reason }, $inc: { rev: 1 } },
    { returnDocument: "after" },
  ).lean();
  if (!updated) throw stale();
  await audit(d, {
    campaignKey: a.campaignKey,
    entity: "assignment",
    entityId: String(a._id),
    action: "return",
    from: "submitted",
    to: "pending",
    by,
    reason,
  });
  return updated as Assignment;
}
