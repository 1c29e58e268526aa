import { readlinkSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";

/**
 * A background thread's CPU priority that gives way while the bot's own event loop is busy: at `idle`
 * nice (10) while the bot's thread is mostly waiting, at `busy` nice (19) while it is busy (card
 * callbacks arriving), so on two cores the callbacks get the CPU first and the background work still
 * runs at a tenth of a normal weight when the bot is quiet (never starved for long, as a fixed nice 19
 * would be on a machine busy with other work). Linux sets nice per thread (by its thread id, from any
 * thread); elsewhere nothing changes. Raising a priority again needs root (CAP_SYS_NICE): without it the
 * thread is never lowered (it would stay at 19 for good) and keeps the nice value it set itself.
 *
 * The bot's thread samples its own event-loop utilisation every `everyMs` while `start()`ed (the work
 * starts at the busy priority); one sample at or above `busyAt` lowers the priority at once, `calmMs` of
 * samples below raise it again.
 */
export class YieldingPriority {
  private timer?: NodeJS.Timeout;
  private current?: number;
  private calmSince = 0;
  private last = performance.eventLoopUtilization();

  constructor(
    private readonly tid: number,
    private readonly o: {
      idle?: number;
      busy?: number;
      busyAt?: number;
      everyMs?: number;
      calmMs?: number;
    } = {},
  ) {}

  /** Nice values set so far (for tests). */
  readonly changes: number[] = [];

  start(): void {
    if (this.timer || process.getuid?.() !== 0) return;
    this.last = performance.eventLoopUtilization();
    // Busy until shown calm: the first `calmMs` of the background work never compete at full weight.
    this.calmSince = 0;
    this.set(this.o.busy ?? 19);
    this.timer = setInterval(() => this.sample(), this.o.everyMs ?? 100);
    this.timer.unref();
  }

  /** Stops sampling and leaves the thread at its idle priority (`restore: false`: the thread is gone). */
  stop(restore = true): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (restore && this.current !== undefined) this.set(this.o.idle ?? 10);
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    if (elu >= (this.o.busyAt ?? 0.5)) {
      this.calmSince = 0;
      this.set(this.o.busy ?? 19);
      return;
    }
    const t = Date.now();
    if (!this.calmSince) this.calmSince = t;
    if (t - this.calmSince >= (this.o.calmMs ?? 500)) this.set(this.o.idle ?? 10);
  }

  private set(nice: number): void {
    if (this.current === nice || !(this.tid > 0)) return;
    try {
      os.setPriority(this.tid, nice);
      this.current = nice;
      this.changes.push(nice);
    } catch {
      // not allowed here: the thread keeps the priority it has
    }
  }
}

/** The calling thread's id on Linux (for `YieldingPriority`), or 0 elsewhere. */
export function threadId(): number {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop()) || 0;
  } catch {
    return 0;
  }
}
