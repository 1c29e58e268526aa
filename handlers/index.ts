import { CAMPAIGN_CARD_ACTIONS } from "../cards/campaign-card";
import { DIGEST_ACTIONS } from "../cards/digest-card";
import { IMPORT_ACTIONS } from "../cards/import-cards";
import { ESCALATION_ACTIONS } from "../cards/escalation-card";
import { FLAG_ACTIONS } from "../cards/flags-review-card";
import { FOLLOW_UP_ACTIONS } from "../cards/follow-up-card";
import { MEASURE_ACTIONS } from "../cards/measure-card";
import { ORG_SYNC_ACTIONS } from "../cards/org-sync-card";
import { SELF_CHECK_ACTIONS } from "../cards/self-check-card";
import type { BotAddedToChat, CardAction, CardAnswer, InboundMessage } from "../src/domain/events";
import type { Logger } from "../src/logger";
import type { EventSink } from "../src/server/process-event";
import { onBotAdded } from "./bot-added";
import { errorToast, type CardActionHandler } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { onDigestOpen } from "./digest-open";
import { onEscalationNudge } from "./escalation-nudge";
import { onFlagsReturn } from "./flags-return";
import {
  onCampaignBroadcast,
  onCampaignEnd,
  onCampaignStart,
  onImportCancel,
  onImportConfirm,
  onTemplateDownload,
} from "./file-actions";
import { onFollowUpHolds, onFollowUpRelapsed } from "./follow-up-answer";
import {
  onExtensionGrant,
  onExtensionRefuse,
  onMeasureCloseRequest,
  onMeasureExtend,
  onMeasureProgress,
  onReviewAccept,
  onReviewSendBack,
} from "./measure-actions";
import { onMeasurePropose } from "./measure-propose";
import { onMessageReceive } from "./message-receive";
import { onOrgSyncApply, onOrgSyncCancel } from "./org-sync";
import { onSelfCheckAmend } from "./self-check-amend";
import { onSelfCheckSubmit } from "./self-check-submit";

/**
 * The one table of card actions, routed by `value.action`. The action names live next to the card
 * builders that emit them.
 */
export const CARD_ACTIONS: Record<string, CardActionHandler> = {
  [SELF_CHECK_ACTIONS.submit]: onSelfCheckSubmit,
  [SELF_CHECK_ACTIONS.amend]: onSelfCheckAmend,
  [SELF_CHECK_ACTIONS.proposeMeasure]: onMeasurePropose,
  [MEASURE_ACTIONS.progress]: onMeasureProgress,
  [MEASURE_ACTIONS.extend]: onMeasureExtend,
  [MEASURE_ACTIONS.requestClose]: onMeasureCloseRequest,
  [MEASURE_ACTIONS.accept]: onReviewAccept,
  [MEASURE_ACTIONS.sendBack]: onReviewSendBack,
  [MEASURE_ACTIONS.grantExt]: onExtensionGrant,
  [MEASURE_ACTIONS.refuseExt]: onExtensionRefuse,
  [DIGEST_ACTIONS.open]: onDigestOpen,
  [ESCALATION_ACTIONS.nudge]: onEscalationNudge,
  [ORG_SYNC_ACTIONS.apply]: onOrgSyncApply,
  [ORG_SYNC_ACTIONS.cancel]: onOrgSyncCancel,
  [IMPORT_ACTIONS.confirm]: onImportConfirm,
  [IMPORT_ACTIONS.cancel]: onImportCancel,
  [IMPORT_ACTIONS.template]: onTemplateDownload,
  [CAMPAIGN_CARD_ACTIONS.start]: onCampaignStart,
  [CAMPAIGN_CARD_ACTIONS.broadcast]: onCampaignBroadcast,
  [CAMPAIGN_CARD_ACTIONS.end]: onCampaignEnd,
  [FLAG_ACTIONS.return]: onFlagsReturn,
  [FOLLOW_UP_ACTIONS.holds]: onFollowUpHolds,
  [FOLLOW_UP_ACTIONS.relapsed]: onFollowUpRelapsed,
};

/** Event types and their handlers (message work runs from the events queue, see jobs/events.ts). */
export const EVENT_HANDLERS = {
  "im.message.receive_v1": onMessageReceive,
  "im.chat.member.bot.added_v1": onBotAdded,
} as const;

/** Feishu shows error 200340 when a callback takes longer than 3 s; answer before that. */
export const CARD_ANSWER_BUDGET_MS = 2500;

export async function handleCardAction(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
  table = CARD_ACTIONS,
): Promise<CardAnswer> {
  const name = typeof action.value.action === "string" ? action.value.action : "";
  const handler = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!handler) {
    log.warn({ action: name }, "unknown card action");
    return errorToast("此卡片已失效，请重新打开。", "This card is out of date; please open it again.");
  }
  const work = handler(action, deps, log.child({ action: name }));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">(
    (resolve) => (timer = setTimeout(() => resolve("late"), CARD_ANSWER_BUDGET_MS)),
  );
  const first = await Promise.race([work, late]);
  clearTimeout(timer);
  if (first !== "late") return first;
  // Too slow for the callback: answer now, update the card with the callback token when done.
  log.warn({ action: name }, "card action slower than the answer budget; finishing with a delayed update");
  const finishing = work
    .then(async (answer) => {
      if (answer.card && action.token) {
        await deps.outbound.enqueue({
          op: "delayed_update",
          token: action.token,
          card: answer.card,
          messageId: action.messageId,
        });
      }
    })
    .catch((e: unknown) =>
      log.error({ err: e instanceof Error ? e.message : String(e) }, "late card action failed"),
    );
  deps.lateWork?.add(finishing);
  void finishing.finally(() => deps.lateWork?.delete(finishing));
  return {
    toast: {
      type: "info",
      content: "正在处理，请稍候…",
      i18n: { zh_cn: "正在处理，请稍候…", en_us: "Working on it…" },
    },
  };
}

/** The sink the inbound server delivers to. `queueMessage` puts message work on the events queue. */
export function createEventSink(
  deps: HandlerDeps,
  queueMessage: (evt: InboundMessage) => Promise<void>,
): EventSink {
  return {
    message: (evt: InboundMessage) => queueMessage(evt),
    cardAction: (evt: CardAction, log: Logger) => handleCardAction(evt, deps, log),
    botAdded: (evt: BotAddedToChat, log: Logger) => onBotAdded(evt, deps, log),
  };
}
