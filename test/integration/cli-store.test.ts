/**
 * The CLI and a running process on the same DATA_DIR: it talks to that process's store, or says
 * clearly that it cannot (exit non-zero), and never opens the data file behind its back.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStoreChild, type StoreChild } from "../helpers/store-child";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cmd, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
/** the store of a "running bot": a child process holding DATA_DIR/store.bson */
let held: StoreChild;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cli-store-"));
  held = await startStoreChild(path.join(dir, "store.bson"));
});
afterAll(async () => {
  await new Promise<void>((r) => {
    held.child.once("exit", () => r());
    held.child.kill("SIGTERM");
  });
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  run("src/cli/index.ts", args, { DATA_DIR: dir, REDIS_PREFIX: `cli-store-${process.pid}` });

describe("a second npm start on a DATA_DIR another process holds", () => {
  it("stops with exit 1 naming the pid, before starting anything in the directory", async () => {
    const r = await run("src/main.ts", [], { DATA_DIR: dir, PORT: "0" });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`正被进程 ${held.child.pid} 使用`);
    expect(await readdir(dir)).not.toContain("redis");
    expect(await readdir(dir)).not.toContain("runtime.json");
  }, 60_000);
});

describe("CLI against a DATA_DIR another process holds", () => {
  it("without runtime.json: refuses, naming the pid, and leaves the data alone", async () => {
    const r = await cli(["campaign", "import", "examples/bureau.yaml"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`正被进程 ${held.child.pid} 使用，但无法连接其数据库`);
    expect(r.stderr).toContain(`in use by process ${held.child.pid}`);
    expect(r.stdout).not.toMatch(/created/i);
  });

  it("with a runtime.json whose database does not answer: refuses, naming the pid", async () => {
    await writeFile(
      path.join(dir, "runtime.json"),
      JSON.stringify({
        pid: held.child.pid,
        redisUrl: "redis://127.0.0.1:1",
        mongoUri: "mongodb://127.0.0.1:1/rectify?directConnection=true",
        feishu: { appId: "x", appSecret: "y", domain: "http://127.0.0.1:1" },
      }),
    );
    try {
      const r = await cli(["campaign", "list"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`正被进程 ${held.child.pid} 使用，但无法连接其数据库`);
    } finally {
      await rm(path.join(dir, "runtime.json"), { force: true });
    }
  }, 30_000);

  it("with the running process's runtime.json: works through its store", async () => {
    await writeFile(
      path.join(dir, "runtime.json"),
      JSON.stringify({
        pid: held.child.pid,
        redisUrl: inject("redisUrl"),
        mongoUri: held.uri.replace(/\/(\?|$)/, "/rectify$1"),
        feishu: { appId: "x", appSecret: "y", domain: "http://127.0.0.1:1" },
      }),
    );
    try {
      const r = await cli(["campaign", "import", "examples/bureau.yaml"]);
      expect(r.code).toBe(0);
      const list = await cli(["campaign", "list"]);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/\tdraft\t|\tactive\t|\tscheduled\t/);
      // it went through the holder's store: no second lock, no journal of its own
      expect((await readdir(dir)).filter((n) => n.endsWith(".lock"))).toEqual(["store.bson.lock"]);
    } finally {
      await rm(path.join(dir, "runtime.json"), { force: true });
    }
  }, 60_000);
});
