/**
 * Chaos, submit bursts (bounded, seeded): the bot is SIGKILLed at random moments during bursts of
 * self-check submissions and restarted; every submission answered 已提交 must be in the store once.
 * The longer run (20+ kills) is bench/chaos.ts; numbers in docs/benchmarks.md.
 */
import { describe, expect, inject, it } from "vitest";
import { runSubmitChaos } from "../helpers/chaos";

const KILLS = Number(process.env.CHAOS_KILLS ?? 5);
const SEED = Number(process.env.CHAOS_SEED ?? 9);

describe("chaos: SIGKILL during submit bursts", () => {
  it(`loses and doubles no acknowledged submission over ${KILLS} kills (seed ${SEED})`, async () => {
    const r = await runSubmitChaos({ seed: SEED, kills: KILLS, redisUrl: inject("redisUrl") });
    expect(r.problems).toEqual([]);
    expect(r.kills).toBe(KILLS);
    expect(r.acknowledged).toBeGreaterThan(10);
    expect({ lost: r.lost, doubled: r.doubled, partial: r.partial }).toEqual({
      lost: 0,
      doubled: 0,
      partial: 0,
    });
  }, 180_000);
});
