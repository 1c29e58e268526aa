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

/** 待整改 / 整改中 / 待销号 / 已销号; unknown states are shown as they are. */
export function measureStateLabel(locale: Locale, state: string): string {
  switch (state) {
    case "open":
      return tr(locale, "待整改", "Open");
    case "in_progress":
      return tr(locale, "整改中", "In progress");
    case "closure_requested":
      return tr(locale, "待销号", "Closure requested");
    case "closed":
      return tr(locale, "已销号", "Closed");
    case "withdrawn":
      return tr(locale, "已撤回", "Withdrawn");
    default:
      return state;
  }
}
