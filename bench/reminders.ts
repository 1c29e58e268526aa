/**
 * bench/reminders.ts (issue 4):
 *  1. a reminder sweep over 10,000 assignments and 3,000 measures: the time to compute who gets what
 *     (load from the store + plan), target under 2 s;
 *  2. delivery of 1,000 reminder digests to the Feishu emulator (own process, real limits), target ≥ 90%
 *     of the 50/s app limit.
 *
 *   npx tsx bench/reminders.ts [--assignments 10000] [--measures 3000] [--digests 1000] [--rate 50]
 */
import { WorkCalendar } from "../src/calendar";
import { silentLogger } from "../src/logger";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { startBot } from "../src/runtime";
import { planReminders } from "../src/services/reminders";
import { runReminderSweep } from "../src/services/sweeps";
import { startRedisServer } from "../src/util/redis-process";
import { startEmulatorProcess } from "./emulator-client";
import { seedCampaign as seed } from "./seed";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const A = arg("assignments", 10_000);
const M = arg("measures", 3_000);
const DIGESTS = arg("digests", 1_000);
const RATE = arg("rate", 50);
const NOW = new Date("2026-12-15T02:00:00Z"); // Tue 10:00 in Shanghai

async function main() {
  const redis = await startRedisServer();
  const store = await startMongoWire({});
  const calendar = new WorkCalendar();

  // 1. Compute: 10,000 assignments, 3,000 measures, 2,000 people.
  const uri1 = store.uri.replace(/\/(\?|$)/, "/bench_rem$1");
  const { conn, m } = await seed(uri1, "bench-rem", 2000, A, M);
  const t0 = performance.now();
  const [assignments, measures, people] = await Promise.all([
    m.Assignment.find({ campaignKey: "bench-rem", withdrawn: false, state: "pending" }).lean(),
    m.Measure.find({ campaignKey: "bench-rem", state: { $in: ["open", "in_progress"] } }).lean(),
    m.Person.find({ campaignKey: "bench-rem" }).lean(),
  ]);
  const t1 = performance.now();
  const plan = planReminders({
    active: true,
    today: "2026-12-15",
    remindBefore: [3, 1],
    items: [
      ...assignments.map((a) => ({
        kind: "assignment" as const,
        id: String(a._id),
        title: a.itemKey,
        personKey: a.assigneeKey,
        dueDate: a.dueDate,
      })),
      ...measures.map((x) => ({
        kind: "measure" as const,
        id: String(x._id),
        title: x.content,
        personKey: x.ownerKey,
        dueDate: x.dueDate,
      })),
    ],
    people: new Map(people.map((p) => [p.key, p])),
    calendar,
  });
  const t2 = performance.now();
  await conn.close();

  // 2. Deliver 1,000 digests: a campaign where 1,000 people each have one item due today.
  const uri2 = store.uri.replace(/\/(\?|$)/, "/bench_rem2$1");
  const seeded = await seed(uri2, "bench-dlv", DIGESTS, DIGESTS, 0);
  await seeded.m.Assignment.updateMany({}, { $set: { dueDate: "2026-12-15", state: "pending" } });
  await seeded.conn.close();
  const emu = await startEmulatorProcess(
    { appId: "cli_bench", appSecret: "s" },
    Array.from({ length: DIGESTS }, (_, i) => ({ open_id: `ou_rb_${i}`, name: `干部${i}` })),
  );
  const bot = await startBot(
    {
      feishu: {
        appId: "cli_bench",
        appSecret: "s",
        domain: emu.url,
        encryptKey: "k",
        verificationToken: "v",
        insecureNoEncryption: false,
        signatureWindowSeconds: 300,
        transport: "webhook",
      },
      mongoUri: uri2,
      redisUrl: redis.url,
      redisPrefix: "bench-rem",
      port: 0,
      timezone: "Asia/Shanghai",
      outboundRatePerSecond: RATE,
      outboundRatePerMinute: 990,
      now: () => NOW,
      calendar,
    },
    silentLogger,
  );
  const s0 = performance.now();
  const sweep = await runReminderSweep({ ...bot.deps }, "bench-dlv");
  const sweepMs = performance.now() - s0;
  for (;;) {
    if ((await bot.outboundWorker!.metrics()).sent >= sweep.sent) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const st = await emu.stats();
  const times = st.messages.map((x) => x.createdAt).sort((a, b) => a - b);
  const span = (times[times.length - 1] - times[0]) / 1000;
  let best10 = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 10_000) j++;
    best10 = Math.max(best10, i - j + 1);
  }
  const per5s: number[] = [];
  for (const x of times)
    per5s[Math.floor((x - times[0]) / 5000)] = (per5s[Math.floor((x - times[0]) / 5000)] ?? 0) + 1;
  if (process.env.BENCH_VERBOSE)
    console.error("messages per 5 s:", Array.from(per5s, (v) => v ?? 0).join(" "));
  const first990 = (times[Math.min(989, times.length - 1)] - times[0]) / 1000;
  console.log(
    JSON.stringify(
      {
        compute: {
          assignments: A,
          measures: M,
          people: 2000,
          load_ms: Math.round(t1 - t0),
          plan_ms: Math.round(t2 - t1),
          total_ms: Math.round(t2 - t0),
          people_reminded: plan.plans.length,
          lines: plan.plans.reduce((n, p) => n + p.lines.length, 0),
        },
        delivery: {
          digests_queued: sweep.sent,
          sweep_ms: Math.round(sweepMs),
          delivered: st.messages.length,
          duplicates: st.messages.length - new Set(st.messages.map((x) => x.uuid)).size,
          total_s: +span.toFixed(1),
          overall_msgs_per_s: +(st.messages.length / span).toFixed(1),
          first_990_msgs_per_s: +(Math.min(990, times.length) / first990).toFixed(1),
          best_10s_msgs_per_s: +(best10 / 10).toFixed(1),
          of_50_per_s: `${Math.round((best10 / 10 / 50) * 100)}% (best 10 s), ${Math.round((Math.min(990, times.length) / first990 / 50) * 100)}% (first 990)`,
          refused_429: st.calls.filter((c) => c.status === 429).length,
        },
      },
      null,
      2,
    ),
  );
  await bot.stop();
  await emu.stop();
  await store.close();
  await redis.stop();
}
void main();
