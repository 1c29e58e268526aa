/** Campaign file checks: small helpers — raw keys, null dropping, "did you mean" suggestions, unknown field and reference messages. */
import { bi, type Dict, keyOf } from "./collector";
import { type FileError } from "./file";
import {
  assignmentSchema,
  checkItemSchema,
  checklistSchema,
  KNOWN_FIELDS,
  personSchema,
  schedulesSchema,
  sectionSchema,
  unitSchema,
} from "./schema";
import { type Path } from "./source-map";

/** Keys of the elements of a raw list, including elements that failed validation (avoids cascades). */
export function rawKeys(list: unknown): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(list))
    for (const element of list) {
      const k = keyOf(element);
      if (k) out.add(k);
    }
  return out;
}

export function byLine(entries: FileError[]): FileError[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.line - b.e.line || (a.e.column ?? 0) - (b.e.column ?? 0) || a.i - b.i)
    .map(({ e }) => e);
}

export function isPlainObject(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Map entries whose value is null (`head:` left empty) count as absent. */
export function dropNulls(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => (v === null ? v : dropNulls(v)));
  if (isPlainObject(value)) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null) out[k] = dropNulls(v);
    }
    return out;
  }
  return value;
}

/** A known word within a small edit distance of `word`, as a hint in both languages (or empty). */
export function suggest(word: string, known: Iterable<string>): { zh: string; en: string } {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestDistance > 0 && bestDistance <= limit
    ? { zh: `（是不是 "${best}"？）`, en: ` (did you mean "${best}"?)` }
    : { zh: "", en: "" };
}

const REF_WORDS = {
  unit: ["单位", "须是 units 中某个单位的 key"],
  person: ["人员", "须是 people 中某个人员的 key"],
  item: ["事项或分节", "须是事项的 key 或标题、分节的 key 或编号，或 all"],
} as const;

/** `unknown unit "x"`, with the rule for what may be named there and a "did you mean". */
export function unknownRef(kind: keyof typeof REF_WORDS, ref: string, known: string[]): string {
  const [zhKind, zhRule] = REF_WORDS[kind];
  const hint = suggest(ref, known);
  const en = kind === "item" ? "item or section" : kind;
  return bi(`未知${zhKind} "${ref}"：${zhRule}${hint.zh}`, `unknown ${en} "${ref}"${hint.en}`);
}

/** `unknown field "x"`, listing the fields allowed there. */
export function unknownField(field: string, allowed: readonly string[]): string {
  const hint = suggest(field, allowed.length ? allowed : KNOWN_FIELDS);
  const list = allowed.length ? `（可用字段：${allowed.join("、")}）` : "";
  return bi(`未知字段 "${field}"${list}${hint.zh}`, `unknown field "${field}"${hint.en}`);
}

/** The fields a map at `path` may have (the object that holds an unknown field). */
export function fieldsAt(path: Path): readonly string[] {
  const keys = (shape: object) => Object.keys(shape);
  const [head] = path;
  const depth = path.length;
  if (head === "units" && depth === 2) return keys(unitSchema.shape);
  if (head === "people" && depth === 2) return keys(personSchema.shape);
  if (head === "assignments" && depth === 2) return keys(assignmentSchema.shape);
  if (head === "chats" && depth === 2) return ["chat_id", "name"];
  if (head === "escalation" && depth === 2) return ["to", "after"];
  if (head === "schedules" && depth === 1) return keys(schedulesSchema.shape);
  if (head === "follow_up" && depth === 1) return ["after_days"];
  if (head === "checklist") {
    if (depth === 1) return keys(checklistSchema.shape);
    if (depth === 3) return keys(sectionSchema.shape);
    if (depth === 5) return keys(checkItemSchema.shape);
  }
  return [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
