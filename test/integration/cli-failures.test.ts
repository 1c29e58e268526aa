import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/util/free-port";

/** What `npm run cli` runs (package.json). */
const CLI = ["--import", "tsx", "src/cli/index.ts"];

/**
 * The real CLI as a user runs it (`npm run cli` = `node --import tsx src/cli/index.ts …`), killed, piped into a reader that stops
 * early, and pointed at services that do not answer: every failure says what happened and what to do,
 * in one line, without a stack trace.
 */
const dataDir = mkdtempSync(path.join(os.tmpdir(), "rectify-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function cli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [...CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** A TCP server that accepts connections and never answers; resolves `connected` on the first. */
async function blackHole(): Promise<{ port: number; connected: Promise<void>; close(): void }> {
  const sockets: net.Socket[] = [];
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  const srv = net.createServer((s) => {
    sockets.push(s);
    onConnect();
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    connected,
    close() {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

describe("CLI failures", () => {
  it("says it was interrupted, and that re-running is safe, when killed during campaign start", async () => {
    const hole = await blackHole();
    try {
      const run = cli(["campaign", "start", "demo"], {
        MONGODB_URI: `mongodb://127.0.0.1:${hole.port}/rectify`,
        REDIS_URL: `redis://127.0.0.1:${hole.port}`,
      });
      await hole.connected; // the CLI is at work: connecting
      run.child.kill("SIGTERM");
      const r = await run.done;
      expect(r.code).toBe(143);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("已中断（SIGTERM）");
      expect(lines[0]).toContain("重新运行同一条命令是安全的");
      expect(lines[0]).toContain("running the same command again is safe");
    } finally {
      hole.close();
    }
  });

  it("answers an unexpected error with one line in Chinese and English and exit 1", async () => {
    const port = await freePort(); // nothing listens there
    const r = await cli(["campaign", "list"], { MONGODB_URI: `mongodb://127.0.0.1:${port}/rectify` }).done;
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^连接不上数据库或 Redis（.*ECONNREFUSED.*）。请确认 npm start 在运行/);
    expect(lines[0]).toContain("Cannot reach MongoDB or Redis");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("exits quietly when its output is piped into a reader that stops early (| head)", async () => {
    const run = cli(["intent"]);
    const questions = Array.from({ length: 20_000 }, (_, i) => `谁还没填报 ${i}`).join("\n");
    run.child.stdin!.on("error", () => {});
    run.child.stdin!.end(questions);
    await new Promise<void>((resolve) => run.child.stdout!.once("data", () => resolve()));
    run.child.stdout!.destroy(); // like `head -1` exiting after its line
    const r = await run.done;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
