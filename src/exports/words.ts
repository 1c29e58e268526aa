import { MEASURE_STATE_WORDS } from "../domain/measure-words";
import { invalid } from "../errors";

/** The words offices use in a ledger, and the small text helpers the views share. */

export type Lang = "zh" | "en";

/** A ledger row's state: the measure's state in office words, overdue derived from the due date. */
export type LedgerState = "open" | "in_progress" | "closure_requested" | "closed" | "overdue" | "other";

export const STATE_WORDS: Record<Exclude<LedgerState, "other">, { zh: string; en: string }> = {
  open: MEASURE_STATE_WORDS.open,
  in_progress: MEASURE_STATE_WORDS.in_progress,
  closure_requested: MEASURE_STATE_WORDS.closure_requested,
  closed: MEASURE_STATE_WORDS.closed,
  overdue: MEASURE_STATE_WORDS.overdue,
};

/** Known open states: any other stored state (a newer one, `withdrawn`) is never counted as open. */
const OPEN_STATES = new Set(["open", "in_progress", "closure_requested"]);

export function ledgerState(state: string, dueDate: string, today: string): LedgerState {
  if (state === "closed") return "closed";
  if (!OPEN_STATES.has(state)) return "other";
  if (dueDate < today) return "overdue";
  return state as LedgerState;
}

export function isOpenState(state: string): boolean {
  return OPEN_STATES.has(state);
}

/** A `--state` value: the key, or the office word in either language. */
export function parseStateFilter(s: string): LedgerState {
  const t = s.trim().toLowerCase();
  for (const [k, w] of Object.entries(STATE_WORDS))
    if (t === k || t === w.zh || t === w.en.toLowerCase() || t === k.replace(/_/g, "-"))
      return k as LedgerState;
  throw invalid(
    `没有“${s}”这种完成情况。可选：${Object.values(STATE_WORDS)
      .map((w) => w.zh)
      .join("、")}`,
    `No state "${s}". States: ${Object.keys(STATE_WORDS).join(", ")}`,
  );
}

const DIGITS = "〇一二三四五六七八九";

/** 2026-12-01 → 二〇二六年十二月一日 (the form of a document's date, GB/T 9704 7.3.5.3). */
export function chineseDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  const year = String(y)
    .split("")
    .map((c) => DIGITS[Number(c)])
    .join("");
  return `${year}年${chineseNumber(m)}月${chineseNumber(d)}日`;
}

/** 1–99 in Chinese: 一, 十, 十二, 二十, 三十一. */
export function chineseNumber(n: number): string {
  if (n < 10) return DIGITS[n];
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? "" : DIGITS[tens]}十${ones ? DIGITS[ones] : ""}`;
}

/** 2026-12-01 → 2026年12月1日, for dates inside the text. */
export function zhDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

/**
 * What people typed, as plain text for a document: HTML tags and entities, markdown emphasis, headings,
 * links, list markers and code fences removed, whitespace folded. The words stay; nothing is cut.
 */
export function plainText(s: string): string {
  return (
    s
      .replace(/\r\n?/g, "\n")
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/(p|div|li|h\d)>/gi, "\n")
      .replace(/<[^>]*>/g, "")
      .replace(/&nbsp;/g, " ")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;|&apos;/g, "'")
      .replace(/&amp;/g, "&")
      .replace(/```[^\n]*\n?/g, "")
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
      .replace(/^\s{0,3}#{1,6}\s+/gm, "")
      .replace(/^\s{0,3}>\s?/gm, "")
      .replace(/^\s*(?:[-*+]|\d+[.)])\s+/gm, "")
      .replace(/(\*\*|__)(.+?)\1/g, "$2")
      .replace(/(^|[^*\w])[*_]([^*_\n]+)[*_](?=[^*\w]|$)/g, "$1$2")
      .replace(/~~(.+?)~~/g, "$1")
      .replace(/`([^`]*)`/g, "$1")
      .replace(/^\s*[-*_]{3,}\s*$/gm, "")
      // Control characters are not allowed in a document's XML.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "")
      .replace(/[ \t]+/g, " ")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .join("\n")
  );
}

/** Lines of a narrative run together as one passage of a paragraph, ending without punctuation. */
export function runIn(s: string): string {
  const lines = plainText(s).split("\n");
  return lines
    .map((l, i) => (i < lines.length - 1 && !/[。；，：！？;,.:!?]$/.test(l) ? `${l}；` : l))
    .join("")
    .replace(/[。；，;,.\s]+$/, "");
}

export function percent(part: number, total: number): string {
  if (!total) return "0%";
  const p = Math.round((part / total) * 1000) / 10;
  return `${p}%`;
}

/** A function giving an instant's date (YYYY-MM-DD) in the zone, with one formatter for all calls. */
export function dateIn(timezone: string): (at: Date) => string {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return (at) => f.format(at);
}
