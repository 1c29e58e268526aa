import type { Redis } from "ioredis";

/**
 * Feishu may deliver one event several times (retries after 15 s, 5 min, 1 h, 6 h). The first delivery
 * claims the event id; a redelivery is acknowledged and not processed again. A claim is released when
 * processing failed, so Feishu's retry can run it.
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
    return (await this.redis.set(this.key(eventId), "1", "EX", this.ttlSeconds, "NX")) === "OK";
  }

  async release(eventId: string): Promise<void> {
    await this.redis.del(this.key(eventId));
  }
}
