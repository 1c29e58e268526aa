/**
 * Card rules that JSON Schema cannot express (NOTES.md, "Rules the schema cannot express").
 * Each check returns the first violation it finds (with a readable path), or undefined.
 */

export interface RuleViolation {
  /** Top-level Feishu code: 230099 (build failed). */
  code: number;
  /** 230099 sub-code (ErrCode in Feishu's message). */
  errCode: number;
  /** Feishu-style ErrMsg. */
  errMsg: string;
  /** Feishu-style ErrorValue. */
  errorValue: string;
  /** JSON pointer into the card. */
  path: string;
  /** Human-readable detail for the `errors` list. */
  message: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export const MAX_ELEMENTS = 200;
export const MAX_NESTING = 5;
export const MAX_MARKDOWN_TABLES = 4;

const CONTAINER_TAGS = new Set(["column_set", "form", "collapsible_panel", "interactive_container"]);
const OPTION_TAGS = new Set([
  "select_static",
  "multi_select_static",
  "overflow",
  "select_person",
  "multi_select_person",
  "select_img",
]);
/** Subtrees that hold user data rather than card components. */
const OPAQUE_KEYS = new Set(["chart_spec", "rows"]);

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function ptr(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

/** Visit every object under `node` (depth first), skipping opaque data subtrees. */
function walk(node: unknown, path: string, visit: (obj: JsonObject, path: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => walk(v, ptr(path, i), visit));
    return;
  }
  if (!isObject(node)) return;
  visit(node, path);
  for (const [k, v] of Object.entries(node)) {
    if (OPAQUE_KEYS.has(k)) continue;
    walk(v, ptr(path, k), visit);
  }
}

function violation(
  errCode: number,
  errMsg: string,
  errorValue: string,
  path: string,
  message: string,
): RuleViolation {
  return { code: 230099, errCode, errMsg, errorValue, path, message };
}

/** Rule 2: at most 200 components in body (every object with a `tag`, text objects included). */
export function checkElementCount(card: JsonObject): RuleViolation | undefined {
  let count = 0;
  walk(card.body, "/body", (obj) => {
    if (typeof obj.tag === "string") count++;
  });
  if (count > MAX_ELEMENTS) {
    return violation(
      11310,
      "element exceeds the limit",
      `element count ${count} > ${MAX_ELEMENTS}`,
      "/body",
      `card has ${count} components (objects with a tag); the limit is ${MAX_ELEMENTS}`,
    );
  }
  return undefined;
}

/** Rule 3: element_id unique across the card (header, text objects and tags included). */
export function checkUniqueElementIds(card: JsonObject): RuleViolation | undefined {
  const seen = new Map<string, string>();
  let found: RuleViolation | undefined;
  walk(card, "", (obj, path) => {
    if (found || typeof obj.element_id !== "string") return;
    const first = seen.get(obj.element_id);
    if (first !== undefined) {
      found = violation(
        11310,
        "element_id is duplicated",
        `element_id: ${obj.element_id}`,
        ptr(path, "element_id"),
        `element_id "${obj.element_id}" is already used at ${first}`,
      );
      return;
    }
    seen.set(obj.element_id, ptr(path, "element_id"));
  });
  return found;
}

/** Rule 4: `name` unique across the whole card (forms and interactive components). */
export function checkUniqueNames(card: JsonObject): RuleViolation | undefined {
  const seen = new Map<string, string>();
  let found: RuleViolation | undefined;
  walk(card.body, "/body", (obj, path) => {
    if (found || typeof obj.tag !== "string" || typeof obj.name !== "string") return;
    const first = seen.get(obj.name);
    if (first !== undefined) {
      found = violation(
        11310,
        "name is duplicated",
        `name: ${obj.name}`,
        ptr(path, "name"),
        `name "${obj.name}" is already used at ${first}`,
      );
      return;
    }
    seen.set(obj.name, ptr(path, "name"));
  });
  return found;
}

/** Child element arrays of a container, with their paths. column_set+column count as one level. */
function childLists(el: JsonObject, path: string): Array<{ list: Json[]; path: string }> {
  const out: Array<{ list: Json[]; path: string }> = [];
  if (el.tag === "column_set" && Array.isArray(el.columns)) {
    el.columns.forEach((col, i) => {
      if (isObject(col) && Array.isArray(col.elements)) {
        out.push({ list: col.elements, path: ptr(ptr(ptr(path, "columns"), i), "elements") });
      }
    });
  } else if (Array.isArray(el.elements)) {
    out.push({ list: el.elements, path: ptr(path, "elements") });
  }
  return out;
}

/** Rule 5: container nesting at most 5 levels. */
export function checkNesting(card: JsonObject): RuleViolation | undefined {
  const body = card.body;
  if (!isObject(body) || !Array.isArray(body.elements)) return undefined;
  let found: RuleViolation | undefined;
  const visit = (list: Json[], path: string, depth: number): void => {
    list.forEach((el, i) => {
      if (found || !isObject(el) || typeof el.tag !== "string" || !CONTAINER_TAGS.has(el.tag)) return;
      const here = ptr(path, i);
      const level = depth + 1;
      if (level > MAX_NESTING) {
        found = violation(
          11310,
          "the nesting level of components exceeds the limit",
          `nesting level ${level} > ${MAX_NESTING}`,
          here,
          `container ${el.tag} is at nesting level ${level}; at most ${MAX_NESTING} levels are allowed`,
        );
        return;
      }
      for (const child of childLists(el, here)) visit(child.list, child.path, level);
    });
  };
  visit(body.elements, "/body/elements", 0);
  return found;
}

/** Rule 6: option values unique within one select / multi-select / overflow. */
export function checkOptionValues(card: JsonObject): RuleViolation | undefined {
  let found: RuleViolation | undefined;
  walk(card.body, "/body", (obj, path) => {
    if (found || typeof obj.tag !== "string" || !OPTION_TAGS.has(obj.tag) || !Array.isArray(obj.options))
      return;
    const seen = new Set<string>();
    obj.options.forEach((opt, i) => {
      if (found || !isObject(opt) || typeof opt.value !== "string") return;
      if (seen.has(opt.value)) {
        found = violation(
          11310,
          "option value is duplicated",
          `value: ${opt.value}`,
          ptr(ptr(ptr(path, "options"), i), "value"),
          `option value "${opt.value}" appears more than once in this ${obj.tag}`,
        );
      }
      seen.add(opt.value);
    });
  });
  return found;
}

function cellFits(dataType: string, cell: Json): boolean {
  if (cell === null) return true; // an empty cell
  switch (dataType) {
    case "number":
    case "date":
      return typeof cell === "number" && Number.isFinite(cell);
    case "persons":
      return typeof cell === "string" || (Array.isArray(cell) && cell.every((v) => typeof v === "string"));
    case "options":
      return (
        typeof cell === "string" ||
        (Array.isArray(cell) && cell.every((v) => isObject(v) && typeof v.text === "string"))
      );
    case "text":
    case "lark_md":
    case "markdown":
      return typeof cell === "string";
    default:
      return true;
  }
}

/** Rule 7: table rows use declared column names (200915) and cells fit data_type (200914). */
export function checkTables(card: JsonObject): RuleViolation | undefined {
  const body = card.body;
  if (!isObject(body) || !Array.isArray(body.elements)) return undefined;
  for (let i = 0; i < body.elements.length; i++) {
    const el = body.elements[i];
    if (!isObject(el) || el.tag !== "table" || !Array.isArray(el.columns) || !Array.isArray(el.rows))
      continue;
    const base = ptr("/body/elements", i);
    const types = new Map<string, string>();
    for (const c of el.columns) {
      if (isObject(c) && typeof c.name === "string")
        types.set(c.name, typeof c.data_type === "string" ? c.data_type : "text");
    }
    for (let r = 0; r < el.rows.length; r++) {
      const row = el.rows[r];
      if (!isObject(row)) continue;
      for (const [key, cell] of Object.entries(row)) {
        const cellPath = ptr(ptr(ptr(base, "rows"), r), key);
        const dt = types.get(key);
        if (dt === undefined) {
          return violation(
            200915,
            "table rows name is invalid",
            `row ${r} key: ${key}`,
            cellPath,
            `row key "${key}" is not a declared column name (${[...types.keys()].join(", ")})`,
          );
        }
        if (!cellFits(dt, cell)) {
          return violation(
            200914,
            "table rows is invalid",
            `row ${r} column ${key}: ${JSON.stringify(cell)}`,
            cellPath,
            `cell does not fit column data_type "${dt}"`,
          );
        }
      }
    }
  }
  return undefined;
}

const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** Number of markdown tables in a markdown string (one per header separator row). */
export function countMarkdownTables(content: string): number {
  let n = 0;
  for (const line of content.split(/\r?\n/)) {
    if (line.includes("|") && line.includes("-") && TABLE_SEPARATOR.test(line)) n++;
  }
  return n;
}

/** Rule 8: at most 4 markdown tables in one markdown component. */
export function checkMarkdownTables(card: JsonObject): RuleViolation | undefined {
  let found: RuleViolation | undefined;
  walk(card.body, "/body", (obj, path) => {
    if (found || obj.tag !== "markdown") return;
    const texts: Array<{ text: string; path: string }> = [];
    if (typeof obj.content === "string") texts.push({ text: obj.content, path: ptr(path, "content") });
    if (isObject(obj.i18n_content)) {
      for (const [loc, t] of Object.entries(obj.i18n_content)) {
        if (typeof t === "string") texts.push({ text: t, path: ptr(ptr(path, "i18n_content"), loc) });
      }
    }
    for (const t of texts) {
      const n = countMarkdownTables(t.text);
      if (n > MAX_MARKDOWN_TABLES) {
        found = violation(
          11310,
          "card table number over limit",
          `markdown tables: ${n}`,
          t.path,
          `markdown has ${n} tables; at most ${MAX_MARKDOWN_TABLES} per markdown component`,
        );
        return;
      }
    }
  });
  return found;
}

export const CODE_RULES: ReadonlyArray<(card: JsonObject) => RuleViolation | undefined> = [
  checkElementCount,
  checkUniqueElementIds,
  checkUniqueNames,
  checkNesting,
  checkOptionValues,
  checkTables,
  checkMarkdownTables,
];

/** Every rule's first violation, in rule order (empty when the card passes). */
export function runCodeRules(card: unknown): RuleViolation[] {
  if (!isObject(card)) return [];
  const out: RuleViolation[] = [];
  for (const rule of CODE_RULES) {
    const v = rule(card);
    if (v) out.push(v);
  }
  return out;
}
