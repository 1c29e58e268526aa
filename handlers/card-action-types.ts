import type { Card } from "../cards/kit";
import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Locale } from "../src/domain/types";
import { AppError } from "../src/errors";
import type { Logger } from "../src/logger";
import type { HandlerDeps } from "./deps";
import { operatorLocale } from "./operator";

export type CardActionHandler = (action: CardAction, deps: HandlerDeps, log: Logger) => Promise<CardAnswer>;

export function errorToast(zh: string, en: string, locale: Locale = "zh"): CardAnswer {
  return { toast: { type: "error", content: locale === "en" ? en : zh, i18n: { zh_cn: zh, en_us: en } } };
}

export function toast(
  type: "success" | "info" | "warning" | "error",
  zh: string,
  en: string,
  locale: Locale = "zh",
): CardAnswer["toast"] {
  return { type, content: locale === "en" ? en : zh, i18n: { zh_cn: zh, en_us: en } };
}

/**
 * Run an action in the operator's language; a refusal (AppError) becomes an error toast and the card
 * re-shows the current truth, so a stale or someone else's card never shows something that is no longer so.
 */
export async function guarded(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
  run: (locale: Locale) => Promise<CardAnswer>,
  truth: (e: AppError, locale: Locale) => Promise<Card | undefined>,
): Promise<CardAnswer> {
  const l = await operatorLocale(deps, action.operatorOpenId).catch(() => "zh" as const);
  try {
    return await run(l);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    log.info({ kind: e.kind, reason: e.en }, "card action refused");
    let card: Card | undefined;
    try {
      card = await truth(e, l);
    } catch (inner) {
      log.debug({ err: inner instanceof Error ? inner.message : String(inner) }, "no current card to show");
    }
    return { ...errorToast(e.zh, e.en, l), ...(card ? { card } : {}) };
  }
}
