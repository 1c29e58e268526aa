/**
 * In-memory databases, collections and indexes. Documents are kept in a Map keyed by the
 * canonical key of their `_id`; every secondary index keeps a hash map from index key to the set
 * of document ids, used for unique checks and for equality lookups.
 */
import { UUID } from "bson";
import { CommandError, ErrorCodes } from "./errors";
import { compileFilter, type Matcher } from "./engine";
import type { Doc } from "./types";
import {
  bsonType,
  cloneValue,
  EMPTY_ARRAY,
  formatValue,
  indexValues,
  isOperatorDoc,
  isPlainObject,
  keyOf,
  toQueryValue,
} from "./values";

/** Options of an index spec that matter for equality of two specs. */
const SIGNIFICANT_OPTIONS = [
  "unique",
  "sparse",
  "partialFilterExpression",
  "expireAfterSeconds",
  "collation",
  "hidden",
];
/** Spec fields that are not stored (or are set by the server). */
const DROPPED_SPEC_FIELDS = new Set(["v", "ns", "background", "key", "name"]);
const MAX_KEY_COMBINATIONS = 10_000;

export function defaultIndexName(key: Doc): string {
  return Object.keys(key)
    .map((k) => `${k}_${String(key[k])}`)
    .join("_");
}

function optionsKey(spec: Doc): string {
  return SIGNIFICANT_OPTIONS.map((o) => {
    let v = spec[o];
    if ((o === "unique" || o === "sparse" || o === "hidden") && !v) v = undefined;
    return keyOf(v);
  }).join("|");
}

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

/** Plain equality value of a filter field, or undefined when the field's condition is not an equality. */
function equalityValue(cond: unknown): { value: unknown } | undefined {
  if (cond instanceof RegExp || bsonType(cond) === "BSONRegExp" || Array.isArray(cond)) return undefined;
  if (isOperatorDoc(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 1 && keys[0] === "$eq") return equalityValue(cond.$eq);
    return undefined;
  }
  return { value: cond };
}

/** The values of `{ $in: [...] }` (scalars only; a sub-document or regex in the list gives undefined). */
function inValues(cond: unknown): unknown[] | undefined {
  if (!isOperatorDoc(cond) || !Array.isArray(cond.$in)) return undefined;
  const list = cond.$in as unknown[];
  for (const v of list) {
    if (isPlainObject(v) || equalityValue(v) === undefined) return undefined;
  }
  return list;
}

/**
 * Per field, the values a matching document must hold: one for an equality, the list for a `$in` of
 * scalars (from the top level and `$and`s). Other conditions on the field may narrow it further.
 */
function collectEqualities(filter: Doc, out: Map<string, unknown[]>): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) collectEqualities(sub, out);
      continue;
    }
    if (k.startsWith("$")) continue;
    const eq = equalityValue(v);
    const values = eq ? [eq.value] : inValues(v);
    if (values && (!out.has(k) || out.get(k)!.length > values.length)) out.set(k, values);
  }
}

/**
 * One change to the stored data, as the journal records it (see journal.ts). Documents are the stored
 * versions themselves (never modified in place), so recording one costs no copy.
 */
export type Change =
  | { o: "i"; db: string; c: string; d: Doc }
  | { o: "u"; db: string; c: string; d: Doc }
  | { o: "d"; db: string; c: string; id: unknown }
  | { o: "x"; db: string; c: string }
  | { o: "m"; db: string; c: string; meta: CollectionMeta | null };

/** What a collection is apart from its documents: enough to re-create it exactly. */
export interface CollectionMeta {
  options: Doc;
  uuid: UUID;
  indexes: Doc[];
}

/** Most index keys looked up for one filter (a product of `$in` lists); more falls back to a scan. */
const MAX_LOOKUP_KEYS = 1000;

export class Collection {
  readonly db: string;
  name: string;
  options: Doc;
  uuid: UUID;
  readonly docs = new Map<string, Doc>();
  readonly indexes = new Map<string, Index>();
  /** insertion number of each stored document (its place in `docs`), to give index hits in that order */
  private readonly seq = new Map<string, number>();
  private nextSeq = 0;
  /** set by the owning Store: where changes are reported (for the journal) */
  owner?: Store;

