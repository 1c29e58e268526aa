/**
 * Sliding-window request log: a request is allowed when fewer than `limit` requests were
 * admitted in the last `windowMs` (on the injected clock). Rejected requests are not logged.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly windowMs: number,
    private readonly limit: () => number,
  ) {}

  get max(): number {
    return this.limit();
  }

  private live(key: string, now: number): number[] {
    const list = this.hits.get(key);
    if (!list) return [];
    const from = now - this.windowMs;
    let i = 0;
    while (i < list.length && list[i] <= from) i++;
    if (i > 0) list.splice(0, i);
    if (list.length === 0) this.hits.delete(key);
    return list;
  }

  /** Seconds (integer ≥ 1) until one more request fits, or 0 when one fits now. */
  waitSeconds(key: string, now: number): number {
    const list = this.live(key, now);
    if (list.length < this.limit()) return 0;
    // the slot frees when the oldest admitted request leaves the window
    const oldest = list[list.length - this.limit()];
    return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }

  add(key: string, now: number): void {
    const list = this.hits.get(key);
    if (list) list.push(now);
    else this.hits.set(key, [now]);
  }

  clear(): void {
    this.hits.clear();
  }
}
