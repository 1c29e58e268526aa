import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { measureCardFor } from "../src/services/cards";
import { operatorIn, type Person } from "../src/services/context";
import {
  acceptClosure,
  decideExtension,
  loadMeasure,
  reportProgress,
  requestClosure,
  requestExtension,
  sendBack,
} from "../src/services/measures";
import type { Measure } from "../src/services/views";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { refreshMeasureCards } from "./notify";

/**
 * The measure card's actions. Each: authorise the operator against the measure (owner or reviewer),
 * make one transition, answer with the operator's refreshed card, and update everyone else's live card
 * of the measure in place (the other party gets a new one only when they hold none to update).
 */
type Step = (deps: HandlerDeps, action: CardAction) => Promise<Measure>;

interface Spec {
  run: Step;
  done: [string, string];
  /** Who hears about it, with a card of their own (progress notes go to nobody: no noise). */
  notify?: "owner" | "reviewer";
}

function handler(spec: Spec) {
  return async (action: CardAction, deps: HandlerDeps, log: Logger): Promise<CardAnswer> => {
    const id = String(action.value.m ?? "");
    const viewer = async (): Promise<Person | null> => {
      const m = await loadMeasure(deps, id);
      return deps.models.Person.findOne({ campaignKey: m.campaignKey, openId: action.operatorOpenId }).lean();
    };
    return guarded(
      action,
      deps,
      log,
      async (l) => {
        const m = await spec.run(deps, action);
        const op = await operatorIn(deps, m.campaignKey, action.operatorOpenId);
        const otherKey =
          spec.notify === "owner" ? m.ownerKey : spec.notify === "reviewer" ? m.reviewerKey : undefined;
        const other = otherKey
          ? await deps.models.Person.findOne({ campaignKey: m.campaignKey, key: otherKey }).lean()
          : null;
        await refreshMeasureCards(deps, m, {
          operatorKey: op.key,
          pressed: action.messageId,
          notify: other && other.key !== op.key ? other : undefined,
          notice: `${op.name}：${spec.done[0]}`,
        });
        log.info({ measure: id, state: m.state, rev: m.rev }, "measure updated");
        return {
          toast: toast("success", spec.done[0], spec.done[1], l),
          card: await measureCardFor(deps, id, op, { notice: l === "en" ? spec.done[1] : spec.done[0] }),
        };
      },
      async () => measureCardFor(deps, id, await viewer()),
    );
  };
}

const t = (a: CardAction) => ({ measureId: a.value.m, rev: a.value.rev, operatorOpenId: a.operatorOpenId });

export const onMeasureProgress = handler({
  run: (d, a) => reportProgress(d, { ...t(a), form: a.formValue }),
  done: ["进展已记录", "Progress recorded"],
});
export const onMeasureExtend = handler({
  run: (d, a) => requestExtension(d, { ...t(a), form: a.formValue }),
  done: ["延期申请已提交，等待审核", "Extension requested; awaiting review"],
  notify: "reviewer",
});
export const onMeasureCloseRequest = handler({
  run: (d, a) => requestClosure(d, t(a)),
  done: ["已申请销号，等待审核", "Closure requested; awaiting review"],
  notify: "reviewer",
});
export const onReviewAccept = handler({
  run: (d, a) => acceptClosure(d, t(a)),
  done: ["已同意销号", "Closure accepted"],
  notify: "owner",
});
export const onReviewSendBack = handler({
  run: (d, a) => sendBack(d, { ...t(a), form: a.formValue }),
  done: ["已退回整改", "Sent back"],
  notify: "owner",
});
export const onExtensionGrant = handler({
  run: (d, a) => decideExtension(d, { ...t(a), grant: true }),
  done: ["已同意延期", "Extension granted"],
  notify: "owner",
});
export const onExtensionRefuse = handler({
  run: (d, a) => decideExtension(d, { ...t(a), grant: false }),
  done: ["已不同意延期", "Extension refused"],
  notify: "owner",
});
