/** The problem list card: each problem with its item, unit, measure count and whether it is resolved. */
import { card, clip, escLine, fitCard, md, sep, tr, type Card, type Locale } from "./kit";
import { blocks, subtitleOf } from "./answer-shared";
import type { ProblemListView } from "./view-types";

// 问题清单

export interface ProblemListCardInput {
  v: ProblemListView;
  locale: Locale;
  /** Shown when there are no problems; default "目前没有查摆出的问题。". */
  emptyText?: string;
}

const PROBLEM_LEVELS = [
  { lines: 100, text: 60, item: 30, name: 16 },
  { lines: 60, text: 40, item: 20, name: 12 },
  { lines: 40, text: 30, item: 16, name: 10 },
  { lines: 25, text: 20, item: 12, name: 8 },
  { lines: 15, text: 16, item: 10, name: 8 },
] as const;
type ProblemLevel = (typeof PROBLEM_LEVELS)[number];

/** The problems found (in the given order), each with its item, unit, measure count and whether it is resolved. */
export function problemListCard(input: ProblemListCardInput): Card {
  return fitCard(PROBLEM_LEVELS.length, (lv) => buildProblems(input, PROBLEM_LEVELS[lv]));
}

function buildProblems(input: ProblemListCardInput, L: ProblemLevel): Card {
  const { v, locale: l } = input;
  const ps = v.problems;
  const resolved = ps.filter((p) => p.resolved).length;
  const title = tr(l, "问题清单", "Problems found");
  const elements: object[] = [];

  if (ps.length === 0) {
    elements.push(
      md(
        input.emptyText
          ? escLine(input.emptyText, 200)
          : tr(l, "目前没有查摆出的问题。", "No problems have been found."),
      ),
    );
  } else {
    elements.push(
      md(
        tr(
          l,
          `共 **${ps.length}** 个问题${sep(l)}已解决 **${resolved}**${sep(l)}未解决 **${ps.length - resolved}**`,
          `**${ps.length}** problem(s)${sep(l)}resolved **${resolved}**${sep(l)}open **${ps.length - resolved}**`,
        ),
      ),
    );
    const shown = ps.slice(0, L.lines);
    const lines = shown.map((p) => {
      const status = p.resolved
        ? `<font color='green'>${tr(l, "已解决", "resolved")}</font>`
        : p.measures > 0
          ? tr(l, "未解决", "open")
          : `<font color='orange'>${tr(l, "尚无整改措施", "no measure yet")}</font>`;
      return `- ${tr(l, `问题#${p.seq}`, `Problem #${p.seq}`)} ${escLine(p.text, L.text)}（${escLine(p.itemTitle, L.item)}${sep(l)}${escLine(p.unitName, L.name)}${sep(l)}${tr(l, `措施 ${p.measures} 项`, `${p.measures} measure(s)`)}${sep(l)}${status}）`;
    });
    if (ps.length > shown.length) {
      lines.push(
        tr(
          l,
          `另有 ${ps.length - shown.length} 个问题，未全部列出。`,
          `${ps.length - shown.length} more not shown.`,
        ),
      );
    }
    elements.push(...blocks(lines));
  }

  return card({
    title: clip(`${title} · ${v.campaignTitle}`, 100),
    subtitle: subtitleOf(v.scope),
    template: ps.length > resolved ? "orange" : "green",
    summary: clip(
      tr(
        l,
        `${title}：${ps.length} 个，已解决 ${resolved} 个`,
        `${title}: ${ps.length}, ${resolved} resolved`,
      ),
      60,
    ),
    elements,
  });
}
