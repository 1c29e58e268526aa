import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { startRedisServer, type RedisProcess } from "../src/util/redis-process";

/**
 * Starts the real services the suite uses, once:
 * - a throw-away redis-server on a free loopback port (or REDIS_URL when set);
 * - the embedded MongoDB-wire store on a free loopback port (or MONGODB_URI when set, so the same
 *   suite runs against a real MongoDB).
 * Tests read them with `inject("redisUrl")` / `inject("mongoUri")` and use their own key prefix and
 * database name.
 */
let redis: RedisProcess | undefined;
let stopMongo: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startRedisServer();
    redisUrl = redis.url;
  }
  project.provide("redisUrl", redisUrl);

  let mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) {
    const { startMongoWire } = await import("@rectify-bot/mongo-wire");
    const store = await startMongoWire({});
    stopMongo = () => store.close();
    mongoUri = store.uri;
  }
  project.provide("mongoUri", mongoUri);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  await stopMongo?.();
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    mongoUri: string;
  }
}
