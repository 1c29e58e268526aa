import {
  card,
  clip,
  escLine,
  fitCard,
  fraction,
  hr,
  md,
  note,
  pct,
  sep,
  table,
  tr,
  type Card,
  type Locale,
  type Template,
} from "./kit";
import { measureStateLabel } from "./labels";
import type { SummaryView } from "./view-types";

export type SummaryKind = "broadcast" | "leader" | "answer";

export interface SummaryCardInput {
  s: SummaryView;
  locale: Locale;
  /** Overdue measures listed (most overdue first); default 10. */
  topN?: number;
  kind: SummaryKind;
}

export const SUMMARY_DEFAULT_TOP_N = 10;

/**
 * Truncation (the card must stay under 30 KB and 200 components with any number of units):
 * - The unit table lists every unit, in the given order, when there are at most SUMMARY_TABLE_MAX_ROWS.
 *   With more, it lists the units that need attention most (most overdue items first, then the lowest
 *   completion), still in the given order, and ends with "另有 N 个科室未列出".
 * - The chart shows every unit that has work when there are at most SUMMARY_CHART_MAX_BARS; with more,
 *   only the ones with the lowest completion (a chart of 200 bars is unreadable, and the laggards are
 *   the point of a progress report), again in the given order. Units with nothing to do are left out.
 * "Completion" of a unit is (self-checks submitted + measures closed) / (self-checks + measures).
 */
export const SUMMARY_TABLE_MAX_ROWS = 50;
export const SUMMARY_CHART_MAX_BARS = 30;

const LEVELS = [
  {
    rows: SUMMARY_TABLE_MAX_ROWS,
    bars: SUMMARY_CHART_MAX_BARS,
    overdue: 50,
    closed: 20,
    content: 60,
    name: 20,
  },
  { rows: 40, bars: 25, overdue: 30, closed: 15, content: 40, name: 16 },
  { rows: 30, bars: 20, overdue: 20, closed: 10, content: 30, name: 12 },
  { rows: 20, bars: 15, overdue: 10, closed: 5, content: 20, name: 10 },
  { rows: 10, bars: 10, overdue: 5, closed: 3, content: 16, name: 8 },
] as const;
type Level = (typeof LEVELS)[number];

type Unit = SummaryView["units"][number];

/** Completion of a unit as a ratio 0..1, undefined when it has nothing to do. */
export function unitCompletion(u: Unit): number | undefined {
  const total = u.total + u.measuresTotal;
  if (!(total > 0)) return undefined;
  return Math.max(0, Math.min(1, (u.done + u.measuresClosed) / total));
}

/** Indices of the `max` units to show in the table (given order kept). */
function tableUnits(units: Unit[], max: number): number[] {
  const all = units.map((_, i) => i);
  if (units.length <= max) return all;
  const ranked = [...all].sort((a, b) => {
    const ua = units[a];
    const ub = units[b];
    if (ua.overdue !== ub.overdue) return ub.overdue - ua.overdue;
    const ca = unitCompletion(ua) ?? 2;
    const cb = unitCompletion(ub) ?? 2;
    if (ca !== cb) return ca - cb;
    return a - b;
  });
  return ranked.slice(0, max).sort((a, b) => a - b);
}

/** Indices of the units in the chart: those with work, the `max` lowest completion ones (given order kept). */
function chartUnits(units: Unit[], max: number): number[] {
  const withWork = units.map((_, i) => i).filter((i) => unitCompletion(units[i]) !== undefined);
  if (withWork.length <= max) return withWork;
  const ranked = [...withWork].sort((a, b) => {
    const d = (unitCompletion(units[a]) ?? 0) - (unitCompletion(units[b]) ?? 0);
    return d !== 0 ? d : a - b;
  });
  return ranked.slice(0, max).sort((a, b) => a - b);
}

/** Category labels must be unique or the bars of two units would merge. */
function uniqueLabels(names: string[], max: number): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const base = clip(n.replace(/\s+/g, " ").trim() || "-", max);
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? base : `${base} (${k})`;
  });
}

/** 进度通报: overall, by section, by unit (table + chart), overdue measures, newly closed ones. */
export function summaryCard(input: SummaryCardInput): Card {
  return fitCard(LEVELS.length, (lv) => build(input, LEVELS[lv]));
}

