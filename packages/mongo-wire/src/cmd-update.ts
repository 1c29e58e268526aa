/** Update commands: update, findAndModify, and the update document rules (operators, replacement, pipeline, upsert). */
import { ObjectId } from "bson";
import { type CommandContext, type CommandExecutor } from "./commands";
import { applyOperatorsMany, applyPipeline, type EngineOptions, project } from "./engine";
import { CommandError, ErrorCodes, toCommandError } from "./errors";
import { type Doc } from "./types";
import {
  bsonType,
  cloneValue,
  getPath,
  idFirst,
  isOperatorDoc,
  isPlainObject,
  keyOf,
  setPath,
  toQueryValue,
} from "./values";

const UPDATE_OPERATORS = new Set([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$rename",
  "$push",
  "$addToSet",
  "$pop",
  "$pull",
  "$pullAll",
  "$bit",
  "$currentDate",
  "$setOnInsert",
]);

type UpdateKind = "operators" | "replacement" | "pipeline";

function updateKind(u: unknown): UpdateKind {
  if (Array.isArray(u)) {
    if (!u.every(isPlainObject))
      throw new CommandError(ErrorCodes.FailedToParse, "pipeline update stages must be objects");
    return "pipeline";
  }
  if (!isPlainObject(u))
    throw new CommandError(ErrorCodes.FailedToParse, "Update argument must be either an object or an array");
  const keys = Object.keys(u);
  const dollar = keys.filter((k) => k.startsWith("$"));
  if (dollar.length === 0) return "replacement";
  if (dollar.length !== keys.length) {
    const plain = keys.find((k) => !k.startsWith("$"));
    throw new CommandError(
      ErrorCodes.FailedToParse,
      `Unknown modifier: ${plain}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  for (const k of keys) {
    if (!UPDATE_OPERATORS.has(k)) {
      throw new CommandError(
        ErrorCodes.FailedToParse,
        `Unknown modifier: ${k}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isPlainObject(u[k])) {
      throw new CommandError(
        ErrorCodes.FailedToParse,
        `Modifiers operate on fields but we found type ${typeof u[k]} instead. For example: {$mod: {<field>: ...}} not {${k}: ${String(u[k])}}`,
      );
    }
  }
  return "operators";
}

export function checkId(id: unknown): void {
  if (Array.isArray(id)) throw new CommandError(ErrorCodes.BadValue, "can't use an array for _id");
  if (id instanceof RegExp || bsonType(id) === "BSONRegExp") {
    throw new CommandError(ErrorCodes.BadValue, "can't use a regex for _id");
  }
  if (id === undefined) throw new CommandError(ErrorCodes.BadValue, "_id is required");
}

/** Paths touched by an operator update must not overlap ("a" and "a.b" conflict). */
function checkConflicts(ops: Doc): void {
  const seen: Array<[string, string]> = [];
  for (const [op, spec] of Object.entries(ops)) {
    const paths = Object.keys(spec as Doc);
    if (op === "$rename") for (const v of Object.values(spec as Doc)) paths.push(String(v));
    for (const p of paths) {
      for (const [q] of seen) {
        if (p === q || p.startsWith(`${q}.`) || q.startsWith(`${p}.`)) {
          throw new CommandError(
            40,
            `Updating the path '${p}' would create a conflict at '${p.length < q.length ? p : q}'`,
          );
        }
      }
      seen.push([p, op]);
    }
  }
}

/** MongoDB rejects $inc/$mul on non-numeric values; mingo would silently skip them. */
function checkNumeric(doc: Doc, ops: Doc): void {
  for (const op of ["$inc", "$mul"]) {
    const spec = ops[op];
    if (!isPlainObject(spec)) continue;
    for (const [path, by] of Object.entries(spec)) {
      if (typeof by !== "number") {
        throw new CommandError(
          ErrorCodes.TypeMismatch,
          `Cannot ${op === "$inc" ? "increment" : "multiply"} with non-numeric argument: {${path}: ${String(by)}}`,
        );
      }
      if (path.includes("$")) continue;
      const cur = getPath(doc, path);
      if (cur !== undefined && typeof cur !== "number") {
        throw new CommandError(
          ErrorCodes.TypeMismatch,
          `Cannot apply ${op} to a value of non-numeric type. {_id: ${String(doc._id)}} has the field '${path}' of non-numeric type ${Array.isArray(cur) ? "array" : typeof cur}`,
        );
      }
    }
  }
}

interface UpdateOptions {
  arrayFilters?: Doc[];
  filter?: Doc;
  insert: boolean;
  eo: EngineOptions;
}

