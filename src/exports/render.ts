import { runOneShotWorker, WorkerStartError } from "../util/one-shot-worker";
import { AppError, type AppErrorKind } from "../errors";
import type { Logger } from "../logger";
import type { ExportData, ResolvedFilters } from "./data";
import { ledgerView } from "./ledger-view";
import { writeLedger } from "./ledger-writer";
import { reportView, type ReportStats } from "./report-view";
import { writeReport } from "./report-writer";

/**
 * The CPU-heavy half of an export (the view and the exceljs / docx writer: ~0.4 s each for 3,000
 * measures) runs in a worker thread, so the bot's event loop keeps answering card callbacks meanwhile.
 * The main thread reads the data (plain objects, Maps, Sets, Dates: structured clone carries them) and
 * awaits the worker, which writes the file to `outPath`. If a worker cannot start, rendering falls back
 * to this thread with a warning.
 */
export type RenderJob =
  | {
      kind: "ledger";
      data: ExportData;
      filters: ResolvedFilters;
      lang: "zh" | "en";
      /** Working days from today to each due date in the data (functions do not cross threads). */
      workingDays: Record<string, number>;
      outPath: string;
    }
  | { kind: "report"; data: ExportData; outPath: string };

export type Rendered =
  | { kind: "ledger"; rows: number; measureRows: number }
  | { kind: "report"; sections: number; stats: ReportStats };

/** Views and writer in the calling thread (the worker's body, and the fallback). */
export async function renderHere(job: RenderJob): Promise<Rendered> {
  if (job.kind === "ledger") {
    const model = ledgerView({
      data: job.data,
      filters: job.filters,
      lang: job.lang,
      workingDaysUntil: (due) => job.workingDays[due] ?? 0,
    });
    await writeLedger(model, job.outPath);
    return {
      kind: "ledger",
      rows: model.rows.filter((r) => r.state !== "none").length,
      measureRows: model.measureRows,
    };
  }
  const model = reportView(job.data);
  await writeReport(model, job.outPath);
  return { kind: "report", sections: model.sections, stats: model.stats };
}

/** How many renders ran in a worker thread and how many fell back to the main thread (for tests, logs). */
export const renderCounts = { worker: 0, inThread: 0 };

/** This module's sibling worker: a .mjs entry that registers tsx (the code base runs as TypeScript). */
function workerUrl(): URL {
  const self = import.meta.url;
  return new URL(self.endsWith(".ts") ? "./render-worker.mjs" : "./render-worker.js", self);
}

export interface WorkerError {
  message: string;
  name?: string;
  app?: { kind: AppErrorKind; zh: string; en: string };
}

/** An error from the worker, an AppError again if it was one (its zh / en text reaches the asker). */
export function fromWorker(e: WorkerError | undefined): Error {
  if (e?.app) return new AppError(e.app.kind, e.app.zh, e.app.en);
  return Object.assign(new Error(e?.message ?? "export render failed"), { name: e?.name ?? "Error" });
}

/** An error as it crosses to the parent thread (an AppError keeps its kind and zh / en text). */
export function toWorkerError(e: unknown): WorkerError {
  return e instanceof AppError
    ? { message: e.message, name: e.name, app: { kind: e.kind, zh: e.zh, en: e.en } }
    : e instanceof Error
      ? { message: e.message, name: e.name }
      : { message: String(e) };
}

function inWorker(job: RenderJob): Promise<Rendered> {
  return runOneShotWorker<Rendered, WorkerError>(workerUrl(), job, {
    what: "export render worker",
    fromError: fromWorker,
  });
}

export async function render(job: RenderJob, log?: Logger): Promise<Rendered> {
  try {
    const r = await inWorker(job);
    renderCounts.worker++;
    return r;
  } catch (e) {
    if (!(e instanceof WorkerStartError)) throw e;
    log?.warn({ err: e.message }, "export render worker could not start; rendering in the main thread");
    renderCounts.inThread++;
    return renderHere(job);
  }
}
