import { measureStateWord } from "../src/domain/measure-words";
import { tr, type Locale } from "./kit";

export type ConclusionValue = "compliant" | "basically_compliant" | "problems";

/** 符合要求 / 基本符合 / 存在问题 */
export function conclusionLabel(locale: Locale, c: ConclusionValue): string {
  switch (c) {
    case "compliant":
      return tr(locale, "符合要求", "Compliant");
    case "basically_compliant":
      return tr(locale, "基本符合", "Basically compliant");
    case "problems":
      return tr(locale, "存在问题", "Problems found");
  }
}

/** 未开始 / 整改中 / 待审核 / 已销号 / 已撤回, the ledger's words (src/domain/measure-words.ts). */
export function measureStateLabel(locale: Locale, state: string): string {
  return measureStateWord(state, locale === "en" ? "en" : "zh");
}
