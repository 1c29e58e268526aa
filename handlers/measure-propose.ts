import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { measureCardFor, selfCheckCardFor } from "../src/services/cards";
import { proposeMeasure } from "../src/services/measures";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { sendCardToPerson } from "./notify";

/** `pm.submit`: a measure for a reported problem; its owner receives the measure card. */
export async function onMeasurePropose(
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
      const r = await proposeMeasure(deps, {
        assignmentId: id,
        operatorOpenId: action.operatorOpenId,
        form: action.formValue,
      });
      const mid = String(r.measure._id);
      if (r.created) {
        log.info({ measure: mid, seq: r.measure.seq, owner: r.owner.key }, "measure proposed");
        await sendCardToPerson(
          deps,
          r.owner,
          await measureCardFor(deps, mid, r.owner),
          ["measure-new", mid],
          { kind: "measure", refId: mid },
        );
      }
      // The proposer may be the owner: then the card is theirs, and nobody else was told.
      const self = r.owner.key === r.operatorKey;
      const zh = !r.created
        ? `整改措施 #${r.measure.seq} 已存在，未重复添加。`
        : self
          ? `已添加整改措施 #${r.measure.seq}，您是责任人，措施卡片已发给您。`
          : `已添加整改措施 #${r.measure.seq}，已通知责任人 ${r.owner.name}。`;
      const en = !r.created
        ? `Measure #${r.measure.seq} already exists; not added twice.`
        : self
          ? `Measure #${r.measure.seq} added; you own it, and its card has been sent to you.`
          : `Measure #${r.measure.seq} added; ${r.owner.name} has been notified.`;
      return {
        toast: toast(r.created ? "success" : "info", zh, en, l),
        card: await selfCheckCardFor(deps, id, l),
      };
    },
    async (_e, l) => selfCheckCardFor(deps, id, l),
  );
}