/**
 * Computes the new versions of `olds` (left untouched), in order. An entry is a CommandError when
 * that document cannot be updated; callers apply the entries before it and then throw it.
 */
function computeUpdates(
  olds: Doc[],
  u: unknown,
  kind: UpdateKind,
  o: UpdateOptions,
): Array<Doc | CommandError> {
  let results: Array<Doc | CommandError>;
  if (kind === "pipeline") {
    results = applyPipeline(olds.map(cloneValue), u as Doc[], o.eo);
  } else if (kind === "replacement") {
    const rep = u as Doc;
    results = olds.map((old) => {
      if (rep._id !== undefined && !o.insert && keyOf(rep._id) !== keyOf(old._id)) {
        return new CommandError(
          ErrorCodes.ImmutableField,
          `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${String(rep._id)}`,
        );
      }
      const next: Doc = { _id: old._id };
      for (const [k, v] of Object.entries(rep)) if (k !== "_id") next[k] = cloneValue(v);
      return next;
    });
  } else {
    const ops: Doc = { ...(u as Doc) };
    const setOnInsert = ops.$setOnInsert as Doc | undefined;
    delete ops.$setOnInsert;
    checkConflicts(o.insert && setOnInsert ? { ...ops, $setOnInsert: setOnInsert } : ops);
    const effective = Object.fromEntries(
      Object.entries(ops).filter(([, spec]) => Object.keys(spec as Doc).length > 0),
    );
    results = olds.map((old) => {
      const next = cloneValue(old);
      try {
        checkNumeric(next, ops);
      } catch (err) {
        return toCommandError(err);
      }
      return next;
    });
    const ok = results.filter((r): r is Doc => !(r instanceof CommandError));
    if (Object.keys(effective).length) {
      applyOperatorsMany(ok, cloneValue(effective), o.arrayFilters, o.insert ? undefined : o.filter, o.eo);
    }
    if (o.insert && setOnInsert && Object.keys(setOnInsert).length) {
      applyOperatorsMany(ok, { $set: cloneValue(setOnInsert) }, o.arrayFilters, undefined, o.eo);
    }
  }
  return results.map((next, i) => {
    if (next instanceof CommandError) return next;
    if (!o.insert && keyOf(next._id) !== keyOf(olds[i]._id)) {
      return new CommandError(
        ErrorCodes.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    let out = next;
    if (out._id === undefined) out = { _id: new ObjectId(), ...out };
    try {
      checkId(out._id);
    } catch (err) {
      return toCommandError(err);
    }
    return idFirst(out);
  });
}

/** Single-document form of computeUpdates (throws). */
function computeUpdate(old: Doc, u: unknown, kind: UpdateKind, o: UpdateOptions): Doc {
  const [r] = computeUpdates([old], u, kind, o);
  if (r instanceof CommandError) throw r;
  return r;
}

/** Equality conditions of a filter, as the seed of an upserted document. */
function seedFromFilter(filter: Doc, seed: Doc): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) seedFromFilter(sub, seed);
      continue;
    }
    if (k.startsWith("$")) continue;
    let value: unknown = v;
    if (isOperatorDoc(v)) {
      if (Object.keys(v).length === 1 && "$eq" in v) value = v.$eq;
      else continue;
    }
    if (value instanceof RegExp) continue;
    if (getPath(seed, k) !== undefined) continue;
    try {
      setPath(seed, k, cloneValue(value));
    } catch {
      // conflicting paths: skip
    }
  }
}

function upsertDocument(
  filter: Doc,
  u: unknown,
  kind: UpdateKind,
  o: { arrayFilters?: Doc[]; eo: EngineOptions },
): Doc {
  const seed: Doc = {};
  seedFromFilter(filter, seed);
  let doc: Doc;
  if (kind === "replacement") {
    doc = cloneValue(u as Doc);
    if (doc._id === undefined && seed._id !== undefined) doc = { _id: seed._id, ...doc };
  } else {
    doc = computeUpdate(seed, u, kind, { arrayFilters: o.arrayFilters, insert: true, eo: o.eo });
  }
  if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
  checkId(doc._id);
  return idFirst(doc);
}

export function updateCommand(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "update");
  const updates = cmd.updates;
  if (!Array.isArray(updates))
    throw new CommandError(ErrorCodes.BadValue, "update: 'updates' must be an array");
  const ordered = cmd.ordered !== false;
  const writeErrors: Doc[] = [];
  const upserted: Doc[] = [];
  let n = 0;
  let nModified = 0;
  for (let i = 0; i < updates.length; i++) {
    try {
      const stmt = updates[i];
      if (!isPlainObject(stmt))
        throw new CommandError(ErrorCodes.BadValue, "update statement must be an object");
      const r = updateStatement(x, ctx.db, name, stmt, cmd.let);
      n += r.n;
      nModified += r.nModified;
      if (r.upsertedId !== undefined) upserted.push({ index: i, _id: r.upsertedId });
    } catch (err) {
      writeErrors.push(toCommandError(err).toWriteError(i));
      if (ordered) break;
    }
  }
  return {
    n,
    nModified,
    ...(upserted.length ? { upserted } : {}),
    ...(writeErrors.length ? { writeErrors } : {}),
    ok: 1,
  };
}

