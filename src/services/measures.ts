import crypto from "node:crypto";
import type { Types } from "mongoose";
import type { MeasureState } from "../domain/types";
import { AppError, FormProblems, forbidden, invalid, isDuplicateKey, notFound, stale } from "../errors";
import { parsePickerDate } from "../time";
import {
  audit,
  charCount,
  claimSeq,
  isAdmin,
  loadCampaign,
  operatorIn,
  today,
  toObjectId,
  type Person,
  type ServiceDeps,
} from "./context";
import type { Campaign } from "./context";
import { LIMITS, loadAssignment } from "./self-check";
import type { Measure } from "./views";

/**
 * Measures and their states (DESIGN.md §2):
 *   open → in_progress → closure_requested → closed; a reviewer may send back to in_progress;
 *   an owner may request an extension that a reviewer grants (new due date) or refuses;
 *   a measure whose problem a resubmitted answer no longer lists is `withdrawn`.
 * Every transition is one conditional update on the expected state and `rev` that also records what
 * the transition implies (`lastOp`: its audit entries, a progress note); those records are then written
 * under natural keys. A retry of the same action after a failure at any step (the card still carries
 * the old rev) finds its own `lastOp` and completes the records instead of answering "stale".
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

/**
 * Propose a measure for a problem on an answered assignment. A double click, a concurrent duplicate or a
 * retry after a failure creates one measure, numbered once (the number is claimed by the proposal key),
 * and completes its audit entry. `created` is true for the call that created or completed it.
 */
export async function proposeMeasure(
  d: ServiceDeps,
  input: ProposeInput,
): Promise<{ measure: Measure; created: boolean; owner: Person; operatorKey: string; reviewerKey?: string }> {
  const a = await loadAssignment(d, input.assignmentId);
  const c = await loadCampaign(d, a.campaignKey, { mustBeOpen: true });
  const op = await operatorIn(d, a.campaignKey, input.operatorOpenId);
  const unit = await d.models.Unit.findOne({ campaignKey: a.campaignKey, key: a.unitKey }).lean();
  const mayPropose =
    op.key === a.assigneeKey || isAdmin(op) || unit?.headKey === op.key || unit?.leaderKey === op.key;
  if (!mayPropose) throw forbidden();
  const f = input.form ?? {};
  const problems = await d.models.Problem.find({
    assignmentId: a._id,
    responseVersion: a.responseVersion,
    withdrawn: { $ne: true },
  })
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
  if (charCount(content) > LIMITS.evidence)
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
  let measure = (await d.models.Measure.findOne({
    campaignKey: a.campaignKey,
    proposalKey,
  }).lean()) as Measure | null;
  let created = false;
  if (!measure) {
    // Numbered only now that the proposal is known to be new; a duplicate gets the same claimed number.
    const seq = await claimSeq(d, `${a.campaignKey}:measure`, proposalKey);
    const reviewerKey = await reviewerFor(d, a.campaignKey, problem.unitKey, c.reviewer, owner.key);
    ({ measure, created } = await createMeasureOnce(d, {
      campaignKey: a.campaignKey,
      seq,
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
    }));
  }
  // The problem has open work again; then the audit entry, which marks the proposal complete.
  await d.models.Problem.updateOne({ _id: measure.problemId }, { $set: { resolved: false } });
  const audited = await audit(d, {
    campaignKey: a.campaignKey,
    entity: "measure",
    entityId: String(measure._id),
    action: "create",
    to: "open",
    by: op,
    key: `measure:${String(measure._id)}:create`,
  });
  return {
    measure,
    created: created || audited,
    owner,
    operatorKey: op.key,
    reviewerKey: measure.reviewerKey ?? undefined,
  };
}

interface Transition {
  measureId: unknown;
  rev: unknown;
  operatorOpenId: string;
}

/** What a transition implies beside the state: written under natural keys after the update. */
interface Pending {
  audits: { action: string; from?: string; to?: string; reason?: string }[];
  progress?: { note: string; percent?: number; evidence?: string };
  /** Re-derive the problem's `resolved` from its measures. */
  resolveProblem?: boolean;
}
interface LastOp {
  /** Hash of the action and its input: the same press again, not a different one on an old card. */
  key: string;
  fromRev: number;
  byKey: string;
  at: Date;
  pending: Pending;
}

