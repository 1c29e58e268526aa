/**
 * bench/campaign-start.ts: start a campaign for 300 people × 14 items (4,500 messages: a digest and 14
 * self-check cards each) against the Feishu emulator with Feishu's real limits, and watch the outbound
 * queue deliver it.
 *
 *   npx tsx bench/campaign-start.ts [--people 300] [--rate 48] [--per-minute 990] [--no-minute-limit]
 *
 * --no-minute-limit lifts the emulator's 1000/min app limit (and the bot's minute window) to measure the
 * per-second path alone. Prints messages/s against the 50/s app limit, 429s met and retried, duplicates,
 * people skipped, and the time to the first card.
 */
import { BUILTIN_TEMPLATE } from "../src/campaign/template";
import type { CampaignSpec } from "../src/domain/types";
import { startEmulatorProcess } from "./emulator-client";
import { silentLogger } from "../src/logger";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { startBot } from "../src/runtime";
import { emulatorUsersFor } from "../src/sandbox-users";
import { importCampaign } from "../src/services/campaign-import";
import { startCampaign } from "../src/services/campaign-start";
import { startRedisServer } from "../src/util/redis-process";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PEOPLE = arg("people", 300);
const RATE = arg("rate", 48);
const NO_MINUTE = process.argv.includes("--no-minute-limit");
const PER_MINUTE = NO_MINUTE ? 0 : arg("per-minute", 990);

function spec(): CampaignSpec {
  const units = Array.from({ length: 20 }, (_, i) => ({
    key: `u${i}`,
    name: `科室${i + 1}`,
    head: `p${i}`,
    leader: `p${(i + 1) % 20}`,
  }));
  const people = Array.from({ length: PEOPLE }, (_, i) => ({
    key: `p${i}`,
    name: `干部${i + 1}`,
    unit: `u${i % 20}`,
    roles: [i < 20 ? "head" : "member"] as ("head" | "member")[],
    openId: `ou_bench_${String(i).padStart(5, "0")}`,
  }));
  const items = BUILTIN_TEMPLATE.sections.flatMap((s) => s.items.map((it) => it.key));
  return {
    key: "bench-start",
    title: "压测：专项整治自查",
    timezone: "Asia/Shanghai",
    startDate: "2026-12-01",
    checklist: BUILTIN_TEMPLATE,
    units,
    people,
    assignments: items.map((item) => ({
      item,
      units: [],
      people: people.map((p) => p.key),
      due: "2027-03-01",
    })),
    chats: [],
    schedules: {
      reminderSweep: "0 9 * * 1-5",
      escalationSweep: "30 9 * * 1-5",
      broadcast: "0 17 * * 5",
      leadersDigest: "0 8 * * 1",
    },
    escalation: [],
    reviewer: "head",
    remindBefore: [3, 1],
  };
}

async function main() {
  const redis = await startRedisServer();
  const store = await startMongoWire({});
  const s = spec();
  const emu = await startEmulatorProcess(
    { appId: "cli_bench", appSecret: "bench-secret", limits: NO_MINUTE ? { appPerMinute: 1_000_000 } : {} },
    emulatorUsersFor(s),
  );
  const emuUrl = emu.url;
  const bot = await startBot(
    {
      feishu: {
        appId: "cli_bench",
        appSecret: "bench-secret",
        domain: emuUrl,
        encryptKey: "k",
        verificationToken: "v",
        insecureNoEncryption: false,
        signatureWindowSeconds: 300,
        transport: "webhook",
      },
      mongoUri: store.uri.replace(/\/(\?|$)/, "/bench_start$1"),
      redisUrl: redis.url,
      redisPrefix: "bench",
      port: 0,
      timezone: "Asia/Shanghai",
      outboundRatePerSecond: RATE,
      outboundRatePerMinute: PER_MINUTE,
      now: () => new Date("2026-12-02T02:00:00Z"),
    },
    silentLogger,
  );
  await importCampaign(bot.models, s, {});
  const t0 = performance.now();
  let firstMs: number | undefined;
  const watchFirst = setInterval(() => {
    if (firstMs === undefined)
      void emu
        .stats()
        .then((st) => (firstMs ??= st.messages.length > 0 ? performance.now() - t0 : undefined));
  }, 20);
  const report = await startCampaign(
    { models: bot.models, now: bot.deps.now, outbound: bot.outbound },
    s.key,
  );
  const enqueuedMs = performance.now() - t0;
  const expected = report.enqueued;
  const started = Date.now();
  for (;;) {
    const n = (await bot.outboundWorker!.metrics()).sent;
    if (n >= expected) break;
    if (Date.now() - started > 15 * 60_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const totalMs = performance.now() - t0;
  clearInterval(watchFirst);
  await new Promise((r) => setTimeout(r, 1000)); // anything late would be a duplicate
  const st = await emu.stats();
  const msgs = st.messages;
  const times = msgs.map((m) => m.createdAt).sort((a, b) => a - b);
  const span = (times[times.length - 1] - times[0]) / 1000;
  // The steadiest 10 s of sending, against the 50/s limit.
  let best10 = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 10_000) j++;
    best10 = Math.max(best10, i - j + 1);
  }
  const perReceiver = new Map<string, number>();
  for (const m of msgs) perReceiver.set(m.to, (perReceiver.get(m.to) ?? 0) + 1);
  const uuids = new Set(msgs.map((m) => m.uuid));
  const refused429 = st.calls.filter((c) => c.status === 429).length;
  const refused230020 = st.calls.filter((c) => c.code === 230020).length;
  const metrics = await bot.outboundWorker!.metrics();
  const out = {
    people: PEOPLE,
    messages_expected: expected,
    messages_delivered: msgs.length,
    duplicates: msgs.length - uuids.size,
    people_skipped: PEOPLE - [...perReceiver.values()].filter((n) => n === 15).length,
    time_to_first_card_ms: Math.round(firstMs ?? -1),
    enqueue_ms: Math.round(enqueuedMs),
    total_s: +(totalMs / 1000).toFixed(1),
    overall_msgs_per_s: +(msgs.length / span).toFixed(1),
    best_10s_msgs_per_s: +(best10 / 10).toFixed(1),
    of_50_per_s_limit: `${Math.round((best10 / 10 / 50) * 100)}% (best 10 s), ${Math.round((msgs.length / span / 50) * 100)}% (overall)`,
    minute_limit: NO_MINUTE ? "lifted" : "1000/min (emulator), bot window " + PER_MINUTE,
    refused_429: refused429,
    refused_230020: refused230020,
    bot_metrics: metrics,
  };
  console.log(JSON.stringify(out, null, 2));
  await bot.stop();
  await emu.stop();
  await store.close();
  await redis.stop();
}
void main();
