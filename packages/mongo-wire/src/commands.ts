/** Command implementations. Every handler is synchronous; the server runs them one at a time. */
import os from "node:os";
import { ObjectId } from "bson";
import { compare as mingoCompare } from "mingo/util";
import { CommandError, ErrorCodes, toCommandError } from "./errors";
import { DEFAULT_FIRST_BATCH, cursorReply, type CursorManager } from "./cursors";
import {
  aggregate,
  applyOperatorsMany,
  applyPipeline,
  compileFilter,
  project,
  sortDocs,
  type EngineOptions,
} from "./engine";
import { fastGroup, fastProject } from "./fastpath";
import type { Collection, Store } from "./storage";
import type { Doc } from "./types";
import {
  bsonSize,
  bsonType,
  cloneValue,
  EMPTY_ARRAY,
  getPath,
  idFirst,
  indexValues,
  isOperatorDoc,
  isPlainObject,
  keyOf,
  setPath,
  toNumber,
  toQueryValue,
} from "./values";
import { MAX_BSON_SIZE, MAX_MESSAGE_SIZE } from "./wire";

export const MAX_WIRE_VERSION = 21;
export const SERVER_VERSION = "7.0.0";
const MAX_WRITE_BATCH_SIZE = 100_000;

/** Commands that never touch data: answered at once, not queued, and exempt from faults unless named. */
export const HANDSHAKE_COMMANDS = new Set([
  "hello",
  "ismaster",
  "ping",
  "buildinfo",
  "endsessions",
  "saslstart",
  "saslcontinue",
  "authenticate",
  "getnonce",
  "logout",
  "whatsmyuri",
  "getparameter",
  "hostinfo",
  "serverstatus",
  "connectionstatus",
  "getcmdlineopts",
  "getlog",
  "killallsessions",
  "refreshsessions",
]);

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

/** Aggregation stages that need server features mongo-wire does not have. */
const UNSUPPORTED_STAGES = new Set([
  "$out",
  "$merge",
  "$changeStream",
  "$changeStreamSplitLargeEvent",
  "$search",
  "$searchMeta",
  "$vectorSearch",
  "$geoNear",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$listLocalSessions",
  "$planCacheStats",
  "$shardedDataDistribution",
]);

/**
 * Stages that never write into (or hand out parts of) their input documents in mingo, so a pipeline
 * made only of them can run over the stored documents without copying them first. Their results may
 * be stored documents themselves, as `find` results are: stored documents are never modified in place
 * (updates store a new version), so a cursor holding them still serialises what was read.
 */
const READ_ONLY_STAGES = new Set(["$match", "$sort", "$skip", "$limit", "$count"]);

export interface CommandContext {
  db: string;
  connectionId: number;
  remote: string;
  startedAt: number;
  connections: () => number;
}

export interface CommandResult {
  reply: Doc;
  /** true when data or metadata changed (triggers persistence) */
  changed: boolean;
}

type Handler = (cmd: Doc, ctx: CommandContext) => Doc;

export class CommandExecutor {
  private readonly handlers = new Map<string, Handler>();
  private changed = false;

