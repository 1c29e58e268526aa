import mongoose from "mongoose";
import { createModels } from "../repositories/models";
import { lowerOwnPriority } from "../util/give-way";
import { threadLogger } from "../util/thread-log";
import { buildLedger, buildReport, type ExportSteps } from "./index";
import { renderHere, toWorkerError } from "./render";
import type { FromExportProcess, ToExportProcess } from "./export-process";

/** The export process of src/exports/export-process.ts: its own MongoDB connection; reads, renders, writes. */
const send = (m: FromExportProcess) => {
  if (process.connected) process.send!(m);
};
const mongoUri = process.env.EXPORT_MONGODB_URI ?? "";
const logger = threadLogger({ postMessage: send }, process.env.EXPORT_LOG_LEVEL ?? "info", {
  component: "export-process",
});

const asked = new Map<number, (days: Record<string, number>) => void>();

/**
 * An export is background work and the bot's callbacks come first: every thread of this process runs at
 * nice 10, a tenth of the CPU weight of a normal one (not 19: on a machine shared with other work an
 * export must still finish), and the bot pauses the whole process while its own loop is busy
 * (src/util/give-way.ts). Where not allowed, it keeps normal priority.
 */
const NICE = 10;

async function main() {
  lowerOwnPriority(NICE);
  // The bot gone (its IPC channel closed): nothing is waiting for an export, stop.
  process.on("disconnect", () => process.exit(0));
  // One connection: the export's reads reach the store one at a time, so a callback's write waits behind
  // at most one of them (with four, it could queue behind four).
  const conn = await mongoose
    .createConnection(mongoUri, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 1 })
    .asPromise();
  const models = createModels(conn);
  process.on("message", (m: ToExportProcess) => {
    if ("close" in m) {
      void conn.close().finally(() => process.exit(0));
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
  send({ ready: true });
}

main().catch((e: unknown) => {
  send({ failed: toWorkerError(e) });
  process.exitCode = 1;
  process.disconnect?.();
});
