import { describe, expect, it } from "vitest";
import { computeFlags } from "../../src/flags/engine";
import { computeCounts, computeFlagsOffThread } from "../../src/flags/off-thread";
import { seedPoints } from "../helpers/seed-points";

/**
 * The engine in a worker thread (a big campaign's flags must not hold up the bot's card callbacks):
 * the same flags as in the calling thread, on the seed report's points.
 */
describe("flags off the event loop", () => {
  it("a worker thread computes the same flags as the calling thread", async () => {
    const answers = seedPoints().map((p, i) => ({
      id: p.id,
      campaignKey: "k",
      unitKey: `u${i}`,
      itemKey: "i1",
      narrative: p.text,
    }));
    const here = computeFlags(answers, {}, []);
    const before = computeCounts.worker;
    const there = await computeFlagsOffThread(answers, {}, [], { min: 1 });
    expect(computeCounts.worker).toBe(before + 1);
    expect([...there.entries()].sort()).toEqual([...here.entries()].sort());
    expect([...there.values()].flat().some((f) => f.kind === "recycled")).toBe(true);
  }, 30_000);
});