  constructor(
    private readonly store: Store,
    private readonly cursors: CursorManager,
  ) {
    const h = (names: string[], fn: Handler) => {
      for (const n of names) this.handlers.set(n, fn);
    };
    h(["hello", "isMaster", "ismaster"], (_c, ctx) => this.hello(ctx));
    h(["ping"], () => ({ ok: 1 }));
    h(["buildInfo", "buildinfo"], () => this.buildInfo());
    h(["getParameter"], (c) => this.getParameter(c));
    h(["serverStatus"], (_c, ctx) => this.serverStatus(ctx));
    h(["hostInfo"], () => this.hostInfo());
    h(["whatsmyuri"], (_c, ctx) => ({ you: ctx.remote, ok: 1 }));
    h(["connectionStatus"], () => ({
      authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
      ok: 1,
    }));
    h(["getCmdLineOpts"], () => ({ argv: ["mongo-wire"], parsed: {}, ok: 1 }));
    h(["getLog"], () => ({ totalLinesWritten: 0, log: [], ok: 1 }));
    h(["endSessions", "killAllSessions", "refreshSessions"], () => ({ ok: 1 }));
    h(["saslStart", "saslContinue", "authenticate", "getnonce", "logout"], () => {
      throw new CommandError(
        ErrorCodes.AuthenticationFailed,
        "mongo-wire does not support authentication; connect without credentials",
      );
    });
    h(["abortTransaction", "commitTransaction"], () => {
      throw new CommandError(
        ErrorCodes.IllegalOperation,
        "transactions not supported: mongo-wire is a standalone server",
      );
    });
    h(["explain"], () => {
      throw new CommandError(ErrorCodes.CommandNotSupported, "explain is not supported by mongo-wire");
    });
    h(["listDatabases"], (c) => this.listDatabases(c));
    h(["dropDatabase"], (c, ctx) => this.dropDatabase(c, ctx));
    h(["dbStats"], (_c, ctx) => this.dbStats(ctx));
    h(["insert"], (c, ctx) => this.insert(c, ctx));
    h(["find"], (c, ctx) => this.find(c, ctx));
    h(["getMore"], (c, ctx) => this.getMore(c, ctx));
    h(["killCursors"], (c) => this.killCursors(c));
    h(["update"], (c, ctx) => this.update(c, ctx));
    h(["delete"], (c, ctx) => this.delete(c, ctx));
    h(["findAndModify", "findandmodify"], (c, ctx) => this.findAndModify(c, ctx));
    h(["aggregate"], (c, ctx) => this.aggregate(c, ctx));
    h(["count"], (c, ctx) => this.count(c, ctx));
    h(["distinct"], (c, ctx) => this.distinct(c, ctx));
    h(["create"], (c, ctx) => this.create(c, ctx));
    h(["listCollections"], (c, ctx) => this.listCollections(c, ctx));
    h(["drop"], (c, ctx) => this.drop(c, ctx));
    h(["renameCollection"], (c) => this.renameCollection(c));
    h(["createIndexes"], (c, ctx) => this.createIndexes(c, ctx));
    h(["listIndexes"], (c, ctx) => this.listIndexes(c, ctx));
    h(["dropIndexes", "deleteIndexes"], (c, ctx) => this.dropIndexes(c, ctx));
  }

  /** Runs one command; never throws (errors become `{ ok: 0 }` replies). */
  execute(name: string, cmd: Doc, ctx: CommandContext): CommandResult {
    this.changed = false;
    try {
      if (cmd.startTransaction === true || cmd.autocommit === false) {
        throw new CommandError(
          ErrorCodes.IllegalOperation,
          "Transaction numbers are only allowed on a replica set member or mongos (mongo-wire does not support transactions)",
        );
      }
      const handler = this.handlers.get(name);
      if (!handler) throw new CommandError(ErrorCodes.CommandNotFound, `no such command: '${name}'`);
      return { reply: handler(cmd, ctx), changed: this.changed };
    } catch (err) {
      return { reply: toCommandError(err).toReply(), changed: this.changed };
    }
  }

  // ---------------------------------------------------------------- server info

  private hello(ctx: CommandContext): Doc {
    return {
      helloOk: true,
      ismaster: true,
      isWritablePrimary: true,
      maxBsonObjectSize: MAX_BSON_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE,
      maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: ctx.connectionId,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
      ok: 1,
    };
  }

  private buildInfo(): Doc {
    return {
      version: SERVER_VERSION,
      gitVersion: "mongo-wire",
      versionArray: [7, 0, 0, 0],
      bits: 64,
      debug: false,
      maxBsonObjectSize: MAX_BSON_SIZE,
      storageEngines: ["mongo-wire"],
      javascriptEngine: "none",
      modules: [],
      ok: 1,
    };
  }