interface Plan {
  from: MeasureState[];
  set: Record<string, unknown>;
  unset?: Record<string, "">;
  filter?: Record<string, unknown>;
  pending: Pending;
}

function opKey(action: string, input: unknown): string {
  return crypto
    .createHash("sha256")
    .update(JSON.stringify([action, input ?? null]))
    .digest("hex")
    .slice(0, 24);
}

function wrongState(zh: string, en: string): AppError {
  return new AppError("conflict", zh, en);
}

/**
 * One measure transition: authorise, then either plan and apply it (one conditional update carrying
 * `lastOp`) or, for a retry of the transition that already moved the measure on, complete what it implies.
 */
async function transition(
  d: ServiceDeps,
  t: Transition,
  who: "owner" | "reviewer",
  action: string,
  input: unknown,
  plan: (m: Measure, c: Campaign, op: Person) => Plan | Promise<Plan>,
): Promise<Measure> {
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
  if (m.state === "withdrawn")
    throw wrongState(
      "该措施所针对的问题已在重新提交的自查中撤回，措施已撤回。",
      "The problem was withdrawn in a resubmitted answer; so was this measure.",
    );
  const key = opKey(action, input);
  const rev = Number(t.rev);
  const repeatOf = (x: Measure): LastOp | undefined => {
    const last = x.lastOp as LastOp | undefined;
    return last && last.key === key && last.fromRev === rev && last.byKey === op.key && x.rev === rev + 1
      ? last
      : undefined;
  };
  if (rev !== m.rev) {
    const last = repeatOf(m);
    if (!last) throw stale();
    await settle(d, m, last, op);
    return m;
  }
  const p = await plan(m, c, op);
  const lastOp: LastOp = { key, fromRev: m.rev, byKey: op.key, at: d.now(), pending: p.pending };
  const updated = (await d.models.Measure.findOneAndUpdate(
    { _id: m._id, rev: m.rev, state: { $in: p.from }, ...p.filter },
    { $set: { ...p.set, lastOp }, ...(p.unset ? { $unset: p.unset } : {}), $inc: { rev: 1 } },
    { returnDocument: "after" },
  ).lean()) as Measure | null;
  if (!updated) {
    // A concurrent press of the same thing got there first: complete it and answer the same.
    const now = await loadMeasure(d, String(m._id));
    const last = repeatOf(now);
    if (!last) throw stale();
    await settle(d, now, last, op);
    return now;
  }
  await settle(d, updated, lastOp, op);
  return updated;
}

/** Write what a transition implies, each record under a natural key (a second run writes nothing). */
async function settle(d: ServiceDeps, m: Measure, last: LastOp, op: Person): Promise<void> {
  const id = String(m._id);
  const at = new Date(last.at);
  const pr = last.pending.progress;
  if (pr) {
    const key = `${id}:${last.fromRev}`;
    await d.models.ProgressUpdate.updateOne(
      { key },
      {
        $setOnInsert: {
          key,
          campaignKey: m.campaignKey,
          measureId: m._id,
          note: pr.note,
          ...(pr.percent !== undefined && pr.percent !== null ? { percent: pr.percent } : {}),
          ...(pr.evidence ? { evidence: pr.evidence } : {}),
          byKey: last.byKey,
          at,
        },
      },
      { upsert: true },
    );
  }
  for (const [i, a] of last.pending.audits.entries()) {
    await audit(d, {
      campaignKey: m.campaignKey,
      entity: "measure",
      entityId: id,
      action: a.action,
      from: a.from,
      to: a.to,
      reason: a.reason,
      by: op,
      at,
      key: `measure:${id}:${last.fromRev}:${i}`,
    });
  }
  if (last.pending.resolveProblem) await rederiveResolved(d, m.problemId);
}

/** A problem is resolved when it has measures and every one is closed (withdrawn ones do not count). */
export async function rederiveResolved(d: ServiceDeps, problemId: Types.ObjectId): Promise<void> {
  const measures = await d.models.Measure.find(
    { problemId, state: { $ne: "withdrawn" } },
    { state: 1 },
  ).lean();
  const resolved = measures.length > 0 && measures.every((x) => x.state === "closed");
  await d.models.Problem.updateOne({ _id: problemId }, { $set: { resolved } });
}

