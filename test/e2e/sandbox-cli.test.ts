import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliServices } from "../../src/cli/connect";
import { runSandboxCommand, sandboxClock, sandboxSweep } from "../../src/cli/sandbox";
import type { Config } from "../../src/config";
import { silentLogger } from "../../src/logger";
import { advanceClockTo, readClockOffset } from "../../src/sandbox-clock";
import { waitFor } from "../helpers/services";
import { startSandboxWebBot, type SandboxWebBot } from "../browser/helpers/sandbox-web-bot";

/**
 * `sandbox clock` and `sandbox sweep` against the whole sandbox bot (shared clock, example campaign
 * started): the clock moves the bot and the emulator; the sweep is run by the bot on that clock.
 */
let sb: SandboxWebBot;
let s: CliServices;
const printed: string[] = [];
const errors: string[] = [];
const out = { print: (x: string) => void printed.push(x), error: (x: string) => void errors.push(x) };

beforeAll(async () => {
  sb = await startSandboxWebBot();
  s = {
    models: sb.t.bot.models,
    redis: sb.t.bot.redis,
    redisPrefix: sb.prefix,
    close: async () => undefined,
  };
}, 120_000);
afterAll(async () => {
  await sb?.stop();
});

describe("sandbox clock / sandbox sweep", () => {
  it("with Feishu credentials configured, refuses and changes nothing", async () => {
    const offset = await readClockOffset(sb.t.bot.redis, sb.prefix);
    const config = { sandbox: false, dataDir: "/nonexistent" } as unknown as Config;
    for (const sub of ["clock", "sweep"] as const) {
      const e: string[] = [];
      const code = await runSandboxCommand(config, silentLogger, sub, "+3d", {
        print: () => undefined,
        error: (x) => void e.push(x),
      });
      expect(code).toBe(2);
      expect(e.join("\n")).toContain("Nothing was done");
    }
    expect(await readClockOffset(sb.t.bot.redis, sb.prefix)).toBe(offset);
  });

  it("shows the time, refuses a step that is not one, and moves the bot's and the emulator's clock by +3d", async () => {
    expect(await sandboxClock(s, undefined, out)).toBe(0);
    // The sandbox's time as the bot has it (the test does not depend on when it runs).
    const shown = Date.parse(/sandbox time: (\S+)/.exec(printed.at(-1)!)![1]);
    expect(Math.abs(shown - sb.t.bot.deps.now().getTime())).toBeLessThan(60_000);
    for (const bad of ["-1d", "3d5", "+0d", "+9999w", "tomorrow"]) {
      const e: string[] = [];
      expect(await sandboxClock(s, bad, { print: () => undefined, error: (x) => void e.push(x) })).toBe(2);
      expect(e.join("")).toContain("usage");
    }
    const before = sb.t.bot.deps.now().getTime();
    expect(await sandboxClock(s, "+3d", out)).toBe(0);
    await waitFor(() => sb.t.bot.deps.now().getTime() - before >= 3 * 86_400_000, 5000, "the bot's clock");
    const emu = (await (await fetch(`${sb.t.emu.url}/_emulator/clock`)).json()) as { now: number };
    expect(emu.now - before).toBeGreaterThanOrEqual(3 * 86_400_000);
    expect(await sandboxClock(s, "+1w", out)).toBe(0);
    expect(await sandboxClock(s, "+2h", out)).toBe(0);
    await waitFor(
      () => sb.t.bot.deps.now().getTime() - before >= 10 * 86_400_000 + 2 * 3_600_000,
      5000,
      "+1w +2h",
    );
    expect(errors).toEqual([]);
  });

  it("sweep: the bot runs the reminder and escalation sweeps on the sandbox clock (overdue work is escalated)", async () => {
    // Past every due date of the example campaign (2027-02-26) by working days, on a working day in
    // working hours: Monday 2027-03-15, 12:00 in Shanghai (sweeps skip days off), then +2h by the CLI.
    await advanceClockTo(sb.t.bot.redis, sb.prefix, Date.parse("2027-03-15T04:00:00Z"));
    await sandboxClock(s, "+2h", out);
    expect(printed.at(-1)).toContain("2027-03-15T06:");
    const sentBefore = sb.t.emu.messages().length;
    expect(await sandboxSweep(s, silentLogger, out)).toBe(0);
    expect(printed.at(-1)).toContain(sb.spec.key);
    await waitFor(
      async () =>
        (await sb.t.bot.models.Notice.countDocuments({ campaignKey: sb.spec.key, kind: /escalat/ })) > 0,
      30_000,
      "escalation notices",
    );
    await waitFor(() => sb.t.emu.messages().length > sentBefore, 30_000, "escalation messages sent");
    // Running it again sends nothing twice (once the first run has recorded everything).
    const count = () => sb.t.bot.models.Notice.countDocuments({ campaignKey: sb.spec.key });
    let notices = -1;
    await waitFor(
      async () => {
        const before = await count();
        await new Promise((r) => setTimeout(r, 1500));
        notices = await count();
        return notices === before;
      },
      30_000,
      "the first sweep to finish",
    );
    expect(await sandboxSweep(s, silentLogger, out)).toBe(0);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await sb.t.bot.models.Notice.countDocuments({ campaignKey: sb.spec.key })).toBe(notices);
  }, 90_000);

  it("reset: back to real time, and the running bot follows", async () => {
    expect(await sandboxClock(s, "reset", out)).toBe(0);
    await waitFor(() => Math.abs(sb.t.bot.deps.now().getTime() - Date.now()) < 1000, 5000, "real time");
    expect(await readClockOffset(sb.t.bot.redis, sb.prefix)).toBe(0);
  });
});
