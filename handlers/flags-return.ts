import { FLAG_FIELDS } from "../cards/flags-review-card";
import type { CardAction, CardAnswer } from "../src/domain/events";
import { AppError, notFound } from "../src/errors";
import { returnReasonFor } from "../src/flags/describe";
import type { Flag } from "../src/flags/engine";
import { flagReviewCardFor, refreshFlagCards } from "../src/flags/review";
import type { Logger } from "../src/logger";
import { operatorIn, toObjectId } from "../src/services/context";
import { sendReturnedCard } from "../src/services/notices";
import { returnSelfCheck } from "../src/services/self-check";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";

/**
 * `flags.return` (疑似敷衍 → 退回): the head, leader in charge or an admin returns a flagged answer to
 * its assignee. The reason is what the reviewer's form says, else the flags' evidence (the 疑似敷衍
 * list's buttons have no form). The return is the self-check's own (state, audit entry), and the
 * assignee gets the editable card with the reason. Only the version the card shows can be returned.
 */
export async function onFlagsReturn(action: CardAction, deps: HandlerDeps, log: Logger): Promise<CardAnswer> {
  const rid = String(action.value.r ?? "");
  const fromList = action.value.list === 1;
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const oid = toObjectId(rid);
      const r = oid ? await deps.models.Response.findById(oid).lean() : null;
      if (!r) throw notFound("该自查回答已不存在。", "This answer no longer exists.");
      const a = await deps.models.Assignment.findById(r.assignmentId).lean();
      if (!a || a.withdrawn) throw notFound("该自查事项已不存在。", "This self-check item no longer exists.");
      const op = await operatorIn(deps, a.campaignKey, action.operatorOpenId);
      if (a.responseVersion !== r.version)
        throw new AppError(
          "stale",
          "该回答已有新版本，请以新版本为准。",
          "A newer version of this answer has been submitted since.",
        );
      const typed = action.formValue?.[FLAG_FIELDS.reason];
      const reason =
        (typeof typed === "string" ? typed.trim() : "") || returnReasonFor((r.flags ?? []) as Flag[], l);
      const returned = await returnSelfCheck(deps, { assignmentId: String(a._id), reason, by: op });
      const sent = await sendReturnedCard(deps, returned);
      log.info(
        { assignment: String(a._id), version: r.version, by: op.key, sent },
        "flagged answer returned",
      );
      // Other copies of the reviewer card say it is returned; the pressed one is this answer's card.
      await refreshFlagCards(deps, rid, {
        send: false,
        skipMessage: fromList ? undefined : action.messageId,
      });
      const zh = sent ? "已退回，填报人已收到修改通知。" : "已退回；填报人暂时无法接收消息。";
      const en = sent
        ? "Returned; the assignee has been told."
        : "Returned; the assignee cannot be reached yet.";
      return fromList
        ? { toast: toast("success", zh, en, l) }
        : { toast: toast("success", zh, en, l), card: await flagReviewCardFor(deps, rid, l) };
    },
    async (_e, l) => (fromList ? undefined : flagReviewCardFor(deps, rid, l)),
  );
}