/** Progress as typed: a plain decimal integer 0–100, optionally with a trailing %; undefined if empty. */
export function parsePercent(raw: string): number | undefined | null {
  if (raw === "") return undefined;
  const m = /^(\d{1,3})\s*[%％]?$/.exec(raw);
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 100 ? n : null;
}

export async function reportProgress(
  d: ServiceDeps,
  t: Transition & { form: Record<string, unknown> | undefined },
): Promise<Measure> {
  const f = t.form ?? {};
  const note = str(f.progress_note);
  const evidence = str(f.progress_evidence);
  const percent = parsePercent(str(f.progress_percent));
  return transition(d, t, "owner", "progress", { note, evidence, percent }, (m) => {
    if (m.state !== "open" && m.state !== "in_progress")
      throw wrongState("该措施当前不能填报进展。", "Progress cannot be reported in this state.");
    const fp = new FormProblems();
    if (!note) fp.add("请填写进展情况", "write the progress note");
    if (charCount(note) > LIMITS.narrative)
      fp.add(`进展不超过 ${LIMITS.narrative} 字`, `note at most ${LIMITS.narrative} characters`);
    if (charCount(evidence) > LIMITS.evidence)
      fp.add(`佐证不超过 ${LIMITS.evidence} 字`, `evidence at most ${LIMITS.evidence} characters`);
    if (percent === null)
      fp.add(
        "完成比例应为 0–100 的整数（可带 %）",
        "percent must be a whole number from 0 to 100 (a trailing % is fine)",
      );
    fp.throwIfAny();
    const audits: Pending["audits"] = [];
    if (m.state === "open") audits.push({ action: "start", from: "open", to: "in_progress" });
    audits.push({ action: "progress", from: m.state, to: "in_progress" });
    return {
      from: ["open", "in_progress"],
      set: { state: "in_progress", ...(typeof percent === "number" ? { percent } : {}) },
      pending: {
        audits,
        progress: { note, percent: percent ?? undefined, evidence: evidence || undefined },
      },
    };
  });
}

export async function requestExtension(
  d: ServiceDeps,
  t: Transition & { form: Record<string, unknown> | undefined },
): Promise<Measure> {
  const f = t.form ?? {};
  const due = parsePickerDate(f.ext_due);
  const reason = str(f.ext_reason);
  return transition(d, t, "owner", "request_extension", { due, reason }, (m, c) => {
    if (m.state !== "open" && m.state !== "in_progress")
      throw wrongState("该措施当前不能申请延期。", "An extension cannot be requested in this state.");
    if (m.extension?.status === "requested")
      throw wrongState("已有延期申请待审批。", "An extension request is already pending.");
    const fp = new FormProblems();
    if (!due) fp.add("请选择新的完成时限", "choose the new due date");
    else if (due <= m.dueDate)
      fp.add("新的时限应晚于当前时限", "the new date must be after the current due date");
    else if (due < today(d, c)) fp.add("新的时限不能早于今天", "the new date is in the past");
    else if (c.endDate && due > c.endDate) fp.add(...pastEnd(c.endDate));
    if (!reason) fp.add("请填写延期理由", "give a reason");
    if (charCount(reason) > LIMITS.reason)
      fp.add(`理由不超过 ${LIMITS.reason} 字`, `reason at most ${LIMITS.reason} characters`);
    fp.throwIfAny();
    if (!due) throw invalid("请选择新的完成时限", "choose the new due date");
    return {
      from: ["open", "in_progress"],
      set: { extension: { requestedDue: due, reason, requestedAt: d.now(), status: "requested" } },
      pending: { audits: [{ action: "request_extension", from: m.dueDate, to: due, reason }] },
    };
  });
}

function pastEnd(endDate: string): [string, string] {
  return [`新的时限不能晚于活动结束日 ${endDate}`, `the new date is after the campaign ends (${endDate})`];
}

/**
 * Closure is asked for finished work: the reported progress must be 100 % and some progress report
 * must carry evidence (佐证材料), so the reviewer has something to check.
 */
