import type { Redis } from "ioredis";

/** Redis did not answer a claim in time: the request is refused (503) so that Feishu delivers it again. */
export class DedupUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`event claim failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "DedupUnavailableError";
  }
}

/**
 * Feishu may deliver one event several times (retries after 15 s, 5 min, 1 h, 6 h). The first delivery
 * claims the event id; a redelivery is acknowledged and not processed again. A claim is released when
 * processing failed, so Feishu's retry can run it. The connection should fail fast (no offline queue,
 * a short command timeout: `createRedis(..., { failFast: true })`): while Redis is away a claim fails
 * at once with `DedupUnavailableError`, and nothing is processed.
 */
export class EventDedup {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = 3 * 24 * 3600,
  ) {}

  private key(eventId: string): string {
    return `${this.prefix}:event:${eventId}`;
  }

  /** true when this delivery is the first one. */
  async claim(eventId: string): Promise<boolean> {
    try {
      return (await this.redis.set(this.key(eventId), "1", "EX", this.ttlSeconds, "NX")) === "OK";
    } catch (e) {
      throw new DedupUnavailableError(e);
    }
  }

  async release(eventId: string): Promise<void> {
    await this.redis.del(this.key(eventId));
  }
}