function redCount(n: number): string {
  return n > 0 ? `<font color='red'>**${n}**</font>` : "0";
}

function build(input: SummaryCardInput, L: Level): Card {
  const { s, locale: l, kind } = input;
  const topN = Math.max(0, Math.floor(input.topN ?? SUMMARY_DEFAULT_TOP_N));
  const a = s.assignments;
  const m = s.measures;
  const overdueAny = a.overdue + m.overdue > 0;
  const allDone = a.total + m.total > 0 && a.done >= a.total && m.closed >= m.total;
  const template: Template = overdueAny ? "orange" : allDone ? "green" : "blue";
  const prefix =
    kind === "leader"
      ? tr(l, "分管科室进度", "Progress of your units")
      : kind === "answer"
        ? tr(l, "进度", "Progress")
        : tr(l, "进度通报", "Progress report");
  const asOf = tr(l, `截至 ${s.asOf}`, `As of ${s.asOf}`);
  const subtitle = s.scope ? `${asOf} · ${s.scope}` : asOf;
  const elements: object[] = [];

  if (s.scope && Array.from(subtitle).length > 60) elements.push(note(clip(s.scope, 300)));

  // Overall.
  if (a.total + m.total === 0) {
    elements.push(md(tr(l, "暂无自查事项和整改措施。", "No self-checks or measures yet.")));
  } else {
    elements.push(
      md(
        [
          `**${tr(l, "总体进度", "Overall")}**`,
          `${tr(l, "自查填报：", "Self-checks submitted: ")}**${fraction(l, a.done, a.total)}**${sep(l)}${tr(l, "逾期 ", "overdue ")}${redCount(a.overdue)}`,
          `${tr(l, "整改措施：已销号 ", "Measures closed: ")}**${fraction(l, m.closed, m.total)}**${sep(l)}${tr(l, "逾期 ", "overdue ")}${redCount(m.overdue)}`,
          ...(s.followUps
            ? [
                `${tr(l, "回头看：待回复 ", "Follow-ups: awaiting answer ")}**${s.followUps.due}**${sep(l)}${tr(l, "已完成 ", "done ")}**${s.followUps.done}**${sep(l)}${tr(l, "反弹 ", "relapsed ")}${redCount(s.followUps.relapsed)}${tr(l, " 项", "")}`,
              ]
            : []),
        ].join("\n"),
      ),
    );
  }

  // By section.
  if (s.sections.length) {
    const lines = s.sections.map(
      (x) => `- ${escLine(x.code, 20)}${tr(l, "：", ": ")}${fraction(l, x.done, x.total)}`,
    );
    elements.push(
      md(`**${tr(l, "分项进度（自查填报）", "By section (self-checks)")}**\n${lines.join("\n")}`),
    );
  }

  // By unit: table, then chart.
  if (s.units.length) {
    const shown = tableUnits(s.units, L.rows);
    elements.push(md(`**${tr(l, "各科室进度", "By unit")}**`));
    elements.push(
      table(
        [
          { name: "unit", display_name: tr(l, "科室", "Unit"), data_type: "text", width: "auto" },
          { name: "sc", display_name: tr(l, "自查", "Self-checks"), data_type: "text" },
          { name: "ms", display_name: tr(l, "措施", "Measures"), data_type: "text" },
          {
            name: "od",
            display_name: tr(l, "逾期", "Overdue"),
            data_type: "number",
            horizontal_align: "right",
          },
        ],
        shown.map((i) => {
          const u = s.units[i];
          return {
            unit: clip(u.name, L.name),
            sc: `${u.done}/${u.total}`,
            ms: `${u.measuresClosed}/${u.measuresTotal}`,
            od: Number.isFinite(u.overdue) ? u.overdue : 0,
          };
        }),
      ),
    );
    if (s.units.length > shown.length) {
      elements.push(
        note(
          tr(
            l,
            `另有 ${s.units.length - shown.length} 个科室未列出（优先列出逾期多、完成率低的科室）。`,
            `${s.units.length - shown.length} more units not shown (those with most overdue and lowest completion are listed).`,
          ),
        ),
      );
    }

    const bars = chartUnits(s.units, L.bars);
    if (bars.length) {
      const labels = uniqueLabels(
        bars.map((i) => s.units[i].name),
        L.name,
      );
      const title =
        bars.length < s.units.filter((u) => unitCompletion(u) !== undefined).length
          ? tr(l, `完成率最低的 ${bars.length} 个科室（%）`, `Lowest ${bars.length} units by completion (%)`)
          : tr(l, "各科室完成率（%）", "Completion by unit (%)");
      elements.push({
        tag: "chart",
        aspect_ratio: "16:9",
        color_theme: "brand",
        chart_spec: {
          type: "bar",
          title: { text: title },
          data: {
            values: bars.map((i, k) => ({
              unit: labels[k],
              pct: Math.round((unitCompletion(s.units[i]) ?? 0) * 100),
            })),
          },
          // Horizontal bars: a unit's Chinese name reads on one line, every name shown, none hidden.
          direction: "horizontal",
          xField: "pct",
          yField: "unit",
          label: { visible: true },
          axes: [
            { orient: "bottom", min: 0, max: 100 },
            { orient: "left", sampling: false, label: { autoHide: false } },
          ],
        },
      });
      elements.push(
        note(
          tr(
            l,
            "完成率 =（已填报自查 + 已销号措施）/（自查 + 措施）",
            "Completion = (self-checks submitted + measures closed) / (self-checks + measures)",
          ),
        ),
      );
    }
  }

  // Overdue measures.
  if (s.overdue.length) {
    const shown = s.overdue.slice(0, Math.min(topN, L.overdue));
    const lines = shown.map(
      (o) =>
        `- ${tr(l, `措施#${o.seq}`, `Measure #${o.seq}`)} ${escLine(o.content, L.content)} — ${escLine(o.ownerName, L.name)}${sep(l)}${escLine(o.unitName, L.name)}${sep(l)}<font color='red'>${tr(l, `逾期 ${o.daysOverdue} 天`, `${o.daysOverdue} day${o.daysOverdue === 1 ? "" : "s"} overdue`)}</font>${sep(l)}${escLine(measureStateLabel(l, o.state), 20)}`,
    );
    const rest = s.overdue.length - shown.length;
    if (rest > 0) lines.push(tr(l, `另有 ${rest} 项逾期`, `${rest} more overdue`));
    elements.push(
      hr(),
      md(
        `**${tr(l, `逾期整改措施（${s.overdue.length} 项）`, `Overdue measures (${s.overdue.length})`)}**\n${lines.join("\n")}`,
      ),
    );
  }

  // Newly closed.
  if (s.newlyClosed) {
    const head = `**${tr(l, "本期新销号", "Closed since the last report")}**`;
    if (s.newlyClosed.length === 0) {
      elements.push(md(`${head}\n${tr(l, "本期无新销号", "None")}`));
    } else {
      const shown = s.newlyClosed.slice(0, L.closed);
      const lines = shown.map(
        (c) =>
          `- ${tr(l, `措施#${c.seq}`, `Measure #${c.seq}`)} ${escLine(c.content, L.content)} — ${escLine(c.ownerName, L.name)}${sep(l)}${escLine(c.unitName, L.name)}`,
      );
      const rest = s.newlyClosed.length - shown.length;
      if (rest > 0) lines.push(tr(l, `另有 ${rest} 项`, `${rest} more`));
      elements.push(
        md(
          `${head}${tr(l, `（${s.newlyClosed.length} 项）`, ` (${s.newlyClosed.length})`)}\n${lines.join("\n")}`,
        ),
      );
    }
  }

  return card({
    title: clip(`${prefix} · ${s.campaignTitle}`, 100),
    subtitle: clip(subtitle, 60),
    template,
    summary: clip(
      tr(
        l,
        `${prefix}：自查 ${a.done}/${a.total}，措施已销号 ${m.closed}/${m.total}`,
        `${prefix}: self-checks ${a.done}/${a.total}, measures closed ${m.closed}/${m.total}`,
      ),
      60,
    ),
    elements,
  });
}

/** Percent of a unit's work done (0..100), for callers that want the same figure as the chart. */
export function unitPercent(u: Unit): number | undefined {
  return pct(u.done + u.measuresClosed, u.total + u.measuresTotal);
}
