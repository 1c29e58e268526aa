/** Index commands: createIndexes, listIndexes, dropIndexes. */
import { type CommandContext, type CommandExecutor } from "./commands";
import { cursorReply } from "./cursors";
import { CommandError, ErrorCodes } from "./errors";
import { type Doc } from "./types";
import { isPlainObject, keyOf } from "./values";

export function createIndexes(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "createIndexes");
  const specs = cmd.indexes;
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new CommandError(ErrorCodes.BadValue, "Must specify at least one index to create");
  }
  const existing = x.store.collection(ctx.db, name);
  const before = existing ? existing.indexes.size + 1 : 1;
  const [coll, created] = x.store.ensureCollection(ctx.db, name);
  if (created) x.markChanged();
  const added: string[] = [];
  try {
    for (const spec of specs) {
      if (!isPlainObject(spec))
        throw new CommandError(ErrorCodes.BadValue, "index specification must be an object");
      if (coll.createIndex(spec)) added.push(String(spec.name ?? ""));
    }
  } catch (err) {
    // all or nothing, like MongoDB
    const names = [...coll.indexes.keys()].slice(before - 1);
    for (const n of names) coll.dropIndex(n);
    throw err;
  }
  if (added.length) x.markChanged();
  return {
    numIndexesBefore: before,
    numIndexesAfter: coll.indexes.size + 1,
    createdCollectionAutomatically: created,
    ...(added.length === 0 ? { note: "all indexes already exist" } : {}),
    ok: 1,
  };
}

export function listIndexes(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "listIndexes");
  const coll = x.store.collection(ctx.db, name);
  if (!coll) throw new CommandError(ErrorCodes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  const batchSize = isPlainObject(cmd.cursor) ? cmd.cursor.batchSize : undefined;
  return cursorReply(x.cursors.open(coll.ns, coll.indexSpecs(), batchSize), true);
}

export function dropIndexes(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, cmd.dropIndexes !== undefined ? "dropIndexes" : "deleteIndexes");
  const coll = x.store.collection(ctx.db, name);
  if (!coll) throw new CommandError(ErrorCodes.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  const was = coll.indexes.size + 1;
  const target = cmd.index;
  const dropName = (n: string) => {
    if (n === "_id_") throw new CommandError(ErrorCodes.InvalidOptions, "cannot drop _id index");
    if (!coll.indexes.has(n))
      throw new CommandError(ErrorCodes.IndexNotFound, `index not found with name [${n}]`);
  };
  if (target === "*") {
    coll.dropAllIndexes();
  } else if (typeof target === "string") {
    dropName(target);
    coll.dropIndex(target);
  } else if (Array.isArray(target)) {
    for (const n of target) dropName(String(n));
    for (const n of target) coll.dropIndex(String(n));
  } else if (isPlainObject(target)) {
    const k = keyOf(target);
    if (k === keyOf({ _id: 1 })) throw new CommandError(ErrorCodes.InvalidOptions, "cannot drop _id index");
    const idx = [...coll.indexes.values()].find((i) => keyOf(i.key) === k);
    if (!idx)
      throw new CommandError(
        ErrorCodes.IndexNotFound,
        `can't find index with key: ${JSON.stringify(target)}`,
      );
    coll.dropIndex(idx.name);
  } else {
    throw new CommandError(ErrorCodes.BadValue, "dropIndexes requires an 'index' field");
  }
  x.markChanged();
  return {
    nIndexesWas: was,
    ...(target === "*" ? { msg: "non-_id indexes dropped for collection" } : {}),
    ok: 1,
  };
}
