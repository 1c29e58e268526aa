import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { selfCheckCardFor } from "../src/services/cards";
import { amendSelfCheck } from "../src/services/self-check";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";

/** `sc.amend`: the answered card opens for editing again, prefilled with the latest answer. */
export async function onSelfCheckAmend(
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
      const a = await amendSelfCheck(deps, {
        assignmentId: id,
        rev: action.value.rev,
        operatorOpenId: action.operatorOpenId,
      });
      return {
        toast: toast("info", "请修改后重新提交。", "Edit and submit again.", l),
        card: await selfCheckCardFor(deps, a, l, { mode: "edit" }),
      };
    },
    async (_e, l) => selfCheckCardFor(deps, id, l),
  );
}
