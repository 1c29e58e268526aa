import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { measureCardFor, selfCheckCardFor } from "../src/services/cards";
import { proposeMeasure } from "../src/services/measures";
import { outboundUuid } from "../jobs/outbound";
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
      const uuidParts = ["measure-new", mid];
      // The owner's card is part of the add: a press that stored the measure but failed before its
      // card was queued (the outbox write) is completed by the next press, which answers "added".
      const added =
        r.created ||
        (!(await deps.models.Outbox.exists({ uuid: outboundUuid(...uuidParts) })) &&
          !(await deps.models.SentCard.exists({ kind: "measure", refId: mid, personKey: r.owner.key })));
      if (added) {
        log.info(
          { measure: mid, seq: r.measure.seq, owner: r.owner.key, completed: !r.created },
          "measure proposed",
        );
        await sendCardToPerson(deps, r.owner, await measureCardFor(deps, mid, r.owner), uuidParts, {
          kind: "measure",
          refId: mid,
        });
      }
      // The proposer may be the owner: then the card is theirs, and nobody else was told.
      const self = r.owner.key === r.operatorKey;
      const zh = !added
        ? `整改措施 #${r.measure.seq} 已存在，未重复添加。`
        : self
          ? `已添加整改措施 #${r.measure.seq}，您是责任人，措施卡片已发给您。`
          : `已添加整改措施 #${r.measure.seq}，已通知责任人 ${r.owner.name}。`;
      const en = !added
        ? `Measure #${r.measure.seq} already exists; not added twice.`
        : self
          ? `Measure #${r.measure.seq} added; you own it, and its card has been sent to you.`
          : `Measure #${r.measure.seq} added; ${r.owner.name} has been notified.`;
      return {
        toast: toast(added ? "success" : "info", zh, en, l),
        card: await selfCheckCardFor(deps, id, l),
      };
    },
    async (_e, l) => selfCheckCardFor(deps, id, l),
  );
}