  private getParameter(cmd: Doc): Doc {
    const all: Doc = {
      featureCompatibilityVersion: { version: "7.0" },
      authenticationMechanisms: [],
      logLevel: 0,
    };
    if (cmd.getParameter === "*") return { ...all, ok: 1 };
    const out: Doc = {};
    for (const k of Object.keys(cmd)) if (k in all) out[k] = all[k];
    return { ...out, ok: 1 };
  }

  private serverStatus(ctx: CommandContext): Doc {
    const uptimeMillis = Date.now() - ctx.startedAt;
    return {
      host: os.hostname(),
      version: SERVER_VERSION,
      process: "mongo-wire",
      pid: process.pid,
      uptime: Math.floor(uptimeMillis / 1000),
      uptimeMillis,
      localTime: new Date(),
      connections: { current: ctx.connections(), available: 1000 },
      ok: 1,
    };
  }

  private hostInfo(): Doc {
    return {
      system: {
        currentTime: new Date(),
        hostname: os.hostname(),
        cpuAddrSize: 64,
        numCores: os.cpus().length,
        memSizeMB: Math.round(os.totalmem() / 1048576),
      },
      os: { type: os.type(), name: os.platform(), version: os.release() },
      extra: {},
      ok: 1,
    };
  }

  // ---------------------------------------------------------------- helpers

  private collName(cmd: Doc, key: string): string {
    const v = cmd[key];
    if (typeof v !== "string" || !v) {
      throw new CommandError(
        ErrorCodes.InvalidNamespace,
        `collection name has invalid type ${v === null ? "null" : typeof v}`,
      );
    }
    return v;
  }

  private engineOptions(cmd: Doc, db: string): EngineOptions {
    return {
      ...(isPlainObject(cmd.let) ? { variables: cmd.let } : {}),
      collectionResolver: (name: string) => {
        const c = this.store.collection(db, name);
        return c ? [...c.docs.values()].map(cloneValue) : [];
      },
    };
  }

  /** Stored documents matching `filter` (in natural or `sort` order), not copied. */
  private matching(
    coll: Collection | undefined,
    filter: Doc,
    eo: EngineOptions,
    sort?: unknown,
    max = Number.POSITIVE_INFINITY,
  ): Doc[] {
    if (!coll) return [];
    const match = compileFilter(filter, eo);
    const sorted = isPlainObject(sort) && Object.keys(sort).length > 0;
    const stopAt = sorted ? Number.POSITIVE_INFINITY : max;
    let out: Doc[] = [];
    const list = coll.candidateList(filter);
    if (!list && stopAt === Number.POSITIVE_INFINITY) {
      // a whole scan: Map#forEach walks the documents without an iterator object per step
      coll.docs.forEach((d) => {
        if (match(d)) out.push(d);
      });
    } else {
      for (const d of list ?? coll.docs.values()) {
        if (match(d)) {
          out.push(d);
          if (out.length >= stopAt) break;
        }
      }
    }
    if (sorted) out = this.sort(out, sort);
    return out;
  }

  private sort(docs: Doc[], sort: Doc): Doc[] {
    const spec: Doc = {};
    let reverse = false;
    for (const [k, v] of Object.entries(sort)) {
      if (k === "$natural") reverse = toNumber(v) < 0;
      else if (isPlainObject(v))
        throw new CommandError(
          ErrorCodes.BadValue,
          `unsupported sort specification for '${k}' (no $meta/text search)`,
        );
      else spec[k] = toNumber(v) < 0 ? -1 : 1;
    }
    let out = reverse ? docs.slice().reverse() : docs;
    if (Object.keys(spec).length) out = sortDocs(out, spec);
    return out;
  }

  private markChanged(): void {
    this.changed = true;
  }

  // ---------------------------------------------------------------- databases

