// Escaping and clipping of data that reaches a markdown component: `esc`, `clip`, `escLine`, `escBlock`.

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
