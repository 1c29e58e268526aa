/**
 * bench/console.ts (issue 14 §2): with 10,000 assignments, 3,000 measures and 200 units loaded, the time
 * each /console page takes, fetched over HTTP by a signed-in admin, a head and a member: the round trip
 * measured here and the server's own time (its Server-Timing header: queries + template).
 *
 *   npx tsx bench/console.ts [--n 30]
 */
import { FeishuEmulator } from "@rectify-bot/feishu-emulator";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import os from "node:os";
import { silentLogger } from "../src/logger";
import { startBot } from "../src/runtime";
import { startRedisServer } from "../src/util/redis-process";
import { signInAt } from "../test/helpers/console";
import { seedCampaign } from "./seed";

const N = (() => {
  const i = process.argv.indexOf("--n");
  return i > 0 ? Number(process.argv[i + 1]) : 30;
})();
const KEY = "bench-c";
const PAGES: [string, string][] = [
  ["campaigns", "/console/"],
  ["progress", `/console/c/${KEY}`],
  ["due lists", `/console/c/${KEY}/lists`],
  ["ledger", `/console/c/${KEY}/ledger`],
  ["ledger overdue", `/console/c/${KEY}/ledger?overdue=1`],
  ["ledger page 20", `/console/c/${KEY}/ledger?page=20`],
  ["not answered", `/console/c/${KEY}/pending`],
  ["unit u1", `/console/c/${KEY}/units/u1`],
  // A measure of unit u1, owned by the member p201 (set below): each of the three may open it.
  ["measure 202", `/console/c/${KEY}/measures/202`],
];
const WHO: [string, string][] = [
  ["admin", "ou_rb_0"],
  ["head", "ou_rb_1"], // head of u1
  ["member", "ou_rb_201"], // member of u1, owns measures
];

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const redis = await startRedisServer();
  const store = await startMongoWire({});
  const uri = store.uri.replace(/\/(\?|$)/, "/bench_console$1");
  const { conn, m } = await seedCampaign(uri, KEY, 2000, 10_000, 3_000);
  await m.Person.updateOne({ campaignKey: KEY, key: "p0" }, { $set: { roles: ["admin"] } });
  await m.Measure.updateOne({ campaignKey: KEY, seq: 202 }, { $set: { ownerKey: "p201" } });
  await conn.close();
  const offset = Date.parse("2026-12-15T02:00:00Z") - Date.now();
  const emu = new FeishuEmulator({ appId: "cli_bench", appSecret: "s", now: () => Date.now() + offset });
  const emuUrl = await emu.start();
  for (const [, openId] of WHO) emu.addUser({ open_id: openId, name: openId });
  const bot = await startBot(
    {
      feishu: {
        appId: "cli_bench",
        appSecret: "s",
        domain: emuUrl,
        encryptKey: "bench-key",
        verificationToken: "bench-token",
        insecureNoEncryption: false,
        signatureWindowSeconds: 300,
        transport: "webhook",
      },
      mongoUri: uri,
      redisUrl: redis.url,
      redisPrefix: "bench-console",
      port: 0,
      timezone: "Asia/Shanghai",
      outboundRatePerSecond: 50,
      workers: false,
      now: () => new Date(Date.now() + offset),
    },
    silentLogger,
  );
  const load = os.loadavg().map((x) => x.toFixed(2));
  const results: Record<string, Record<string, number>> = {};
  for (const [who, openId] of WHO) {
    const client = await signInAt(bot.url, openId);
    for (const [page, url] of PAGES) {
      const http: number[] = [];
      const server: number[] = [];
      let status = 0;
      for (let i = 0; i < N + 3; i++) {
        const t0 = performance.now();
        const res = await client.fetch(url);
        await res.arrayBuffer();
        const t = performance.now() - t0;
        status = res.status;
        const dur = Number(/dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? NaN);
        if (i >= 3) {
          http.push(t);
          server.push(dur);
        }
      }
      http.sort((a, b) => a - b);
      server.sort((a, b) => a - b);
      results[`${who} ${page}`] = {
        status,
        server_p50_ms: Math.round(pct(server, 50)),
        server_p95_ms: Math.round(pct(server, 95)),
        http_p50_ms: Math.round(pct(http, 50)),
        http_p95_ms: Math.round(pct(http, 95)),
      };
    }
  }
  console.log(
    JSON.stringify(
      {
        data: { assignments: 10_000, measures: 3_000, units: 200, people: 2000 },
        requests_per_page: N,
        loadavg_at_start: load,
        loadavg_at_end: os.loadavg().map((x) => x.toFixed(2)),
        results,
      },
      null,
      2,
    ),
  );
  await bot.stop();
  await emu.close();
  await store.close();
  await redis.stop();
}
void main();
