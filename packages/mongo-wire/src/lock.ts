/**
 * One writer per data file: `<dataFile>.lock` holds the owner's pid, start time and a token. It is
 * created with O_EXCL (`wx`), so of two processes starting at once exactly one gets it. A lock whose
 * process is gone (or whose pid now belongs to another process) is stale and taken over, with a log line.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import os from "node:os";
import type { Logger } from "pino";

export interface LockInfo {
  pid: number;
  /** ISO time the holder took the lock */
  startedAt: string;
  /** the holder's process start time in clock ticks since boot (/proc/<pid>/stat), to tell a reused pid */
  procStart?: string;
  host: string;
  token: string;
}

export class DataFileLockedError extends Error {
  constructor(
    readonly dataFile: string,
    readonly holder: LockInfo,
  ) {
    super(
      `数据文件 ${dataFile} 正被进程 ${holder.pid} 使用（${holder.host}，自 ${holder.startedAt}）/ ` +
        `data file ${dataFile} is in use by process ${holder.pid} on ${holder.host} since ${holder.startedAt} ` +
        `(lock file ${lockFile(dataFile)})`,
    );
    this.name = "DataFileLockedError";
  }
}

export function lockFile(dataFile: string): string {
  return `${dataFile}.lock`;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name (which may hold spaces and parentheses); starttime is field 22
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Is the process that wrote this lock still running? */
export function holderAlive(info: LockInfo): boolean {
  // The host is not compared: a container re-created on the same volume has another hostname, and
  // its pid (often 1 again) is told apart by the process start time. A data directory shared by two
  // machines over a network file system is not supported.
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (info.procStart) {
    const now = procStart(info.pid);
    if (now !== undefined && now !== info.procStart) return false; // pid reused by another process
  }
  return true;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    return Number.isInteger(v.pid) && v.pid > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The current holder of the data file's lock, when a live process holds it. */
export async function lockHolder(dataFile: string): Promise<LockInfo | undefined> {
  const text = await readFile(lockFile(dataFile), "utf8").catch(() => undefined);
  const info = text === undefined ? undefined : parseLock(text);
  return info && holderAlive(info) ? info : undefined;
}

export interface HeldLock {
  info: LockInfo;
  release(): Promise<void>;
}

/** Takes the lock of `dataFile`, or throws DataFileLockedError naming the live holder. */
export async function acquireLock(dataFile: string, logger: Logger): Promise<HeldLock> {
  const file = lockFile(dataFile);
  const info: LockInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    procStart: procStart(process.pid),
    host: os.hostname(),
    token: randomBytes(8).toString("hex"),
  };
  const text = JSON.stringify(info);
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const fh = await open(file, "wx", 0o644);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return { info, release: () => releaseLock(file, info.token) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const seen = await readFile(file, "utf8").catch(() => undefined);
    if (seen === undefined) continue; // removed meanwhile: try again
    const holder = parseLock(seen);
    if (!holder) {
      // empty or partial: a process may be writing it right now; only an old one is garbage
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age < 2000) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
    } else if (holderAlive(holder)) {
      throw new DataFileLockedError(dataFile, holder);
    }
    // stale: move it aside atomically (only one taker wins the rename), then check we moved what we judged
    const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(file, aside);
    } catch {
      continue;
    }
    const moved = await readFile(aside, "utf8").catch(() => undefined);
    if (moved !== seen) {
      // another process took the lock between our read and the rename: put its lock back
      await link(aside, file).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      continue;
    }
    await unlink(aside).catch(() => undefined);
    logger.warn(
      { lockFile: file, stalePid: holder?.pid, staleSince: holder?.startedAt },
      holder
        ? `mongo-wire: took over the stale lock of process ${holder.pid} (no longer running)`
        : "mongo-wire: replaced an unreadable lock file",
    );
  }
  throw new Error(`mongo-wire: could not take the lock ${file} (it keeps changing)`);
}

async function releaseLock(file: string, token: string): Promise<void> {
  const seen = await readFile(file, "utf8").catch(() => undefined);
  if (seen !== undefined && parseLock(seen)?.token === token) await unlink(file).catch(() => undefined);
}
