/**
 * bench/webhook.ts: the signed card-callback path (request in → answer out) under concurrency.
 * Each callback is encrypted and signed as Feishu does, verified, deduplicated in Redis, routed to a
 * card action that writes one document to MongoDB, and answered with a toast.
 *
 *   npx tsx bench/webhook.ts [--concurrency 100] [--requests 5000] [--warmup 5000] [--burst-pause-ms 200]
 *
 * Closed loop (default): `concurrency` requests always in flight. Burst mode (--burst-pause-ms):
 * `concurrency` callbacks arrive at the same moment, as when a group of people press at once; the
 * next burst follows after all were answered and a pause.
 *
 * `--export-during`: a campaign of 10,000 assignments and 3,000 measures (bench/seed.ts, as bench/export.ts
 * seeds it) is written to the bot's store first; while the measured callbacks run, the bot's process
 * builds ledgers and reports in a loop with the bot's own deps (exportLedger / exportReport, what the
 * chat export job calls: in the bot's export process, which gives way while the bot is busy), and the
 * bot's event-loop delay (perf_hooks) is printed with the count, the export process's CPU time and how
 * often it was paused. `--export-here` reads the export data in the bot's thread instead (with only
 * its models, as the CLI does), to compare.
 *
 * `--warmup` callbacks (default 5,000) go first over the same connections and are not measured: the
 * steady state of a bot that has been running. With 1,000 the first ~1,500 measured callbacks on a
 * 2-core machine are still slowed by V8 compiling the hot path (clumps of 100 over 20 ms, export or
 * not), which alone moves the p99 by 10–20 ms.
 * BENCH_NO_WRITE=1 leaves the write out; BENCH_SLOW=<ms> prints the index and time of slower callbacks.
 *
 * Starts its own redis-server, the embedded MongoDB-wire store (or uses MONGODB_URI) and the bot. The
 * embedded store runs as `npm start` runs it: in a thread of its own, with a data file in a temp
 * directory, so every write is journaled and fsynced before it is acknowledged; `--no-journal` runs it
 * in memory only, to see what the fsync costs; `--store-in-process` on the bot's own event loop (as
 * before the store had its thread).
 */
import { performance } from "node:perf_hooks";
import crypto from "node:crypto";
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { CARD_ACTIONS } from "../handlers/index";
import { silentLogger } from "../src/logger";
import { audit } from "../src/services/context";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { startMongoWireThread } from "../src/util/mongo-wire-thread";
import { startBot } from "../src/runtime";
import { encryptBody, signBody } from "../src/server/feishu-crypto";
import { startRedisServer } from "../src/util/redis-process";
import type { FeishuApi } from "../src/feishu/types";
import { exportLedger, exportReport } from "../src/exports/index";
import { addAnswersAndProblems, seedCampaign } from "./seed";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CONCURRENCY = arg("concurrency", 100);
const BURST_PAUSE = process.argv.includes("--burst-pause-ms") ? arg("burst-pause-ms", 200) : undefined;
const REQUESTS = arg("requests", 5000);
const WARMUP = arg("warmup", 5000);
const JOURNAL = !process.argv.includes("--no-journal");
const EXPORT_DURING = process.argv.includes("--export-during");
const EXPORT_HERE = process.argv.includes("--export-here");
const STORE_IN_PROCESS = process.argv.includes("--store-in-process");
const KEY = "bench-encrypt-key";
const TOKEN = "bench-verification-token";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function callback(i: number) {
  const payload = {
    schema: "2.0",
    header: {
      event_id: `bench-${crypto.randomUUID()}`,
      event_type: "card.action.trigger",
      create_time: String(Date.now()),
      token: TOKEN,
      app_id: "cli_bench",
      tenant_key: "tk",
    },
    event: {
      operator: { open_id: `ou_bench_${i % 300}` },
      token: `c-${i}`,
      action: { tag: "button", value: { action: "bench_write", n: i } },
      context: { open_message_id: `om_bench_${i % 300}`, open_chat_id: "oc_bench" },
    },
  };
  const body = JSON.stringify({ encrypt: encryptBody(KEY, JSON.stringify(payload)) });
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(8).toString("hex");
  return {
    body,
    headers: {
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": nonce,
      "x-lark-signature": signBody(ts, nonce, KEY, body),
    },
  };
}

