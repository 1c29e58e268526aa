// Due-date highlighting: days until a date, its level (overdue/soon/normal) and the coloured markdown.

import { tr, type Locale } from "./components";
import { clip, esc } from "./escape";

const DAY_MS = 86_400_000;
export const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function utcDay(date: string): number | undefined {
  const m = ISO_DATE.exec(date);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(t) ? undefined : t;
}

/** Whole days from `today` to `date` (both YYYY-MM-DD): negative when `date` is past. undefined if either is not a date. */
export function daysUntil(today: string, date: string): number | undefined {
  const a = utcDay(today);
  const b = utcDay(date);
  if (a === undefined || b === undefined) return undefined;
  return Math.round((b - a) / DAY_MS);
}

export type DueLevel = "overdue" | "soon" | "normal";

/** overdue (past), soon (today … 3 days ahead) or normal. */
export function dueLevel(today: string, date: string): DueLevel {
  const d = daysUntil(today, date);
  if (d === undefined) return "normal";
  if (d < 0) return "overdue";
  if (d <= 3) return "soon";
  return "normal";
}

/**
 * A due date for markdown, highlighted: overdue in red, due within 3 days in orange, else plain.
 * `done` (e.g. a closed measure) shows the date without a highlight.
 */
export function dueMd(locale: Locale, today: string, date: string, opts: { done?: boolean } = {}): string {
  const d = daysUntil(today, date);
  if (d === undefined) return esc(clip(date, 20));
  if (opts.done) return date;
  if (d < 0)
    return `<font color='red'>${date}${tr(locale, `（逾期 ${-d} 天）`, ` (${-d} day${-d === 1 ? "" : "s"} overdue)`)}</font>`;
  if (d === 0) return `<font color='orange'>${date}${tr(locale, "（今天到期）", " (due today)")}</font>`;
  if (d <= 3)
    return `<font color='orange'>${date}${tr(locale, `（还剩 ${d} 天）`, ` (${d} day${d === 1 ? "" : "s"} left)`)}</font>`;
  return date;
}
