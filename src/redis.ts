import { Redis } from "ioredis";
import type { Logger } from "./logger";

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (blocking commands must wait out a
 * reconnect instead of failing); every connection gets an error listener so a dropped connection is
 * logged, not an unhandled 'error' event. `failFast` is for the webhook's claims: no offline queue and a
 * short command timeout, so a request fails in well under Feishu's 3 s while Redis is away.
 */
export function createRedis(
  url: string,
  logger: Logger,
  opts: { name?: string; forBullmq?: boolean; autoPipelining?: boolean; failFast?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: opts.forBullmq ? null : opts.failFast ? 0 : 3,
    enableReadyCheck: true,
    connectionName: opts.name,
    lazyConnect: false,
    // Commands issued in the same event-loop turn go out as one write (not on BullMQ's connection).
    enableAutoPipelining: opts.autoPipelining === true,
    ...(opts.failFast ? { enableOfflineQueue: false, commandTimeout: FAIL_FAST_TIMEOUT_MS } : {}),
  });
  redis.on("error", (err) => logger.warn({ err: err.message, redis: opts.name }, "redis connection error"));
  return redis;
}

/** How long a fail-fast command may take before it is given up. */
export const FAIL_FAST_TIMEOUT_MS = 500;

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms (${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}

export interface RedisWatchOptions {
  redis: Redis;
  /** A key that lives as long as Redis keeps its data (no expiry). */
  markerKey: string;
  logger: Logger;
  /** Something that should be in Redis is not (job schedulers of active campaigns). */
  lacking(): Promise<string | undefined>;
  /** Put back what Redis lost: schedulers, and the sends queued but not sent (from MongoDB). */
  repair(why: string): Promise<void>;
}

/**
 * Notices a Redis that came back without its data and repairs it. At start-up and on every `ready`
 * (a reconnect): if the marker key is gone (Redis restarted empty) or something is lacking, repair runs,
 * then the marker is set again. `health()` is the /readyz check: it fails while Redis is away or a repair
 * is running, with the reason.
 */
export class RedisWatch {
  private repairing: string | undefined;
  /** Checks asked for and not finished (counted synchronously on `ready`, before any request). */
  private pending = 0;
  private failed: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly onReady = () => void this.check();

  constructor(private readonly o: RedisWatchOptions) {}

  /** Check now, and again on every reconnect. */
  async start(): Promise<void> {
    await this.check();
    this.o.redis.on("ready", this.onReady);
  }

  stop(): void {
    this.o.redis.off("ready", this.onReady);
  }

  /** One check at a time; a reconnect during a repair checks again after it. */
  check(): Promise<void> {
    this.pending++;
    this.chain = this.chain.then(() => this.checkOnce()).finally(() => void this.pending--);
    return this.chain;
  }

  private async checkOnce(): Promise<void> {
    try {
      const marked = (await this.o.redis.exists(this.o.markerKey)) === 1;
      const why = marked
        ? await this.o.lacking()
        : "Redis holds no marker of this bot (a first start, or Redis restarted empty)";
      if (why) {
        this.repairing = why;
        // A first start looks like a Redis that lost everything: say it plainly, not as an alarm.
        const log = marked ? this.o.logger.warn.bind(this.o.logger) : this.o.logger.info.bind(this.o.logger);
        log({ why }, "redis: re-syncing schedulers and unsent sends from MongoDB");
        await this.o.repair(why);
        log({ why }, "redis: in sync");
      }
      await this.o.redis.set(this.o.markerKey, new Date().toISOString());
      this.repairing = undefined;
      this.failed = undefined;
    } catch (e) {
      // Redis went away again; the next `ready` tries again.
      this.failed = e instanceof Error ? e.message : String(e);
      this.o.logger.error({ err: this.failed }, "redis: check or repair failed");
    }
  }

  async health(): Promise<void> {
    const r = this.o.redis;
    if (r.status !== "ready") throw new Error(`Redis is not connected (${r.status})`);
    if (this.repairing) throw new Error(`Redis is being repaired: ${this.repairing}`);
    if (this.pending) throw new Error("Redis reconnected; checking what it still holds");
    if (this.failed) throw new Error(`Redis check failed: ${this.failed}`);
    await r.ping();
  }
}
