import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { localeOf, measureCardFor } from "../src/services/cards";
import {
  answerFollowUp,
  followUpCardFor,
  followUpResultWord,
  type FollowUpResult,
} from "../src/services/follow-up";
import { loadMeasure } from "../src/services/measures";
import { PATCH_WINDOW_MS, sendCardToPerson } from "./notify";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";

/**
 * `fu.holds` / `fu.relapsed` on a follow-up card: record the first answer, update every other live copy
 * of the follow-up card in place (the other party sees who answered what), and for 反弹 send the new
 * measure's card to its owner like any new measure. A second answer or a stale card gets a toast and
 * the card as it is now.
 */
function handler(result: FollowUpResult) {
  return async (action: CardAction, deps: HandlerDeps, log: Logger): Promise<CardAnswer> => {
    const id = String(action.value.m ?? "");
    const viewer = async () => {
      const m = await loadMeasure(deps, id);
      return deps.models.Person.findOne({ campaignKey: m.campaignKey, openId: action.operatorOpenId }).lean();
    };
    return guarded(
      action,
      deps,
      log,
      async (l) => {
        const r = await answerFollowUp(deps, {
          measureId: id,
          operatorOpenId: action.operatorOpenId,
          result,
          due: action.value.fu,
          form: action.formValue,
        });
        const m = r.measure;
        const zh =
          result === "holds"
            ? `已记录回头看结果：巩固`
            : `已记录回头看结果：反弹，已新建整改措施#${r.relapse?.seq ?? ""}并发给责任人`;
        const en =
          result === "holds"
            ? "Follow-up recorded: holds"
            : `Follow-up recorded: relapsed; measure #${r.relapse?.seq ?? ""} created and sent to its owner`;
        if (r.recorded)
          await patchOthers(deps, m, action.messageId, (en) =>
            en
              ? `${r.operator.name}: follow-up ${followUpResultWord(result, "en")}`
              : `${r.operator.name}：回头看 ${followUpResultWord(result, "zh")}`,
          );
        if (r.relapse) {
          // Always: its uuid makes a repeat a no-op, and a retry after a failure before the send completes it.
          const owner = await deps.models.Person.findOne({
            campaignKey: m.campaignKey,
            key: r.relapse.ownerKey,
          }).lean();
          const rid = String(r.relapse._id);
          if (owner)
            await sendCardToPerson(
              deps,
              owner,
              await measureCardFor(deps, rid, owner, {
                notice:
                  localeOf(owner) === "en"
                    ? `Relapsed at follow-up: reopened (was measure #${m.seq})`
                    : `回头看反弹，重新整改（原措施#${m.seq}）`,
              }),
              ["measure-new", rid],
              { kind: "measure", refId: rid },
            );
        }
        if (r.recorded)
          log.info(
            { measure: id, result, relapse: r.relapse ? String(r.relapse._id) : undefined },
            "follow-up answered",
          );
        return {
          toast: toast("success", zh, en, l),
          card: await followUpCardFor(deps, id, r.operator, l === "en" ? en : zh),
        };
      },
      async () => followUpCardFor(deps, id, await viewer()),
    );
  };
}

/** Every other follow-up card of this measure still within Feishu's update window shows the answer. */
async function patchOthers(
  deps: HandlerDeps,
  m: { _id: unknown; campaignKey: string },
  pressed: string | undefined,
  notice: (en: boolean) => string,
): Promise<void> {
  const id = String(m._id);
  const now = deps.now().getTime();
  const sent = await deps.models.SentCard.find({
    campaignKey: m.campaignKey,
    kind: "follow-up",
    refId: id,
  }).lean();
  for (const s of sent) {
    if (!s.personKey || s.messageId === pressed) continue;
    if (now - new Date(s.sentAt).getTime() >= PATCH_WINDOW_MS) continue;
    const person = await deps.models.Person.findOne({ campaignKey: m.campaignKey, key: s.personKey }).lean();
    const card = await followUpCardFor(deps, id, person, notice(localeOf(person) === "en"));
    await deps.outbound.enqueue({ op: "patch", messageId: s.messageId, card, seq: now });
  }
}

export const onFollowUpHolds = handler("holds");
export const onFollowUpRelapsed = handler("relapsed");