  private listDatabases(cmd: Doc): Doc {
    const nameOnly = cmd.nameOnly === true;
    let dbs: Doc[] = [...this.store.dbs.values()]
      .filter((d) => d.collections.size > 0)
      .map((d) => {
        if (nameOnly) return { name: d.name };
        let size = 0;
        for (const c of d.collections.values()) for (const doc of c.docs.values()) size += bsonSize(doc);
        return { name: d.name, sizeOnDisk: size, empty: false };
      });
    if (isPlainObject(cmd.filter)) dbs = dbs.filter(compileFilter(toQueryValue(cmd.filter)));
    const totalSize = dbs.reduce((n, d) => n + toNumber(d.sizeOnDisk), 0);
    return nameOnly
      ? { databases: dbs, ok: 1 }
      : { databases: dbs, totalSize, totalSizeMb: Math.round(totalSize / 1048576), ok: 1 };
  }

  private dropDatabase(_cmd: Doc, ctx: CommandContext): Doc {
    const d = this.store.dbs.get(ctx.db);
    if (d) {
      for (const name of [...d.collections.keys()]) this.store.dropCollection(ctx.db, name);
      this.cursors.dropNamespace(`${ctx.db}.`, false);
      this.markChanged();
    }
    return { dropped: ctx.db, ok: 1 };
  }

  private dbStats(ctx: CommandContext): Doc {
    const d = this.store.dbs.get(ctx.db);
    let objects = 0;
    let dataSize = 0;
    let indexes = 0;
    for (const c of d?.collections.values() ?? []) {
      objects += c.docs.size;
      indexes += c.indexes.size + 1;
      for (const doc of c.docs.values()) dataSize += bsonSize(doc);
    }
    return {
      db: ctx.db,
      collections: d?.collections.size ?? 0,
      views: 0,
      objects,
      avgObjSize: objects ? dataSize / objects : 0,
      dataSize,
      storageSize: dataSize,
      indexes,
      indexSize: 0,
      ok: 1,
    };
  }

  // ---------------------------------------------------------------- collections

  private create(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "create");
    for (const unsupported of [
      "viewOn",
      "pipeline",
      "timeseries",
      "capped",
      "clusteredIndex",
      "encryptedFields",
    ]) {
      if (cmd[unsupported] !== undefined && cmd[unsupported] !== false) {
        throw new CommandError(
          ErrorCodes.CommandNotSupported,
          `mongo-wire does not support the create option '${unsupported}'`,
        );
      }
    }
    if (this.store.collection(ctx.db, name)) {
      throw new CommandError(ErrorCodes.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
    }
    const options: Doc = {};
    for (const k of ["validator", "validationLevel", "validationAction", "collation"])
      if (cmd[k] !== undefined) options[k] = cmd[k];
    this.store.ensureCollection(ctx.db, name, options);
    this.markChanged();
    return { ok: 1 };
  }

  private listCollections(cmd: Doc, ctx: CommandContext): Doc {
    const d = this.store.dbs.get(ctx.db);
    const nameOnly = cmd.nameOnly === true;
    let entries: Doc[] = [...(d?.collections.values() ?? [])].map((c) =>
      nameOnly
        ? { name: c.name, type: "collection" }
        : {
            name: c.name,
            type: "collection",
            options: cloneValue(c.options),
            info: { readOnly: false, uuid: c.uuid },
            idIndex: { v: 2, key: { _id: 1 }, name: "_id_" },
          },
    );
    if (isPlainObject(cmd.filter) && Object.keys(cmd.filter).length)
      entries = entries.filter(compileFilter(toQueryValue(cmd.filter)));
    const batchSize = isPlainObject(cmd.cursor) ? cmd.cursor.batchSize : undefined;
    return cursorReply(this.cursors.open(`${ctx.db}.$cmd.listCollections`, entries, batchSize), true);
  }

