/** A secondary index: its keys per document, the hash map from key to document ids, and unique checks. */
import { CommandError, ErrorCodes } from "./errors";
import { compileFilter, type Matcher } from "./engine";
import { optionsKey } from "./index-spec";
import type { Doc } from "./types";
import { EMPTY_ARRAY, formatValue, indexValues, isPlainObject, keyOf, toQueryValue } from "./values";

const MAX_KEY_COMBINATIONS = 10_000;

export class Index {
  readonly name: string;
  readonly key: Doc;
  readonly fields: string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly spec: Doc;
  private readonly partial?: Matcher;
  /** index key -> ids (canonical `_id` keys) of the documents carrying it */
  readonly entries = new Map<string, Set<string>>();

  constructor(spec: Doc) {
    this.spec = spec;
    this.name = String(spec.name);
    this.key = spec.key as Doc;
    this.fields = Object.keys(this.key);
    this.unique = spec.unique === true || spec.unique === 1;
    this.sparse = spec.sparse === true || spec.sparse === 1;
    if (isPlainObject(spec.partialFilterExpression)) {
      this.partial = compileFilter(toQueryValue(spec.partialFilterExpression));
    }
  }

  /** Can an equality filter on all fields be answered from `entries`? */
  get usableForLookup(): boolean {
    return !this.sparse && !this.partial;
  }

  optionsKey(): string {
    return optionsKey(this.spec);
  }

  /** Index keys of a document (key -> field values), or null when the document is not indexed. */
  keysFor(doc: Doc): Map<string, unknown[]> | null {
    if (this.partial && !this.partial(doc)) return null;
    const perField = this.fields.map((f) => indexValues(doc, f));
    if (this.sparse && perField.every((vals) => vals.every((v) => v === undefined))) return null;
    const out = new Map<string, unknown[]>();
    let combos: unknown[][] = [[]];
    for (const vals of perField) {
      const uniq = dedupe(vals);
      const next: unknown[][] = [];
      for (const c of combos) for (const v of uniq) next.push([...c, v]);
      combos = next;
      if (combos.length > MAX_KEY_COMBINATIONS) {
        throw new CommandError(ErrorCodes.BadValue, `too many index keys for index ${this.name}`);
      }
    }
    for (const c of combos) out.set(Index.keyOfValues(c), c);
    return out;
  }

  static keyOfValues(values: unknown[]): string {
    return values.map((v) => (v === EMPTY_ARRAY ? "U" : keyOf(v))).join("|");
  }

  add(keys: Map<string, unknown[]>, id: string): void {
    for (const k of keys.keys()) {
      let s = this.entries.get(k);
      if (!s) this.entries.set(k, (s = new Set()));
      s.add(id);
    }
  }

  remove(keys: Map<string, unknown[]>, id: string): void {
    for (const k of keys.keys()) {
      const s = this.entries.get(k);
      if (!s) continue;
      s.delete(id);
      if (s.size === 0) this.entries.delete(k);
    }
  }

  /** Throws E11000 when one of `keys` is already held by a document other than `id`. */
  checkUnique(ns: string, keys: Map<string, unknown[]>, id: string): void {
    if (!this.unique) return;
    for (const [k, values] of keys) {
      const s = this.entries.get(k);
      if (s && (s.size > 1 || !s.has(id)))
        throw duplicateKeyError(ns, this.name, this.key, this.fields, values);
    }
  }
}

function dedupe(vals: unknown[]): unknown[] {
  if (vals.length < 2) return vals.length ? vals : [undefined];
  const seen = new Map<string, unknown>();
  for (const v of vals) {
    const k = v === EMPTY_ARRAY ? "U" : keyOf(v);
    if (!seen.has(k)) seen.set(k, v);
  }
  return [...seen.values()];
}

export function duplicateKeyError(
  ns: string,
  indexName: string,
  keyPattern: Doc,
  fields: string[],
  values: unknown[],
): CommandError {
  const keyValue: Doc = {};
  fields.forEach((f, i) => {
    const v = values[i];
    keyValue[f] = v === EMPTY_ARRAY ? undefined : (v ?? null);
  });
  return new CommandError(
    ErrorCodes.DuplicateKey,
    `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: ${formatValue(keyValue)}`,
    { keyPattern: { ...keyPattern }, keyValue },
  );
}
