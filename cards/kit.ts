/**
 * Small builders for card JSON 2.0 components. Pure: no I/O.
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-structure
 */

export {
  button,
  buttonRow,
  card,
  hr,
  md,
  note,
  plain,
  tr,
  type ButtonType,
  type Card,
  type Locale,
  type PlainText,
  type Template,
} from "./components";
export { clip, esc, escBlock, escLine } from "./escape";
export { daysUntil, dueLevel, dueMd, type DueLevel } from "./dates";
export { datePicker, form, panel, selectPerson, selectStatic, submitButton, textInput } from "./forms";
export {
  CARD_MAX_BYTES,
  CARD_SAFE_BYTES,
  CARD_SAFE_ELEMENTS,
  cardBytes,
  countElements,
  fitCard,
  fitsLimits,
  trimmedText,
  trimToLimits,
} from "./fit";
export { fraction, lineWithButtons, pct, table, type TableColumn, type TableDataType } from "./tables";

import { tr, type Locale } from "./components";

/** "还有 N 项…" */
export function moreText(locale: Locale, n: number): string {
  return tr(locale, `还有 ${n} 项…`, `${n} more…`);
}

/** A field label followed by its colon: "科室：" / "Unit: ". */
export function lbl(locale: Locale, zh: string, en: string): string {
  return locale === "en" ? `${en}: ` : `${zh}：`;
}

/** Space between two facts on one line: an ideographic space, or " · " in English. */
export function sep(locale: Locale): string {
  return locale === "en" ? " · " : "\u3000";
}
