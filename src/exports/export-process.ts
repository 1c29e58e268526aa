import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Logger } from "../logger";
import type { ServiceDeps } from "../services/context";
import { GiveWay, type GiveWayOptions } from "../util/give-way";
import { relayLog } from "../util/thread-log";
import { processEntry } from "../util/worker-url";
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
 * The bot's exports in a long-lived child process with a MongoDB connection of its own (issue 11 §5).
 * Reading an export's data (10,000 assignments, 3,000 measures, their progress and audit entries) and
 * turning the driver's BSON into objects stalled the bot's event loop for 100–250 ms at a time; here the
 * child reads, lays out and writes the file, and the bot's thread sends only the request (campaign,
 * scope, filters, language, the clock's now) and gets back the file's path and summary. The calendar
 * stays in the bot's thread: the child asks it for the working days to the due dates it found.
 *
 * A process, not a worker thread: the callbacks come first, and only a process can be paced as a whole
 * (its garbage collection included) while the bot's loop is busy (src/util/give-way.ts); its threads
 * run at nice 10. (In a worker thread, lowering its priority still left the callbacks' p99 at 54–83 ms
 * while exports ran, against 30 ms without: docs/benchmarks.md.)
 *
 * The process starts on the first export, survives a failed export (the error, an AppError with its
 * zh / en text, goes to the asker), is started again after a crash (the exports it was building fail),
 * and is stopped by `close()` (its connection closed first). If it cannot start, the export is built
 * in the calling thread as before, with a warning.
 */
export type ExportKind = "ledger" | "report";

export interface ExportJobMessage {
  id: number;
  kind: ExportKind;
  req: Omit<ExportRequest, "calendar">;
  outPath: string;
  /** The bot's clock at the request (the sandbox has a clock of its own). */
  nowMs: number;
}

export type ToExportProcess =
  { run: ExportJobMessage } | { days: { id: number; workingDays: Record<string, number> } } | { close: true };

export type FromExportProcess =
  | { log: string }
  | { ready: true }
  | { failed: WorkerError }
  | { ask: { id: number; today: string; dates: string[] } }
  | { done: { id: number; result: ExportResult } }
  | { error: { id: number; err: WorkerError } };

class StartError extends Error {}

const SETPRIV = process.platform === "linux" ? ["/usr/bin/setpriv", "/bin/setpriv"] : [];

interface Running {
  resolve(r: ExportResult): void;
  reject(e: Error): void;
  workingDays(today: string, dates: string[]): Record<string, number>;
}

export class ExportProcess {
  private child?: ChildProcess;
  private starting?: Promise<ChildProcess>;
  private readonly running = new Map<number, Running>();
  private nextId = 1;
  private closed = false;
  /** Paces the child while the bot's own loop is busy and an export runs. */
  private giveWay?: GiveWay;
  /** Processes started (the first, and one after each crash); for tests and logs. */
  starts = 0;

  constructor(private readonly opts: { mongoUri: string; logger?: Logger; giveWay?: GiveWayOptions }) {}

  /** The running child's process id (for tests and the benchmark's memory numbers). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How often the child was paused to give way (for tests and the benchmark). */
  get pauses(): number {
    return this.giveWay?.pauses ?? 0;
  }

  /** Builds one export in the child; the file is at `outPath` when this resolves. */
  async run(d: ServiceDeps, kind: ExportKind, req: ExportRequest, outPath: string): Promise<ExportResult> {
    if (this.closed) throw new Error("the export process is closed");
    let child: ChildProcess;
    try {
      child = await this.start();
    } catch (e) {
      if (!(e instanceof StartError)) throw e;
      this.opts.logger?.warn({ err: e.message }, "export process could not start; exporting in this thread");
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
      this.giveWay?.start();
      this.send(child, { run: { id, kind, req: plain, outPath, nowMs: d.now().getTime() } });
    });
  }

  /** Stops the child: its MongoDB connection is closed, then it exits (killed if it hangs). */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child ?? (await this.starting?.catch(() => undefined));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.giveWay?.stop();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    this.send(child, { close: true });
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private send(child: ChildProcess, m: ToExportProcess): void {
    if (child.connected) child.send(m);
  }

  private start(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= new Promise<ChildProcess>((resolve, reject) => {
      const entry = processEntry(import.meta.url, "./export-process-main");
      let child: ChildProcess;
      try {
        const options = {
          env: {
            ...process.env,
            EXPORT_MONGODB_URI: this.opts.mongoUri,
            EXPORT_LOG_LEVEL: this.opts.logger?.level ?? "info",
          },
          serialization: "advanced" as const,
          stdio: ["ignore", "inherit", "inherit", "ipc"] as ("ignore" | "inherit" | "ipc")[],
        };
        // Killed by the kernel when the bot dies, even by SIGKILL and even while paused (a stopped
        // process never sees its parent go): util-linux's setpriv, on every Linux (Debian: essential).
        // Plain node either way: not the loader flags of whatever started the bot (tsx, a test runner).
        const setpriv = SETPRIV.find((f) => existsSync(f));
        child = setpriv
          ? spawn(
              setpriv,
              ["--pdeathsig", "KILL", "--", process.execPath, entry.file, ...entry.args],
              options,
            )
          : fork(entry.file, entry.args, { ...options, execArgv: [] });
      } catch (e) {
        this.starting = undefined;
        return reject(new StartError(e instanceof Error ? e.message : String(e)));
      }
      this.starts++;
      // Paced from the start: loading its modules is the first CPU an export costs.
      this.giveWay?.stop();
      this.giveWay = child.pid ? new GiveWay(child.pid, this.opts.giveWay) : undefined;
      this.giveWay?.start();
      let ready = false;
      child.on("message", (m: FromExportProcess) => {
        if ("log" in m) return relayLog(this.opts.logger, m.log);
        if ("ready" in m) {
          ready = true;
          this.child = child;
          this.starting = undefined;
          return resolve(child);
        }
        if ("failed" in m) {
          child.kill("SIGKILL");
          return reject(new StartError(m.failed.message));
        }
        if ("ask" in m) {
          const r = this.running.get(m.ask.id);
          const workingDays = r ? r.workingDays(m.ask.today, m.ask.dates) : {};
          return this.send(child, { days: { id: m.ask.id, workingDays } });
        }
        const id = "done" in m ? m.done.id : m.error.id;
        const r = this.running.get(id);
        this.running.delete(id);
        if (this.running.size === 0) this.giveWay?.stop();
        if ("done" in m) r?.resolve(m.done.result);
        else r?.reject(fromWorker(m.error.err));
      });
      child.on("error", (e) => this.opts.logger?.error({ err: e.message }, "export process failed"));
      child.on("exit", (code, signal) => {
        if (this.child === child) this.child = undefined;
        const how = signal ?? `code ${code}`;
        if (!ready) {
          this.giveWay?.stop();
          this.starting = undefined;
          reject(new StartError(`the export process exited (${how}) before it started`));
          return;
        }
        this.giveWay?.stop();
        this.giveWay = undefined;
        if (this.closed && this.running.size === 0) return;
        this.opts.logger?.error(
          { code, signal, exports: this.running.size },
          "export process exited; its exports failed, the next one starts it again",
        );
        for (const r of this.running.values()) r.reject(new Error(`the export process exited (${how})`));
        this.running.clear();
      });
    });
    return this.starting;
  }
}
