import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config";
import { silentLogger } from "../../src/logger";
import { createRedis } from "../../src/redis";
import { advanceClockTo, clockKey, SandboxClock } from "../../src/sandbox-clock";
import { runSandboxPlay } from "../../src/sandbox-play";
import { redisUrl, uniqueName, waitFor } from "../helpers/services";

const DAY = 86_400_000;
let redis: Redis;
const prefix = uniqueName("clock");

beforeAll(() => {
  redis = createRedis(redisUrl(), silentLogger);
});
afterAll(async () => {
  await redis.del(clockKey(prefix));
  await redis.quit();
});

describe("the sandbox clock", () => {
  it("is real time until moved; every process following the key sees the move; it never goes back", async () => {
    const a = await SandboxClock.start(redisUrl(), prefix, silentLogger, 20);
    const b = await SandboxClock.start(redisUrl(), prefix, silentLogger, 20);
    try {
      expect(Math.abs(a.now() - Date.now())).toBeLessThan(50);
      const target = Date.now() + 21 * DAY;
      const moved = await advanceClockTo(redis, prefix, target);
      expect(moved).toBeGreaterThanOrEqual(target);
      await waitFor(() => a.now() >= target && b.now() >= target, 2000, "both clocks moved");
      // Back in time: refused silently, the clock stays where it is.
      const after = await advanceClockTo(redis, prefix, Date.now() + DAY);
      expect(after).toBeGreaterThanOrEqual(target);
      await new Promise((r) => setTimeout(r, 100));
      expect(a.now()).toBeGreaterThanOrEqual(target);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe("sandbox play refuses", () => {
  const out = () => {
    const errors: string[] = [];
    return { errors, o: { print: () => undefined, error: (s: string) => void errors.push(s) } };
  };
  it("a real Feishu app (credentials set), and changes nothing", async () => {
    const { errors, o } = out();
    const code = await runSandboxPlay(
      { sandbox: false, dataDir: "/nonexistent" } as Config,
      silentLogger,
      "x",
      o,
    );
    expect(code).toBe(2);
    expect(errors.join("\n")).toContain("real Feishu app");
  });
  it("when no local sandbox is running", async () => {
    const { errors, o } = out();
    const code = await runSandboxPlay(
      { sandbox: true, dataDir: "/nonexistent" } as Config,
      silentLogger,
      "x",
      o,
    );
    expect(code).toBe(2);
    expect(errors.join("\n")).toContain("npm start");
  });
});
