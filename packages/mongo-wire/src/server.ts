/** TCP server: connection framing, request dispatch through a serial queue, faults, persistence. */
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { pino, type Logger } from "pino";
import { CommandExecutor, HANDSHAKE_COMMANDS, type CommandContext } from "./commands";
import { CursorManager } from "./cursors";
import { codeName, ErrorCodes } from "./errors";
import { Faults } from "./faults";
import type { Journal } from "./journal";
import { acquireLock, type HeldLock } from "./lock";
import { Persister, recover } from "./persistence";
import { Store, type Change } from "./storage";
import type { Doc, MongoWireOptions, MongoWireServer } from "./types";
import {
  encodeOpMsg,
  encodeOpReply,
  HEADER_SIZE,
  MAX_MESSAGE_SIZE,
  MSG_MORE_TO_COME,
  OP_MSG,
  OP_QUERY,
  parseOpMsg,
  parseOpQuery,
  readHeader,
  WireError,
} from "./wire";

/** Runs tasks one at a time, in arrival order. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fields of an OP_QUERY command wrapper that are not part of the command itself. */
function unwrapQuery(query: Doc): Doc {
  if ("$query" in query && typeof query.$query === "object" && query.$query !== null)
    return query.$query as Doc;
  if ("query" in query && Object.keys(query)[0] === "query" && typeof query.query === "object")
    return query.query as Doc;
  return query;
}

/** Commands that may change data: refused once the journal has failed. */
const WRITE_COMMANDS = new Set(
  [
    "insert",
    "update",
    "delete",
    "findAndModify",
    "create",
    "drop",
    "dropDatabase",
    "renameCollection",
    "createIndexes",
    "dropIndexes",
    "deleteIndexes",
  ].map((c) => c.toLowerCase()),
);

/** The durable side of a server with a data file. */
interface Durability {
  journal: Journal;
  persister: Persister;
  lock: HeldLock;
}

