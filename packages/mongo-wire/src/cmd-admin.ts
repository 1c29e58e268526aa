/** Handshake and admin commands: hello, buildInfo, getParameter, serverStatus, hostInfo; databases (list, drop, stats) and collections (create, list, drop, rename). */
import os from "node:os";
import { type CommandContext, type CommandExecutor, MAX_WIRE_VERSION, SERVER_VERSION } from "./commands";
import { cursorReply } from "./cursors";
import { compileFilter } from "./engine";
import { CommandError, ErrorCodes } from "./errors";
import { type Doc } from "./types";
import { bsonSize, cloneValue, isPlainObject, toNumber, toQueryValue } from "./values";
import { MAX_BSON_SIZE, MAX_MESSAGE_SIZE } from "./wire";

const MAX_WRITE_BATCH_SIZE = 100_000;

export function hello(x: CommandExecutor, ctx: CommandContext): Doc {
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

export function buildInfo(): Doc {
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

export function getParameter(x: CommandExecutor, cmd: Doc): Doc {
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

export function serverStatus(x: CommandExecutor, ctx: CommandContext): Doc {
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

export function hostInfo(): Doc {
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

export function listDatabases(x: CommandExecutor, cmd: Doc): Doc {
  const nameOnly = cmd.nameOnly === true;
  let dbs: Doc[] = [...x.store.dbs.values()]
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

export function dropDatabase(x: CommandExecutor, _cmd: Doc, ctx: CommandContext): Doc {
  const d = x.store.dbs.get(ctx.db);
  if (d) {
    for (const name of [...d.collections.keys()]) x.store.dropCollection(ctx.db, name);
    x.cursors.dropNamespace(`${ctx.db}.`, false);
    x.markChanged();
  }
  return { dropped: ctx.db, ok: 1 };
}

export function dbStats(x: CommandExecutor, ctx: CommandContext): Doc {
  const d = x.store.dbs.get(ctx.db);
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

export function create(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "create");
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
  if (x.store.collection(ctx.db, name)) {
    throw new CommandError(ErrorCodes.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
  }
  const options: Doc = {};
  for (const k of ["validator", "validationLevel", "validationAction", "collation"])
    if (cmd[k] !== undefined) options[k] = cmd[k];
  x.store.ensureCollection(ctx.db, name, options);
  x.markChanged();
  return { ok: 1 };
}

export function listCollections(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const d = x.store.dbs.get(ctx.db);
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
  return cursorReply(x.cursors.open(`${ctx.db}.$cmd.listCollections`, entries, batchSize), true);
}

export function drop(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const name = x.collName(cmd, "drop");
  const c = x.store.dropCollection(ctx.db, name);
  if (!c) return { ok: 1 };
  x.cursors.dropNamespace(c.ns, true);
  x.markChanged();
  return { ns: c.ns, nIndexesWas: c.indexes.size + 1, ok: 1 };
}

export function renameCollection(x: CommandExecutor, cmd: Doc): Doc {
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
  const src = x.store.collection(fromDb, fromColl);
  if (!src) throw new CommandError(ErrorCodes.NamespaceNotFound, `Source collection ${from} does not exist`);
  if (from === to) return { ok: 1 };
  if (x.store.collection(toDb, toColl)) {
    if (cmd.dropTarget !== true)
      throw new CommandError(ErrorCodes.NamespaceExists, "target namespace exists");
    x.store.dropCollection(toDb, toColl);
  }
  x.store.renameCollection(src, toDb, toColl);
  x.cursors.dropNamespace(from, true);
  x.markChanged();
  return { ok: 1 };
}
