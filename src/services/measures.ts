import crypto from "node:crypto";
import type { MeasureState } from "../domain/types";
import { AppError, FormProblems, forbidden, invalid, isDuplicateKey, notFound, stale } from "../errors";
import { parsePickerDate } from "../time";
import {
  audit,
  isAdmin,
  loadCampaign,
  nextSeq,
  operatorIn,
  today,
  toObjectId,
  type Person,
  type ServiceDeps,
} from "./context";
import { LIMITS, loadAssignment } from "./self-check";
import type { Measure } from "./views";

/**
 * Measures and their states (DESIGN.md §2):
 *   open → in_progress → closure_requested → closed; a reviewer may send back to in_progress;
 *   an owner may request an extension that a reviewer grants (new due date) or refuses.
 * Every transition is one conditional update on the expected state and `rev`, then an audit entry.
 */

function str(v: unknown): string {
  return typeof v === "string" ? v.trim() : "";
}

export async function loadMeasure(d: ServiceDeps, id: unknown): Promise<Measure> {
  const oid = toObjectId(id);
  const m = oid ? await d.models.Measure.findById(oid).lean() : null;
  if (!m) throw notFound("该整改措施已不存在。", "This measure no longer exists.");
  return m as Measure;
}

/** The reviewer of a unit's measures: its head or its leader in charge (campaign setting). */
async function reviewerFor(
  d: ServiceDeps,
  campaignKey: string,
  unitKey: string,
  policy: string,
  ownerKey: string,
): Promise<string | undefined> {
  const unit = await d.models.Unit.findOne({ campaignKey, key: unitKey }).lean();
  if (!unit) return undefined;
  const first = policy === "leader" ? unit.leaderKey : unit.headKey;
  const second = policy === "leader" ? unit.headKey : unit.leaderKey;
  // Nobody reviews their own measure.
  if (first && first !== ownerKey) return first;
  if (second && second !== ownerKey) return second;
  return undefined;
}

export interface ProposeInput {
  assignmentId: unknown;
  operatorOpenId: string;
  form: Record<string, unknown> | undefined;
}

/** Propose a measure for a problem on an answered assignment. A double click creates one measure. */
export async function proposeMeasure(
  d: ServiceDeps,
  input: ProposeInput,
): Promise<{ measure: Measure; created: boolean; owner: Person; reviewerKey?: string }> {
  const a = await loadAssignment(d, input.assignmentId);
  const c = await loadCampaign(d, a.campaignKey, { mustBeOpen: true });
  const op = await operatorIn(d, a.campaignKey, input.operatorOpenId);
  const unit = await d.models.Unit.findOne({ campaignKey: a.campaignKey, key: a.unitKey }).lean();
  const mayPropose =
    op.key === a.assigneeKey || isAdmin(op) || unit?.headKey === op.key || unit?.leaderKey === op.key;
  if (!mayPropose) throw forbidden();
  const f = input.form ?? {};
  const problems = await d.models.Problem.find({ assignmentId: a._id, responseVersion: a.responseVersion })
    .sort({ index: 1 })
    .lean();
  if (!problems.length)
    throw invalid("该事项没有登记问题，无需整改措施。", "No problems were reported for this item.");
  const problemId = str(f.problem) || (problems.length === 1 ? String(problems[0]._id) : "");
  const problem = problems.find((p) => String(p._id) === problemId);
  const content = str(f.measure_content);
  const due = parsePickerDate(f.measure_due);
  const fp = new FormProblems();
  if (!problem) fp.add("请选择问题", "choose the problem");
  if (!content) fp.add("请填写整改措施", "write the measure");
  if (content.length > LIMITS.evidence)
    fp.add(`措施不超过 ${LIMITS.evidence} 字`, `measure at most ${LIMITS.evidence} characters`);
  if (!due) fp.add("请选择完成时限", "choose a due date");
  else if (due < today(d, c)) fp.add("完成时限不能早于今天", "the due date is in the past");
  else if (c.endDate && due > c.endDate)
    fp.add(
      `完成时限不能晚于活动结束日 ${c.endDate}`,
      `the due date is after the campaign ends (${c.endDate})`,
    );
  const ownerOpenId = str(f.measure_owner);
  const owner = ownerOpenId
    ? await d.models.Person.findOne({ campaignKey: a.campaignKey, openId: ownerOpenId }).lean()
    : op;
  if (!owner) fp.add("责任人不在本次活动名单中", "the owner is not part of this campaign");
  fp.throwIfAny();
  if (!problem || !due || !owner) throw invalid("表单不完整", "incomplete form");

  const proposalKey = crypto
    .createHash("sha256")
    .update([problemId, content, owner.key, due].join("\u0000"))
    .digest("hex")
    .slice(0, 32);
  const existing = await d.models.Measure.findOne({ campaignKey: a.campaignKey, proposalKey }).lean();
  if (existing)
    return {
      measure: existing as Measure,
      created: false,
      owner,
      reviewerKey: existing.reviewerKey ?? undefined,
    };
  const reviewerKey = await reviewerFor(d, a.campaignKey, problem.unitKey, c.reviewer, owner.key);
  try {
    const m = await d.models.Measure.create({
      campaignKey: a.campaignKey,
      seq: await nextSeq(d, `${a.campaignKey}:measure`),
      problemId: problem._id,
      itemKey: problem.itemKey,
      unitKey: problem.unitKey,
      content,
      ownerKey: owner.key,
      reviewerKey,
      dueDate: due,
      originalDueDate: due,
      createdByKey: op.key,
      proposalKey,
    });
    await audit(d, {
      campaignKey: a.campaignKey,
      entity: "measure",
      entityId: String(m._id),
      action: "create",
      to: "open",
      by: op,
    });
    await d.models.Problem.updateOne({ _id: problem._id }, { $set: { resolved: false } });
    return { measure: m.toObject() as Measure, created: true, owner, reviewerKey };
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const again = await d.models.Measure.findOne({ campaignKey: a.campaignKey, proposalKey }).lean();
    if (!again) throw e;
    return { measure: again as Measure, created: false, owner, reviewerKey: again.reviewerKey ?? undefined };
  }
}

