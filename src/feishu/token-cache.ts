import type { Redis } from "ioredis";

/**
 * The SDK's token cache, backed by Redis so every bot process shares one tenant token.
 * The SDK calls get/set with a Symbol key (CTenantAccessToken) and `{namespace: appId}`.
 */
export class RedisTokenCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(key: unknown, namespace?: string): string {
    const name = typeof key === "symbol" ? (key.description ?? key.toString()) : String(key);
    return `${this.prefix}:feishu-cache:${namespace ?? "default"}:${name}`;
  }

  async get(key: unknown, options?: { namespace?: string }): Promise<string | undefined> {
    const v = await this.redis.get(this.key(key, options?.namespace));
    return v ?? undefined;
  }

  async set(
    key: unknown,
    value: unknown,
    expireAt?: number,
    options?: { namespace?: string },
  ): Promise<boolean> {
    const k = this.key(key, options?.namespace);
    if (value === undefined || value === null || value === "") {
      await this.redis.del(k);
      return true;
    }
    const ttlMs = expireAt ? expireAt - Date.now() : 0;
    if (expireAt && ttlMs <= 0) return true;
    if (ttlMs > 0) await this.redis.set(k, String(value), "PX", ttlMs);
    else await this.redis.set(k, String(value));
    return true;
  }

  /** Forget every cached token of this app (after Feishu says the token is invalid). */
  async invalidate(namespace: string): Promise<void> {
    const keys = await this.redis.keys(`${this.prefix}:feishu-cache:${namespace}:*`);
    if (keys.length) await this.redis.del(...keys);
  }
}
