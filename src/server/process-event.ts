import { trimToLimits } from "../../cards/kit";
import type { BotAddedToChat, CardAction, CardAnswer, InboundMessage } from "../domain/events";
import { lazyChild, type Logger } from "../logger";
import type { EventDedup } from "./event-dedup";
import { normaliseEvent, PayloadError } from "./normalise";

/** Where normalised events go. Message work is queued; card actions answer within Feishu's 3 s. */
export interface EventSink {
  message(evt: InboundMessage, log: Logger): Promise<void>;
  cardAction(evt: CardAction, log: Logger): Promise<CardAnswer>;
  botAdded(evt: BotAddedToChat, log: Logger): Promise<void>;
}

export interface ProcessDeps {
  dedup: EventDedup;
  sink: EventSink;
  logger: Logger;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** The callback answer as Feishu expects it: `{toast, card: {type: "raw", data}}`. */
export function formatCardAnswer(a: CardAnswer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.toast) out.toast = a.toast;
  // Fitted like every card that leaves: an oversized callback card would fail with no answer.
  if (a.card) out.card = { type: "raw", data: trimToLimits(a.card) };
  return out;
}

/** Shared by the webhook route and the long connection: normalise, dedup, dispatch. */
export async function processEvent(payload: Record<string, unknown>, deps: ProcessDeps): Promise<HttpAnswer> {
  const header = payload.header as { event_id: string; event_type: string };
  const log = lazyChild(deps.logger, { event_id: header.event_id, event_type: header.event_type });
  let evt;
  try {
    evt = normaliseEvent(payload);
  } catch (e) {
    if (e instanceof PayloadError) {
      log.warn({ reason: e.message }, "rejected malformed event");
      return { status: 400, body: { error: "malformed event", reason: e.message } };
    }
    throw e;
  }
  if (!evt) {
    log.info("ignored event type");
    return { status: 200, body: {} };
  }
  if (!(await deps.dedup.claim(evt.eventId))) {
    log.info("duplicate delivery acknowledged, not processed");
    return { status: 200, body: {} };
  }
  try {
    switch (evt.kind) {
      case "message":
        await deps.sink.message(evt, log);
        return { status: 200, body: {} };
      case "bot_added":
        await deps.sink.botAdded(evt, log);
        return { status: 200, body: {} };
      case "card_action":
        return { status: 200, body: formatCardAnswer(await deps.sink.cardAction(evt, log)) };
    }
  } catch (e) {
    // Let a redelivery (or the person's next click) run it again.
    await deps.dedup.release(evt.eventId);
    if (evt.kind !== "card_action") throw e;
    // A card click is answered, not retried by Feishu: the person sees why nothing happened instead of
    // Feishu's generic error, and the cause is logged.
    log.error({ err: e instanceof Error ? e.message : String(e) }, "card action failed");
    return { status: 200, body: formatCardAnswer(CARD_ACTION_FAILED) };
  }
}

const CARD_ACTION_FAILED: CardAnswer = {
  toast: {
    type: "error",
    content: "操作未完成：系统暂时出错，请稍后再试一次。",
    i18n: {
      zh_cn: "操作未完成：系统暂时出错，请稍后再试一次。",
      en_us: "That did not go through: a temporary error. Please try again shortly.",
    },
  },
};
