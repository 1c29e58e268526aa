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

/** HTML entities for every character that could make data into markup (Feishu's markdown decodes them). */
const MD_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "*": "&#42;",
  _: "&#95;",
  "~": "&#126;",
  "`": "&#96;",
  "[": "&#91;",
  "]": "&#93;",
  "(": "&#40;",
  ")": "&#41;",
  "#": "&#35;",
  "|": "&#124;",
  "\\": "&#92;",
  $: "&#36;",
};

/**
 * THE escaping function for data that reaches a markdown component (names, titles, narratives,
 * reasons…): no `<at id=all>`, `<font>`, link, emphasis, heading, table cell or list item can come
 * out of data. `<`, `>` and `&` become entities, so no tag survives even a parser that ignores
 * backslashes; markdown punctuation too; a list marker at the start of a line is defused. Newlines are
 * kept: `escLine` folds them for one-line places (table cells, list items).
 * https://open.feishu.cn/document/feishu-cards/card-components/content-components/rich-text
 */
export function esc(text: string): string {
  return text
    .replace(/[&<>*_~`[\]()#|\\$]/g, (c) => MD_ENTITIES[c])
    .replace(/^([ \t]*)([-+]|\d+\.)(?=[ \t]|$)/gm, (_m, sp: string, mark: string) =>
      mark.endsWith(".") ? `${sp}${mark.slice(0, -1)}&#46;` : `${sp}${mark === "-" ? "&#45;" : "&#43;"}`,
    );
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

/**
 * Build at detail level 0, 1, … `levels - 1` and return the first card within the limits; when none is,
 * the last level cut down by `trimToLimits`.
 */
export function fitCard<C extends object>(levels: number, build: (level: number) => C): C {
  let last = build(0);
  for (let lv = 0; lv < levels; lv++) {
    last = lv === 0 ? last : build(lv);
    if (fitsLimits(last)) return last;
  }
  return trimToLimits(last);
}

/** "…另有 N 项" / "…and N more": what a generic cut leaves in place of what it removed. */
export function trimmedText(locale: Locale, n: number): string {
  return tr(locale, `…另有 ${n} 项`, `…and ${n} more`);
}

type Obj = Record<string, unknown>;

/** Something a card can lose from its end: lines of one markdown, rows of a table, elements of a list. */
interface Cut {
  /** Cutting elements also lowers the component count; lines and rows only the bytes. */
  elements: boolean;
  size: number;
  /** How many units are kept now (≥ 1). */
  kept: number;
  /** Keep only the first `n` units and say how many went. */
  keep(n: number): void;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A form, or anything holding a form's submit button, must never be cut. */
function holdsForm(v: unknown): boolean {
  return JSON.stringify(v).includes('"form_action_type"') || (isObj(v) && v.tag === "form");
}

const byteSize = (v: unknown) => Buffer.byteLength(JSON.stringify(v), "utf8");

/** Every place of the card (already a private copy) that could be shortened, with its current size. */
function cutsOf(c: Obj, locale: Locale, state: Map<object, { all: unknown[]; kept: number }>): Cut[] {
  const cuts: Cut[] = [];
  const more = (n: number) => trimmedText(locale, n);
  const visitArray = (arr: unknown[]): void => {
    for (const el of arr) visit(el);
    // Forms (and whatever holds a submit button) always stay; the other elements go from the end.
    const st = state.get(arr) ?? { all: [...arr], kept: arr.filter((el) => !holdsForm(el)).length };
    const total = st.all.filter((el) => !holdsForm(el)).length;
    if (st.kept > 1)
      cuts.push({
        elements: true,
        size: byteSize(arr),
        kept: st.kept,
        keep(n) {
          st.kept = Math.max(1, Math.min(n, st.kept - 1));
          state.set(arr, st);
          const out: unknown[] = [];
          let seen = 0;
          for (const el of st.all) {
            if (holdsForm(el)) out.push(el);
            else if (seen++ < st.kept) out.push(el);
            else if (seen === st.kept + 1) out.push(md(more(total - st.kept), { size: "notation" }));
          }
          arr.splice(0, arr.length, ...out);
        },
      });
  };
  const visit = (v: unknown): void => {
    // A form is kept whole: cutting its fields would change what is submitted.
    if (!isObj(v) || v.tag === "form") return;
    if (v.tag === "markdown" && typeof v.content === "string") {
      const st = state.get(v) ?? { all: v.content.split("\n"), kept: v.content.split("\n").length };
      if (st.kept > 1)
        cuts.push({
          elements: false,
          size: byteSize(v.content),
          kept: st.kept,
          keep(n) {
            st.kept = Math.max(1, Math.min(n, st.kept - 1));
            v.content = [...st.all.slice(0, st.kept), more(st.all.length - st.kept)].join("\n");
            state.set(v, st);
          },
        });
      return;
    }
    if (v.tag === "table" && Array.isArray(v.rows)) {
      const rows = v.rows;
      const st = state.get(rows) ?? { all: [...rows], kept: rows.length };
      if (st.kept > 1)
        cuts.push({
          elements: false,
          size: byteSize(rows),
          kept: st.kept,
          keep(n) {
            st.kept = Math.max(1, Math.min(n, st.kept - 1));
            rows.splice(0, rows.length, ...st.all.slice(0, st.kept));
            state.set(rows, st);
            v.page_size = Math.max(1, Math.min(10, st.kept, Number(v.page_size) || 10));
          },
        });
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      if (k === "chart_spec") continue;
      if (Array.isArray(child) && k === "elements") visitArray(child);
      else visit(child);
    }
  };
  const body = c.body;
  if (isObj(body) && Array.isArray(body.elements)) visitArray(body.elements);
  return cuts;
}

/**
 * The last resort of size fitting, applied to every card on its way out (builders' own `fitCard`
 * levels come first): while the card is over the limits, cut the biggest list it holds (lines of a
 * markdown, rows of a table, trailing elements, never a form) and say "…另有 N 项" where it was cut.
 * Returns the card itself when it fits, else a trimmed copy.
 */
export function trimToLimits<C extends object>(c: C): C {
  if (fitsLimits(c)) return c;
  const out = structuredClone(c) as C & Obj;
  const title = isObj(out.header) && isObj(out.header.title) ? String(out.header.title.content ?? "") : "";
  const locale: Locale = /[\u3400-\u9fff]/.test(title) || !title ? "zh" : "en";
  const state = new Map<object, { all: unknown[]; kept: number }>();
  for (let round = 0; round < 500 && !fitsLimits(out); round++) {
    const tooMany = countElements(out) > CARD_SAFE_ELEMENTS;
    const cuts = cutsOf(out, locale, state).filter((x) => x.elements || !tooMany);
    if (!cuts.length) break;
    const biggest = cuts.reduce((a, b) => (b.size > a.size ? b : a));
    const excess = tooMany
      ? ((countElements(out) - CARD_SAFE_ELEMENTS) * biggest.size) / Math.max(1, countElements(out))
      : cardBytes(out) - CARD_SAFE_BYTES;
    const share = Math.min(0.5, excess / Math.max(1, biggest.size));
    biggest.keep(Math.floor(biggest.kept * (1 - share)));
  }
  return out;
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
