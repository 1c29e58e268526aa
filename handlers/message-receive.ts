import { helpCard } from "../cards/help-card";
import type { InboundMessage } from "../src/domain/events";
import type { Logger } from "../src/logger";
import type { HandlerDeps } from "./deps";
import { answerMessage } from "./respond";

/** Mention keys (`@_user_1`) are placeholders, not words of the question. */
export function questionText(msg: InboundMessage): string {
  return msg.text.replace(/@_user_\d+/g, " ").replace(/\s+/g, " ").trim();
}

/** English when the question has Latin letters and no CJK characters. */
export function questionLocale(text: string): "zh" | "en" {
  return /[a-zA-Z]/.test(text) && !/[\u3400-\u9fff]/.test(text) ? "en" : "zh";
}

const HELP = /^(帮助|怎么用|使用说明|你能做什么|help|\?|？)$/i;

/** `im.message.receive_v1`: a question to the bot, in p2p or with an @mention in a group. */
export async function onMessageReceive(msg: InboundMessage, deps: HandlerDeps, log: Logger): Promise<void> {
  const text = questionText(msg);
  const locale = questionLocale(text);
  if (msg.messageType !== "text") {
    log.info({ type: msg.messageType }, "non-text message; answering with help");
  }
  const understood = HELP.test(text);
  await answerMessage(msg, { card: helpCard({ locale, notUnderstood: understood ? undefined : text }) }, deps);
  log.info({ intent: understood ? "help" : "unknown" }, "answered question");
}
