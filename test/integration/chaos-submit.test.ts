/**
 * Chaos, submit bursts and fan-out (bounded, seeded): every round starts a fresh campaign (its
 * self-check cards queued and sent by the outbound worker) while a burst of self-check submissions
 * arrives; the bot is SIGKILLed at a random moment in it and restarted, the start re-run and the
 * outbound left to drain. Every submission answered 已提交 must be in the store once; every card of
 * the fan-outs delivered, none twice. The longer run is bench/chaos.ts; numbers in docs/benchmarks.md.
 */
import { describe, expect, inject, it } from "vitest";
import { runSubmitChaos } from "../helpers/chaos";

const KILLS = Number(process.env.CHAOS_KILLS ?? 20);
const SEED = Number(process.env.CHAOS_SEED ?? 9);
const FANOUT_UNITS = Number(process.env.CHAOS_FANOUT_UNITS ?? 1);
/**
 * Rounds start only within this budget (120 s): ~20 kills take 105–150 s on a quiet 2-core machine; on a loaded
 * one the run does fewer (at least MIN_KILLS) rather than overrun the test's limit.
 */
const BUDGET_MS = Number(process.env.CHAOS_BUDGET_MS ?? 120_000);
const MIN_KILLS = Math.min(KILLS, 6);

describe("chaos: SIGKILL during submit bursts and fan-out", () => {
  it(`loses no acknowledged submission, doubles no card over up to ${KILLS} kills (seed ${SEED})`, async () => {
    const r = await runSubmitChaos({
      seed: SEED,
      kills: KILLS,
      budgetMs: BUDGET_MS,
      fanoutUnits: FANOUT_UNITS,
      redisUrl: inject("redisUrl"),
      log: process.env.CHAOS_DEBUG ? (l) => console.warn(l) : undefined,
    });
    console.warn(`chaos: ${r.kills} kills, ${r.acknowledged} acknowledged submissions, ${r.durationMs} ms`);
    expect(r.problems).toEqual([]);
    expect(r.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(r.acknowledged).toBeGreaterThan(10);
    expect({ lost: r.lost, doubled: r.doubled, partial: r.partial }).toEqual({
      lost: 0,
      doubled: 0,
      partial: 0,
    });
    if (FANOUT_UNITS > 0) {
      expect(r.fanouts).toBeGreaterThanOrEqual(r.kills);
      expect(r.cardsExpected).toBe(r.fanouts * FANOUT_UNITS * 14);
      expect({ missing: r.cardsMissing, duplicate: r.cardsDuplicate }).toEqual({ missing: 0, duplicate: 0 });
    }
  }, 240_000);
});
