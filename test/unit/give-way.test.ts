import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { GiveWay } from "../../src/util/give-way";
import { spin, stateOf } from "../helpers/proc";

/**
 * A background process gives way while this process's loop is busy: it is stopped (state T in
 * /proc/<pid>/stat, as the kernel sees it) and let run in turns while this loop spins, runs freely
 * again once the loop has been calm, and is never left stopped: not by stop(), not while calm.
 */
const linux = process.platform === "linux";
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The states seen over `ms`, sampled every 2 ms while this loop stays free. */
async function statesOver(pid: number, ms: number): Promise<Set<string>> {
  const seen = new Set<string>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.add(stateOf(pid));
    await sleep(2);
  }
  return seen;
}

function startChild(): number {
  child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return child.pid!;
}

describe.runIf(linux)("GiveWay", () => {
  it("stops the process in turns while this loop is busy, frees it when calm, never leaves it stopped", async () => {
    const pid = startChild();
    const g = new GiveWay(pid, { everyMs: 20, calmMs: 150, periodMs: 60, runMs: 20 });
    g.start();
    // Calm: never stopped.
    expect(await statesOver(pid, 120)).not.toContain("T");
    expect(g.pauses).toBe(0);
    // Busy: the next sample stops it.
    spin(60);
    await sleep(5);
    expect(g.pacing).toBe(true);
    expect(stateOf(pid)).toBe("T");
    // Paced: stopped and running in turns (this loop, now calm, runs the cycle) ...
    const paced = await statesOver(pid, 50);
    expect(paced).toContain("T");
    expect([...paced].some((s) => s !== "T")).toBe(true);
    // ... until calm for calmMs: then free for good.
    await sleep(250);
    expect(g.pacing).toBe(false);
    expect(await statesOver(pid, 120)).not.toContain("T");
    expect(g.pauses).toBeGreaterThanOrEqual(2);
    // stop() while paced continues it at once.
    spin(60);
    await sleep(5);
    expect(stateOf(pid)).toBe("T");
    g.stop();
    expect(stateOf(pid)).not.toBe("T");
    expect(await statesOver(pid, 100)).not.toContain("T");
  });

  it("a process that is gone is no error", async () => {
    const pid = startChild();
    const g = new GiveWay(pid, { everyMs: 10 });
    g.start();
    child!.kill("SIGKILL");
    await new Promise((r) => child!.once("exit", r));
    spin(30);
    await sleep(30);
    g.stop();
    expect(g.pacing).toBe(false);
  });
});
