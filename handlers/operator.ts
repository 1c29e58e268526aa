import type { Locale } from "../src/domain/types";
import type { HandlerDeps } from "./deps";

/** The operator's language: their person record's locale in the most recent campaign, else Chinese. */
export async function operatorLocale(deps: HandlerDeps, openId: string): Promise<Locale> {
  const p = await deps.models.Person.findOne({ openId }, { locale: 1 }).sort({ updatedAt: -1 }).lean();
  return p?.locale === "en" ? "en" : "zh";
}