function load(
  url: string,
  warmup: number,
  n: number,
  concurrency: number,
  burstPauseMs: number | undefined,
  onWarm: () => void,
): Promise<{ results: { ms: number; status: number }[]; wallMs: number; cpuUs: number }> {
  const requests = Array.from({ length: warmup + n }, (_, i) => callback(i));
  return new Promise((resolve, reject) => {
    const child = fork(new URL("./load-worker.ts", import.meta.url), { execArgv: ["--import", "tsx"] });
    child.on("message", (m: { warm?: boolean }) => {
      if (m.warm) return onWarm();
      resolve(m as { results: { ms: number; status: number }[]; wallMs: number; cpuUs: number });
      child.kill();
    });
    child.once("error", reject);
    child.send({
      url,
      warmup: requests.slice(0, warmup),
      requests: requests.slice(warmup),
      concurrency,
      burstPauseMs,
    });
  });
}

/** fsyncs and how many writes shared each (group commit), over warm-up and measured requests. */
function journalNumbers(s: { syncs: number; records: number } | undefined) {
  if (!s) return {};
  return {
    journal_fsyncs: s.syncs,
    journal_writes_per_fsync: +(s.records / Math.max(1, s.syncs)).toFixed(1),
  };
}

async function main() {
  const redis = await startRedisServer();
  const dataDir = JOURNAL ? mkdtempSync(path.join(os.tmpdir(), "bench-webhook-")) : undefined;
  const storeOpts = dataDir ? { dataFile: path.join(dataDir, "store.bson") } : {};
  const store = process.env.MONGODB_URI
    ? undefined
    : STORE_IN_PROCESS
      ? await startMongoWire(storeOpts)
      : await startMongoWireThread(storeOpts);
  const mongoUri = process.env.MONGODB_URI ?? store!.uri.replace(/\/(\?|$)/, "/bench_webhook$1");
  if (EXPORT_DURING) {
    const { conn } = await seedCampaign(mongoUri, "bench-x", 2000, 10_000, 3_000);
    await conn.close();
    await addAnswersAndProblems(mongoUri, "bench-x");
  }
  const noFeishu = new Proxy({} as FeishuApi, {
    get: () => () => Promise.reject(new Error("no Feishu calls expected")),
  });
  const bot = await startBot(
    {
      feishu: {
        appId: "cli_bench",
        appSecret: "x",
        domain: "http://127.0.0.1:9",
        encryptKey: KEY,
        verificationToken: TOKEN,
        insecureNoEncryption: false,
        signatureWindowSeconds: 300,
        transport: "webhook",
      },
      mongoUri,
      redisUrl: redis.url,
      redisPrefix: "bench",
      port: 0,
      timezone: "Asia/Shanghai",
      outboundRatePerSecond: 40,
    },
    silentLogger,
    { feishu: noFeishu },
  );
  // One document written per callback, as every card action does: its audit entry.
  CARD_ACTIONS.bench_write = async (a, deps) => {
    if (!process.env.BENCH_NO_WRITE) {
      await audit(deps, {
        campaignKey: "bench",
        entity: "bench",
        entityId: String(a.value.n),
        action: "press",
        byOpenId: a.operatorOpenId,
      });
    }
    return { toast: { type: "success", content: "已记录" } };
  };
  const url = `${bot.url}/feishu/events`;
  let cpu0 = process.cpuUsage();
  let pauses0 = 0;
  let elu0 = performance.eventLoopUtilization();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const exports = {
    running: false,
    ledgers: 0,
    reports: 0,
    seconds: [] as number[],
    done: Promise.resolve(),
  };
  const exportDir = EXPORT_DURING ? mkdtempSync(path.join(os.tmpdir(), "bench-webhook-export-")) : "";
  const exportLoop = async () => {
    const now = () => new Date("2026-12-15T02:00:00Z");
    const d = EXPORT_HERE ? { models: bot.models, now } : { ...bot.deps, now };
    const req = { campaignKey: "bench-x", lang: "zh" as const };
    const timed = async (build: () => Promise<unknown>) => {
      const t0 = performance.now();
      await build();
      exports.seconds.push(+((performance.now() - t0) / 1000).toFixed(1));
    };
    while (exports.running) {
      await timed(() => exportLedger(d, req, path.join(exportDir, "l.xlsx")));
      exports.ledgers++;
      if (!exports.running) break;
      await timed(() => exportReport(d, req, path.join(exportDir, "r.docx")));
      exports.reports++;
    }
  };
  const { results, wallMs, cpuUs } = await load(url, WARMUP, REQUESTS, CONCURRENCY, BURST_PAUSE, () => {
    cpu0 = process.cpuUsage();
    pauses0 = bot.deps.exportProcess?.pauses ?? 0;
    elu0 = performance.eventLoopUtilization();
    loopDelay.enable();
    if (EXPORT_DURING) {
      exports.running = true;
      exports.done = exportLoop();
    }
  });
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  loopDelay.disable();
  exports.running = false;
  await exports.done;
  if (exportDir) rmSync(exportDir, { recursive: true, force: true });
  if (process.env.BENCH_SLOW) {
    const slow = results
      .map((r, i) => [i, Math.round(r.ms)])
      .filter(([, ms]) => ms > Number(process.env.BENCH_SLOW));
    console.error(JSON.stringify(slow));
  }
  const ok = results.filter((r) => r.status === 200).length;
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  const written = await bot.models.AuditEntry.countDocuments({ campaignKey: "bench" });
  const out = {
    mode: BURST_PAUSE === undefined ? "closed loop" : `bursts of ${CONCURRENCY}, ${BURST_PAUSE} ms apart`,
    concurrency: CONCURRENCY,
    requests: REQUESTS,
    ok,
    p50_ms: +percentile(sorted, 50).toFixed(1),
    p95_ms: +percentile(sorted, 95).toFixed(1),
    p99_ms: +percentile(sorted, 99).toFixed(1),
    max_ms: +sorted[sorted.length - 1].toFixed(1),
    requests_per_s: Math.round((REQUESTS / wallMs) * 1000),
    documents_written: written,
    // CPU the bot's process (bot and, unless MONGODB_URI, the embedded store) spent per callback, and how
    // busy its event loop was: steadier than latency when the machine is shared.
    bot_cpu_us_per_request: Math.round((cpu.user + cpu.system) / REQUESTS),
    bot_event_loop_utilisation: +elu.utilization.toFixed(2),
    bot_event_loop_delay_ms: {
      p50: +(loopDelay.percentile(50) / 1e6).toFixed(1),
      p99: +(loopDelay.percentile(99) / 1e6).toFixed(1),
      max: +(loopDelay.max / 1e6).toFixed(1),
    },
    ...(EXPORT_DURING
      ? {
          exports_during: {
            ledgers: exports.ledgers,
            reports: exports.reports,
            // each export's wall time, ledger and report in turn (the last one finished after the run)
            seconds: exports.seconds,
            ...(EXPORT_HERE
              ? {}
              : { export_process_paused: (bot.deps.exportProcess?.pauses ?? 0) - pauses0 }),
          },
        }
      : {}),
    load_generator_cpu_us_per_request: Math.round(cpuUs / REQUESTS),
    store: process.env.MONGODB_URI
      ? "MONGODB_URI"
      : `embedded mongo-wire ${STORE_IN_PROCESS ? "in the bot's thread" : "in its own thread"}, ${JOURNAL ? "journal on (fsync before every reply)" : "in memory, no journal"}`,
    ...(EXPORT_DURING
      ? { export_data_read_in: EXPORT_HERE ? "the bot's thread" : "the export process" }
      : {}),
    ...journalNumbers(await store?.journalStats()),
  };
  console.log(JSON.stringify(out, null, 2));
  await bot.stop();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await redis.stop();
  if (ok !== REQUESTS || written !== REQUESTS + WARMUP) {
    console.error("FAILED: not every callback was answered 200 and written once");
    process.exit(1);
  }
}
void main();
