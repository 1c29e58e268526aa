import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

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

export function writeLocalRuntime(dataDir: string, rt: LocalRuntime): () => void {
  const f = runtimeFile(dataDir);
  writeFileSync(f, JSON.stringify(rt, null, 2), { mode: 0o600 });
  return () => rmSync(f, { force: true });
}

export function readLocalRuntime(dataDir: string): LocalRuntime | undefined {
  try {
    const rt = JSON.parse(readFileSync(runtimeFile(dataDir), "utf8")) as LocalRuntime;
    process.kill(rt.pid, 0); // still running?
    return rt;
  } catch {
    return undefined;
  }
}
