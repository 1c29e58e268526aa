import { Redis } from "ioredis";
import type { Logger } from "./logger";

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (blocking commands must wait out a
 * reconnect instead of failing); every connection gets an error listener so a dropped connection is
 * logged, not an unhandled 'error' event.
 */
export function createRedis(
  url: string,
  logger: Logger,
  opts: { name?: string; forBullmq?: boolean; autoPipelining?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: opts.forBullmq ? null : 3,
    enableReadyCheck: true,
    connectionName: opts.name,
    lazyConnect: false,
    // Commands issued in the same event-loop turn go out as one write (not on BullMQ's connection).
    enableAutoPipelining: opts.autoPipelining === true,
  });
  redis.on("error", (err) => logger.warn({ err: err.message, redis: opts.name }, "redis connection error"));
  return redis;
}