interface Transition {
  measureId: unknown;
  rev: unknown;
  operatorOpenId: string;
}

async function prepare(d: ServiceDeps, t: Transition, who: "owner" | "reviewer") {
  const m = await loadMeasure(d, t.measureId);
  const c = await loadCampaign(d, m.campaignKey, { mustBeOpen: true });
  const op = await operatorIn(d, m.campaignKey, t.operatorOpenId);
  const allowed =
    who === "owner"
      ? op.key === m.ownerKey
      : op.key === m.reviewerKey || (isAdmin(op) && op.key !== m.ownerKey);
  if (!allowed)
    throw forbidden(
      who === "owner" ? "只有措施责任人可以操作。" : "只有审核人可以操作。",
      who === "owner" ? "Only the measure's owner can do this." : "Only the reviewer can do this.",
    );
  if (Number(t.rev) !== m.rev) throw stale();
  return { m, c, op };
}

async function apply(
  d: ServiceDeps,
  m: Measure,
  from: MeasureState[],
  set: Record<string, unknown>,
  extra: { unset?: Record<string, "">; filter?: Record<string, unknown> } = {},
): Promise<Measure> {
  const updated = await d.models.Measure.findOneAndUpdate(
    { _id: m._id, rev: m.rev, state: { $in: from }, ...extra.filter },
    { $set: set, ...(extra.unset ? { $unset: extra.unset } : {}), $inc: { rev: 1 } },
    { returnDocument: "after" },
  ).lean();
  if (!updated) throw stale();
  return updated as Measure;
}

function wrongState(zh: string, en: string): AppError {
  return new AppError("conflict", zh, en);
}

export async function reportProgress(
  d: ServiceDeps,
  t: Transition & { form: Record<string, unknown> | undefined },
): Promise<Measure> {
  const { m, op } = await prepare(d, t, "owner");
  if (m.state !== "open" && m.state !== "in_progress")
    throw wrongState("该措施当前不能填报进展。", "Progress cannot be reported in this state.");
  const f = t.form ?? {};
  const note = str(f.progress_note);
  const evidence = str(f.progress_evidence);
  const pctRaw = str(f.progress_percent);
  const percent = pctRaw === "" ? undefined : Number(pctRaw);
  const fp = new FormProblems();
  if (!note) fp.add("请填写进展情况", "write the progress note");
  if (note.length > LIMITS.narrative)
    fp.add(`进展不超过 ${LIMITS.narrative} 字`, `note at most ${LIMITS.narrative} characters`);
  if (evidence.length > LIMITS.evidence)
    fp.add(`佐证不超过 ${LIMITS.evidence} 字`, `evidence at most ${LIMITS.evidence} characters`);
  if (percent !== undefined && (!Number.isInteger(percent) || percent < 0 || percent > 100))
    fp.add("完成比例应为 0–100", "percent must be 0–100");
  fp.throwIfAny();
  const updated = await apply(d, m, ["open", "in_progress"], {
    state: "in_progress",
    ...(percent !== undefined ? { percent } : {}),
  });
  await d.models.ProgressUpdate.create({
    campaignKey: m.campaignKey,
    measureId: m._id,
    note,
    percent,
    evidence: evidence || undefined,
    byKey: op.key,
  });
  await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(m._id),
    action: "progress",
    from: m.state,
    to: "in_progress",
    by: op,
  });
  if (m.state === "open")
    await audit(d, {
      campaignKey: m.campaignKey,
      entity: "measure",
      entityId: String(m._id),
      action: "start",
      from: "open",
      to: "in_progress",
      by: op,
    });
  return updated;
}

