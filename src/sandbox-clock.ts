import type { Redis } from "ioredis";
import type { Logger } from "./logger";
import { createRedis } from "./redis";

/**
 * The local sandbox's own clock: real time plus an offset kept in Redis, so the bot, its jobs and the
 * emulator of a sandbox `npm start` see the same "now", and `sandbox play` can move it forward (overdue
 * work needs time to pass). Only sandbox processes read it; outside the sandbox time is real time.
 * The offset only grows: moving back in time would undo deadlines and card ages already seen.
 */
export function clockKey(prefix: string): string {
  return `${prefix}:sandbox:clock-offset-ms`;
}

export async function readClockOffset(redis: Redis, prefix: string): Promise<number> {
  const v = Number(await redis.get(clockKey(prefix)));
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * Move the sandbox clock forward to `target` (epoch ms); a target in the sandbox's past changes
 * nothing. Answers the sandbox's time afterwards.
 */
export async function advanceClockTo(redis: Redis, prefix: string, target: number): Promise<number> {
  // Atomic and monotonic across processes: take the larger offset.
  const script =
    "local c = tonumber(redis.call('GET', KEYS[1]) or '0'); local n = tonumber(ARGV[1]); " +
    "if n > c then redis.call('SET', KEYS[1], ARGV[1]); return n end; return c";
  const offset = Number(await redis.eval(script, 1, clockKey(prefix), Math.round(target - Date.now())));
  return Date.now() + Math.max(0, offset);
}

const STEP_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
/** The longest single step (a year): a typo like `+3000d` is refused, not obeyed. */
const MAX_STEP_MS = 366 * 86_400_000;

/**
 * A clock step as typed on the CLI or the page: `+30m`, `+2h`, `+3d`, `+1w`. Undefined when it is not
 * one (the clock never moves back by a step, and never by more than a year at once).
 */
export function parseClockStep(step: string): number | undefined {
  const m = /^\+?(\d{1,4})([mhdw])$/.exec(step.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * STEP_MS[m[2] as keyof typeof STEP_MS];
  return ms > 0 && ms <= MAX_STEP_MS ? ms : undefined;
}

/** Move the sandbox clock forward by `ms` from its current time. Answers the new time. */
export async function advanceClockBy(redis: Redis, prefix: string, ms: number): Promise<number> {
  const now = Date.now() + (await readClockOffset(redis, prefix));
  return advanceClockTo(redis, prefix, now + ms);
}

/**
 * Back to real time (`sandbox clock reset`): the one way the clock goes back, asked for by name. A
 * running sandbox follows it within its poll interval.
 */
export async function resetClock(redis: Redis, prefix: string): Promise<void> {
  await redis.del(clockKey(prefix));
}

export class SandboxClock {
  private offsetMs = 0;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Read the offset now and follow it (every `pollMs`). */
  static async start(redisUrl: string, prefix: string, log: Logger, pollMs = 200): Promise<SandboxClock> {
    const c = new SandboxClock(createRedis(redisUrl, log, { name: "sandbox-clock" }), prefix, log);
    await c.refresh();
    c.timer = setInterval(() => void c.refresh(), pollMs);
    c.timer.unref();
    if (c.offsetMs > 0)
      log.info({ now: new Date(c.now()).toISOString() }, "sandbox clock is ahead of real time");
    return c;
  }

  private async refresh(): Promise<void> {
    try {
      const o = await readClockOffset(this.redis, this.prefix);
      // Forward only, except an explicit reset (the key removed): back to real time.
      if (o > this.offsetMs || (o === 0 && this.offsetMs > 0)) {
        this.offsetMs = o;
        this.log.info({ now: new Date(this.now()).toISOString() }, "sandbox clock moved");
      }
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, "sandbox clock: cannot read Redis");
    }
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  date(): Date {
    return new Date(this.now());
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
