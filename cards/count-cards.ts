/** Count-only cards for a group chat: problems and measures due, one line per unit. */
import { card, clip, escLine, fitCard, md, note, tr, type Card, type Locale, type Template } from "./kit";
import { blocks, COUNT_LEVELS, moreUnits, subtitleOf } from "./answer-shared";

// 查摆问题（只有数字）: a group chat sees counts by unit, never the problem texts.

export interface ProblemCountsCardInput {
  v: {
    campaignTitle: string;
    scope?: string;
    units: { unitName: string; total: number; resolved: number }[];
  };
  locale: Locale;
}

export function problemCountsCard(input: ProblemCountsCardInput): Card {
  const { v, locale: l } = input;
  return unitCountsCard({
    title: `${tr(l, "查摆问题", "Problems found")} · ${v.campaignTitle}`,
    scope: v.scope,
    lines: v.units.map((u) =>
      tr(
        l,
        `- ${escLine(u.unitName, 30)}：问题 ${u.total} 个，已整改到位 ${u.resolved} 个`,
        `- ${escLine(u.unitName, 30)}: ${u.total} problem(s), ${u.resolved} resolved`,
      ),
    ),
    empty: tr(l, "暂无查摆问题。", "No problems reported yet."),
    footer: tr(l, "问题详情请私聊查询。", "Details in a private chat with me."),
    locale: l,
  });
}

// 到期措施（只有数字）: a group chat sees how many measures fall due, by unit; the list goes in private.

export interface MeasureCountsCardInput {
  v: { campaignTitle: string; title: string; scope?: string; units: { unitName: string; n: number }[] };
  locale: Locale;
}

export function measureCountsCard(input: MeasureCountsCardInput): Card {
  const { v, locale: l } = input;
  const total = v.units.reduce((n, u) => n + u.n, 0);
  return unitCountsCard({
    title: `${v.title} · ${v.campaignTitle}`,
    scope: v.scope,
    head: total ? tr(l, `共 **${total}** 项：`, `**${total}** measure(s):`) : undefined,
    lines: v.units.map((u) =>
      tr(l, `- ${escLine(u.unitName, 30)}：${u.n} 项`, `- ${escLine(u.unitName, 30)}: ${u.n}`),
    ),
    empty: tr(l, `目前没有${escLine(v.title, 40)}。`, `No ${escLine(v.title, 40)} at the moment.`),
    footer: tr(
      l,
      "措施名单只私信发给本次活动的人员（各人可见的范围）。",
      "The list goes in private, to the people of the campaign (what each may see).",
    ),
    template: total ? "orange" : "green",
    locale: l,
  });
}

/** A card of one line per unit, fitted to Feishu's limits (the rest counted). */
function unitCountsCard(o: {
  title: string;
  scope?: string;
  head?: string;
  lines: string[];
  empty: string;
  footer: string;
  template?: Template;
  locale: Locale;
}): Card {
  return fitCard(COUNT_LEVELS.length, (lv) => {
    const shown = o.lines.slice(0, COUNT_LEVELS[lv].units);
    const elements: object[] = shown.length
      ? [...(o.head ? [md(o.head)] : []), ...blocks(shown)]
      : [md(o.empty)];
    if (o.lines.length > shown.length) elements.push(moreUnits(o.locale, o.lines.length - shown.length));
    elements.push(note(o.footer));
    return card({
      title: clip(o.title, 100),
      subtitle: subtitleOf(o.scope),
      template: o.template ?? "blue",
      elements,
    });
  });
}
