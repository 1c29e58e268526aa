/**
 * bench/flags.ts (issue 15 §1): flags for 10,000 answers against each other. The answers are built
 * like real ones: each has its own text (characters drawn from the seed report,
 * test/fixtures/flags-seed-report.txt, so the character mix is that of real reports), one or two of the
 * seed's set sentences and a few numbers; 200 units × 50 items; 5% are another answer copied whole and
 * 5% carry a 120-character passage of another's own text. Prints how many of these planted copies
 * were flagged. Prints the time of the full run (median of --runs), of flagging one new
 * answer against the other 9,999 (what a submission costs), and how many were flagged. Target: < 5 s.
 *
 *   npx tsx bench/flags.ts [--answers 10000] [--runs 3]
 */
import { readFileSync } from "node:fs";
import { computeFlags, type FlagAnswer } from "../src/flags/index";
import { computeFlagsOffThread } from "../src/flags/off-thread";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const N = arg("answers", 10_000);
const RUNS = arg("runs", 3);

let seed = 42;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const report = readFileSync(new URL("../test/fixtures/flags-seed-report.txt", import.meta.url), "utf8");
const sentences = report
  .split(/[。；;\n]/)
  .map((s) => s.trim())
  .filter((s) => s.length >= 12);
const han = [...report].filter((c) => /\p{Script=Han}/u.test(c));

/** Planted copies: [copy, source] answer indices. */
const planted: [number, number][] = [];

function build(): FlagAnswer[] {
  const out: FlagAnswer[] = [];
  const ownText: string[] = [];
  for (let i = 0; i < N; i++) {
    const unit = i % 200;
    const item = Math.floor(i / 200);
    let narrative: string;
    const r = rand();
    if (r < 0.05 && i > 0) {
      const src = Math.floor(rand() * i);
      planted.push([i, src]);
      narrative = out[src]!.narrative;
      ownText.push(ownText[src]!);
    } else {
      const parts: string[] = [];
      const k = 1 + Math.floor(rand() * 2);
      for (let j = 0; j < k; j++) parts.push(pick(sentences));
      const own = 120 + Math.floor(rand() * 200);
      let t = "";
      for (let j = 0; j < own; j++) t += han[Math.floor(rand() * han.length)];
      parts.push(t);
      ownText.push(t);
      parts.push(
        `本单位第${unit + 1}号台账记录${Math.floor(rand() * 90) + 10}项，${item + 1}月完成${Math.floor(rand() * 9) + 1}次检查`,
      );
      if (r < 0.1 && i > 0) {
        const src = Math.floor(rand() * i);
        planted.push([i, src]);
        parts.push(ownText[src]!.slice(0, 120));
      }
      narrative = `${parts.join("，")}。`;
    }
    out.push({
      id: `a${i}`,
      campaignKey: "bench",
      unitKey: `u${unit}`,
      itemKey: `i${item}`,
      narrative,
      conclusion: rand() < 0.3 ? "problems" : "compliant",
      itemTitle: `第${item + 1}项：${pick(sentences)}`,
      checkpoints: [pick(sentences), pick(sentences)],
    });
  }
  return out;
}

const answers = build();
const chars = answers.reduce((s, a) => s + a.narrative.length, 0);
console.log(`answers ${answers.length}, mean ${Math.round(chars / answers.length)} characters`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const full: number[] = [];
const cpu: number[] = [];
let flagged = new Map<string, unknown[]>();
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  flagged = computeFlags(answers);
  full.push(performance.now() - t0);
  const c1 = process.cpuUsage(c0);
  cpu.push((c1.user + c1.system) / 1000);
}
const kinds = new Map<string, number>();
for (const list of flagged.values()) {
  for (const f of list as { kind: string }[]) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
}
console.log(
  `all against all: median ${median(full).toFixed(0)} ms over ${RUNS} runs (${full.map((x) => x.toFixed(0)).join(", ")}), CPU median ${median(cpu).toFixed(0)} ms`,
);
console.log(`answers flagged ${flagged.size}; flags by kind ${JSON.stringify(Object.fromEntries(kinds))}`);
// A planted copy is found when the copy is flagged as recycled (against its source or a copy of it).
const found = planted.filter(([c]) =>
  (flagged.get(`a${c}`) as { kind: string }[] | undefined)?.some((f) => f.kind === "recycled"),
);
const whole = planted.filter(([c, src]) => answers[c]!.narrative === answers[src]!.narrative);
const wholeFound = whole.filter((p) => found.includes(p));
console.log(
  `planted copies found ${found.length} / ${planted.length} (whole answers ${wholeFound.length} / ${whole.length})`,
);

const one: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const id = answers[Math.floor(rand() * answers.length)]!.id;
  const t0 = performance.now();
  computeFlags(answers, {}, [], new Set([id]));
  one.push(performance.now() - t0);
}
console.log(`one answer against the other ${answers.length - 1}: median ${median(one).toFixed(0)} ms`);

// What the bot's event loop feels while the flags job runs (jobs/flags.ts): the longest stall of a
// 10 ms timer, in the calling thread vs in the worker thread the job uses from 1,000 answers.
async function stall(run: () => Promise<unknown>): Promise<{ ms: number; maxLag: number }> {
  let last = performance.now();
  let maxLag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 10);
    last = now;
  }, 10);
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 30));
  clearInterval(timer);
  return { ms, maxLag };
}
const hereLag = await stall(async () => computeFlags(answers));
const offLag = await stall(() => computeFlagsOffThread(answers, {}, [], { min: 1 }));
console.log(
  `event loop during a full run: in the calling thread ${hereLag.ms.toFixed(0)} ms, longest stall ${hereLag.maxLag.toFixed(0)} ms; ` +
    `in the worker thread ${offLag.ms.toFixed(0)} ms, longest stall ${offLag.maxLag.toFixed(0)} ms`,
);
const target = 5000;
console.log(median(full) < target ? `target < ${target} ms: met` : `target < ${target} ms: NOT met`);