class Server {
  readonly faults = new Faults();
  private readonly queue = new SerialQueue();
  private readonly cursors = new CursorManager();
  private readonly executor: CommandExecutor;
  private readonly sockets = new Set<net.Socket>();
  private readonly tcp: net.Server;
  private nextConnectionId = 1;
  private readonly startedAt = Date.now();
  private closing: Promise<void> | undefined;
  private readonly ttlTimer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly durable: Durability | undefined,
    ttlIntervalMs: number,
  ) {
    this.executor = new CommandExecutor(store, this.cursors);
    this.tcp = net.createServer((socket) => this.accept(socket));
    this.tcp.on("error", (err) => this.logger.error({ err }, "mongo-wire: server error"));
    this.ttlTimer = setInterval(() => {
      this.queue
        .run(() => this.expireTtl())
        .catch((err: unknown) => this.logger.error({ err }, "mongo-wire: TTL pass failed"));
    }, ttlIntervalMs);
    this.ttlTimer.unref();
  }

  private expireTtl(): void {
    if (this.closing) return;
    if (this.durable?.journal.failed) return;
    const now = Date.now();
    let removed = 0;
    const { changes, commit } = this.recording(() => {
      for (const db of this.store.dbs.values()) {
        for (const coll of db.collections.values()) {
          try {
            removed += coll.expire(now);
          } catch (err) {
            this.logger.error({ err, ns: coll.ns }, "mongo-wire: TTL pass failed");
          }
        }
      }
    });
    if (removed) this.logger.debug({ removed, changes }, "mongo-wire: TTL removed documents");
    commit?.catch(() => undefined); // logged by the journal
  }

  /**
   * Runs `fn` (synchronously) while recording its changes; with a journal, they are appended as
   * one record and `commit` resolves when that record is on disk.
   */
  private recording(fn: () => void): { changes: number; commit?: Promise<void> } {
    if (!this.durable) {
      fn();
      return { changes: 0 };
    }
    const changes: Change[] = [];
    this.store.sink = (c) => changes.push(c);
    try {
      fn();
    } finally {
      this.store.sink = undefined;
    }
    if (!changes.length) return { changes: 0 };
    const commit = this.durable.journal.append(changes);
    this.durable.persister.noteWrite();
    return { changes: changes.length, commit };
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.tcp.once("error", onError);
      this.tcp.listen(port, host, () => {
        this.tcp.off("error", onError);
        const addr = this.tcp.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  async flush(): Promise<void> {
    if (!this.durable) return;
    await this.queue.run(() => undefined);
    await this.durable.persister.snapshot();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.ttlTimer);
      await new Promise<void>((resolve) => {
        this.tcp.close(() => resolve());
        for (const s of this.sockets) s.destroy();
      });
      // let queued commands finish, then write the final snapshot (which empties the journal)
      await this.queue.run(() => undefined);
      this.cursors.close();
      if (this.durable) {
        const { journal, persister, lock } = this.durable;
        try {
          await journal.drain();
          if (!journal.failed) await persister.snapshot();
        } catch (err) {
          this.logger.error(
            { err },
            "mongo-wire: final snapshot failed; the journal is kept for the next start",
          );
        } finally {
          await journal.close();
          await lock.release();
        }
      }
      this.logger.info("mongo-wire: closed");
    })();
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connectionId = this.nextConnectionId++;
    const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    this.logger.debug({ connectionId, remote }, "mongo-wire: connection accepted");
    let chunks: Buffer[] = [];
    let buffered = 0;
    let expected = -1;
    let chain: Promise<void> = Promise.resolve();
    const drop = (reason: string) => {
      this.logger.warn(
        { connectionId, remote, reason },
        "mongo-wire: closing connection after malformed message",
      );
      chunks = [];
      buffered = 0;
      socket.destroy();
    };
    socket.on("data", (data: Buffer) => {
      if (socket.destroyed) return;
      chunks.push(data);
      buffered += data.length;
      for (;;) {
        if (expected < 0) {
          if (buffered < 4) return;
          if (chunks[0].length < 4) chunks = [Buffer.concat(chunks, buffered)];
          expected = chunks[0].readInt32LE(0);
          if (expected < HEADER_SIZE || expected > MAX_MESSAGE_SIZE) {
            drop(`invalid message length ${expected}`);
            return;
          }
        }
        if (buffered < expected) return;
        const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
        const msg = all.subarray(0, expected);
        const rest = all.subarray(expected);
        chunks = rest.length ? [rest] : [];
        buffered = rest.length;
        expected = -1;
        chain = chain
          .then(() => this.handleMessage(msg, socket, { connectionId, remote }))
          .catch((err: unknown) => {
            this.logger.error({ err, connectionId }, "mongo-wire: unexpected error handling message");
            socket.destroy();
          });
      }
    });
    socket.on("error", (err) => this.logger.debug({ err, connectionId }, "mongo-wire: socket error"));
    socket.on("close", () => {
      this.sockets.delete(socket);
      this.logger.debug({ connectionId }, "mongo-wire: connection closed");
    });
  }

  private write(socket: net.Socket, buf: Buffer): void {
    if (!socket.destroyed && socket.writable) socket.write(buf);
  }

  private async handleMessage(
    msg: Buffer,
    socket: net.Socket,
    conn: { connectionId: number; remote: string },
  ): Promise<void> {
    const header = readHeader(msg);
    if (header.opCode === OP_MSG) {
      let flags = 0;
      let reply: Doc;
      try {
        const req = parseOpMsg(msg, header);
        flags = req.flags;
        const db = req.command.$db;
        if (typeof db !== "string" || !db) {
          reply = { ok: 0, code: 40571, errmsg: "OP_MSG requests require a $db argument" };
        } else {
          reply = await this.dispatch(req.command, db, conn);
        }
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        this.logger.warn(
          { err: err.message, connectionId: conn.connectionId },
          "mongo-wire: malformed OP_MSG",
        );
        if (msg.length >= HEADER_SIZE + 4) flags = msg.readUInt32LE(HEADER_SIZE);
        reply = {
          ok: 0,
          code: ErrorCodes.FailedToParse,
          codeName: "FailedToParse",
          errmsg: `malformed OP_MSG: ${err.message}`,
        };
      }
      if (flags & MSG_MORE_TO_COME) return;
      this.write(socket, this.encode(header.requestId, reply, "msg"));
      return;
    }
    if (header.opCode === OP_QUERY) {
      let reply: Doc;
      let failed = false;
      try {
        const req = parseOpQuery(msg, header);
        const dot = req.collection.indexOf(".");
        const db = dot > 0 ? req.collection.slice(0, dot) : req.collection;
        if (!req.collection.endsWith(".$cmd")) {
          failed = true;
          reply = { $err: "mongo-wire only supports commands over OP_QUERY", code: 5739101, ok: 0 };
        } else {
          reply = await this.dispatch(unwrapQuery(req.query), db, conn);
        }
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        this.logger.warn(
          { err: err.message, connectionId: conn.connectionId },
          "mongo-wire: malformed OP_QUERY",
        );
        failed = true;
        reply = { $err: `malformed OP_QUERY: ${err.message}`, code: ErrorCodes.FailedToParse, ok: 0 };
      }
      this.write(socket, this.encode(header.requestId, reply, "reply", failed ? 2 : 0));
      return;
    }
    this.logger.warn(
      { opCode: header.opCode, connectionId: conn.connectionId },
      "mongo-wire: unsupported opcode, closing connection",
    );
    socket.destroy();
  }

  private encode(responseTo: number, reply: Doc, kind: "msg" | "reply", flags = 0): Buffer {
    try {
      return kind === "msg" ? encodeOpMsg(responseTo, reply) : encodeOpReply(responseTo, [reply], flags);
    } catch (err) {
      this.logger.error({ err }, "mongo-wire: cannot serialise reply");
      const e = {
        ok: 0,
        code: 10334,
        codeName: "BSONObjectTooLarge",
        errmsg: `cannot serialise reply: ${(err as Error).message}`,
      };
      return kind === "msg" ? encodeOpMsg(responseTo, e) : encodeOpReply(responseTo, [e], 2);
    }
  }

  private async dispatch(cmd: Doc, db: string, conn: { connectionId: number; remote: string }): Promise<Doc> {
    const name = Object.keys(cmd)[0];
    if (!name)
      return {
        ok: 0,
        code: ErrorCodes.CommandNotFound,
        codeName: "CommandNotFound",
        errmsg: "no command given",
      };
    const delay = this.faults.takeDelay(name);
    const fail = this.faults.takeFail(name);
    if (delay) await sleep(delay);
    if (fail) {
      this.logger.debug({ command: name, ...fail }, "mongo-wire: injected failure");
      const cn = codeName(fail.code);
      return { ok: 0, errmsg: fail.errmsg, code: fail.code, ...(cn ? { codeName: cn } : {}) };
    }
    const ctx: CommandContext = {
      db,
      connectionId: conn.connectionId,
      remote: conn.remote,
      startedAt: this.startedAt,
      connections: () => this.sockets.size,
    };
    let commit: Promise<void> | undefined;
    const run = () => {
      const started = Date.now();
      const failed = this.durable?.journal.failed;
      if (failed && WRITE_COMMANDS.has(name.toLowerCase()))
        return { ok: 0, code: ErrorCodes.InternalError, codeName: "InternalError", errmsg: failed.message };
      let reply: Doc = {};
      ({ commit } = this.recording(() => {
        reply = this.executor.execute(name, cmd, ctx).reply;
      }));
      if (reply.ok === 0 && reply.code === ErrorCodes.InternalError) {
        this.logger.error(
          { command: name, db, errmsg: reply.errmsg },
          "mongo-wire: internal error in command",
        );
      } else if (reply.ok === 0)
        this.logger.debug(
          { command: name, db, code: reply.code, errmsg: reply.errmsg },
          "mongo-wire: command failed",
        );
      else this.logger.trace({ command: name, db, ms: Date.now() - started }, "mongo-wire: command");
      return reply;
    };
    if (HANDSHAKE_COMMANDS.has(name.toLowerCase())) return run();
    const reply = await this.queue.run(run);
    // the reply leaves only once the command's changes are on disk (group commit)
    if (commit) {
      try {
        await commit;
      } catch (err) {
        return {
          ok: 0,
          code: ErrorCodes.InternalError,
          codeName: "InternalError",
          errmsg: (err as Error).message,
        };
      }
    }
    return reply;
  }
}

