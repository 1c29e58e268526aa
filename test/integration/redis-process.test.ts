import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { redisPidFile } from "../../src/local-runtime";
import { isAlive, redisServersOn, stopPid } from "../../src/util/redis-process";

/**
 * The self-started Redis of `npm start`, with real processes: a parent process starts it, is killed
 * with SIGKILL (its redis-server lives on as an orphan), and the next start must find that one again
 * instead of starting a second redis-server on the same data directory.
 */
const PARENT = path.resolve("test/fixtures/processes/local-redis.ts");

interface Started {
  child: ChildProcess;
  pid: number;
  port: number;
  reused: boolean;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function startParent(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", PARENT, dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, ...(JSON.parse(line) as Omit<Started, "child">) });
    });
    child.once("exit", (code) => reject(new Error(`parent exited ${code}: ${err}`)));
  });
}

function kill9(s: Started): Promise<void> {
  return new Promise((resolve) => {
    s.child.once("exit", () => resolve());
    s.child.kill("SIGKILL");
  });
}

async function redisAt(port: number, fn: (r: Redis) => Promise<void>): Promise<void> {
  const r = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 1 });
  try {
    await fn(r);
  } finally {
    r.disconnect();
  }
}

function tempDataDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "rectify-redis-"));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) {
    for (const pid of redisServersOn(path.join(d, "redis"))) await stopPid(pid);
    rmSync(d, { recursive: true, force: true });
  }
});

describe("the self-started redis-server", () => {
  it("is found again after its parent is killed with SIGKILL: one redis-server, same data", async () => {
    const dataDir = tempDataDir();
    const redisDir = path.join(dataDir, "redis");
    const first = await startParent(dataDir);
    expect(first.reused).toBe(false);
    expect(JSON.parse(readFileSync(redisPidFile(dataDir), "utf8"))).toMatchObject({
      pid: first.pid,
      port: first.port,
    });
    await redisAt(first.port, async (r) => void (await r.set("campaign", "kept")));

    await kill9(first);
    expect(isAlive(first.pid)).toBe(true); // the orphan lives on

    const second = await startParent(dataDir);
    expect(second.reused).toBe(true);
    expect(second.pid).toBe(first.pid);
    expect(redisServersOn(redisDir)).toEqual([first.pid]);
    await redisAt(second.port, async (r) => expect(await r.get("campaign")).toBe("kept"));

    // A clean stop of the adopting process stops it and removes the record.
    await new Promise<void>((resolve) => {
      second.child.once("exit", () => resolve());
      second.child.kill("SIGTERM");
    });
    expect(redisServersOn(redisDir)).toEqual([]);
    expect(() => readFileSync(redisPidFile(dataDir))).toThrow();
  });

  it("stops a left-over redis-server that no longer answers and starts one fresh", async () => {
    const dataDir = tempDataDir();
    const first = await startParent(dataDir);
    await kill9(first);
    process.kill(first.pid, "SIGSTOP"); // alive, holds its port, answers nothing
    const second = await startParent(dataDir);
    expect(second.reused).toBe(false);
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(first.pid)).toBe(false);
    expect(redisServersOn(path.join(dataDir, "redis"))).toEqual([second.pid]);
  });

  it("ignores a record whose pid is gone or is not a redis-server on this directory", async () => {
    const dataDir = tempDataDir();
    const first = await startParent(dataDir);
    await kill9(first);
    await stopPid(first.pid);
    // A recycled pid: this test process is alive but not a redis-server.
    writeFileSync(
      redisPidFile(dataDir),
      JSON.stringify({ pid: process.pid, port: first.port, dir: path.join(dataDir, "redis"), owner: 1 }),
    );
    const second = await startParent(dataDir);
    expect(second.reused).toBe(false);
    expect(redisServersOn(path.join(dataDir, "redis"))).toEqual([second.pid]);
  });
});

describe("a data directory in use", () => {
  it("is refused while the process that started its redis-server runs, and at the same moment", async () => {
    const dataDir = tempDataDir();
    const first = await startParent(dataDir);
    await expect(startParent(dataDir)).rejects.toThrow(/is in use by another process \(pid \d+\)/);
    expect(redisServersOn(path.join(dataDir, "redis"))).toEqual([first.pid]);
    await kill9(first);

    // Two starts at once after the crash: one adopts the orphan, the other is told the dir is in use.
    const results = await Promise.allSettled([startParent(dataDir), startParent(dataDir)]);
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(1);
    expect(redisServersOn(path.join(dataDir, "redis"))).toEqual([first.pid]);
  });
});