export function updateStatement(
  x: CommandExecutor,
  db: string,
  name: string,
  stmt: Doc,
  letVars: unknown,
): { n: number; nModified: number; upsertedId?: unknown } {
  const filter = toQueryValue(isPlainObject(stmt.q) ? stmt.q : {});
  const u = stmt.u;
  const kind = updateKind(u);
  const multi = stmt.multi === true;
  if (kind === "replacement" && multi) {
    throw new CommandError(
      ErrorCodes.FailedToParse,
      "multi update is not supported for replacement-style update",
    );
  }
  const eo = x.engineOptions({ let: stmt.c ?? letVars }, db);
  const arrayFilters = Array.isArray(stmt.arrayFilters)
    ? (toQueryValue(stmt.arrayFilters) as Doc[])
    : undefined;
  const coll = x.store.collection(db, name);
  let targets = x.matching(coll, filter, eo, stmt.sort, multi ? undefined : 1);
  if (!multi) targets = targets.slice(0, 1);
  let nModified = 0;
  const results = computeUpdates(targets, u, kind, { arrayFilters, filter, insert: false, eo });
  for (let i = 0; i < targets.length; i++) {
    const updated = results[i];
    if (updated instanceof CommandError) throw updated;
    if (keyOf(updated) !== keyOf(targets[i])) {
      coll!.replace(targets[i], updated);
      nModified++;
      x.markChanged();
    }
  }
  if (targets.length || stmt.upsert !== true) return { n: targets.length, nModified };
  const doc = upsertDocument(filter, u, kind, { arrayFilters, eo });
  const [c, created] = x.store.ensureCollection(db, name);
  if (created) x.markChanged();
  c.insert(doc);
  x.markChanged();
  return { n: 1, nModified: 0, upsertedId: doc._id };
}

export function findAndModify(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, cmd.findAndModify !== undefined ? "findAndModify" : "findandmodify");
  const remove = cmd.remove === true;
  const returnNew = cmd.new === true;
  const upsert = cmd.upsert === true;
  const u = cmd.update;
  if (remove && u !== undefined)
    throw new CommandError(ErrorCodes.FailedToParse, "Cannot specify both an update and remove=true");
  if (!remove && u === undefined)
    throw new CommandError(ErrorCodes.FailedToParse, "Either an update or remove=true must be specified");
  if (remove && upsert)
    throw new CommandError(ErrorCodes.FailedToParse, "Cannot specify both upsert=true and remove=true");
  if (remove && returnNew)
    throw new CommandError(
      ErrorCodes.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  const filter = toQueryValue(isPlainObject(cmd.query) ? cmd.query : {});
  const eo = x.engineOptions(cmd, ctx.db);
  const coll = x.store.collection(ctx.db, name);
  const target = x.matching(coll, filter, eo, cmd.sort, 1)[0];
  const fields =
    isPlainObject(cmd.fields) && Object.keys(cmd.fields).length ? toQueryValue(cmd.fields) : undefined;
  const shape = (d: Doc | null): Doc | null =>
    d && fields ? (project([cloneValue(d)], fields, undefined, eo)[0] ?? null) : d;

  if (remove) {
    if (!target) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
    coll!.remove(target);
    x.markChanged();
    return { lastErrorObject: { n: 1 }, value: shape(target), ok: 1 };
  }
  const kind = updateKind(u);
  const arrayFilters = Array.isArray(cmd.arrayFilters)
    ? (toQueryValue(cmd.arrayFilters) as Doc[])
    : undefined;
  if (target) {
    const updated = computeUpdate(target, u, kind, { arrayFilters, filter, insert: false, eo });
    if (keyOf(updated) !== keyOf(target)) {
      coll!.replace(target, updated);
      x.markChanged();
    }
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: shape(returnNew ? updated : target),
      ok: 1,
    };
  }
  if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  const doc = upsertDocument(filter, u, kind, { arrayFilters, eo });
  const [c, created] = x.store.ensureCollection(ctx.db, name);
  if (created) x.markChanged();
  c.insert(doc);
  x.markChanged();
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
    value: shape(returnNew ? doc : null),
    ok: 1,
  };
}
