/**
 * A measure's state in the words offices use, one vocabulary for every place a person reads it: the
 * ledger (xlsx), the report, the console and the cards. `overdue` is not stored: it is derived from the
 * due date where a list needs it (the ledger's 完成情况).
 */
export const MEASURE_STATE_WORDS = {
  open: { zh: "未开始", en: "Not started" },
  in_progress: { zh: "整改中", en: "In progress" },
  closure_requested: { zh: "待审核", en: "Awaiting review" },
  closed: { zh: "已销号", en: "Closed" },
  overdue: { zh: "逾期", en: "Overdue" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
} as const;

export type MeasureStateWord = keyof typeof MEASURE_STATE_WORDS;

/** The word for a stored or derived state; an unknown state is shown as it is. */
export function measureStateWord(state: string, lang: "zh" | "en"): string {
  const w = (MEASURE_STATE_WORDS as Record<string, { zh: string; en: string }>)[state];
  return w ? w[lang] : state;
}
