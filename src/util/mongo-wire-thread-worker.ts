import { parentPort, workerData } from "node:worker_threads";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { threadLogger } from "./thread-log";
import type { StoreThreadOptions } from "./mongo-wire-thread";

/** The embedded store's worker thread (src/util/mongo-wire-thread.ts). */
const port = parentPort!;
const opts = workerData as StoreThreadOptions & { entry: string; logLevel?: string };
const logger = opts.logLevel ? threadLogger(port, opts.logLevel, { component: "mongo-wire" }) : undefined;

startMongoWire({
  ...(opts.dataFile ? { dataFile: opts.dataFile } : {}),
  ...(opts.snapshotAfterJournalBytes ? { snapshotAfterJournalBytes: opts.snapshotAfterJournalBytes } : {}),
  ...(logger ? { logger } : {}),
}).then(
  (store) => {
    port.on("message", (m: { id: number; op: "journalStats" | "flush" | "close" }) => {
      const answer = (p: Promise<unknown>) =>
        p.then(
          (value) => port.postMessage({ id: m.id, value }),
          (e: unknown) => port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
        );
      if (m.op === "journalStats") void answer(Promise.resolve(store.journalStats()));
      else if (m.op === "flush") void answer(store.flush());
      else if (m.op === "close") void answer(store.close()).then(() => port.close());
    });
    port.postMessage({ ready: { uri: store.uri, port: store.port } });
  },
  (e: unknown) =>
    port.postMessage({
      failed: {
        name: e instanceof Error ? e.name : "Error",
        message: e instanceof Error ? e.message : String(e),
      },
    }),
);
