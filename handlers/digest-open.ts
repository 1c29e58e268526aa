import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { forbidden } from "../src/errors";
import { measureCardFor, selfCheckCardFor } from "../src/services/cards";
import { operatorIn } from "../src/services/context";
import { loadMeasure } from "../src/services/measures";
import { loadAssignment } from "../src/services/self-check";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { onFollowUpOpen } from "./follow-up-open";
import { sendCardToPerson } from "./notify";

/**
 * `dg.open` on a digest line: send the item's own card to the operator, as a new message. Only for
 * what is theirs (their assignment, a measure they own or review), or anything for an admin.
 */
export async function onDigestOpen(action: CardAction, deps: HandlerDeps, log: Logger): Promise<CardAnswer> {
  const id = String(action.value.id ?? "");
  if (action.value.kind === "follow-up") return onFollowUpOpen(action, deps, log);
  const kind = action.value.kind === "measure" ? "measure" : "assignment";
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const campaignKey =
        kind === "measure"
          ? (await loadMeasure(deps, id)).campaignKey
          : (await loadAssignment(deps, id)).campaignKey;
      const op = await operatorIn(deps, campaignKey, action.operatorOpenId);
      const admin = op.roles.includes("admin");
      let card: object;
      if (kind === "measure") {
        const m = await loadMeasure(deps, id);
        if (!admin && op.key !== m.ownerKey && op.key !== m.reviewerKey) throw forbidden();
        card = await measureCardFor(deps, id, op);
      } else {
        const a = await loadAssignment(deps, id);
        if (!admin && op.key !== a.assigneeKey) throw forbidden();
        card = await selfCheckCardFor(deps, a, l);
      }
      // One open per item and minute: a double click sends one card.
      await sendCardToPerson(
        deps,
        op,
        card,
        ["open", kind, id, op.key, Math.floor(deps.now().getTime() / 60_000)],
        { kind: kind === "measure" ? "measure" : "selfcheck", refId: id },
      );
      log.info({ kind, id }, "item card opened from digest");
      return { toast: toast("success", "已发送，请查看新消息。", "Sent: see the new message.", l) };
    },
    async () => undefined,
  );
}
