import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Logger } from "../src/logger";
import type { HandlerDeps } from "./deps";

export type CardActionHandler = (action: CardAction, deps: HandlerDeps, log: Logger) => Promise<CardAnswer>;

export function errorToast(zh: string, en: string): CardAnswer {
  return { toast: { type: "error", content: zh, i18n: { zh_cn: zh, en_us: en } } };
}