  private drop(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "drop");
    const c = this.store.dropCollection(ctx.db, name);
    if (!c) return { ok: 1 };
    this.cursors.dropNamespace(c.ns, true);
    this.markChanged();
    return { ns: c.ns, nIndexesWas: c.indexes.size + 1, ok: 1 };
  }

  private renameCollection(cmd: Doc): Doc {
    const from = String(cmd.renameCollection ?? "");
    const to = String(cmd.to ?? "");
    const split = (ns: string): [string, string] => {
      const i = ns.indexOf(".");
      if (i <= 0 || i === ns.length - 1)
        throw new CommandError(ErrorCodes.InvalidNamespace, `Invalid namespace specified '${ns}'`);
      return [ns.slice(0, i), ns.slice(i + 1)];
    };
    const [fromDb, fromColl] = split(from);
    const [toDb, toColl] = split(to);
    const src = this.store.collection(fromDb, fromColl);
    if (!src)
      throw new CommandError(ErrorCodes.NamespaceNotFound, `Source collection ${from} does not exist`);
    if (from === to) return { ok: 1 };
    if (this.store.collection(toDb, toColl)) {
      if (cmd.dropTarget !== true)
        throw new CommandError(ErrorCodes.NamespaceExists, "target namespace exists");
      this.store.dropCollection(toDb, toColl);
    }
    this.store.renameCollection(src, toDb, toColl);
    this.cursors.dropNamespace(from, true);
    this.markChanged();
    return { ok: 1 };
  }

  // ---------------------------------------------------------------- indexes

  private createIndexes(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "createIndexes");
    const specs = cmd.indexes;
    if (!Array.isArray(specs) || specs.length === 0) {
      throw new CommandError(ErrorCodes.BadValue, "Must specify at least one index to create");
    }
    const existing = this.store.collection(ctx.db, name);
    const before = existing ? existing.indexes.size + 1 : 1;
    const [coll, created] = this.store.ensureCollection(ctx.db, name);
    if (created) this.markChanged();
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
    if (added.length) this.markChanged();
    return {
      numIndexesBefore: before,
      numIndexesAfter: coll.indexes.size + 1,
      createdCollectionAutomatically: created,
      ...(added.length === 0 ? { note: "all indexes already exist" } : {}),
      ok: 1,
    };
  }

  private listIndexes(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "listIndexes");
    const coll = this.store.collection(ctx.db, name);
    if (!coll) throw new CommandError(ErrorCodes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
    const batchSize = isPlainObject(cmd.cursor) ? cmd.cursor.batchSize : undefined;
    return cursorReply(this.cursors.open(coll.ns, coll.indexSpecs(), batchSize), true);
  }

  private dropIndexes(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, cmd.dropIndexes !== undefined ? "dropIndexes" : "deleteIndexes");
    const coll = this.store.collection(ctx.db, name);
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
    this.markChanged();
    return {
      nIndexesWas: was,
      ...(target === "*" ? { msg: "non-_id indexes dropped for collection" } : {}),
      ok: 1,
    };
  }

  // ---------------------------------------------------------------- reads

  private find(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "find");
    if (cmd.tailable === true) {
      throw new CommandError(
        ErrorCodes.BadValue,
        "tailable cursors are not supported (mongo-wire has no capped collections)",
      );
    }
    const ns = `${ctx.db}.${name}`;
    const coll = this.store.collection(ctx.db, name);
    const filter = toQueryValue(isPlainObject(cmd.filter) ? cmd.filter : {});
    const eo = this.engineOptions(cmd, ctx.db);
    const skip = Math.max(0, toNumber(cmd.skip));
    const limit = Math.abs(toNumber(cmd.limit));
    let docs = this.matching(coll, filter, eo, cmd.sort, limit ? skip + limit : undefined);
    if (skip) docs = docs.slice(skip);
    if (limit) docs = docs.slice(0, limit);
    if (isPlainObject(cmd.projection) && Object.keys(cmd.projection).length) {
      const projection = toQueryValue(cmd.projection);
      docs = fastProject(docs, projection) ?? project(docs.map(cloneValue), projection, filter, eo);
    }
    const singleBatch = cmd.singleBatch === true || toNumber(cmd.limit) < 0;
    return cursorReply(this.cursors.open(ns, docs, cmd.batchSize, singleBatch), true);
  }

  private getMore(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "collection");
    return cursorReply(this.cursors.getMore(cmd.getMore, `${ctx.db}.${name}`, cmd.batchSize), false);
  }

  private killCursors(cmd: Doc): Doc {
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const { killed, notFound } = this.cursors.kill(ids);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  private count(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "count");
    const coll = this.store.collection(ctx.db, name);
    const filter = toQueryValue(isPlainObject(cmd.query) ? cmd.query : {});
    let n: number;
    if (!coll) n = 0;
    else if (Object.keys(filter).length === 0) n = coll.docs.size;
    else n = this.matching(coll, filter, this.engineOptions(cmd, ctx.db)).length;
    const skip = Math.max(0, toNumber(cmd.skip));
    const limit = Math.abs(toNumber(cmd.limit));
    n = Math.max(0, n - skip);
    if (limit) n = Math.min(n, limit);
    return { n, ok: 1 };
  }

  private distinct(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "distinct");
    const key = cmd.key;
    if (typeof key !== "string" || !key)
      throw new CommandError(ErrorCodes.TypeMismatch, "distinct: 'key' must be a non-empty string");
    const coll = this.store.collection(ctx.db, name);
    const filter = toQueryValue(isPlainObject(cmd.query) ? cmd.query : {});
    const seen = new Map<string, unknown>();
    for (const doc of this.matching(coll, filter, this.engineOptions(cmd, ctx.db))) {
      for (const v of indexValues(doc, key)) {
        if (v === undefined || v === EMPTY_ARRAY) continue;
        const k = keyOf(v);
        if (!seen.has(k)) seen.set(k, v);
      }
    }
    const values = [...seen.values()].sort((a, b) => mingoCompare(a, b));
    return { values, ok: 1 };
  }

  private aggregate(cmd: Doc, ctx: CommandContext): Doc {
    const target = cmd.aggregate;
    if (!Array.isArray(cmd.pipeline))
      throw new CommandError(ErrorCodes.TypeMismatch, "'pipeline' option must be specified as an array");
    if (cmd.explain === true)
      throw new CommandError(ErrorCodes.CommandNotSupported, "explain is not supported by mongo-wire");
    if (!isPlainObject(cmd.cursor)) {
      throw new CommandError(
        ErrorCodes.FailedToParse,
        "The 'cursor' option is required, except for aggregate with the explain argument",
      );
    }
    let pipeline = toQueryValue(cmd.pipeline as Doc[]);
    for (const stage of pipeline) {
      const op = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
      if (!op)
        throw new CommandError(ErrorCodes.BadValue, "each pipeline stage must be an object with one field");
      if (UNSUPPORTED_STAGES.has(op)) {
        throw new CommandError(ErrorCodes.CommandNotSupported, `${op} is not supported by mongo-wire`);
      }
    }
    const eo = this.engineOptions(cmd, ctx.db);
    let input: Doc[] = [];
    let ns: string;
    if (typeof target === "string") {
      ns = `${ctx.db}.${target}`;
      const coll = this.store.collection(ctx.db, target);
      if (pipeline.length && isPlainObject(pipeline[0].$match)) {
        input = this.matching(coll, pipeline[0].$match, eo);
        pipeline = pipeline.slice(1);
      } else if (coll) {
        input = [...coll.docs.values()];
      }
      // `input` holds the stored documents themselves. A leading $group the fast path can do builds
      // fresh result documents; mingo gets copies unless every stage left only reads its input.
      const first = pipeline[0];
      const grouped =
        first && Object.keys(first).length === 1 && "$group" in first
          ? fastGroup(input, first.$group)
          : undefined;
      if (grouped) {
        input = grouped;
        pipeline = pipeline.slice(1);
      } else if (!pipeline.every((stage) => READ_ONLY_STAGES.has(Object.keys(stage)[0]))) {
        input = input.map(cloneValue);
      }
    } else {
      ns = `${ctx.db}.$cmd.aggregate`;
    }
    const results = pipeline.length ? aggregate(input, pipeline, eo) : input;
    return cursorReply(this.cursors.open(ns, results, cmd.cursor.batchSize ?? DEFAULT_FIRST_BATCH), true);
  }

  // ---------------------------------------------------------------- writes

  private insert(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "insert");
    const docs = cmd.documents;
    if (!Array.isArray(docs))
      throw new CommandError(ErrorCodes.BadValue, "insert: 'documents' must be an array");
    const ordered = cmd.ordered !== false;
    const [coll, created] = this.store.ensureCollection(ctx.db, name);
    if (created) this.markChanged();
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
    if (n) this.markChanged();
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private update(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "update");
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
        const r = this.updateStatement(ctx.db, name, stmt, cmd.let);
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

  private updateStatement(
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
    const eo = this.engineOptions({ let: stmt.c ?? letVars }, db);
    const arrayFilters = Array.isArray(stmt.arrayFilters)
      ? (toQueryValue(stmt.arrayFilters) as Doc[])
      : undefined;
    const coll = this.store.collection(db, name);
    let targets = this.matching(coll, filter, eo, stmt.sort, multi ? undefined : 1);
    if (!multi) targets = targets.slice(0, 1);
    let nModified = 0;
    const results = computeUpdates(targets, u, kind, { arrayFilters, filter, insert: false, eo });
    for (let i = 0; i < targets.length; i++) {
      const updated = results[i];
      if (updated instanceof CommandError) throw updated;
      if (keyOf(updated) !== keyOf(targets[i])) {
        coll!.replace(targets[i], updated);
        nModified++;
        this.markChanged();
      }
    }
    if (targets.length || stmt.upsert !== true) return { n: targets.length, nModified };
    const doc = upsertDocument(filter, u, kind, { arrayFilters, eo });
    const [c, created] = this.store.ensureCollection(db, name);
    if (created) this.markChanged();
    c.insert(doc);
    this.markChanged();
    return { n: 1, nModified: 0, upsertedId: doc._id };
  }

  private delete(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, "delete");
    const deletes = cmd.deletes;
    if (!Array.isArray(deletes))
      throw new CommandError(ErrorCodes.BadValue, "delete: 'deletes' must be an array");
    const ordered = cmd.ordered !== false;
    const coll = this.store.collection(ctx.db, name);
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
        const eo = this.engineOptions({ let: cmd.let }, ctx.db);
        const targets = this.matching(coll, filter, eo, undefined, limit === 1 ? 1 : undefined);
        for (const d of targets) coll!.remove(d);
        n += targets.length;
        if (targets.length) this.markChanged();
      } catch (err) {
        writeErrors.push(toCommandError(err).toWriteError(i));
        if (ordered) break;
      }
    }
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private findAndModify(cmd: Doc, ctx: CommandContext): Doc {
    const name = this.collName(cmd, cmd.findAndModify !== undefined ? "findAndModify" : "findandmodify");
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
    const eo = this.engineOptions(cmd, ctx.db);
    const coll = this.store.collection(ctx.db, name);
    const target = this.matching(coll, filter, eo, cmd.sort, 1)[0];
    const fields =
      isPlainObject(cmd.fields) && Object.keys(cmd.fields).length ? toQueryValue(cmd.fields) : undefined;
    const shape = (d: Doc | null): Doc | null =>
      d && fields ? (project([cloneValue(d)], fields, undefined, eo)[0] ?? null) : d;

    if (remove) {
      if (!target) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
      coll!.remove(target);
      this.markChanged();
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
        this.markChanged();
      }
      return {
        lastErrorObject: { n: 1, updatedExisting: true },
        value: shape(returnNew ? updated : target),
        ok: 1,
      };
    }
    if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const doc = upsertDocument(filter, u, kind, { arrayFilters, eo });
    const [c, created] = this.store.ensureCollection(ctx.db, name);
    if (created) this.markChanged();
    c.insert(doc);
    this.markChanged();
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
      value: shape(returnNew ? doc : null),
      ok: 1,
    };
  }
}

// -------------------------------------------------------------------- update helpers

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

function checkId(id: unknown): void {
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
