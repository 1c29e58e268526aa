/** CRUD commands (reads and plain writes): find, getMore, killCursors, count, distinct, insert, delete. */
import { ObjectId } from "bson";
import { compare as mingoCompare } from "mingo/util";
import { checkId } from "./cmd-update";
import { type CommandContext, type CommandExecutor } from "./commands";
import { cursorReply } from "./cursors";
import { project } from "./engine";
import { CommandError, ErrorCodes, toCommandError } from "./errors";
import { fastProject } from "./fastpath";
import { type Doc } from "./types";
import {
  cloneValue,
  EMPTY_ARRAY,
  idFirst,
  indexValues,
  isPlainObject,
  keyOf,
  toNumber,
  toQueryValue,
} from "./values";

export function find(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "find");
  if (cmd.tailable === true) {
    throw new CommandError(
      ErrorCodes.BadValue,
      "tailable cursors are not supported (mongo-wire has no capped collections)",
    );
  }
  const ns = `${ctx.db}.${name}`;
  const coll = x.store.collection(ctx.db, name);
  const filter = toQueryValue(isPlainObject(cmd.filter) ? cmd.filter : {});
  const eo = x.engineOptions(cmd, ctx.db);
  const skip = Math.max(0, toNumber(cmd.skip));
  const limit = Math.abs(toNumber(cmd.limit));
  let docs = x.matching(coll, filter, eo, cmd.sort, limit ? skip + limit : undefined);
  if (skip) docs = docs.slice(skip);
  if (limit) docs = docs.slice(0, limit);
  if (isPlainObject(cmd.projection) && Object.keys(cmd.projection).length) {
    const projection = toQueryValue(cmd.projection);
    docs = fastProject(docs, projection) ?? project(docs.map(cloneValue), projection, filter, eo);
  }
  const singleBatch = cmd.singleBatch === true || toNumber(cmd.limit) < 0;
  return cursorReply(x.cursors.open(ns, docs, cmd.batchSize, singleBatch), true);
}

export function getMore(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "collection");
  return cursorReply(x.cursors.getMore(cmd.getMore, `${ctx.db}.${name}`, cmd.batchSize), false);
}

export function killCursors(x: CommandExecutor, cmd: Doc): Doc {
  const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
  const { killed, notFound } = x.cursors.kill(ids);
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

export function count(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "count");
  const coll = x.store.collection(ctx.db, name);
  const filter = toQueryValue(isPlainObject(cmd.query) ? cmd.query : {});
  let n: number;
  if (!coll) n = 0;
  else if (Object.keys(filter).length === 0) n = coll.docs.size;
  else n = x.matching(coll, filter, x.engineOptions(cmd, ctx.db)).length;
  const skip = Math.max(0, toNumber(cmd.skip));
  const limit = Math.abs(toNumber(cmd.limit));
  n = Math.max(0, n - skip);
  if (limit) n = Math.min(n, limit);
  return { n, ok: 1 };
}

export function distinct(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "distinct");
  const key = cmd.key;
  if (typeof key !== "string" || !key)
    throw new CommandError(ErrorCodes.TypeMismatch, "distinct: 'key' must be a non-empty string");
  const coll = x.store.collection(ctx.db, name);
  const filter = toQueryValue(isPlainObject(cmd.query) ? cmd.query : {});
  const seen = new Map<string, unknown>();
  for (const doc of x.matching(coll, filter, x.engineOptions(cmd, ctx.db))) {
    for (const v of indexValues(doc, key)) {
      if (v === undefined || v === EMPTY_ARRAY) continue;
      const k = keyOf(v);
      if (!seen.has(k)) seen.set(k, v);
    }
  }
  const values = [...seen.values()].sort((a, b) => mingoCompare(a, b));
  return { values, ok: 1 };
}

export function insert(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "insert");
  const docs = cmd.documents;
  if (!Array.isArray(docs))
    throw new CommandError(ErrorCodes.BadValue, "insert: 'documents' must be an array");
  const ordered = cmd.ordered !== false;
  const [coll, created] = x.store.ensureCollection(ctx.db, name);
  if (created) x.markChanged();
  const writeErrors: Doc[] = [];
  let n = 0;
  for (let i = 0; i < docs.length; i++) {
    try {
      const raw = docs[i];
      if (!isPlainObject(raw))
        throw new CommandError(ErrorCodes.BadValue, "document to insert must be an object");
      const doc = raw._id === undefined ? { _id: new ObjectId(), ...raw } : idFirst(raw);
      checkId(doc._id);
      coll.insert(doc);
      n++;
    } catch (err) {
      writeErrors.push(toCommandError(err).toWriteError(i));
      if (ordered) break;
    }
  }
  if (n) x.markChanged();
  return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}

export function deleteCommand(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "delete");
  const deletes = cmd.deletes;
  if (!Array.isArray(deletes))
    throw new CommandError(ErrorCodes.BadValue, "delete: 'deletes' must be an array");
  const ordered = cmd.ordered !== false;
  const coll = x.store.collection(ctx.db, name);
  const writeErrors: Doc[] = [];
  let n = 0;
  for (let i = 0; i < deletes.length; i++) {
    try {
      const stmt = deletes[i];
      if (!isPlainObject(stmt))
        throw new CommandError(ErrorCodes.BadValue, "delete statement must be an object");
      const limit = toNumber(stmt.limit);
      if (limit !== 0 && limit !== 1)
        throw new CommandError(ErrorCodes.BadValue, "The limit field in delete objects must be 0 or 1");
      const filter = toQueryValue(isPlainObject(stmt.q) ? stmt.q : {});
      const eo = x.engineOptions({ let: cmd.let }, ctx.db);
      const targets = x.matching(coll, filter, eo, undefined, limit === 1 ? 1 : undefined);
      for (const d of targets) coll!.remove(d);
      n += targets.length;
      if (targets.length) x.markChanged();
    } catch (err) {
      writeErrors.push(toCommandError(err).toWriteError(i));
      if (ordered) break;
    }
  }
  return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}