  constructor(db: string, name: string, options: Doc = {}, uuid?: UUID) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.uuid = uuid ?? new UUID();
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  private emit(change: Change): void {
    this.owner?.sink?.(change);
  }

  meta(): CollectionMeta {
    return { options: this.options, uuid: this.uuid, indexes: this.indexSpecs().slice(1) };
  }

  /** Reports the collection's metadata (options, uuid, index specs) as changed. */
  emitMeta(): void {
    if (this.owner?.sink) this.emit({ o: "m", db: this.db, c: this.name, meta: this.meta() });
  }

  /** All index specs including `_id_`, as listIndexes reports them. */
  indexSpecs(): Doc[] {
    return [
      { v: 2, key: { _id: 1 }, name: "_id_" },
      ...[...this.indexes.values()].map((i) => cloneValue(i.spec)),
    ];
  }

  insert(doc: Doc): void {
    const id = keyOf(doc._id);
    if (this.docs.has(id)) throw duplicateKeyError(this.ns, "_id_", { _id: 1 }, ["_id"], [doc._id]);
    const pending: Array<[Index, Map<string, unknown[]>]> = [];
    for (const idx of this.indexes.values()) {
      const keys = idx.keysFor(doc);
      if (!keys) continue;
      idx.checkUnique(this.ns, keys, id);
      pending.push([idx, keys]);
    }
    this.docs.set(id, doc);
    this.seq.set(id, this.nextSeq++);
    for (const [idx, keys] of pending) idx.add(keys, id);
    if (this.owner?.sink) this.emit({ o: "i", db: this.db, c: this.name, d: doc });
  }

