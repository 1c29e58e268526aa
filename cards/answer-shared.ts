/** Helpers shared by the chat-answer cards: markdown blocks, the scope subtitle, the "units not shown" line. */
import { clip, md, tr, trimmedText, type Locale } from "./kit";

/** Markdown lines per markdown component in long lists (keeps each component a readable size). */
const LINES_PER_BLOCK = 20;

export function blocks(lines: string[], per = LINES_PER_BLOCK): object[] {
  const out: object[] = [];
  for (let i = 0; i < lines.length; i += per) out.push(md(lines.slice(i, i + per).join("\n")));
  return out;
}

/** The header already names the campaign: the subtitle carries the scope, if any. */
export function subtitleOf(scope?: string): string | undefined {
  return scope ? clip(scope, 60) : undefined;
}

/** Fit levels of the count-only cards (units shown per level). */
export const COUNT_LEVELS = [{ units: 100 }, { units: 60 }, { units: 30 }, { units: 15 }] as const;

/**
 * Where a list of units was cut, right under it and as visible as it: the cut marker every fitted
 * list ends with (cards/kit.ts), then what the rest are.
 */
export function moreUnits(l: Locale, n: number): object {
  return md(trimmedText(l, n) + tr(l, `（${n} 个科室未列出）`, ` (${n} unit(s) not shown)`));
}
