import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isAlive } from "./util/redis-process";

/**
 * What a local `npm start` started (self-started Redis, embedded store, sandbox emulator), written to
 * DATA_DIR/runtime.json so `npm run cli` can reach the same services. Removed on a clean stop.
 */
export interface LocalRuntime {
  pid: number;
  redisUrl: string;
  mongoUri: string;
  feishu: { appId: string; appSecret: string; domain: string };
  /** A sandbox run: `feishu.domain` is the emulator; `sandbox play` may drive it. */
  sandbox?: boolean;
}

export function runtimeFile(dataDir: string): string {
  return path.resolve(dataDir, "runtime.json");
}

/**
 * The self-started redis-server's record (`{pid, port, dir, owner}`), kept while it runs so that a run
 * killed with SIGKILL does not leave a second redis-server on the same data next time.
 */
export function redisPidFile(dataDir: string): string {
  return path.resolve(dataDir, "redis.pid");
}

export function writeLocalRuntime(dataDir: string, rt: LocalRuntime): () => void {
  const f = runtimeFile(dataDir);
  writeFileSync(f, JSON.stringify(rt, null, 2), { mode: 0o600 });
  return () => rmSync(f, { force: true });
}

export function readLocalRuntime(dataDir: string): LocalRuntime | undefined {
  try {
    const rt = JSON.parse(readFileSync(runtimeFile(dataDir), "utf8")) as LocalRuntime;
    return isAlive(rt.pid) ? rt : undefined; // still running?
  } catch {
    return undefined;
  }
}
