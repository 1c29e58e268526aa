import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Worker } from "bullmq";
import mongoose, { type Connection } from "mongoose";
import type { Redis } from "ioredis";
import type { HandlerDeps } from "../handlers/deps";
import { createEventSink } from "../handlers/index";
import { createEventsWorker, EventsQueue } from "../jobs/events";
import { createExportWorker, ExportQueue } from "../jobs/export";
import { createFlagsWorker, FlagsQueue } from "../jobs/flags";
import { OutboundQueue, OutboundWorker, type OutboundHooks } from "../jobs/outbound";
import { createSweepWorker, SweepQueue } from "../jobs/sweeps";
import { WorkCalendar } from "./calendar";
import { ExportProcess } from "./exports/export-process";
import { isSomeAdmin, mayAdminister } from "./services/campaign-admin";
import { createApp } from "./app";
import { randomBytes } from "node:crypto";
import { FeishuClient } from "./feishu/client";
import type { FeishuApi } from "./feishu/types";
import { startLongConnection, type LongConnection } from "./feishu/ws";
import type { Logger } from "./logger";
import { createRedis, RedisWatch, whenReady } from "./redis";
import { createModels, ensureIndexes, type Models } from "./repositories/models";
import {
  beginSend,
  markFailed,
  recordIntents,
  requeueUnsent,
  recordSent,
  recordUndeliverable,
} from "./repositories/sent-cards";
import { EventDedup } from "./server/event-dedup";
import { processEvent } from "./server/process-event";

/** How long a stop waits for slow card actions to finish (Feishu's callback token lives 30 minutes). */
const LATE_WORK_WAIT_MS = 30_000;

export interface BotSettings {
  feishu: {
    appId: string;
    appSecret: string;
    domain: string;
    encryptKey?: string;
    verificationToken?: string;
    insecureNoEncryption: boolean;
    signatureWindowSeconds: number;
    transport: "webhook" | "ws";
  };
  mongoUri: string;
  redisUrl: string;
  /** Namespaces every Redis key and BullMQ queue of this bot (tests use one per test). */
  redisPrefix: string;
  /** 0 = a free port. */
  port: number;
  host?: string;
  timezone: string;
  outboundRatePerSecond: number;
  /** Feishu also limits an app to 1000 messages a minute; default 950. */
  outboundRatePerMinute?: number;
  calendar?: WorkCalendar;
  workingHours?: { start: number; end: number };
  /** ADMIN_OPEN_IDS (src/config.ts): who may send a new campaign file in chat. */
  adminOpenIds?: readonly string[];
  /** Start the queue workers in this process (default true). */
  workers?: boolean;
  now?: () => Date;
  /** The local sandbox: the emulator the bot runs against, for the /sandbox page. */
  sandbox?: { emulatorUrl: string };
  /** The web console: its session secret (unset: a random one per process) and public URL. */
  console?: { sessionSecret?: string; publicUrl?: string };
}

export interface RunningBot {
  url: string;
  port: number;
  deps: HandlerDeps;
  models: Models;
  mongo: Connection;
  redis: Redis;
  outbound: OutboundQueue;
  outboundWorker?: OutboundWorker;
  eventsQueue: EventsQueue;
  sweeps: SweepQueue;
  stop(): Promise<void>;
}

