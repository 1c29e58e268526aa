import path from "node:path";
import mongoose, { type Connection } from "mongoose";
import type { Redis } from "ioredis";
import type { Config } from "../config";
import { AppError } from "../errors";
import { FeishuClient } from "../feishu/client";
import type { FeishuApi } from "../feishu/types";
import { readLocalRuntime, runtimeFile } from "../local-runtime";
import type { Logger } from "../logger";
import { createRedis } from "../redis";
import { createModels, ensureIndexes, type Models } from "../repositories/models";
import { readClockOffset } from "../sandbox-clock";

/**
 * The CLI reaches the same services as the bot: MONGODB_URI / REDIS_URL / Feishu credentials from the
 * environment, else what a local `npm start` recorded in DATA_DIR/runtime.json, else (for MongoDB only)
 * the embedded store opened on DATA_DIR/store.bson directly — only when no running process holds it
 * (the store's lock file). A running bot whose store cannot be reached is an error, never a reason to
 * open its data file behind its back.
 */
export interface CliServices {
  models: Models;
  redis?: Redis;
  redisPrefix: string;
  feishu?: FeishuApi;
  /**
   * The time the bot sees: real time, or against a running local sandbox its clock (src/sandbox-clock.ts,
   * read once at connect), so `campaign status` after `sandbox clock +3d` counts what the page counts.
   */
  now?: () => Date;
  close(): Promise<void>;
}

/** The CLI's clock for services: `s.now` when connect() set one, else real time. */
export const nowOf = (s: Pick<CliServices, "now">) => (): Date => (s.now ? s.now() : new Date());

/** Both languages as an AppError: the CLI's failure line prints `zh / en` whole (a plain message is cut at its first line). */
function unreachable(
  dataDir: string,
  pid: number,
  why: { zh: string; en: string },
  cause: unknown,
): AppError {
  const e = new AppError(
    "conflict",
    `数据目录 ${dataDir} 正被进程 ${pid} 使用，但无法连接其数据库：${why.zh}。请等它停止，或检查该进程。`,
    `The data directory ${dataDir} is in use by process ${pid}, but its database cannot be reached: ${why.en}. ` +
      `Stop that process or check it; the CLI does not open the data file behind its back.`,
    { pid },
  );
  return Object.assign(e, { cause });
}

export async function connect(
  config: Config,
  logger: Logger,
  need: { redis?: boolean } = {},
): Promise<CliServices> {
  const local = readLocalRuntime(config.dataDir);
  const closers: (() => Promise<void>)[] = [];
  let mongoUri = config.mongodbUri ?? local?.mongoUri;
  const dataFile = path.resolve(config.dataDir, "store.bson");
  /** the running process whose store we must reach (never open its file ourselves) */
  let owner: number | undefined = config.mongodbUri ? undefined : local?.pid;
  if (!mongoUri) {
    const { startMongoWire } = await import("@rectify-bot/mongo-wire");
    const { DataFileLockedError } = await import("@rectify-bot/mongo-wire/lock");
    try {
      const store = await startMongoWire({ dataFile, logger });
      closers.push(() => store.close());
      mongoUri = store.uri.replace(/\/(\?|$)/, "/rectify$1");
    } catch (err) {
      if (!(err instanceof DataFileLockedError)) throw err;
      const file = runtimeFile(config.dataDir);
      throw unreachable(
        config.dataDir,
        err.holder.pid,
        { zh: `${file} 不存在或已过期`, en: `${file} is missing or stale` },
        err,
      );
    }
    owner = undefined;
  }
  let conn: Connection;
  try {
    conn = await mongoose.createConnection(mongoUri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    if (owner === undefined) throw err;
    const why = (err as Error).message;
    throw unreachable(config.dataDir, owner, { zh: why, en: why }, err);
  }
  closers.unshift(() => conn.close());
  const models = createModels(conn);
  await ensureIndexes(models);

  const redisUrl = config.redisUrl ?? local?.redisUrl;
  if (need.redis && !redisUrl) {
    await Promise.all(closers.map((c) => c()));
    throw new Error(
      "Redis is needed for this command: set REDIS_URL, or keep `npm start` running (it records its Redis in DATA_DIR/runtime.json).",
    );
  }
  const redis = redisUrl ? createRedis(redisUrl, logger, { name: "cli", forBullmq: true }) : undefined;
  if (redis) closers.unshift(async () => void (await redis.quit()));

  const creds = config.feishu.appId
    ? { appId: config.feishu.appId, appSecret: config.feishu.appSecret ?? "", domain: config.feishu.domain }
    : local?.feishu;
  const feishu =
    creds && redis
      ? new FeishuClient({ ...creds, redis, redisPrefix: config.redisPrefix, logger })
      : undefined;
  // The sandbox's clock, when this CLI talks to a running sandbox (its Feishu is the emulator).
  const sandboxOffset =
    local?.sandbox && !config.feishu.appId && redis ? await readClockOffset(redis, config.redisPrefix) : 0;
  return {
    models,
    redis,
    redisPrefix: config.redisPrefix,
    feishu,
    now: () => new Date(Date.now() + sandboxOffset),
    async close() {
      for (const c of closers) await c();
    },
  };
}
