/**
 * Small builders for card JSON 2.0 components. Pure: no I/O.
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-structure
 */

export type Locale = "zh" | "en";
export type Template =
  | "blue"
  | "wathet"
  | "turquoise"
  | "green"
  | "yellow"
  | "orange"
  | "red"
  | "carmine"
  | "violet"
  | "purple"
  | "indigo"
  | "grey";

export interface Card {
  schema: "2.0";
  config: { update_multi: true; locales?: string[]; summary?: { content: string } };
  header: {
    title: { tag: "plain_text"; content: string };
    subtitle?: { tag: "plain_text"; content: string };
    template: Template;
  };
  body: { elements: object[] };
}

/** Pick the string for a locale: Chinese first. */
export function tr(locale: Locale, zh: string, en: string): string {
  return locale === "en" ? en : zh;
}

export function card(opts: {
  title: string;
  subtitle?: string;
  template?: Template;
  summary?: string;
  elements: object[];
}): Card {
  return {
    schema: "2.0",
    config: { update_multi: true, ...(opts.summary ? { summary: { content: opts.summary } } : {}) },
    header: {
      title: { tag: "plain_text", content: opts.title },
      ...(opts.subtitle ? { subtitle: { tag: "plain_text", content: opts.subtitle } } : {}),
      template: opts.template ?? "blue",
    },
    body: { elements: opts.elements },
  };
}

export function md(content: string, opts: { elementId?: string; size?: "normal" | "notation" } = {}): object {
  return {
    tag: "markdown",
    content,
    ...(opts.elementId ? { element_id: opts.elementId } : {}),
    ...(opts.size === "notation" ? { text_size: "notation" } : {}),
  };
}

export function hr(): object {
  return { tag: "hr" };
}

/** A grey small note (2.0 has no `note` component). */
export function note(content: string): object {
  return { tag: "div", text: { tag: "plain_text", content, text_size: "notation", text_color: "grey" } };
}

export type ButtonType =
  | "default"
  | "primary"
  | "danger"
  | "text"
  | "primary_filled"
  | "danger_filled"
  | "primary_text"
  | "danger_text"
  | "laser";

/** A button whose press calls back with `value` (routed by `value.action`). */
export function button(
  text: string,
  value: Record<string, unknown>,
  opts: {
    type?: ButtonType;
    name?: string;
    confirm?: { title: string; text: string };
    disabled?: boolean;
  } = {},
): object {
  return {
    tag: "button",
    text: { tag: "plain_text", content: text },
    type: opts.type ?? "default",
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.disabled ? { disabled: true } : {}),
    behaviors: [{ type: "callback", value }],
    ...(opts.confirm
      ? {
          confirm: {
            title: { tag: "plain_text", content: opts.confirm.title },
            text: { tag: "plain_text", content: opts.confirm.text },
          },
        }
      : {}),
  };
}

/** Buttons side by side. */
export function buttonRow(buttons: object[]): object {
  return {
    tag: "column_set",
    flex_mode: "flow",
    horizontal_spacing: "small",
    columns: buttons.map((b) => ({ tag: "column", width: "auto", elements: [b] })),
  };
}

