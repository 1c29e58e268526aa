import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import mongoose from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLocalRuntime } from "../../src/local-runtime";
import { createModels, type Models } from "../../src/repositories/models";
import { advanceClockTo, resetClock } from "../../src/sandbox-clock";
import { todayIn } from "../../src/time";
import { mongoUriFor, redisUrl, uniqueName } from "../helpers/services";

/**
 * The CLI against a running local sandbox counts on the sandbox's clock, as the bot and its pages do:
 * after the clock moved past a measure's deadline, `campaign status` says it is overdue. Run through
 * the real CLI, which finds the sandbox the way it finds a local `npm start` (DATA_DIR/runtime.json).
 */
const uri = mongoUriFor(uniqueName("cli_clock"));
const prefix = uniqueName("cliclock");
let conn: mongoose.Connection;
let models: Models;
let redis: Redis;
let dataDir: string;
const DAY = 86_400_000;

beforeAll(async () => {
  conn = await mongoose.createConnection(uri).asPromise();
  models = createModels(conn);
  redis = new Redis(redisUrl());
  dataDir = mkdtempSync(path.join(os.tmpdir(), "cli-clock-"));
  const today = todayIn("Asia/Shanghai");
  const inTwoDays = todayIn("Asia/Shanghai", new Date(Date.now() + 2 * DAY));
  await models.Campaign.collection.insertOne({
    key: "c1",
    title: "自查",
    status: "active",
    timezone: "Asia/Shanghai",
    startDate: today,
    sections: [],
    items: [],
  });
  await models.Measure.collection.insertOne({
    campaignKey: "c1",
    seq: 1,
    content: "修订制度",
    state: "in_progress",
    dueDate: inTwoDays,
  });
});
afterAll(async () => {
  await resetClock(redis, prefix);
  redis?.disconnect();
  await conn?.dropDatabase();
  await conn?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function cli(env: Record<string, string>, ...args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/index.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
}

describe("the CLI on the sandbox's clock", () => {
  it("campaign status counts a measure overdue once the sandbox clock passed its deadline", async () => {
    // What a sandbox `npm start` records (this test process stands in for it: it is alive).
    const remove = writeLocalRuntime(dataDir, {
      pid: process.pid,
      redisUrl: redisUrl(),
      mongoUri: uri,
      feishu: { appId: "cli_sandbox", appSecret: "x", domain: "http://127.0.0.1:9" },
      sandbox: true,
    });
    const env = { DATA_DIR: dataDir, REDIS_PREFIX: prefix };
    try {
      const before = await cli(env, "campaign", "status", "c1");
      expect(before.stderr).toBe("");
      expect(before.stdout).toMatch(/measures: 1 .*, 0 overdue/);
      await advanceClockTo(redis, prefix, Date.now() + 5 * DAY);
      const after = await cli(env, "campaign", "status", "c1");
      expect(after.stdout).toMatch(/measures: 1 .*, 1 overdue/);
      // Not a sandbox (a real app's credentials in the environment): real time, whatever the clock says.
      const real = await cli(
        {
          ...env,
          MONGODB_URI: uri,
          REDIS_URL: redisUrl(),
          FEISHU_APP_ID: "cli_real",
          FEISHU_APP_SECRET: "s",
          FEISHU_ENCRYPT_KEY: "k",
          FEISHU_VERIFICATION_TOKEN: "t",
        },
        "campaign",
        "status",
        "c1",
      );
      expect(real.stdout).toMatch(/measures: 1 .*, 0 overdue/);
    } finally {
      remove();
    }
  }, 60_000);
});