/** Starts the embedded MongoDB-wire-protocol server. */
export async function startMongoWire(opts: MongoWireOptions = {}): Promise<MongoWireServer> {
  const logger = opts.logger ?? pino({ level: "silent" });
  const host = opts.host ?? "127.0.0.1";
  let store = new Store();
  let durable: Durability | undefined;
  if (opts.dataFile) {
    const dataFile = path.resolve(opts.dataFile);
    await mkdir(path.dirname(dataFile), { recursive: true });
    const lock = await acquireLock(dataFile, logger);
    try {
      const r = await recover(dataFile, logger);
      store = r.store;
      durable = {
        journal: r.journal,
        persister: new Persister(store, dataFile, r.journal, logger, r, opts.snapshotAfterJournalBytes),
        lock,
      };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }
  const server = new Server(store, logger, durable, Math.max(10, opts.ttlMonitorIntervalMs ?? 60_000));
  let port: number;
  try {
    port = await server.listen(opts.port ?? 0, host);
  } catch (err) {
    await server.close();
    throw err;
  }
  const uriHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const uri = `mongodb://${uriHost}:${port}/?directConnection=true`;
  logger.info({ uri, dataFile: opts.dataFile }, "mongo-wire: listening");
  return {
    uri,
    port,
    faults: server.faults,
    flush: () => server.flush(),
    journalStats: () => durable && { ...durable.journal.stats },
    close: () => server.close(),
  };
}