export async function requestExtension(
  d: ServiceDeps,
  t: Transition & { form: Record<string, unknown> | undefined },
): Promise<Measure> {
  const { m, c, op } = await prepare(d, t, "owner");
  if (m.state === "closed" || m.state === "closure_requested")
    throw wrongState("该措施当前不能申请延期。", "An extension cannot be requested in this state.");
  if (m.extension?.status === "requested")
    throw wrongState("已有延期申请待审批。", "An extension request is already pending.");
  const f = t.form ?? {};
  const due = parsePickerDate(f.ext_due);
  const reason = str(f.ext_reason);
  const fp = new FormProblems();
  if (!due) fp.add("请选择新的完成时限", "choose the new due date");
  else if (due <= m.dueDate)
    fp.add("新的时限应晚于当前时限", "the new date must be after the current due date");
  else if (due < today(d, c)) fp.add("新的时限不能早于今天", "the new date is in the past");
  if (!reason) fp.add("请填写延期理由", "give a reason");
  if (reason.length > LIMITS.reason)
    fp.add(`理由不超过 ${LIMITS.reason} 字`, `reason at most ${LIMITS.reason} characters`);
  fp.throwIfAny();
  if (!due) throw invalid("请选择新的完成时限", "choose the new due date");
  const updated = await apply(d, m, ["open", "in_progress"], {
    extension: { requestedDue: due, reason, requestedAt: d.now(), status: "requested" },
  });
  await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(m._id),
    action: "request_extension",
    from: m.dueDate,
    to: due,
    by: op,
    reason,
  });
  return updated;
}

export async function requestClosure(d: ServiceDeps, t: Transition): Promise<Measure> {
  const { m, op } = await prepare(d, t, "owner");
  if (m.state !== "open" && m.state !== "in_progress")
    throw wrongState("该措施当前不能申请销号。", "Closure cannot be requested in this state.");
  if (!m.reviewerKey)
    throw wrongState("该措施没有审核人，请联系管理员。", "This measure has no reviewer; contact an admin.");
  const updated = await apply(d, m, ["open", "in_progress"], { state: "closure_requested" });
  await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(m._id),
    action: "request_closure",
    from: m.state,
    to: "closure_requested",
    by: op,
  });
  return updated;
}

export async function acceptClosure(d: ServiceDeps, t: Transition): Promise<Measure> {
  const { m, op } = await prepare(d, t, "reviewer");
  if (m.state !== "closure_requested") throw wrongState("该措施未申请销号。", "Closure was not requested.");
  const updated = await apply(d, m, ["closure_requested"], {
    state: "closed",
    closedAt: d.now(),
    closedByKey: op.key,
    percent: 100,
  });
  await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(m._id),
    action: "close",
    from: "closure_requested",
    to: "closed",
    by: op,
  });
  // A problem is resolved when all its measures are closed.
  const open = await d.models.Measure.countDocuments({ problemId: m.problemId, state: { $ne: "closed" } });
  if (open === 0) await d.models.Problem.updateOne({ _id: m.problemId }, { $set: { resolved: true } });
  return updated;
}

export async function sendBack(
  d: ServiceDeps,
  t: Transition & { form: Record<string, unknown> | undefined },
): Promise<Measure> {
  const { m, op } = await prepare(d, t, "reviewer");
  if (m.state !== "closure_requested") throw wrongState("该措施未申请销号。", "Closure was not requested.");
  const reason = str(t.form?.sendback_reason);
  if (!reason) throw invalid("请填写退回原因", "give a reason");
  if (reason.length > LIMITS.reason)
    throw invalid(`原因不超过 ${LIMITS.reason} 字`, `reason at most ${LIMITS.reason} characters`);
  const updated = await apply(d, m, ["closure_requested"], { state: "in_progress", sendBackReason: reason });
  await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(m._id),
    action: "send_back",
    from: "closure_requested",
    to: "in_progress",
    by: op,
    reason,
  });
  return updated;
}

export async function decideExtension(d: ServiceDeps, t: Transition & { grant: boolean }): Promise<Measure> {
  const { m, op } = await prepare(d, t, "reviewer");
  if (m.extension?.status !== "requested" || !m.extension.requestedDue)
    throw wrongState("没有待审批的延期申请。", "No extension request is pending.");
  const set: Record<string, unknown> = { "extension.status": t.grant ? "granted" : "refused" };
  if (t.grant) set.dueDate = m.extension.requestedDue;
  const updated = await apply(d, m, ["open", "in_progress"], set, {
    filter: { "extension.status": "requested" },
  });
  await audit(d, {
    campaignKey: m.campaignKey,
    entity: "measure",
    entityId: String(m._id),
    action: t.grant ? "grant_extension" : "refuse_extension",
    from: m.dueDate,
    to: t.grant ? m.extension.requestedDue : m.dueDate,
    by: op,
  });
  return updated;
}
