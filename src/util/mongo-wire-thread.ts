import { Worker } from "node:worker_threads";
import type { Logger } from "../logger";
import { relayLog } from "./thread-log";
import { workerEntry } from "./worker-url";

/**
 * The embedded MongoDB-wire store (@rectify-bot/mongo-wire) in a worker thread of its own, for
 * `npm start` without MONGODB_URI (local runs, the sandbox) and the benches. In the bot's own thread the
 * store's query processing (an export's large reads, its cursors, the journal) ran on the event loop
 * that answers Feishu's callbacks; here it has an event loop and a heap of its own, and the bot talks to
 * it over TCP as to any MongoDB. Its logs go through `logger`.
 */
export interface StoreThreadOptions {
  dataFile?: string;
  snapshotAfterJournalBytes?: number;
}

export interface StoreThread {
  uri: string;
  port: number;
  /** With a data file: journal fsyncs and records since start. */
  journalStats(): Promise<{ syncs: number; records: number } | undefined>;
  flush(): Promise<void>;
  /** Stops the store (its connections dropped, data flushed) and the thread. */
  close(): Promise<void>;
}

type FromStore =
  | { log: string }
  | { ready: { uri: string; port: number } }
  | { failed: { name: string; message: string } }
  | { id: number; value?: unknown; error?: string };

export function startMongoWireThread(
  opts: StoreThreadOptions & { logger?: Logger } = {},
): Promise<StoreThread> {
  const { logger, ...rest } = opts;
  const entry = workerEntry(import.meta.url, "./mongo-wire-thread-worker");
  const worker = new Worker(entry.url, {
    workerData: { ...entry.workerData, ...rest, logLevel: logger?.level },
    execArgv: [],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const call = <T>(op: string): Promise<T> => {
    if (exited) return Promise.reject(new Error("the store thread has stopped"));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op });
    });
  };
  return new Promise((resolve, reject) => {
    let started = false;
    let closing: Promise<void> | undefined;
    worker.on("message", (m: FromStore) => {
      if ("log" in m) return relayLog(logger, m.log);
      if ("failed" in m) {
        void worker.terminate();
        return reject(Object.assign(new Error(m.failed.message), { name: m.failed.name }));
      }
      if ("ready" in m) {
        started = true;
        return resolve({
          ...m.ready,
          journalStats: () => call("journalStats"),
          flush: () => call<void>("flush"),
          close: () =>
            (closing ??= call<void>("close").then(
              () => new Promise<void>((done) => (exited ? done() : worker.once("exit", () => done()))),
            )),
        });
      }
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.value);
    });
    worker.on("error", (e) => {
      logger?.error({ err: e.message }, "embedded store thread failed");
      if (!started) reject(e);
    });
    worker.on("exit", (code) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`the store thread exited (code ${code})`));
      pending.clear();
      if (!started) reject(new Error(`the store thread exited (code ${code}) before it started`));
      else if (!closing) logger?.fatal({ code }, "embedded store thread exited unexpectedly");
    });
  });
}
