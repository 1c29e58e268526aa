import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import mongoose from "mongoose";
import { createModels } from "../repositories/models";
import { threadLogger } from "../util/thread-log";
import { threadId } from "../util/yield-priority";
import { buildLedger, buildReport, type ExportSteps } from "./index";
import { renderHere, toWorkerError } from "./render";
import type { FromExportThread, ToExportThread } from "./thread";

/** The export thread of src/exports/thread.ts: its own MongoDB connection; reads, renders, writes. */
const port = parentPort!;
const { mongoUri, logLevel } = workerData as { mongoUri: string; logLevel?: string };
const logger = threadLogger(port, logLevel ?? "info", { component: "export-thread" });
const send = (m: FromExportThread) => port.postMessage(m);

const asked = new Map<number, (days: Record<string, number>) => void>();

/**
 * An export is background work and the bot's callbacks come first: on Linux this thread alone (the nice
 * value is per thread there) runs at nice 10, a tenth of the CPU weight of a normal thread, so on a busy
 * machine the bot's thread and the store's get the cores first. Not 19: on a machine shared with other
 * work an export must still finish. Elsewhere, or if not allowed, it keeps normal priority.
 */
const NICE = 10;
function lowerPriority(tid: number) {
  try {
    if (tid > 0) os.setPriority(tid, NICE);
  } catch {
    // not allowed: the thread runs at normal priority
  }
}

async function main() {
  const tid = threadId();
  lowerPriority(tid);
  // One connection: the export's reads reach the store one at a time, so a callback's write waits behind
  // at most one of them (with four, it could queue behind four).
  const conn = await mongoose
    .createConnection(mongoUri, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 1 })
    .asPromise();
  const models = createModels(conn);
  port.on("message", (m: ToExportThread) => {
    if ("close" in m) {
      void conn.close().finally(() => port.close());
      return;
    }
    if ("days" in m) {
      asked.get(m.days.id)?.(m.days.workingDays);
      asked.delete(m.days.id);
      return;
    }
    const job = m.run;
    const d = { models, now: () => new Date(job.nowMs), logger };
    const steps: ExportSteps = {
      workingDays: (today, dates) =>
        new Promise((resolve) => {
          asked.set(job.id, resolve);
          send({ ask: { id: job.id, today, dates: [...new Set(dates)] } });
        }),
      render: renderHere,
    };
    const build = job.kind === "ledger" ? buildLedger : buildReport;
    build(d, job.req, job.outPath, steps).then(
      (result) => send({ done: { id: job.id, result } }),
      (e: unknown) => send({ error: { id: job.id, err: toWorkerError(e) } }),
    );
  });
  // The bot's thread lowers this thread further while its callbacks keep it busy (YieldingPriority).
  send({ ready: true, tid });
}

main().catch((e: unknown) => {
  send({ failed: toWorkerError(e) });
});
