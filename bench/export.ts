/**
 * bench/export.ts (issue 11): the ledger (.xlsx) and the report (.docx) of a campaign with 10,000
 * assignments (a third answered, each with a narrative), 3,000 problems and 3,000 measures with progress
 * updates, 200 units: the time each export takes and the peak RSS it adds. Target: < 3 s, < 300 MB.
 *
 *   npx tsx bench/export.ts [--runs 3] [--process]
 *
 * `--process`: as the bot runs them (src/runtime.ts): the embedded store in a thread of its own and the
 * exports in the export process (src/exports/export-process.ts), which reads, renders and writes with
 * its own connection. CPU and RSS are this process's (every thread) plus the export process's; run 1
 * includes the export process's start.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import mongoose from "mongoose";
import { exportLedger, exportReport, type ExportResult } from "../src/exports/index";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { ExportProcess } from "../src/exports/export-process";
import { startMongoWireThread } from "../src/util/mongo-wire-thread";
import { addAnswersAndProblems, seedCampaign } from "./seed";

const RUNS = (() => {
  const i = process.argv.indexOf("--runs");
  return i > 0 ? Number(process.argv[i + 1]) : 3;
})();
const PROCESS = process.argv.includes("--process");
const KEY = "bench-x";
/** RSS and CPU ms of another process (the export process), from /proc; 0 when there is none. */
function child(pid: number | undefined): { rss: number; cpuMs: number } {
  if (!pid) return { rss: 0, cpuMs: 0 };
  try {
    const rss = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * 4096;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { rss, cpuMs: (Number(f[11]) + Number(f[12])) * 10 }; // utime + stime, at 100 ticks a second
  } catch {
    return { rss: 0, cpuMs: 0 };
  }
}

async function measure(fn: () => Promise<ExportResult>, pid: () => number | undefined) {
  global.gc?.();
  const rss = () => process.memoryUsage().rss + child(pid()).rss;
  const before = rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 5);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const childCpu0 = child(pid()).cpuMs;
  const r = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const childCpu = child(pid()).cpuMs - childCpu0;
  clearInterval(timer);
  peak = Math.max(peak, rss());
  // CPU time of this process (the embedded store runs in it too) and of the export process: on a shared
  // machine the wall time includes waiting for a core, the CPU time does not.
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 + childCpu, addedMb: (peak - before) / 2 ** 20, r };
}

async function main() {
  const store = PROCESS ? await startMongoWireThread() : await startMongoWire({});
  const uri = store.uri.replace(/\/(\?|$)/, "/bench_x$1");
  const { conn, m } = await seedCampaign(uri, KEY, 2000, 10_000, 3_000);
  await m.Unit.updateMany({ campaignKey: KEY }, { $set: { leaderKey: "p1" } });
  await conn.close();
  await addAnswersAndProblems(uri, KEY);
  const c = await mongoose.createConnection(uri).asPromise();
  const { createModels } = await import("../src/repositories/models");
  const exportProcess = PROCESS ? new ExportProcess({ mongoUri: uri }) : undefined;
  const d = { models: createModels(c), now: () => new Date("2026-12-15T02:00:00Z"), exportProcess };
  const pid = () => exportProcess?.pid;
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-export-"));
  try {
    for (let run = 1; run <= RUNS; run++) {
      const ledger = await measure(
        () => exportLedger(d, { campaignKey: KEY, lang: "zh" }, path.join(dir, "l.xlsx")),
        pid,
      );
      const report = await measure(
        () => exportReport(d, { campaignKey: KEY, lang: "zh" }, path.join(dir, "r.docx")),
        pid,
      );
      for (const [name, x] of [
        ["ledger", ledger],
        ["report", report],
      ] as const)
        console.log(
          `run ${run} ${name}: ${(x.ms / 1000).toFixed(2)} s wall, ${(x.cpuMs / 1000).toFixed(2)} s CPU, ` +
            `+${x.addedMb.toFixed(0)} MB peak RSS, ` +
            `${(x.r.bytes / 2 ** 20).toFixed(1)} MiB file — ${x.r.summary}`,
        );
    }
  } finally {
    await exportProcess?.close();
    await c.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
