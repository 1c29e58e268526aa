import { Worker } from "node:worker_threads";
import type { Logger } from "../logger";
import type { ServiceDeps } from "../services/context";
import { relayLog } from "../util/thread-log";
import { workerEntry } from "../util/worker-url";
import { YieldingPriority } from "../util/yield-priority";
import {
  buildLedger,
  buildReport,
  calendarOf,
  stepsHere,
  workingDaysFrom,
  type ExportRequest,
  type ExportResult,
} from "./index";
import { fromWorker, type WorkerError } from "./render";

/**
 * The bot's exports in a long-lived worker thread with a MongoDB connection of its own (issue 11 §5).
 * Reading an export's data (10,000 assignments, 3,000 measures, their progress and audit entries) and
 * turning the driver's BSON into objects stalled the bot's event loop for 100–250 ms at a time, and
 * copying the data into a render worker cost more; here the thread reads, lays out and writes the file,
 * and the bot's thread sends only the request (campaign, scope, filters, language, the clock's now)
 * and gets back the file's path and summary. The calendar stays in the bot's thread: the export thread
 * asks it for the working days to the due dates it found.
 *
 * The thread starts on the first export, survives a failed export (the error, an AppError with its
 * zh / en text, goes to the asker), is started again after a crash (the exports it was building fail),
 * and is stopped by `close()` (its connection closed first). If it cannot start, the export is built
 * in the calling thread as before, with a warning.
 */
export type ExportKind = "ledger" | "report";

export interface ExportThreadJob {
  id: number;
  kind: ExportKind;
  req: Omit<ExportRequest, "calendar">;
  outPath: string;
  /** The bot's clock at the request (the sandbox has a clock of its own). */
  nowMs: number;
}

export type ToExportThread =
  { run: ExportThreadJob } | { days: { id: number; workingDays: Record<string, number> } } | { close: true };

export type FromExportThread =
  | { log: string }
  | { ready: true; tid?: number }
  | { failed: WorkerError }
  | { ask: { id: number; today: string; dates: string[] } }
  | { done: { id: number; result: ExportResult } }
  | { error: { id: number; err: WorkerError } };

class StartError extends Error {}

interface Running {
  resolve(r: ExportResult): void;
  reject(e: Error): void;
  workingDays(today: string, dates: string[]): Record<string, number>;
}

export class ExportThread {
  private worker?: Worker;
  private starting?: Promise<Worker>;
  private readonly running = new Map<number, Running>();
  private nextId = 1;
  private closed = false;
  /** The thread's priority, lowered while the bot's own loop is busy and an export runs. */
  private priority?: YieldingPriority;
  /** Threads started (the first, and one after each crash); for tests and logs. */
  starts = 0;

  constructor(private readonly opts: { mongoUri: string; logger?: Logger }) {}

  /** Builds one export in the thread; the file is at `outPath` when this resolves. */
  async run(d: ServiceDeps, kind: ExportKind, req: ExportRequest, outPath: string): Promise<ExportResult> {
    if (this.closed) throw new Error("the export thread is closed");
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (e) {
      if (!(e instanceof StartError)) throw e;
      this.opts.logger?.warn({ err: e.message }, "export thread could not start; exporting in this thread");
      const here = stepsHere(d, req);
      return kind === "ledger" ? buildLedger(d, req, outPath, here) : buildReport(d, req, outPath, here);
    }
    const id = this.nextId++;
    const { calendar: _calendar, ...plain } = req;
    return new Promise<ExportResult>((resolve, reject) => {
      this.running.set(id, {
        resolve,
        reject,
        workingDays: (today, dates) => workingDaysFrom(calendarOf(d, req), today, dates),
      });
      this.priority?.start();
      const msg: ToExportThread = { run: { id, kind, req: plain, outPath, nowMs: d.now().getTime() } };
      worker.postMessage(msg);
    });
  }

  /** Stops the thread: its MongoDB connection is closed, then it exits (terminated if it hangs). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker ?? (await this.starting?.catch(() => undefined));
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ close: true } satisfies ToExportThread);
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private start(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= new Promise<Worker>((resolve, reject) => {
      const entry = workerEntry(import.meta.url, "./thread-worker");
      let worker: Worker;
      try {
        worker = new Worker(entry.url, {
          workerData: {
            ...entry.workerData,
            mongoUri: this.opts.mongoUri,
            logLevel: this.opts.logger?.level,
          },
          execArgv: [],
        });
      } catch (e) {
        this.starting = undefined;
        return reject(new StartError(e instanceof Error ? e.message : String(e)));
      }
      this.starts++;
      let ready = false;
      worker.on("message", (m: FromExportThread) => {
        if ("log" in m) return relayLog(this.opts.logger, m.log);
        if ("ready" in m) {
          ready = true;
          this.priority?.stop(false);
          this.priority = m.tid ? new YieldingPriority(m.tid) : undefined;
          this.worker = worker;
          this.starting = undefined;
          return resolve(worker);
        }
        if ("failed" in m) {
          void worker.terminate();
          return reject(new StartError(m.failed.message));
        }
        if ("ask" in m) {
          const r = this.running.get(m.ask.id);
          const workingDays = r ? r.workingDays(m.ask.today, m.ask.dates) : {};
          return worker.postMessage({ days: { id: m.ask.id, workingDays } } satisfies ToExportThread);
        }
        const id = "done" in m ? m.done.id : m.error.id;
        const r = this.running.get(id);
        this.running.delete(id);
        if (this.running.size === 0) this.priority?.stop();
        if ("done" in m) r?.resolve(m.done.result);
        else r?.reject(fromWorker(m.error.err));
      });
      worker.on("error", (e) => this.opts.logger?.error({ err: e.message }, "export thread failed"));
      worker.on("exit", (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (!ready) {
          this.starting = undefined;
          reject(new StartError(`the export thread exited (code ${code}) before it started`));
          return;
        }
        if (this.closed && this.running.size === 0) return;
        this.opts.logger?.error(
          { code, exports: this.running.size },
          "export thread exited; its exports failed, the next one starts it again",
        );
        for (const r of this.running.values()) r.reject(new Error(`the export thread exited (code ${code})`));
        this.running.clear();
        this.priority?.stop(false);
        this.priority = undefined;
      });
    });
    return this.starting;
  }
}
