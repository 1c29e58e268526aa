import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port";

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT = "apt-get install -y redis-server";

/** Is `redis-server` on the PATH? */
export async function hasRedisServer(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn("redis-server", ["--version"], { stdio: "ignore" });
    p.on("error", () => resolve(false));
    p.on("exit", (code) => resolve(code === 0));
  });
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline)
          reject(new Error(`redis-server did not listen on ${port} in ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Start a `redis-server` on a free loopback port: throw-away without persistence (the test setup), or
 * with its data in `dir` (through `startLocalRedis`, which `npm start` uses when REDIS_URL is unset).
 */
export async function startRedisServer(
  opts: { dir?: string; persist?: boolean } = {},
): Promise<RedisProcess & { pid: number }> {
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
  ];
  if (opts.persist && opts.dir) args.push("--dir", opts.dir, "--appendonly", "yes", "--save", "60 1");
  else args.push("--save", "", "--appendonly", "no");
  const child: ChildProcess = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (err) =>
      reject(new Error(`cannot start redis-server (${err.message}); install it with: ${REDIS_INSTALL_HINT}`)),
    );
    waitForPort(port, 10_000).then(resolve, (e: Error) => reject(new Error(`${e.message}\n${stderr}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * What a self-started, persistent redis-server left in DATA_DIR: its pid and port, so the next
 * `npm start` finds it again after a crash (kill -9 leaves redis-server running as an orphan).
 */
export interface RedisPidRecord {
  pid: number;
  port: number;
  /** The data directory it was started on (its working directory). */
  dir: string;
  /** The process that started (or adopted) it. */
  owner: number;
}

export interface LocalRedis extends RedisProcess {
  pid: number;
  /** True when a redis-server left by an earlier run was found alive and answering, and reused. */
  reused: boolean;
}

export function readRedisPidFile(file: string): RedisPidRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(file, "utf8")) as Partial<RedisPidRecord>;
    if (!Number.isInteger(r.pid) || !Number.isInteger(r.port) || typeof r.dir !== "string") return undefined;
    return r as RedisPidRecord;
  } catch {
    return undefined;
  }
}

function writeRedisPidFile(file: string, rec: RedisPidRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Alive and not a zombie (an orphan nobody reaps still answers kill(pid, 0)). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: trust kill(pid, 0)
  }
}

/**
 * Is `pid` a live redis-server working in `dir`? redis-server chdirs into its `--dir`, so on Linux its
 * cwd names the data directory (a recycled pid of some other program does not pass). Without /proc
 * (macOS) `ps` names the program, and the CONFIG GET dir answer confirms the directory.
 */
function isRedisOn(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    return comm.startsWith("redis-server") && readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    if (existsSync("/proc/self")) return false;
    try {
      return execFileSync("ps", ["-p", String(pid), "-o", "comm="], { encoding: "utf8" }).includes(
        "redis-server",
      );
    } catch {
      return false;
    }
  }
}

/** redis-server processes working in `dir` (Linux; empty elsewhere). */
export function redisServersOn(dir: string): number[] {
  const real = realpathSync(dir);
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => pid !== process.pid && isRedisOn(pid, real));
}

/** Does a redis-server answer on `port` with `dir` as its data directory? */
async function answersOn(port: number, dir: string): Promise<boolean> {
  const r = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 1000,
  });
  r.on("error", () => {});
  try {
    await r.connect();
    const reply = (await r.config("GET", "dir")) as string[];
    return reply[1] === dir;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (isAlive(pid)) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  };
  try {
    process.kill(pid, "SIGTERM");
    process.kill(pid, "SIGCONT"); // a stopped process handles SIGTERM only once continued
  } catch {
    return;
  }
  if (await gone(graceMs)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  await gone(5000);
}

/**
 * The persistent redis-server of a local `npm start`, never two on one data directory: the one
 * recorded in `pidFile` is reused when the process that started it is gone and it is alive and answers
 * with `dir` as its data directory (while that process still runs, this refuses: the data directory is
 * in use); one that is alive but does not answer, and any other redis-server working in `dir`, is
 * stopped; then a new one is started and recorded. A lock file next to `pidFile` keeps two starts at
 * the same moment apart. Its `stop()` stops it and removes the record.
 */
export async function startLocalRedis(opts: { dir: string; pidFile: string }): Promise<LocalRedis> {
  mkdirSync(opts.dir, { recursive: true });
  const dir = realpathSync(opts.dir);
  return withLockFile(`${opts.pidFile}.lock`, async () => {
    const rec = readRedisPidFile(opts.pidFile);
    const alive = rec !== undefined && rec.dir === dir && isRedisOn(rec.pid, dir);
    if (alive && rec.owner !== process.pid && rec.owner > 0 && isAlive(rec.owner)) {
      throw new Error(
        `${path.dirname(opts.pidFile)} 正被另一个进程（pid ${rec.owner}）使用，它的 redis-server 在端口 ${rec.port}：请先停止它，或换一个 DATA_DIR / ` +
          `${path.dirname(opts.pidFile)} is in use by another process (pid ${rec.owner}) with its redis-server on port ${rec.port}: stop it first, or use another DATA_DIR`,
      );
    }
    if (alive && (await answersOn(rec.port, dir))) {
      writeRedisPidFile(opts.pidFile, { ...rec, owner: process.pid });
      return localHandle(rec.pid, rec.port, opts.pidFile, true, () => stopPid(rec.pid));
    }
    for (const pid of redisServersOn(dir)) await stopPid(pid, 5000);
    if (alive) await stopPid(rec.pid, 5000);
    rmSync(opts.pidFile, { force: true });

    const started = await startRedisServer({ dir, persist: true });
    writeRedisPidFile(opts.pidFile, { pid: started.pid, port: started.port, dir, owner: process.pid });
    return localHandle(started.pid, started.port, opts.pidFile, false, () => started.stop());
  });
}

/** Runs `fn` holding `file` (created exclusively, holding our pid); a holder that died is cleared. */
async function withLockFile<T>(file: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: number;
      let ageMs: number;
      try {
        holder = Number(readFileSync(file, "utf8").trim());
        ageMs = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      // An empty file is a holder still writing its pid, unless it has been empty for a while.
      const dead = holder > 0 ? !isAlive(holder) : ageMs > 5000;
      if (dead) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${file} is held by pid ${holder}`, { cause: e });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

function localHandle(
  pid: number,
  port: number,
  pidFile: string,
  reused: boolean,
  stop: () => Promise<void>,
): LocalRedis {
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    reused,
    async stop() {
      await stop();
      if (readRedisPidFile(pidFile)?.pid === pid) rmSync(pidFile, { force: true });
    },
  };
}
