import "dotenv/config";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig, type Config } from "./config";
import { WorkCalendar } from "./calendar";
import { redisPidFile, writeLocalRuntime } from "./local-runtime";
import { createLogger, type Logger } from "./logger";
import { startBot, type RunningBot } from "./runtime";
import { hasRedisServer, REDIS_INSTALL_HINT, startLocalRedis } from "./util/redis-process";

/**
 * `npm start`. With Feishu credentials: runs against FEISHU_DOMAIN. Without: a local sandbox with the
 * Feishu emulator. MONGODB_URI unset → the embedded store with its data in DATA_DIR; REDIS_URL unset →
 * a redis-server started here. Everything started here is stopped on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.reverse())
      await c().catch((e: unknown) => logger.error({ err: String(e) }, "error while stopping"));
  };
  try {
    const bot = await start(config, logger, cleanups);
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ sig }, "stopping");
      void stopAll().then(() => process.exit(0));
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
    logger.info({ url: bot.url }, "bot ready");
  } catch (e) {
    logger.fatal({ err: e instanceof Error ? e.message : String(e) }, "could not start");
    await stopAll();
    process.exit(1);
  }
}

async function start(config: Config, logger: Logger, cleanups: (() => Promise<void>)[]): Promise<RunningBot> {
  const started: string[] = [];
  mkdirSync(config.dataDir, { recursive: true });
  if (!config.mongodbUri) {
    // Another process using this DATA_DIR: stop before starting anything in it (its redis-server too).
    const { DataFileLockedError, lockHolder } = await import("@rectify-bot/mongo-wire/lock");
    const dataFile = path.resolve(config.dataDir, "store.bson");
    const holder = await lockHolder(dataFile);
    if (holder) throw new DataFileLockedError(dataFile, holder);
  }
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    if (!(await hasRedisServer())) {
      throw new Error(
        `REDIS_URL is not set and redis-server is not on the PATH. Install it (${REDIS_INSTALL_HINT}) or set REDIS_URL.`,
      );
    }
    const redis = await startLocalRedis({
      dir: path.resolve(config.dataDir, "redis"),
      pidFile: redisPidFile(config.dataDir),
    });
    cleanups.push(() => redis.stop());
    redisUrl = redis.url;
    started.push(
      `redis-server at ${redis.url}${redis.reused ? ` (pid ${redis.pid}, left by an earlier run, reused)` : ""}`,
    );
  }

  let mongoUri = config.mongodbUri;
  if (!mongoUri) {
    if (!config.sandbox)
      logger.warn("MONGODB_URI is not set: using the embedded store; use a real MongoDB in production");
    mkdirSync(config.dataDir, { recursive: true });
    // In a thread of its own: the store's query work (an export's large reads) stays off the bot's loop.
    const { startMongoWireThread } = await import("./util/mongo-wire-thread");
    const dataFile = path.resolve(config.dataDir, "store.bson");
    const store = await startMongoWireThread({ dataFile, logger });
    cleanups.push(() => store.close());
    mongoUri = store.uri.replace(/\/(\?|$)/, "/rectify$1");
    started.push(`embedded MongoDB-wire store at ${store.uri} (data in ${dataFile})`);
  }

  let feishu = {
    appId: config.feishu.appId ?? "",
    appSecret: config.feishu.appSecret ?? "",
    domain: config.feishu.domain,
    encryptKey: config.feishu.encryptKey,
    verificationToken: config.feishu.verificationToken,
  };
  let afterStart: ((botUrl: string) => void) | undefined;
  let now: (() => Date) | undefined;
  let sandbox: { emulatorUrl: string } | undefined;
  if (config.sandbox) {
    // The sandbox keeps a clock of its own (src/sandbox-clock.ts), shared by the bot and the emulator.
    const { SandboxClock } = await import("./sandbox-clock");
    const clock = await SandboxClock.start(redisUrl, config.redisPrefix, logger);
    cleanups.push(() => clock.stop());
    now = () => clock.date();
    const { startSandboxEmulator } = await import("./sandbox");
    const sb = await startSandboxEmulator(logger, () => clock.now());
    cleanups.push(() => sb.close());
    feishu = { ...sb.credentials, domain: sb.url };
    afterStart = sb.connect;
    sandbox = { emulatorUrl: sb.url };
    started.push(`Feishu emulator (sandbox) at ${sb.url}`);
  }

  const bot = await startBot(
    {
      feishu: {
        ...feishu,
        insecureNoEncryption: config.feishu.insecureNoEncryption,
        signatureWindowSeconds: config.feishu.signatureWindowSeconds,
        transport: config.feishu.transport,
      },
      mongoUri,
      redisUrl,
      redisPrefix: config.redisPrefix,
      port: config.port,
      host: "0.0.0.0",
      timezone: config.timezone,
      outboundRatePerSecond: config.outboundRatePerSecond,
      outboundRatePerMinute: config.outboundRatePerMinute,
      calendar: WorkCalendar.fromFile(config.calendarFile, logger),
      workingHours: config.workingHours,
      adminOpenIds: config.adminOpenIds,
      now,
      sandbox,
      console: config.console,
    },
    logger,
  );
  cleanups.push(() => bot.stop());
  if (!config.sandbox && !config.console.sessionSecret)
    logger.warn("CONSOLE_SESSION_SECRET is not set: console sessions end when this process restarts");
  afterStart?.(`http://127.0.0.1:${bot.port}/feishu/events`);
  const removeRuntime = writeLocalRuntime(config.dataDir, {
    pid: process.pid,
    redisUrl,
    mongoUri,
    feishu: { appId: feishu.appId, appSecret: feishu.appSecret, domain: feishu.domain },
    ...(config.sandbox ? { sandbox: true } : {}),
  });
  cleanups.push(async () => removeRuntime());
  started.push(`bot on port ${bot.port} (POST /feishu/events, GET /healthz, GET /readyz)`);
  started.push(`the console: http://127.0.0.1:${bot.port}/console`);
  if (sandbox) started.push(`the sandbox in the browser: http://127.0.0.1:${bot.port}/sandbox`);
  console.log(`Started:\n${started.map((s) => `  - ${s}`).join("\n")}`);
  return bot;
}

void main();
