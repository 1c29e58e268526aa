/**
 * The store: its databases and the namespace rules. Collections (collection.ts) keep documents in a
 * Map keyed by the canonical key of their `_id`; secondary indexes (store-index.ts) keep a hash map
 * from index key to the set of document ids, used for unique checks and for equality lookups.
 */
import { Collection, type Change } from "./collection";
import { CommandError, ErrorCodes } from "./errors";
import type { Doc } from "./types";

export { Collection, type Change, type CollectionMeta } from "./collection";
export { defaultIndexName } from "./index-spec";
export { duplicateKeyError, Index } from "./store-index";

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
