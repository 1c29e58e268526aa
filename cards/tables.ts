// Tables and ratios for the summary and answer cards: `pct`, `fraction`, `table`, `lineWithButtons`.

import { md, tr, type Locale } from "./components";

/** Whole percent of `done` in `total` (0..100), undefined when `total` is not positive. */
export function pct(done: number, total: number): number | undefined {
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0) return undefined;
  return Math.max(0, Math.min(100, Math.round((done * 100) / total)));
}

/** "3/5（60%）" / "3/5 (60%)"; just "0/0" when there is nothing to do. */
export function fraction(locale: Locale, done: number, total: number): string {
  const p = pct(done, total);
  return p === undefined ? `${done}/${total}` : `${done}/${total}${tr(locale, `（${p}%）`, ` (${p}%)`)}`;
}

export type TableDataType = "text" | "lark_md" | "options" | "number" | "persons" | "date" | "markdown";

export interface TableColumn {
  name: string;
  display_name: string;
  data_type: TableDataType;
  width?: string;
  horizontal_align?: "left" | "center" | "right";
}

/**
 * A `table` (root level only, at most 5 per card, page size ≤ 10). Every row key must be a declared
 * column name and each cell must fit the column's data_type (numbers for number, strings for text).
 */
export function table(
  columns: TableColumn[],
  rows: Record<string, unknown>[],
  opts: { pageSize?: number } = {},
): object {
  return {
    tag: "table",
    page_size: Math.max(1, Math.min(10, opts.pageSize ?? 10)),
    row_height: "auto",
    freeze_first_column: true,
    header_style: {
      text_align: "left",
      text_size: "normal",
      background_style: "grey",
      text_color: "grey",
      bold: true,
      lines: 1,
    },
    columns,
    rows,
  };
}

/** A line of markdown with its buttons to the right (digest and escalation rows). */
export function lineWithButtons(
  markdown: string,
  buttons: object[],
  opts: { buttonSpacing?: string } = {},
): object {
  return {
    tag: "column_set",
    flex_mode: "none",
    horizontal_spacing: "small",
    columns: [
      { tag: "column", width: "weighted", weight: 4, vertical_align: "center", elements: [md(markdown)] },
      {
        tag: "column",
        width: "auto",
        vertical_align: "center",
        ...(opts.buttonSpacing ? { vertical_spacing: opts.buttonSpacing } : {}),
        elements: buttons,
      },
    ],
  };
}
