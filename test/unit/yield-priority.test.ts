import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { YieldingPriority } from "../../src/util/yield-priority";

/**
 * A background thread gives way while the bot's loop is busy: its nice value (read back from /proc, as
 * the kernel sees it) is 19 while this thread spins, 10 once it has been calm, 10 after stop().
 */
// Raising a thread's priority again (19 → 10) needs root (CAP_SYS_NICE), as in CI and `npm start` here.
const linux = process.platform === "linux" && process.getuid?.() === 0;
let worker: Worker;
let tid = 0;

/** The thread's nice value: field 19 of /proc/self/task/<tid>/stat. */
function niceOf(t: number): number {
  const stat = readFileSync(`/proc/self/task/${t}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}
const spin = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls (a loaded machine delays timers) until the thread's nice value is `n`. */
async function niceBecomes(n: number) {
  const end = Date.now() + 5000;
  while (niceOf(tid) !== n && Date.now() < end) await sleep(10);
  expect(niceOf(tid)).toBe(n);
}

beforeAll(async () => {
  if (!linux) return;
  worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     const { readlinkSync } = require("node:fs");
     parentPort.postMessage(Number(readlinkSync("/proc/thread-self").split("/").pop()));
     setInterval(() => {}, 1000);`,
    { eval: true },
  );
  tid = await new Promise<number>((r) => worker.once("message", r));
});
afterAll(async () => {
  await worker?.terminate();
});

describe.runIf(linux)("YieldingPriority", () => {
  it("lowers the thread while this loop is busy and raises it again when calm", async () => {
    const p = new YieldingPriority(tid, { everyMs: 20, calmMs: 100 });
    p.start();
    // Busy until shown calm.
    expect(niceOf(tid)).toBe(19);
    await niceBecomes(10);
    // The loop busy for a while: the next sample lowers the thread.
    spin(120);
    await niceBecomes(19);
    await niceBecomes(10);
    spin(120);
    await niceBecomes(19);
    p.stop();
    expect(niceOf(tid)).toBe(10);
    expect(p.changes).toEqual([19, 10, 19, 10, 19, 10]);
  });
});
