/**
 * bench/chaos.ts: the chaos run, longer than the suite's (test/integration/chaos-submit.test.ts).
 * The bot (`src/main.ts` with the embedded store and its journal) is SIGKILLed at seeded random moments
 * during bursts of self-check submissions (real signed card callbacks from the Feishu emulator) and,
 * in the same round, a campaign start's fan-out (`--fanout-units` units, 14 cards each; 0: submits
 * only); restarted, the start re-run and the outbound drained. Every submission answered 已提交 is
 * checked against the store after every restart; at the end every fan-out card against the emulator's
 * message log (delivered, and only once).
 *
 *   npx tsx bench/chaos.ts [--kills 20] [--seed 1] [--burst-min 6] [--burst-max 16] [--fanout-units 1]
 *
 * Starts its own redis-server. Exit code 1 when an acknowledged submission was lost, doubled or
 * partial, or a card missing or delivered twice.
 */
import { runSubmitChaos } from "../test/helpers/chaos";
import { startRedisServer } from "../src/util/redis-process";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

async function main(): Promise<number> {
  const kills = arg("kills", 20);
  const redis = await startRedisServer();
  try {
    const r = await runSubmitChaos({
      seed: arg("seed", 1),
      kills,
      burst: [arg("burst-min", 6), arg("burst-max", 16)],
      fanoutUnits: arg("fanout-units", 1),
      redisUrl: redis.url,
      log: (l) => console.log(l),
    });
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const pct = (xs: number[], p: number) =>
      sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
    console.log(
      JSON.stringify(
        {
          seed: r.seed,
          kills: r.kills,
          bursts: r.bursts,
          callbacks: r.callbacks,
          acknowledged: r.acknowledged,
          unanswered: r.unanswered,
          deferred: r.deferred,
          lost: r.lost,
          doubled: r.doubled,
          partial: r.partial,
          fanouts: r.fanouts,
          cardsExpected: r.cardsExpected,
          cardsMissing: r.cardsMissing,
          cardsDuplicate: r.cardsDuplicate,
          restartMs: { p50: pct(r.restartMs, 50), max: Math.max(...r.restartMs) },
          callbackMs: { p50: pct(r.callbackMs, 50), p99: pct(r.callbackMs, 99) },
          drainMs: r.drainMs.length ? { p50: pct(r.drainMs, 50), max: Math.max(...r.drainMs) } : undefined,
          durationS: Math.round(r.durationMs / 100) / 10,
          problems: r.problems.slice(0, 20),
        },
        null,
        2,
      ),
    );
    return r.lost || r.doubled || r.partial || r.cardsMissing || r.cardsDuplicate || r.problems.length
      ? 1
      : 0;
  } finally {
    await redis.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
