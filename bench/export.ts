/**
 * bench/export.ts (issue 11): the ledger (.xlsx) and the report (.docx) of a campaign with 10,000
 * assignments (a third answered, each with a narrative), 3,000 problems and 3,000 measures with progress
 * updates, 200 units: the time each export takes and the peak RSS it adds. Target: < 3 s, < 300 MB.
 *
 *   npx tsx bench/export.ts [--runs 3] [--thread]
 *
 * `--thread`: as the bot runs them (src/runtime.ts): the embedded store in a thread of its own and the
 * exports in the export thread (src/exports/thread.ts), which reads, renders and writes with its own
 * connection. CPU and RSS are the process's, every thread included; run 1 includes the thread's start.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import mongoose from "mongoose";
import { exportLedger, exportReport, type ExportResult } from "../src/exports/index";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { ExportThread } from "../src/exports/thread";
import { startMongoWireThread } from "../src/util/mongo-wire-thread";
import { addAnswersAndProblems, seedCampaign } from "./seed";

const RUNS = (() => {
  const i = process.argv.indexOf("--runs");
  return i > 0 ? Number(process.argv[i + 1]) : 3;
})();
const THREAD = process.argv.includes("--thread");
const KEY = "bench-x";
async function measure(fn: () => Promise<ExportResult>) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  // CPU time of this process (the embedded store runs in it too): on a shared machine the wall time
  // includes waiting for a core, the CPU time does not.
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, addedMb: (peak - before) / 2 ** 20, r };
}

async function main() {
  const store = THREAD ? await startMongoWireThread() : await startMongoWire({});
  const uri = store.uri.replace(/\/(\?|$)/, "/bench_x$1");
  const { conn, m } = await seedCampaign(uri, KEY, 2000, 10_000, 3_000);
  await m.Unit.updateMany({ campaignKey: KEY }, { $set: { leaderKey: "p1" } });
  await conn.close();
  await addAnswersAndProblems(uri, KEY);
  const c = await mongoose.createConnection(uri).asPromise();
  const { createModels } = await import("../src/repositories/models");
  const exportThread = THREAD ? new ExportThread({ mongoUri: uri }) : undefined;
  const d = { models: createModels(c), now: () => new Date("2026-12-15T02:00:00Z"), exportThread };
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-export-"));
  try {
    for (let run = 1; run <= RUNS; run++) {
      const ledger = await measure(() =>
        exportLedger(d, { campaignKey: KEY, lang: "zh" }, path.join(dir, "l.xlsx")),
      );
      const report = await measure(() =>
        exportReport(d, { campaignKey: KEY, lang: "zh" }, path.join(dir, "r.docx")),
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
    await exportThread?.close();
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
