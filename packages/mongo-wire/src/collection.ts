/** A collection: its documents, its indexes kept in step with them, and the changes it reports. */
import { UUID } from "bson";
import { CommandError, ErrorCodes } from "./errors";
import { indexSpecFor } from "./index-spec";
import { lookupCandidates } from "./index-lookup";
import { duplicateKeyError, Index } from "./store-index";
import type { Store } from "./storage";
import type { Doc } from "./types";
import { cloneValue, indexValues, keyOf } from "./values";

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
    return lookupCandidates(filter, this.docs, this.indexes, this.seq);
  }

  /**
   * Adds an index. Returns false when an identical index already exists. Throws on conflicts and
   * (for unique indexes) when existing documents hold duplicate keys.
   */
  createIndex(input: Doc): boolean {
    const spec = indexSpecFor(input, this.indexes);
    if (!spec) return false;
    const idx = new Index(spec);
    for (const [id, doc] of this.docs) {
      const keys = idx.keysFor(doc);
      if (!keys) continue;
      idx.checkUnique(this.ns, keys, id);
      idx.add(keys, id);
    }
    this.indexes.set(idx.name, idx);
    this.emitMeta();
    return true;
  }
}