  /** Replaces a stored document by a new version with the same `_id`. */
  replace(oldDoc: Doc, newDoc: Doc): void {
    const id = keyOf(oldDoc._id);
    if (keyOf(newDoc._id) !== id) {
      throw new CommandError(
        ErrorCodes.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    const pending: Array<[Index, Map<string, unknown[]> | null, Map<string, unknown[]> | null]> = [];
    for (const idx of this.indexes.values()) {
      const oldKeys = idx.keysFor(oldDoc);
      const newKeys = idx.keysFor(newDoc);
      if (newKeys) idx.checkUnique(this.ns, newKeys, id);
      pending.push([idx, oldKeys, newKeys]);
    }
    for (const [idx, oldKeys, newKeys] of pending) {
      if (oldKeys) idx.remove(oldKeys, id);
      if (newKeys) idx.add(newKeys, id);
    }
    this.docs.set(id, newDoc);
    if (this.owner?.sink) this.emit({ o: "u", db: this.db, c: this.name, d: newDoc });
  }

  remove(doc: Doc): void {
    const id = keyOf(doc._id);
    if (!this.docs.has(id)) return;
    for (const idx of this.indexes.values()) {
      const keys = idx.keysFor(doc);
      if (keys) idx.remove(keys, id);
    }
    this.docs.delete(id);
    this.seq.delete(id);
    if (this.owner?.sink) this.emit({ o: "d", db: this.db, c: this.name, id: doc._id });
  }

  /**
   * TTL: removes documents whose indexed date (earliest, for arrays) plus the index's
   * `expireAfterSeconds` lies at or before `now`. Returns how many were removed.
   */
  expire(now: number): number {
    let removed = 0;
    for (const idx of [...this.indexes.values()]) {
      const ttl = idx.spec.expireAfterSeconds;
      if (typeof ttl !== "number" || !Number.isFinite(ttl) || idx.fields.length !== 1) continue;
      const expired: Doc[] = [];
      for (const doc of this.docs.values()) {
        if (!idx.keysFor(doc)) continue;
        const dates = indexValues(doc, idx.fields[0]).filter((v): v is Date => v instanceof Date);
        if (!dates.length) continue;
        const earliest = Math.min(...dates.map((d) => d.getTime()));
        if (earliest + ttl * 1000 <= now) expired.push(doc);
      }
      for (const doc of expired) this.remove(doc);
      removed += expired.length;
    }
    return removed;
  }

  clear(): void {
    this.docs.clear();
    this.seq.clear();
    for (const idx of this.indexes.values()) idx.entries.clear();
    this.emit({ o: "x", db: this.db, c: this.name });
  }

  /** Drops a secondary index by name (no-op when absent). */
  dropIndex(name: string): void {
    if (this.indexes.delete(name)) this.emitMeta();
  }

  /** Drops every secondary index. */
  dropAllIndexes(): void {
    if (!this.indexes.size) return;
    this.indexes.clear();
    this.emitMeta();
  }

  /**
   * Documents that may match `filter`: found through `_id` or an index when the filter has an
   * equality or a `$in` of scalars on every field of one, otherwise every document. Index hits come
   * in natural order (a `_id` `$in` in list order). Callers still test each.
   */
  candidates(filter: Doc | undefined): Iterable<Doc> {
    return this.candidateList(filter) ?? this.docs.values();
  }

  /** `candidates` as a list, or undefined when that would be every document (scan `docs` then). */
  candidateList(filter: Doc | undefined): Doc[] | undefined {
    if (!filter || this.docs.size === 0) return undefined;
    const idCond = filter._id;
    if (idCond !== undefined) {
      const eq = equalityValue(idCond);
      if (eq) {
        const d = this.docs.get(keyOf(eq.value));
        return d ? [d] : [];
      }
      if (isOperatorDoc(idCond) && Object.keys(idCond).length === 1 && Array.isArray(idCond.$in)) {
        const list = idCond.$in as unknown[];
        if (list.every((v) => equalityValue(v) !== undefined && !isPlainObject(v))) {
          const out = new Map<string, Doc>();
          for (const v of list) {
            const k = keyOf(v);
            const d = this.docs.get(k);
            if (d) out.set(k, d);
          }
          return [...out.values()];
        }
      }
    }
    if (this.indexes.size === 0) return undefined;
    const eqs = new Map<string, unknown[]>();
    collectEqualities(filter, eqs);
    if (eqs.size === 0) return undefined;
    let best: Set<string> | undefined;
    for (const idx of this.indexes.values()) {
      if (!idx.usableForLookup || !idx.fields.every((f) => eqs.has(f))) continue;
      const lists = idx.fields.map((f) => eqs.get(f)!);
      const combos = lists.reduce((n, l) => n * l.length, 1);
      if (combos > MAX_LOOKUP_KEYS) continue;
      let ids: Set<string> | undefined;
      if (combos === 1) {
        ids = idx.entries.get(Index.keyOfValues(lists.map((l) => l[0])));
      } else {
        // `$in`: the union over every combination of the listed values
        ids = new Set<string>();
        const at = new Array<number>(lists.length).fill(0);
        for (let c = 0; c < combos; c++) {
          const hit = idx.entries.get(Index.keyOfValues(lists.map((l, i) => l[at[i]])));
          if (hit) for (const id of hit) ids.add(id);
          for (let i = lists.length - 1; i >= 0; i--) {
            if (++at[i] < lists[i].length) break;
            at[i] = 0;
          }
        }
      }
      if (!ids || ids.size === 0) return [];
      if (!best || ids.size < best.size) best = ids;
    }
    if (!best) return undefined;
    // In natural (insertion) order, as a scan would give them: an index changes speed, not results.
    if (best.size > this.docs.size / 4) {
      const ids = best;
      const out: Doc[] = [];
      this.docs.forEach((d, id) => {
        if (ids.has(id)) out.push(d);
      });
      return out;
    }
    const ids = [...best];
    if (ids.length > 1) ids.sort((a, b) => this.seq.get(a)! - this.seq.get(b)!);
    const out: Doc[] = [];
    for (const id of ids) {
      const d = this.docs.get(id);
      if (d) out.push(d);
    }
    return out;
  }

  /**
   * Adds an index. Returns false when an identical index already exists. Throws on conflicts and
   * (for unique indexes) when existing documents hold duplicate keys.
   */
  createIndex(input: Doc): boolean {
    const key = input.key;
    if (!isPlainObject(key) || Object.keys(key).length === 0) {
      throw new CommandError(ErrorCodes.CannotCreateIndex, "index key pattern must be a non-empty object");
    }
    for (const [f, v] of Object.entries(key)) {
      const num =
        typeof v === "number" ||
        bsonType(v) === "Long" ||
        bsonType(v) === "Int32" ||
        bsonType(v) === "Double";
      if (num ? Number(v) === 0 : v !== "hashed") {
        throw new CommandError(
          ErrorCodes.CannotCreateIndex,
          `mongo-wire does not support index type ${JSON.stringify(v)} on field '${f}' (only ascending/descending/hashed indexes)`,
        );
      }
    }
    const name = typeof input.name === "string" && input.name ? input.name : defaultIndexName(key);
    const spec: Doc = { v: 2, key: { ...key }, name };
    for (const [k, v] of Object.entries(input)) if (!DROPPED_SPEC_FIELDS.has(k)) spec[k] = v;
    const keyStr = keyOf(key);
    if (name === "_id_" || keyStr === keyOf({ _id: 1 })) {
      if (name !== "_id_" || keyStr !== keyOf({ _id: 1 })) {
        throw new CommandError(
          ErrorCodes.IndexKeySpecsConflict,
          `index name _id_ is reserved for the { _id: 1 } index`,
        );
      }
      return false;
    }
    const optKey = optionsKey(spec);
    const sameName = this.indexes.get(name);
    if (sameName) {
      if (keyOf(sameName.key) !== keyStr) {
        throw new CommandError(
          ErrorCodes.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index but a different key: ${name}`,
        );
      }
      if (sameName.optionsKey() !== optKey) {
        throw new CommandError(
          ErrorCodes.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${formatValue(spec)}, existing index: ${formatValue(sameName.spec)}`,
        );
      }
      return false;
    }
    for (const other of this.indexes.values()) {
      if (
        keyOf(other.key) === keyStr &&
        keyOf(other.spec.partialFilterExpression) === keyOf(spec.partialFilterExpression)
      ) {
        throw new CommandError(
          ErrorCodes.IndexOptionsConflict,
          `Index already exists with a different name: ${other.name}`,
        );
      }
    }
    const idx = new Index(spec);
    for (const [id, doc] of this.docs) {
      const keys = idx.keysFor(doc);
      if (!keys) continue;
      idx.checkUnique(this.ns, keys, id);
      idx.add(keys, id);
    }
    this.indexes.set(name, idx);
    this.emitMeta();
    return true;
  }
}

export class Database {
  readonly name: string;
  readonly collections = new Map<string, Collection>();
  constructor(name: string) {
    this.name = name;
  }
}

export class Store {
  readonly dbs = new Map<string, Database>();
  /** receives every change while set (the server points it at the journal) */
  sink?: (change: Change) => void;

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.collections.get(name);
  }

  /** Gets or creates a collection (and its database). Returns [collection, created]. */
  ensureCollection(db: string, name: string, options: Doc = {}): [Collection, boolean] {
    validateNamespace(db, name);
    let d = this.dbs.get(db);
    if (!d) this.dbs.set(db, (d = new Database(db)));
    let c = d.collections.get(name);
    if (c) return [c, false];
    c = new Collection(db, name, options);
    c.owner = this;
    d.collections.set(name, c);
    c.emitMeta();
    return [c, true];
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const d = this.dbs.get(db);
    const c = d?.collections.get(name);
    if (!d || !c) return undefined;
    d.collections.delete(name);
    if (d.collections.size === 0) this.dbs.delete(db);
    c.owner = undefined;
    this.sink?.({ o: "m", db, c: name, meta: null });
    return c;
  }

  /** Moves a collection to another namespace (target must not exist). */
  renameCollection(from: Collection, db: string, name: string): Collection {
    validateNamespace(db, name);
    this.dropCollection(from.db, from.name);
    const [target] = this.ensureCollection(db, name, from.options);
    target.uuid = from.uuid;
    for (const spec of from.indexSpecs().slice(1)) target.createIndex(spec);
    for (const doc of from.docs.values()) target.insert(doc);
    target.emitMeta();
    return target;
  }
}

export function validateNamespace(db: string, coll: string): void {
  if (!db || /[/\\. "$\0]/.test(db) || db.length > 64) {
    throw new CommandError(ErrorCodes.InvalidNamespace, `Invalid database name: '${db}'`);
  }
  if (!coll || coll.includes("\0") || coll.includes("$") || coll.startsWith(".") || coll.endsWith(".")) {
    throw new CommandError(ErrorCodes.InvalidNamespace, `Invalid collection name: '${coll}'`);
  }
}
