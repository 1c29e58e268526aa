import { digestCard } from "../cards/digest-card";
import { outboundUuid } from "../jobs/outbound";
import type { CardAction, CardAnswer } from "../src/domain/events";
import { forbidden } from "../src/errors";
import type { Logger } from "../src/logger";
import { localeOf } from "../src/services/cards";
import { loadCampaign, operatorIn, today } from "../src/services/context";
import { loadMeasure } from "../src/services/measures";
import { loadAssignment } from "../src/services/self-check";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { onFollowUpNudge } from "./follow-up-open";

/**
 * `es.nudge` (催办) on an escalation card: remind the owner now, at most once a day per item. Only the
 * owner's head, the leader in charge, or an admin may nudge.
 */
export async function onEscalationNudge(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const id = String(action.value.id ?? "");
  if (action.value.kind === "follow-up") return onFollowUpNudge(action, deps, log);
  const kind = action.value.kind === "measure" ? "measure" : "assignment";
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const rec =
        kind === "measure"
          ? await loadMeasure(deps, id).then((m) => ({
              campaignKey: m.campaignKey,
              ownerKey: m.ownerKey,
              unitKey: m.unitKey,
              dueDate: m.dueDate,
              closed: m.state === "closed",
              title: `#${m.seq} ${m.content}`,
            }))
          : await loadAssignment(deps, id).then((a) => ({
              campaignKey: a.campaignKey,
              ownerKey: a.assigneeKey,
              unitKey: a.unitKey,
              dueDate: a.dueDate,
              closed: a.state === "submitted",
              title: a.itemKey,
            }));
      const c = await loadCampaign(deps, rec.campaignKey, { mustBeOpen: true });
      const op = await operatorIn(deps, rec.campaignKey, action.operatorOpenId);
      const unit = await deps.models.Unit.findOne({ campaignKey: rec.campaignKey, key: rec.unitKey }).lean();
      if (!op.roles.includes("admin") && unit?.headKey !== op.key && unit?.leaderKey !== op.key)
        throw forbidden(
          "只有科室负责人、分管领导或管理员可以催办。",
          "Only the unit's head, its leader or an admin can nudge.",
        );
      if (rec.closed)
        return { toast: toast("info", "该事项已完成，无需催办。", "Already done; no nudge needed.", l) };
      const day = today(deps, c);
      const claimed = await deps.models.Notice.create({
        campaignKey: rec.campaignKey,
        kind: "nudge",
        key: `${kind}:${id}:${day}`,
        at: deps.now(),
      }).then(
        () => true,
        () => false,
      );
      if (!claimed) return { toast: toast("info", "今天已经催办过了。", "Already nudged today.", l) };
      const owner = await deps.models.Person.findOne({
        campaignKey: rec.campaignKey,
        key: rec.ownerKey,
      }).lean();
      if (!owner?.openId)
        return {
          toast: toast(
            "warning",
            "责任人无法接收飞书消息，请电话联系。",
            "The owner cannot receive Feishu messages; call them.",
            l,
          ),
        };
      const title =
        kind === "assignment" ? (c.items.find((i) => i.key === rec.title)?.title ?? rec.title) : rec.title;
      const card = digestCard({
        title: localeOf(owner) === "en" ? `Nudge from ${op.name}` : `${op.name} 催办`,
        personName: owner.name,
        campaignTitle: c.title,
        lines: [
          {
            kind,
            id,
            title,
            dueDate: rec.dueDate,
            note: localeOf(owner) === "en" ? "please handle it now" : "请尽快处理",
          },
        ],
        locale: localeOf(owner),
        today: day,
        kind: "reminder",
      });
      await deps.outbound.enqueue({
        op: "send",
        to: { type: "open_id", id: owner.openId },
        content: { card },
        uuid: outboundUuid("nudge", kind, id, day),
        ref: { campaignId: rec.campaignKey, kind: "nudge", refId: id, personKey: owner.key },
      });
      log.info({ kind, id, owner: owner.key }, "nudged");
      return { toast: toast("success", `已催办 ${owner.name}。`, `${owner.name} has been nudged.`, l) };
    },
    async () => undefined,
  );
}
