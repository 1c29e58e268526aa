/** The measure list card (逾期 / 快到期), with optional "打开" buttons per row. */
import { DIGEST_ACTIONS } from "./digest-card";
import {
  button,
  card,
  CARD_SAFE_ELEMENTS,
  clip,
  dueLevel,
  dueMd,
  escLine,
  fitCard,
  md,
  sep,
  tr,
  type Card,
  type Locale,
  type Template,
} from "./kit";
import { blocks, subtitleOf } from "./answer-shared";
import { measureStateLabel } from "./labels";
import type { MeasureListView } from "./view-types";

// 措施列表（逾期 / 快到期）

export interface MeasureListCardInput {
  v: MeasureListView;
  locale: Locale;
  today: string;
  /** An "打开" button on each row (value `{action: "dg.open", kind: "measure", id}`). */
  withOpenButtons?: boolean;
  /** Shown when there are no rows; default "目前没有{title}。". */
  emptyText?: string;
}

const MEASURE_LEVELS = [
  { rows: 60, content: 80, name: 20 },
  { rows: 40, content: 50, name: 16 },
  { rows: 30, content: 40, name: 12 },
  { rows: 20, content: 30, name: 10 },
  { rows: 10, content: 20, name: 8 },
] as const;
type MeasureLevel = (typeof MEASURE_LEVELS)[number];

/** Rows with an "打开" button cost 6 components each (column_set, 2 columns, markdown, button, text). */
export const MEASURE_LIST_MAX_BUTTON_ROWS = 25;

/** A list of measures (rows in the given order), e.g. 逾期措施 or 快到期. */
export function measureListCard(input: MeasureListCardInput): Card {
  return fitCard(MEASURE_LEVELS.length, (lv) => buildMeasures(input, MEASURE_LEVELS[lv]));
}

function measureDue(l: Locale, today: string, r: MeasureListView["rows"][number]): string {
  const closed = r.state === "closed";
  if (!closed && r.daysOverdue !== undefined && r.daysOverdue > 0) {
    const n = r.daysOverdue;
    return `<font color='red'>${escLine(r.dueDate, 20)}${tr(l, `（逾期 ${n} 天）`, ` (${n} day${n === 1 ? "" : "s"} overdue)`)}</font>`;
  }
  return dueMd(l, today, r.dueDate, { done: closed });
}

function buildMeasures(input: MeasureListCardInput, L: MeasureLevel): Card {
  const { v, locale: l, today } = input;
  const rows = v.rows;
  const elements: object[] = [];
  const overdue = rows.some(
    (r) => r.state !== "closed" && ((r.daysOverdue ?? 0) > 0 || dueLevel(today, r.dueDate) === "overdue"),
  );

  if (rows.length === 0) {
    elements.push(
      md(
        input.emptyText
          ? escLine(input.emptyText, 200)
          : tr(l, `目前没有${escLine(v.title, 40)}。`, `No ${escLine(v.title, 40)} at the moment.`),
      ),
    );
  } else {
    elements.push(md(tr(l, `共 **${rows.length}** 项：`, `**${rows.length}** measure(s):`)));
    const cap = input.withOpenButtons
      ? Math.min(L.rows, MEASURE_LIST_MAX_BUTTON_ROWS, Math.floor((CARD_SAFE_ELEMENTS - 10) / 6))
      : L.rows;
    const shown = rows.slice(0, cap);
    const parts = (r: MeasureListView["rows"][number]): [string, string] => [
      `${tr(l, `措施#${r.seq}`, `Measure #${r.seq}`)} ${escLine(r.content, L.content)}`,
      `${escLine(r.ownerName, L.name)}${sep(l)}${escLine(r.unitName, L.name)}${sep(l)}${tr(l, "截止 ", "Due ")}${measureDue(l, today, r)}${sep(l)}${escLine(measureStateLabel(l, r.state), 20)}`,
    ];
    if (input.withOpenButtons) {
      for (const r of shown) elements.push(openRow(l, parts(r).join("\n"), r.id));
    } else {
      elements.push(
        ...blocks(
          shown.map((r) => `- ${parts(r).join(" — ")}`),
          10,
        ),
      );
    }
    if (rows.length > shown.length) {
      elements.push(
        md(
          tr(
            l,
            `另有 ${rows.length - shown.length} 项，未全部列出。`,
            `${rows.length - shown.length} more, not all listed.`,
          ),
        ),
      );
    }
  }

  const template: Template = rows.length === 0 ? "green" : overdue ? "red" : "orange";
  return card({
    title: clip(`${v.title} · ${v.campaignTitle}`, 100),
    subtitle: subtitleOf(v.scope),
    template,
    summary: clip(`${v.title}${tr(l, `：${rows.length} 项`, `: ${rows.length}`)}`, 60),
    elements,
  });
}

function openRow(l: Locale, text: string, id: string): object {
  return {
    tag: "column_set",
    flex_mode: "none",
    horizontal_spacing: "small",
    columns: [
      { tag: "column", width: "weighted", weight: 4, vertical_align: "center", elements: [md(text)] },
      {
        tag: "column",
        width: "auto",
        vertical_align: "center",
        elements: [button(tr(l, "打开", "Open"), { action: DIGEST_ACTIONS.open, kind: "measure", id })],
      },
    ],
  };
}
