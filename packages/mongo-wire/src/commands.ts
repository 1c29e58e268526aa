/** Command dispatch: each command name to its handler (cmd-admin, cmd-crud, cmd-update, cmd-aggregate, cmd-indexes); every handler is synchronous and the server runs them one at a time. */
import {
  buildInfo,
  create,
  dbStats,
  drop,
  dropDatabase,
  getParameter,
  hello,
  hostInfo,
  listCollections,
  listDatabases,
  renameCollection,
  serverStatus,
} from "./cmd-admin";
import { aggregateCommand } from "./cmd-aggregate";
import { count, deleteCommand, distinct, find, getMore, insert, killCursors } from "./cmd-crud";
import { createIndexes, dropIndexes, listIndexes } from "./cmd-indexes";
import { findAndModify, updateCommand } from "./cmd-update";
import { type CursorManager } from "./cursors";
import { compileFilter, type EngineOptions, sortDocs } from "./engine";
import { CommandError, ErrorCodes, toCommandError } from "./errors";
import { type Collection, type Store } from "./storage";
import { type Doc } from "./types";
import { cloneValue, isPlainObject, toNumber } from "./values";

export const MAX_WIRE_VERSION = 21;

export const SERVER_VERSION = "7.0.0";

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
    readonly store: Store,
    readonly cursors: CursorManager,
  ) {
    const h = (names: string[], fn: Handler) => {
      for (const n of names) this.handlers.set(n, fn);
    };
    h(["hello", "isMaster", "ismaster"], (_c, ctx) => hello(this, ctx));
    h(["ping"], () => ({ ok: 1 }));
    h(["buildInfo", "buildinfo"], () => buildInfo());
    h(["getParameter"], (c) => getParameter(this, c));
    h(["serverStatus"], (_c, ctx) => serverStatus(this, ctx));
    h(["hostInfo"], () => hostInfo());
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
    h(["listDatabases"], (c) => listDatabases(this, c));
    h(["dropDatabase"], (c, ctx) => dropDatabase(this, c, ctx));
    h(["dbStats"], (_c, ctx) => dbStats(this, ctx));
    h(["insert"], (c, ctx) => insert(this, c, ctx));
    h(["find"], (c, ctx) => find(this, c, ctx));
    h(["getMore"], (c, ctx) => getMore(this, c, ctx));
    h(["killCursors"], (c) => killCursors(this, c));
    h(["update"], (c, ctx) => updateCommand(this, c, ctx));
    h(["delete"], (c, ctx) => deleteCommand(this, c, ctx));
    h(["findAndModify", "findandmodify"], (c, ctx) => findAndModify(this, c, ctx));
    h(["aggregate"], (c, ctx) => aggregateCommand(this, c, ctx));
    h(["count"], (c, ctx) => count(this, c, ctx));
    h(["distinct"], (c, ctx) => distinct(this, c, ctx));
    h(["create"], (c, ctx) => create(this, c, ctx));
    h(["listCollections"], (c, ctx) => listCollections(this, c, ctx));
    h(["drop"], (c, ctx) => drop(this, c, ctx));
    h(["renameCollection"], (c) => renameCollection(this, c));
    h(["createIndexes"], (c, ctx) => createIndexes(this, c, ctx));
    h(["listIndexes"], (c, ctx) => listIndexes(this, c, ctx));
    h(["dropIndexes", "deleteIndexes"], (c, ctx) => dropIndexes(this, c, ctx));
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
  collName(cmd: Doc, key: string): string {
    const v = cmd[key];
    if (typeof v !== "string" || !v) {
      throw new CommandError(
        ErrorCodes.InvalidNamespace,
        `collection name has invalid type ${v === null ? "null" : typeof v}`,
      );
    }
    return v;
  }
  engineOptions(cmd: Doc, db: string): EngineOptions {
    return {
      ...(isPlainObject(cmd.let) ? { variables: cmd.let } : {}),
      collectionResolver: (name: string) => {
        const c = this.store.collection(db, name);
        return c ? [...c.docs.values()].map(cloneValue) : [];
      },
    };
  }
  /** Stored documents matching `filter` (in natural or `sort` order), not copied. */
  matching(
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
  sort(docs: Doc[], sort: Doc): Doc[] {
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
  markChanged(): void {
    this.changed = true;
  }
}
