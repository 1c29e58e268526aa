import type { CardAction, CardAnswer } from "../src/domain/events";
import { forbidden } from "../src/errors";
import type { Logger } from "../src/logger";
import { localeOf } from "../src/services/cards";
import { loadCampaign, operatorIn, today } from "../src/services/context";
import { followUpCardFor } from "../src/services/follow-up";
import { loadMeasure } from "../src/services/measures";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { sendCardToPerson } from "./notify";

/**
 * The follow-up lines of escalation cards: 打开 sends the operator the follow-up card (owner, reviewer,
 * admin); 催办 (head, leader in charge, admin) sends the owner the follow-up card again, once a day.
 */
export async function onFollowUpOpen(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const id = String(action.value.id ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const m = await loadMeasure(deps, id);
      const op = await operatorIn(deps, m.campaignKey, action.operatorOpenId);
      if (!op.roles.includes("admin") && op.key !== m.ownerKey && op.key !== m.reviewerKey) throw forbidden();
      await sendCardToPerson(
        deps,
        op,
        await followUpCardFor(deps, id, op),
        ["open", "follow-up", id, op.key, Math.floor(deps.now().getTime() / 60_000)],
        { kind: "follow-up", refId: id },
      );
      log.info({ id }, "follow-up card opened");
      return { toast: toast("success", "已发送，请查看新消息。", "Sent: see the new message.", l) };
    },
    async () => undefined,
  );
}

export async function onFollowUpNudge(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const id = String(action.value.id ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const m = await loadMeasure(deps, id);
      const c = await loadCampaign(deps, m.campaignKey, { mustBeOpen: true });
      const op = await operatorIn(deps, m.campaignKey, action.operatorOpenId);
      const unit = await deps.models.Unit.findOne({ campaignKey: m.campaignKey, key: m.unitKey }).lean();
      if (!op.roles.includes("admin") && unit?.headKey !== op.key && unit?.leaderKey !== op.key)
        throw forbidden(
          "只有科室负责人、分管领导或管理员可以催办。",
          "Only the unit's head, its leader or an admin can nudge.",
        );
      if (m.followUp?.result)
        return {
          toast: toast("info", "该回头看已回复，无需催办。", "Already answered; no nudge needed.", l),
        };
      const day = today(deps, c);
      const claimed = await deps.models.Notice.create({
        campaignKey: m.campaignKey,
        kind: "nudge",
        key: `follow-up:${id}:${day}`,
        at: deps.now(),
      }).then(
        () => true,
        () => false,
      );
      if (!claimed) return { toast: toast("info", "今天已经催办过了。", "Already nudged today.", l) };
      const owner = await deps.models.Person.findOne({ campaignKey: m.campaignKey, key: m.ownerKey }).lean();
      const sent =
        owner &&
        (await sendCardToPerson(
          deps,
          owner,
          await followUpCardFor(
            deps,
            id,
            owner,
            localeOf(owner) === "en"
              ? `Nudge from ${op.name}: please answer this follow-up`
              : `${op.name} 催办：请回复回头看`,
          ),
          ["nudge", "follow-up", id, day],
          { kind: "follow-up", refId: id },
        ));
      if (!sent)
        return {
          toast: toast(
            "warning",
            "责任人无法接收飞书消息，请电话联系。",
            "The owner cannot receive Feishu messages; call them.",
            l,
          ),
        };
      log.info({ id, owner: m.ownerKey }, "follow-up nudged");
      return { toast: toast("success", `已催办 ${owner.name}。`, `${owner.name} has been nudged.`, l) };
    },
    async () => undefined,
  );
}
