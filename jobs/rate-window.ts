import type { Redis } from "ioredis";

/**
 * A sliding-window counter in Redis, shared by every process: at most `max` hits per `windowMs` per key.
 * Uses Redis' own clock so processes with skewed clocks agree.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

export class RateWindow {
  private seq = 0;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** 0 when a slot was taken, else how many ms until one frees. */
  async take(key: string): Promise<number> {
    const member = `${process.pid}:${Date.now()}:${this.seq++}:${Math.random()}`;
    const r = await this.redis.eval(SCRIPT, 1, `${this.prefix}:rw:${key}`, this.windowMs, this.max, member);
    return Number(r);
  }
}
