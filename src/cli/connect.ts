import path from "node:path";
import mongoose, { type Connection } from "mongoose";
import type { Redis } from "ioredis";
import type { Config } from "../config";
import { FeishuClient } from "../feishu/client";
import type { FeishuApi } from "../feishu/types";
import { readLocalRuntime } from "../local-runtime";
import type { Logger } from "../logger";
import { createRedis } from "../redis";
import { createModels, ensureIndexes, type Models } from "../repositories/models";

/**
 * The CLI reaches the same services as the bot: MONGODB_URI / REDIS_URL / Feishu credentials from the
 * environment, else what a local `npm start` recorded in DATA_DIR/runtime.json, else (for MongoDB only)
 * the embedded store opened on DATA_DIR/store.bson directly.
 */
export interface CliServices {
  models: Models;
  redis?: Redis;
  redisPrefix: string;
  feishu?: FeishuApi;
  close(): Promise<void>;
}

export async function connect(
  config: Config,
  logger: Logger,
  need: { redis?: boolean } = {},
): Promise<CliServices> {
  const local = readLocalRuntime(config.dataDir);
  const closers: (() => Promise<void>)[] = [];
  let mongoUri = config.mongodbUri ?? local?.mongoUri;
  if (!mongoUri) {
    const { startMongoWire } = await import("../mongo-wire/index");
    const store = await startMongoWire({ dataFile: path.resolve(config.dataDir, "store.bson"), logger });
    closers.push(() => store.close());
    mongoUri = store.uri.replace(/\/(\?|$)/, "/rectify$1");
  }
  const conn: Connection = await mongoose
    .createConnection(mongoUri, { serverSelectionTimeoutMS: 5000 })
    .asPromise();
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
  return {
    models,
    redis,
    redisPrefix: config.redisPrefix,
    feishu,
    async close() {
      for (const c of closers) await c();
    },
  };
}