export async function requestClosure(d: ServiceDeps, t: Transition): Promise<Measure> {
  return transition(d, t, "owner", "request_closure", null, async (m) => {
    if (m.state !== "open" && m.state !== "in_progress")
      throw wrongState("该措施当前不能申请销号。", "Closure cannot be requested in this state.");
    if (!m.reviewerKey)
      throw wrongState("该措施没有审核人，请联系管理员。", "This measure has no reviewer; contact an admin.");
    const withEvidence = await d.models.ProgressUpdate.exists({
      measureId: m._id,
      evidence: { $type: "string", $ne: "" },
    });
    if (m.percent !== 100 || !withEvidence)
      throw invalid(
        "申请销号前，请先填报进展：完成进度 100%，并附佐证材料。",
        "Before asking for closure, report progress at 100% with evidence.",
      );
    return {
      from: ["open", "in_progress"],
      set: { state: "closure_requested" },
      pending: { audits: [{ action: "request_closure", from: m.state, to: "closure_requested" }] },
    };
  });
}

export async function acceptClosure(d: ServiceDeps, t: Transition): Promise<Measure> {
  return transition(d, t, "reviewer", "close", null, (m, _c, op) => {
    if (m.state !== "closure_requested") throw wrongState("该措施未申请销号。", "Closure was not requested.");
    return {
      from: ["closure_requested"],
      set: { state: "closed", closedAt: d.now(), closedByKey: op.key, percent: 100 },
      pending: {
        audits: [{ action: "close", from: "closure_requested", to: "closed" }],
        resolveProblem: true,
      },
    };
  });
}

export async function sendBack(
  d: ServiceDeps,
  t: Transition & { form: Record<string, unknown> | undefined },
): Promise<Measure> {
  const reason = str(t.form?.sendback_reason);
  return transition(d, t, "reviewer", "send_back", { reason }, (m) => {
    if (m.state !== "closure_requested") throw wrongState("该措施未申请销号。", "Closure was not requested.");
    if (!reason) throw invalid("请填写退回原因", "give a reason");
    if (charCount(reason) > LIMITS.reason)
      throw invalid(`原因不超过 ${LIMITS.reason} 字`, `reason at most ${LIMITS.reason} characters`);
    return {
      from: ["closure_requested"],
      set: { state: "in_progress", sendBackReason: reason },
      pending: {
        audits: [{ action: "send_back", from: "closure_requested", to: "in_progress", reason }],
      },
    };
  });
}

export async function decideExtension(d: ServiceDeps, t: Transition & { grant: boolean }): Promise<Measure> {
  const action = t.grant ? "grant_extension" : "refuse_extension";
  return transition(d, t, "reviewer", action, null, (m, c) => {
    const requested = m.extension?.status === "requested" ? m.extension.requestedDue : undefined;
    if (!requested) throw wrongState("没有待审批的延期申请。", "No extension request is pending.");
    // The campaign's end may have moved (re-import) since the request: a grant never passes it.
    if (t.grant && c.endDate && requested > c.endDate)
      throw invalid(
        `申请的时限 ${requested} 晚于活动结束日 ${c.endDate}，不能同意；请不同意后由责任人重新申请。`,
        `The requested date ${requested} is after the campaign ends (${c.endDate}); refuse it and let the owner ask again.`,
      );
    const set: Record<string, unknown> = { "extension.status": t.grant ? "granted" : "refused" };
    if (t.grant) set.dueDate = requested;
    return {
      from: ["open", "in_progress"],
      set,
      filter: { "extension.status": "requested" },
      pending: {
        audits: [{ action, from: m.dueDate, to: t.grant ? requested : m.dueDate }],
      },
    };
  });
}

/**
 * Create a measure keyed by its `proposalKey`; when a retry or a double press lost the race to the same
 * proposal, the stored one is answered instead (created: false).
 */
export async function createMeasureOnce(
  d: ServiceDeps,
  doc: Record<string, unknown> & { campaignKey: string; proposalKey: string },
): Promise<{ measure: Measure; created: boolean }> {
  try {
    const m = await d.models.Measure.create(doc);
    return { measure: m.toObject() as Measure, created: true };
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const measure = (await d.models.Measure.findOne({
      campaignKey: doc.campaignKey,
      proposalKey: doc.proposalKey,
    }).lean()) as Measure | null;
    if (!measure) throw e;
    return { measure, created: false };
  }
}