/** Connect, start workers and listen. Everything it starts, `stop()` closes, in order. */
export async function startBot(
  s: BotSettings,
  logger: Logger,
  overrides: { feishu?: FeishuApi } = {},
): Promise<RunningBot> {
  const now = s.now ?? (() => new Date());
  const mongo = await mongoose.createConnection(s.mongoUri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const models = createModels(mongo);
  await ensureIndexes(models);
  const redis = createRedis(s.redisUrl, logger, { name: "bot", forBullmq: true });
  const feishu =
    overrides.feishu ??
    new FeishuClient({
      appId: s.feishu.appId,
      appSecret: s.feishu.appSecret,
      domain: s.feishu.domain,
      redis,
      redisPrefix: s.redisPrefix,
      logger,
    });

  const bullPrefix = `${s.redisPrefix}:bull`;
  const outbound = new OutboundQueue({
    connection: redis,
    prefix: bullPrefix,
    logger,
    record: (jobs, o) => recordIntents(models, jobs, now(), o),
  });
  const eventsQueue = new EventsQueue(redis, bullPrefix, logger);
  const sweeps = new SweepQueue(redis, bullPrefix, logger);
  const exportsQueue = new ExportQueue(redis, bullPrefix, logger);
  const flagsQueue = new FlagsQueue(redis, bullPrefix, logger);
  const calendar = s.calendar ?? new WorkCalendar({ logger });
  const deps: HandlerDeps = {
    logger,
    models,
    feishu,
    outbound,
    timezone: s.timezone,
    now,
    calendar,
    workingHours: s.workingHours,
    sweeps,
    exports: exportsQueue,
    flags: flagsQueue,
    lateWork: new Set(),
    adminOpenIds: s.adminOpenIds ?? [],
  };
  // Exports read their data and render off this event loop, in a child process with a connection of its own.
  if (s.workers !== false) deps.exportProcess = new ExportProcess({ mongoUri: s.mongoUri, logger });

  const hooks: OutboundHooks = {
    beforeSend: async (job) => {
      const go = await beginSend(models, job, now());
      if (!go)
        logger.warn(
          { op: job.op, uuid: "uuid" in job ? job.uuid : undefined },
          "send refused by its intent record",
        );
      return go;
    },
    onSent: (job, result) => recordSent(models, job, result, now()),
    onFailed: async (job, kind, message) => {
      await markFailed(models, job, `${kind}: ${message}`);
      await recordUndeliverable(models, job, kind, message, now());
    },
  };
  const workers: Worker[] = [];
  let outboundWorker: OutboundWorker | undefined;
  if (s.workers !== false) {
    outboundWorker = new OutboundWorker({
      connection: redis,
      prefix: bullPrefix,
      logger,
      feishu,
      hooks,
      ratePerSecond: s.outboundRatePerSecond,
      ratePerMinute: s.outboundRatePerMinute,
    });
    workers.push(createEventsWorker(redis, bullPrefix, deps));
    workers.push(createSweepWorker(redis, bullPrefix, deps));
    workers.push(createExportWorker(redis, bullPrefix, deps));
    workers.push(createFlagsWorker(redis, bullPrefix, deps));
  }
  // Schedulers follow the campaigns in the database (idempotent; every process may do it).
  await sweeps.syncAll(models);
  // A Redis that comes back without its data (or without schedulers) is repaired from MongoDB.
  const watch = new RedisWatch({
    redis,
    markerKey: `${s.redisPrefix}:alive`,
    logger,
    lacking: () => sweeps.missing(models),
    repair: async (why) => {
      await sweeps.syncAll(models);
      const requeued = await requeueUnsent(models, outbound, now());
      (requeued ? logger.warn.bind(logger) : logger.info.bind(logger))(
        { why, requeued },
        "redis repaired: schedulers synced, unsent intents queued again",
      );
    },
  });
  await watch.start();

  // Every inbound event claims its id: a connection of its own whose commands are pipelined per turn,
  // failing fast while Redis is away (the request is answered 503 and Feishu delivers it again).
  const dedupRedis = createRedis(s.redisUrl, logger, { name: "dedup", autoPipelining: true, failFast: true });
  await whenReady(dedupRedis);
  const dedup = new EventDedup(dedupRedis, s.redisPrefix);
  const sink = createEventSink(deps, (evt) => eventsQueue.add(evt));
  const app = createApp({
    logger,
    dedup,
    sink,
    verify: {
      encryptKey: s.feishu.encryptKey,
      verificationToken: s.feishu.verificationToken,
      insecureNoEncryption: s.feishu.insecureNoEncryption,
      windowSeconds: s.feishu.signatureWindowSeconds,
      now: () => now().getTime(),
    },
    health: [
      { name: "mongodb", check: async () => void (await mongo.db?.admin().ping()) },
      { name: "redis", check: () => watch.health() },
    ],
    ...(s.sandbox
      ? {
          sandbox: {
            emulatorUrl: s.sandbox.emulatorUrl,
            models,
            redis,
            redisPrefix: s.redisPrefix,
            sweeps,
            now,
            logger,
          },
        }
      : {}),
    console: {
      models,
      redis,
      prefix: s.redisPrefix,
      now,
      timezone: s.timezone,
      logger,
      calendar,
      outbound,
      sweeps,
      lookupUsers: (q) => feishu.lookupUsers(q),
      login: { appId: s.feishu.appId, appSecret: s.feishu.appSecret, domain: s.feishu.domain },
      sessionSecret: s.console?.sessionSecret ?? randomBytes(32).toString("hex"),
      publicUrl: s.console?.publicUrl,
      mayImport: (openId, key) => (key ? mayAdminister(deps, openId, key) : isSomeAdmin(deps, openId)),
    },
  });
  const server = http.createServer(app);
  // Feishu waits 3 s; keep-alive sockets from load generators must not pin the process on shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(s.port, s.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${s.host ?? "127.0.0.1"}:${port}`;

  let ws: LongConnection | undefined;
  if (s.feishu.transport === "ws") {
    ws = startLongConnection({
      appId: s.feishu.appId,
      appSecret: s.feishu.appSecret,
      domain: s.feishu.domain,
      encryptKey: s.feishu.encryptKey,
      verificationToken: s.feishu.verificationToken,
      logger,
      onPayload: async (payload) => (await processEvent(payload, { dedup, sink, logger })).body,
    });
  }

  let stopped = false;
  return {
    url,
    port,
    deps,
    models,
    mongo,
    redis,
    outbound,
    outboundWorker,
    eventsQueue,
    sweeps,
    async stop() {
      if (stopped) return;
      stopped = true;
      ws?.close();
      watch.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      // Card actions answered "working on it" still owe their delayed card update: let them queue it.
      const late = [...(deps.lateWork ?? [])];
      if (late.length) {
        logger.info({ n: late.length }, "waiting for card actions to finish their delayed updates");
        await Promise.race([Promise.allSettled(late), new Promise((r) => setTimeout(r, LATE_WORK_WAIT_MS))]);
      }
      // Workers finish their active jobs before closing.
      await Promise.all([outboundWorker?.close(), ...workers.map((w) => w.close())]);
      await Promise.all([
        outbound.close(),
        eventsQueue.close(),
        sweeps.close(),
        exportsQueue.close(),
        flagsQueue.close(),
      ]);
      await deps.exportProcess?.close();
      await redis.quit().catch(() => redis.disconnect());
      await dedupRedis.quit().catch(() => dedupRedis.disconnect());
      await mongo.close();
      logger.info("bot stopped");
    },
  };
}
