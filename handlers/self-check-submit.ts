import type { Types } from "mongoose";
import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { draftFromForm, selfCheckCardFor } from "../src/services/cards";
import { submitSelfCheck } from "../src/services/self-check";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { refreshMeasureCards } from "./notify";

/** `sc.submit`: store the answer (a Response version and its problems); the card turns to submitted. */
export async function onSelfCheckSubmit(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const id = String(action.value.a ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const r = await submitSelfCheck(deps, {
        assignmentId: id,
        rev: action.value.rev,
        operatorOpenId: action.operatorOpenId,
        form: action.formValue,
      });
      log.info({ assignment: id, version: r.version, problems: r.problemIds.length }, "self-check submitted");
      if (r.version > 1) await refreshWithdrawn(deps, r.assignment._id, r.version);
      const zh = r.problemIds.length
        ? `已提交。发现 ${r.problemIds.length} 个问题，请在卡片下方提出整改措施。`
        : "已提交，感谢！";
      const en = r.problemIds.length
        ? `Submitted. ${r.problemIds.length} problem(s) found: propose measures below.`
        : "Submitted. Thank you!";
      return { toast: toast("success", zh, en, l), card: await selfCheckCardFor(deps, r.assignment, l) };
    },
    async (e, l) => {
      // A form that did not validate is shown again as typed, with what to fix.
      if (e.kind === "invalid")
        return selfCheckCardFor(deps, id, l, {
          mode: "edit",
          error: l === "en" ? e.en : e.zh,
          draft: draftFromForm(action.formValue, ""),
        });
      return selfCheckCardFor(deps, id, l);
    },
  );
}

/** Cards of measures this answer withdrew (with their problems) are updated in place to say so. */
async function refreshWithdrawn(deps: HandlerDeps, assignmentId: Types.ObjectId, version: number) {
  const problems = await deps.models.Problem.find(
    { assignmentId, withdrawn: true, responseVersion: version - 1 },
    { _id: 1 },
  ).lean();
  if (!problems.length) return;
  const measures = await deps.models.Measure.find(
    { problemId: { $in: problems.map((p) => p._id) }, state: "withdrawn" },
    { campaignKey: 1, rev: 1 },
  ).lean();
  for (const m of measures) await refreshMeasureCards(deps, m, { operatorKey: "" });
}
