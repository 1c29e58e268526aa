/**
 * bench/queries.ts (issue 5): with 10,000 assignments, 3,000 measures and 200 units loaded, the time from
 * a question's message event arriving (signed and encrypted, over HTTP) to the answer card reaching the
 * Feishu emulator, per intent, asked by an admin (who sees everything) and by a member.
 *
 *   npx tsx bench/queries.ts [--n 40]
 */
import { FeishuEmulator } from "@rectify-bot/feishu-emulator";
import { createLogger, silentLogger } from "../src/logger";
import pino from "pino";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { startBot } from "../src/runtime";
import { startRedisServer } from "../src/util/redis-process";
import { seedCampaign } from "./seed";

const N = (() => {
  const i = process.argv.indexOf("--n");
  return i > 0 ? Number(process.argv[i + 1]) : 40;
})();
const QUESTIONS: [string, string][] = [
  ["overdue_measures", "哪些措施逾期了"],
  ["my_todos", "我的待办"],
  ["pending_items", "谁还没填报"],
  ["progress", "整体进度怎么样"],
  ["due_soon", "本周到期的措施"],
  ["item_status", "正会风的情况"],
  ["measure_detail", "措施12"],
  ["problem_list", "问题清单"],
  ["help", "帮助"],
  ["unknown", "今天天气怎么样"],
];

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const redis = await startRedisServer();
  const store = await startMongoWire({});
  const uri = store.uri.replace(/\/(\?|$)/, "/bench_q$1");
  const { conn, m } = await seedCampaign(uri, "bench-q", 2000, 10_000, 3_000);
  // Askers rotate over 50 admins and 50 members: Feishu allows 5 messages/s into one chat, so one person
  // asking 40 questions back to back would measure that limit, not the bot.
  await m.Person.updateMany(
    { campaignKey: "bench-q", key: { $in: Array.from({ length: 50 }, (_, i) => `p${i}`) } },
    { $set: { roles: ["admin"] } },
  );
  await m.Campaign.updateOne({ key: "bench-q" }, { $set: { startedAt: new Date() } });
  await conn.close();
  // One running clock for both sides (signatures are checked against it), set to a day of the campaign.
  const offset = Date.parse("2026-12-15T02:00:00Z") - Date.now();
  const emu = new FeishuEmulator({
    appId: "cli_bench",
    appSecret: "s",
    now: () => Date.now() + offset,
    limits: { appPerSecond: 1e6, appPerMinute: 1e9, perReceiverPerSecond: 1e6 },
  });
  const emuUrl = await emu.start();
  for (let i = 0; i < 100; i++) emu.addUser({ open_id: `ou_rb_${i}`, name: `p${i}` });
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
      redisPrefix: "bench-q",
      port: 0,
      timezone: "Asia/Shanghai",
      outboundRatePerSecond: 50,
      outboundRatePerMinute: 0,
      now: () => new Date(Date.now() + offset),
    },
    process.env.BENCH_LOG ? createLogger("info", pino.destination(process.env.BENCH_LOG)) : silentLogger,
  );
  emu.configureDelivery({
    url: `${bot.url}/feishu/events`,
    encryptKey: "bench-key",
    verificationToken: "bench-token",
  });
  const results: Record<string, Record<string, number | string>> = {};
  for (const [who, base] of [
    ["admin", 0],
    ["member", 50],
  ] as const) {
    for (const [intent, text] of QUESTIONS) {
      const times: number[] = [];
      for (let i = 0; i < N + 3; i++) {
        const openId = `ou_rb_${base + (i % 50)}`;
        const chat = emu.p2pChatId(openId);
        // Watch the emulator's call log (a plain array) for the answer's send, cheaply.
        const from = emu.calls.length;
        const t0 = Date.now() + offset;
        await emu.sendUserMessage({ from: openId, chatType: "p2p", text });
        const deadline = Date.now() + 10_000;
        const sent = () =>
          emu.calls
            .slice(from)
            .find(
              (c) =>
                c.method === "POST" &&
                c.path === "/open-apis/im/v1/messages" &&
                c.status === 200 &&
                (c.body as { receive_id?: string }).receive_id === chat,
            );
        while (!sent()) {
          if (Date.now() > deadline) throw new Error(`no answer to "${text}" within 10 s`);
          await new Promise((r) => setTimeout(r, 1));
        }
        const answer = { createdAt: sent()!.at };
        if (i >= 3) times.push(answer.createdAt - t0); // 3 warm-up questions
      }
      times.sort((a, b) => a - b);
      results[`${who} ${intent}`] = {
        p50_ms: pct(times, 50),
        p95_ms: pct(times, 95),
        max_ms: times[times.length - 1],
      };
    }
  }
  console.log(
    JSON.stringify(
      {
        data: { assignments: 10_000, measures: 3_000, units: 200, people: 2000 },
        questions_per_intent: N,
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