/** Escape text for the markdown component (user input must not become markup or mentions). */
export function esc(text: string): string {
  return text.replace(/[\\`*_~[\]()<>#|]/g, (c) => `\\${c}`);
}

/** Size of the card as Feishu counts it (UTF-8 bytes of its JSON). */
export function cardBytes(c: object): number {
  return Buffer.byteLength(JSON.stringify(c), "utf8");
}

export const CARD_MAX_BYTES = 30 * 1024;

// ---------------------------------------------------------------------------------------------
// Form components, date highlighting and size fitting (added for the campaign cards).

export type PlainText = { tag: "plain_text"; content: string };

export function plain(content: string): PlainText {
  return { tag: "plain_text", content };
}

/** Cut `text` to at most `max` characters (code points), ending with "…" when cut. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join("") + "…";
}

/** Plain text for a single markdown line: newlines folded to spaces, clipped, escaped. */
export function escLine(text: string, max: number): string {
  return esc(clip(text.replace(/\s*[\r\n]+\s*/g, " ").trim(), max));
}

/** Multi-line user text for markdown: clipped and escaped, line breaks kept. */
export function escBlock(text: string, max: number): string {
  return esc(clip(text.trim(), max));
}

/** "还有 N 项…" */
export function moreText(locale: Locale, n: number): string {
  return tr(locale, `还有 ${n} 项…`, `${n} more…`);
}

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

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

/** A form (root level only) with a card-unique `name`; `elements` must contain a submit button. */
export function form(name: string, elements: object[]): object {
  return { tag: "form", name, direction: "vertical", vertical_spacing: "8px", elements };
}

/** A form's submit button: its press sends every field of the form with `value`. */
export function submitButton(
  text: string,
  name: string,
  value: Record<string, unknown>,
  opts: { type?: ButtonType; confirm?: { title: string; text: string } } = {},
): object {
  return {
    tag: "button",
    name,
    text: plain(text),
    type: opts.type ?? "primary_filled",
    form_action_type: "submit",
    behaviors: [{ type: "callback", value }],
    ...(opts.confirm
      ? { confirm: { title: plain(opts.confirm.title), text: plain(opts.confirm.text) } }
      : {}),
  };
}

export function textInput(opts: {
  name: string;
  placeholder: string;
  maxLength: number;
  label?: string;
  required?: boolean;
  multiline?: boolean;
  rows?: number;
  defaultValue?: string;
}): object {
  return {
    tag: "input",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    ...(opts.multiline
      ? { input_type: "multiline_text", rows: opts.rows ?? 3, auto_resize: true, max_rows: 10 }
      : {}),
    max_length: opts.maxLength,
    width: "fill",
    ...(opts.label ? { label: plain(opts.label), label_position: "top" } : {}),
    placeholder: plain(opts.placeholder),
    ...(opts.defaultValue ? { default_value: clip(opts.defaultValue, opts.maxLength) } : {}),
  };
}

export function selectStatic(opts: {
  name: string;
  placeholder: string;
  options: { value: string; text: string }[];
  required?: boolean;
  initial?: string;
}): object {
  const initial =
    opts.initial !== undefined && opts.options.some((o) => o.value === opts.initial)
      ? opts.initial
      : undefined;
  return {
    tag: "select_static",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    width: "fill",
    placeholder: plain(opts.placeholder),
    options: opts.options.map((o) => ({ text: plain(clip(o.text, 100)), value: o.value })),
    ...(initial !== undefined ? { initial_option: initial } : {}),
  };
}

export function selectPerson(opts: { name: string; placeholder: string; required?: boolean }): object {
  return {
    tag: "select_person",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    width: "fill",
    placeholder: plain(opts.placeholder),
  };
}

export function datePicker(opts: {
  name: string;
  placeholder: string;
  required?: boolean;
  initial?: string;
}): object {
  return {
    tag: "date_picker",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    placeholder: plain(opts.placeholder),
    ...(opts.initial && ISO_DATE.test(opts.initial) ? { initial_date: opts.initial } : {}),
  };
}

/** A collapsible panel with a markdown title. */
export function panel(title: string, elements: object[], opts: { expanded?: boolean } = {}): object {
  return {
    tag: "collapsible_panel",
    expanded: opts.expanded ?? false,
    header: {
      title: { tag: "markdown", content: title },
      width: "fill",
      icon: { tag: "standard_icon", token: "down-small-ccm_outlined", size: "16px 16px" },
      icon_position: "right",
      icon_expanded_angle: -180,
    },
    vertical_spacing: "4px",
    elements,
  };
}

/** Components in the card body as Feishu counts them (every object with a `tag`, text objects included). */
export function countElements(c: object): number {
  let n = 0;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (typeof o.tag === "string") n++;
    for (const [k, child] of Object.entries(o)) {
      if (k === "chart_spec" || k === "rows") continue;
      visit(child);
    }
  };
  visit((c as { body?: unknown }).body);
  return n;
}

/** Head-room kept under the hard limits. */
export const CARD_SAFE_BYTES = CARD_MAX_BYTES - 1024;
export const CARD_SAFE_ELEMENTS = 190;

export function fitsLimits(c: object): boolean {
  return cardBytes(c) <= CARD_SAFE_BYTES && countElements(c) <= CARD_SAFE_ELEMENTS;
}

/** Build at detail level 0, 1, … `levels - 1` and return the first card within the limits (else the last one). */
export function fitCard<C extends object>(levels: number, build: (level: number) => C): C {
  let last = build(0);
  for (let lv = 0; lv < levels; lv++) {
    last = lv === 0 ? last : build(lv);
    if (fitsLimits(last)) return last;
  }
  return last;
}

/** A field label followed by its colon: "科室：" / "Unit: ". */
export function lbl(locale: Locale, zh: string, en: string): string {
  return locale === "en" ? `${en}: ` : `${zh}：`;
}

/** Space between two facts on one line: an ideographic space, or " · " in English. */
export function sep(locale: Locale): string {
  return locale === "en" ? " · " : "\u3000";
}

// ---------------------------------------------------------------------------------------------
// Tables and ratios (added for the summary and answer cards).

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
