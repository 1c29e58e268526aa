import { readdirSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";

/**
 * Background work in a child process (the exports) that gives way to the bot's own event loop, so that
 * card callbacks keep their answer time while a ledger or a report is built.
 *
 * A lower CPU priority alone did not do it on two cores (docs/benchmarks.md): the background work's
 * garbage collection and its queries still ran beside the callbacks at full weight, and the callbacks'
 * 99th percentile doubled. So while the bot's loop is busy (its event-loop utilisation at or above
 * `busyAt` in a sample) the child is paced: stopped (SIGSTOP) and let run (SIGCONT) for `runMs` of every
 * `periodMs`: its share of the CPU is then bounded whatever it does, and it still always progresses.
 * `calmMs` of calm samples let it run freely again. Where signals cannot stop a process (Windows) it
 * is never paced. The child's priority is set by itself (`lowerOwnPriority`).
 *
 * A paced child is always continued: by `stop()`, when the child is not needed (no work running), and
 * when this process exits (`process.on("exit")`). For this process killed with SIGKILL, the caller
 * starts the child so that the kernel kills it too (src/exports/export-process.ts: `setpriv
 * --pdeathsig KILL` on Linux); without that, a child stopped at that moment stays stopped until its
 * process group is orphaned (POSIX then sends SIGHUP + SIGCONT) and exits when it finds its parent gone.
 */
export interface GiveWayOptions {
  busyAt?: number;
  everyMs?: number;
  calmMs?: number;
  periodMs?: number;
  runMs?: number;
}

const DEFAULTS = { busyAt: 0.5, everyMs: 100, calmMs: 500, periodMs: 100, runMs: 10 };

export class GiveWay {
  private sampler?: NodeJS.Timeout;
  private cycle?: NodeJS.Timeout;
  private last = performance.eventLoopUtilization();
  private calmSince = 0;
  private stopped = false;
  private readonly o: typeof DEFAULTS;
  private readonly onExit = () => this.signal("SIGCONT");
  /** How often the child was stopped (for tests and the benchmark's numbers). */
  pauses = 0;

  constructor(
    private readonly pid: number,
    o: GiveWayOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...o };
  }

  /** Starts watching this loop (work was handed to the child); a second call changes nothing. */
  start(): void {
    if (this.sampler || process.platform === "win32") return;
    this.last = performance.eventLoopUtilization();
    this.calmSince = 0;
    this.sampler = setInterval(() => this.sample(), this.o.everyMs);
    this.sampler.unref();
    process.on("exit", this.onExit);
  }

  /** Stops watching and lets the child run (no work left, or the child is closing). */
  stop(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
    this.free();
    process.off("exit", this.onExit);
  }

  /** True while the child is being paced. */
  get pacing(): boolean {
    return this.cycle !== undefined;
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    if (elu >= this.o.busyAt) {
      this.calmSince = 0;
      if (!this.cycle) this.pause();
      return;
    }
    const t = Date.now();
    if (!this.calmSince) this.calmSince = t;
    if (t - this.calmSince >= this.o.calmMs) this.free();
  }

  /** One period: stopped for periodMs − runMs, then running for runMs, again until freed. */
  private pause(): void {
    if (!this.signal("SIGSTOP")) return;
    this.stopped = true;
    this.pauses++;
    this.cycle = setTimeout(() => {
      this.signal("SIGCONT");
      this.stopped = false;
      this.cycle = setTimeout(() => this.pause(), this.o.runMs);
    }, this.o.periodMs - this.o.runMs);
  }

  private free(): void {
    if (this.cycle) clearTimeout(this.cycle);
    this.cycle = undefined;
    if (this.stopped) this.signal("SIGCONT");
    this.stopped = false;
  }

  private signal(sig: "SIGSTOP" | "SIGCONT"): boolean {
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false; // gone, or not a platform with job control
    }
  }
}

/**
 * Lowers the calling process's CPU priority, every thread of it (Linux sets nice per thread, and V8's
 * garbage-collection helpers were started before any of this code ran). Best effort.
 */
export function lowerOwnPriority(nice: number): void {
  let tids: number[];
  try {
    tids = readdirSync("/proc/self/task").map(Number);
  } catch {
    tids = [0];
  }
  for (const tid of tids) {
    try {
      os.setPriority(tid, nice);
    } catch {
      // not allowed: this thread keeps its priority
    }
  }
}
