import { Queue } from "bullmq";
import mongoose from "mongoose";
import { QUEUE } from "../../jobs/queue-names";
import { createRedis } from "../../src/redis";
import { FeishuEmulator, type EmulatorOptions } from "@rectify-bot/feishu-emulator";
import { silentLogger, type Logger } from "../../src/logger";
import { startBot, type BotSettings, type RunningBot } from "../../src/runtime";
import { mongoUriFor, redisUrl, uniqueName } from "./services";

export const TEST_APP = {
  appId: "cli_test_app",
  appSecret: "test-app-secret",
  encryptKey: "test-encrypt-key",
  verificationToken: "test-verification-token",
};

export interface TestBot {
  bot: RunningBot;
  /** What the bot was started with, to start another process on the same Redis and database. */
  settings: BotSettings;
  emu: FeishuEmulator;
  db: string;
  prefix: string;
  stop(): Promise<void>;
}

/**
 * The whole bot against real local services: Redis, the MongoDB-wire store (or MONGODB_URI), and the
 * Feishu emulator reached by the real node-sdk over HTTP. Each call gets its own database and prefix.
 */
export async function startTestBot(
  o: { emulator?: Partial<EmulatorOptions>; settings?: Partial<BotSettings>; logger?: Logger } = {},
): Promise<TestBot> {
  const emu = new FeishuEmulator({ appId: TEST_APP.appId, appSecret: TEST_APP.appSecret, ...o.emulator });
  const emuUrl = await emu.start();
  const db = uniqueName("rbtest");
  const prefix = uniqueName("rb");
  const settings: BotSettings = {
    feishu: {
      appId: TEST_APP.appId,
      appSecret: TEST_APP.appSecret,
      domain: emuUrl,
      encryptKey: TEST_APP.encryptKey,
      verificationToken: TEST_APP.verificationToken,
      insecureNoEncryption: false,
      signatureWindowSeconds: 300,
      transport: "webhook",
    },
    mongoUri: mongoUriFor(db),
    redisUrl: redisUrl(),
    redisPrefix: prefix,
    port: 0,
    timezone: "Asia/Shanghai",
    outboundRatePerSecond: 40,
    ...o.settings,
  };
  const bot = await startBot(settings, o.logger ?? silentLogger);
  emu.configureDelivery({
    url: `${bot.url}/feishu/events`,
    encryptKey: TEST_APP.encryptKey,
    verificationToken: TEST_APP.verificationToken,
  });
  return {
    bot,
    settings,
    emu,
    db,
    prefix,
    async stop() {
      await bot.stop();
      await emu.close();
      // Clean up on connections of our own: the test may have stopped the bot already.
      const redis = createRedis(settings.redisUrl, silentLogger);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      const conn = await mongoose.createConnection(settings.mongoUri).asPromise();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

/**
 * Wait until the bot has no work in flight: nothing waiting, active or delayed in its outbound, events,
 * exports and flags queues (the sweeps' repeatable schedule is left out: it is always delayed). A test
 * that asserts "nothing more was sent" waits for this first, so work a previous step set going (a
 * reviewer's flags card, a returned card) is not counted as the step under test's.
 */
export async function botIdle(t: TestBot, timeoutMs = 20_000): Promise<void> {
  const names = [QUEUE.outbound, QUEUE.events, QUEUE.exports, QUEUE.flags];
  const queues = names.map((n) => new Queue(n, { connection: t.bot.redis, prefix: `${t.prefix}:bull` }));
  try {
    const busy = async () => {
      let n = 0;
      for (const q of queues) {
        const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
        n += Object.values(c).reduce((a, b) => a + b, 0);
      }
      return n;
    };
    const deadline = Date.now() + timeoutMs;
    // Idle twice in a row, 100 ms apart: a job that finishes may add the next one.
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline)
        throw new Error(`bot still busy after ${timeoutMs} ms (${await busy()} jobs)`);
      quiet = (await busy()) === 0 ? quiet + 1 : 0;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}
