import { spawn } from "node:child_process";
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { outboundUuid } from "../../jobs/outbound";
import { silentLogger } from "../../src/logger";
import { startBot } from "../../src/runtime";
import { freePort } from "../../src/util/free-port";
import { startTestBot } from "../helpers/bot";
import { waitFor } from "../helpers/services";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

describe("graceful shutdown", () => {
  it("stop() loses no queued work: what was not sent before the stop is sent after a restart", async () => {
    const t = await startTestBot();
    cleanups.push(() => t.stop());
    t.emu.addUser({ open_id: "ou_s1", name: "S1" });
    const jobs = Array.from({ length: 15 }, (_, i) => ({
      op: "send" as const,
      to: { type: "open_id" as const, id: "ou_s1" },
      content: { text: `n${i}` },
      uuid: outboundUuid("shutdown", i),
    }));
    await t.bot.outbound.enqueueMany(jobs);
    await t.bot.stop();
    const sentBefore = t.emu.messagesTo("ou_s1").length;
    expect(sentBefore).toBeLessThan(15); // 5/s per receiver: the stop came in the middle
    // A new process on the same Redis and database picks up the rest.
    const again = await startBot(t.settings, silentLogger);
    cleanups.push(() => again.stop());
    const all = await waitFor(
      () => t.emu.messagesTo("ou_s1").length >= 15 && t.emu.messagesTo("ou_s1"),
      10_000,
      "all 15 messages",
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(t.emu.messagesTo("ou_s1")).toHaveLength(15);
    expect(new Set(all.map((m) => m.text)).size).toBe(15);
  });

  it("npm start stops on SIGTERM: exits 0 and stops the redis-server it started", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rb-start-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [port, emuPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dir,
        PORT: String(port),
        EMULATOR_PORT: String(emuPort),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes("bot on port"), 20_000, "npm start to come up");
    const redisPort = Number(/redis-server at redis:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(await portOpen(redisPort)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await portOpen(port)).toBe(false);
    expect(await portOpen(redisPort)).toBe(false);
  });
});
