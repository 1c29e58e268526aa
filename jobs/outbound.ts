import crypto from "node:crypto";
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { FeishuApiError, type FeishuErrorKind } from "../src/feishu/errors";
import type { FeishuApi, MessageContent, Receiver, SentMessage } from "../src/feishu/types";
import type { Logger } from "../src/logger";
import { QUEUE } from "./queue-names";
import { RateWindow } from "./rate-window";

/**
 * The outbound queue: every message to Feishu goes through it (DESIGN.md §4).
 * - global rate below the app limit (BullMQ limiter, shared by all processes);
 * - at most 5/s to one user or chat and 5/s patches to one message (a Redis sliding window;
 *   a job over the limit is moved to delayed, not failed);
 * - a deterministic `uuid` per send, so a retried job cannot double-post (Feishu drops a repeat uuid
 *   within an hour) and the same uuid is the BullMQ job id;
 * - rate-limit answers wait out `x-ogw-ratelimit-reset`; permanent errors fail once and are recorded.
 */

/** What a send shows, so a message_id can be mapped back to the record it displays. */
export interface SentRef {
  campaignId?: string;
  kind: string;
  refId?: string;
  personKey?: string;
}

export type OutboundJob =
  | { op: "send"; to: Receiver; content: MessageContent; uuid: string; ref?: SentRef }
  | {
      op: "reply";
      messageId: string;
      chatId?: string;
      inThread?: boolean;
      content: MessageContent;
      uuid: string;
      ref?: SentRef;
    }
  | { op: "patch"; messageId: string; card: object; seq: number }
  | { op: "delayed_update"; token: string; card: object; messageId?: string };

export interface OutboundHooks {
  /**
   * Right before the API call of a send or reply: false refuses it (its intent record says it was sent,
   * failed for good, or is of unknown fate past Feishu's uuid window). Resolving true marks it in flight.
   */
  beforeSend?(job: OutboundJob): Promise<boolean>;
  onSent?(job: OutboundJob, result: SentMessage | undefined): Promise<void>;
  onFailed?(job: OutboundJob, kind: FeishuErrorKind, message: string): Promise<void>;
}

/** uuid ≤ 50 chars from a stable description of the send, e.g. ["digest", campaign, person, day]. */
export function outboundUuid(...parts: (string | number)[]): string {
  return crypto.createHash("sha256").update(parts.join("\u0000")).digest("base64url").slice(0, 40);
}

export interface OutboundOptions {
  connection: Redis;
  prefix: string;
  logger: Logger;
  /**
   * Writes the intent records of sends and replies before they are queued (the outbox). Without it,
   * only the uuid guards against a second send.
   */
  record?: (jobs: OutboundJob[], opts?: { delayMs?: number }) => Promise<unknown>;
}

export class OutboundQueue {
  readonly queue: Queue;
  constructor(private readonly o: OutboundOptions) {
    this.queue = new Queue(QUEUE.outbound, {
      connection: o.connection,
      prefix: o.prefix,
      defaultJobOptions: {
        attempts: 6,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    this.queue.on("error", (err) => o.logger.warn({ err: err.message }, "outbound queue error"));
  }

  private jobId(job: OutboundJob): string | undefined {
    if (job.op === "send" || job.op === "reply") return `${job.op}-${job.uuid}`;
    return undefined;
  }

  async enqueue(job: OutboundJob, opts: { delayMs?: number; priority?: number } = {}): Promise<void> {
    await this.o.record?.([job], { delayMs: opts.delayMs });
    await this.queue.add(job.op, job, {
      jobId: this.jobId(job),
      delay: opts.delayMs,
      priority: opts.priority,
    });
  }

  /** `recorded`: the caller wrote the intents already. */
  async enqueueMany(jobs: OutboundJob[], opts: { recorded?: boolean; delayMs?: number } = {}): Promise<void> {
    for (let i = 0; i < jobs.length; i += 500) {
      if (!opts.recorded) await this.o.record?.(jobs.slice(i, i + 500), { delayMs: opts.delayMs });
      await this.queue.addBulk(
        jobs.slice(i, i + 500).map((job) => ({
          name: job.op,
          data: job,
          opts: { jobId: this.jobId(job), delay: opts.delayMs },
        })),
      );
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface OutboundWorkerOptions extends OutboundOptions {
  feishu: FeishuApi;
  hooks?: OutboundHooks;
  /** Global sends per second (below Feishu's 50/s app limit). */
  ratePerSecond: number;
  /** Added to the one-second window (default 120 ms). */
  secondMarginMs?: number;
  /** Global sends per minute (Feishu: 1000/min per app); 0 turns the minute window off. */
  ratePerMinute?: number;
  perReceiverPerSecond?: number;
  patchesPerMessagePerSecond?: number;
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal (default 4000 ms), and how often workers look for jobs
   * whose lock lapsed (default 2000 ms): a job held by a killed process is taken over within
   * about lockDuration + 2 × stalledInterval. The uuid and the intent record keep that from sending twice.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface OutboundMetrics {
  sent: number;
  retried: number;
  failed: Record<string, number>;
  delayed: number;
}

export class OutboundWorker {
  readonly worker: Worker<OutboundJob>;
  private readonly receiverWindow: RateWindow;
  private readonly patchWindow: RateWindow;
  private readonly minuteWindow?: RateWindow;
  private readonly secondWindow: RateWindow;
  private readonly metricsKey: string;

  constructor(private readonly o: OutboundWorkerOptions) {
    const kv = o.connection;
    // A small margin over one second: the receiving side counts by arrival, and arrivals jitter.
    this.receiverWindow = new RateWindow(kv, o.prefix, o.perReceiverPerSecond ?? 5, 1100);
    this.patchWindow = new RateWindow(kv, o.prefix, o.patchesPerMessagePerSecond ?? 5, 1100);
    this.metricsKey = `${o.prefix}:metrics:outbound`;
    // BullMQ's limiter counts in fixed windows, so two adjacent windows can let through up to twice the
    // rate within one second; Feishu counts in a sliding second. This window holds the real limit.
    // A margin over one second absorbs the jitter between taking a slot here and arriving at Feishu.
    this.secondWindow = new RateWindow(kv, o.prefix, o.ratePerSecond, 1000 + (o.secondMarginMs ?? 120));
    const perMinute = o.ratePerMinute ?? 950;
    if (perMinute > 0) this.minuteWindow = new RateWindow(kv, o.prefix, perMinute, 60_000);
    this.worker = new Worker<OutboundJob>(QUEUE.outbound, (job, token) => this.process(job, token), {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: o.concurrency ?? 16,
      // A backstop only; the sliding windows below hold the limits.
      limiter: { max: o.ratePerSecond * 2, duration: 1000 },
      lockDuration: o.lockDurationMs ?? 4000,
      stalledInterval: o.stalledIntervalMs ?? 2000,
      maxStalledCount: 3,
    });
    this.worker.on("error", (err) => o.logger.warn({ err: err.message }, "outbound worker error"));
    this.worker.on("failed", (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      o.logger[final ? "error" : "warn"](
        { job: job.id, op: job.data.op, err: err.message, attempt: job.attemptsMade },
        final ? "outbound job failed for good" : "outbound job failed; will retry",
      );
    });
  }

  private throttleKey(job: OutboundJob): { window: RateWindow; key: string } | undefined {
    switch (job.op) {
      case "send":
        return { window: this.receiverWindow, key: `to:${job.to.type}:${job.to.id}` };
      case "reply":
        return {
          window: this.receiverWindow,
          key: job.chatId ? `to:chat_id:${job.chatId}` : `reply:${job.messageId}`,
        };
      case "patch":
        return { window: this.patchWindow, key: `patch:${job.messageId}` };
      case "delayed_update":
        return job.messageId ? { window: this.patchWindow, key: `patch:${job.messageId}` } : undefined;
    }
  }

  private async process(job: Job<OutboundJob>, token?: string): Promise<SentMessage | undefined> {
    const data = job.data;
    const t = this.throttleKey(data);
    if (t) {
      const wait = await t.window.take(t.key);
      if (wait > 0) {
        await this.o.connection.hincrby(this.metricsKey, "delayed", 1);
        await job.moveToDelayed(Date.now() + wait, token);
        throw new DelayedError();
      }
    }
    // The app-wide second: wait here for a slot (a few ms at most when the queue is busy).
    for (
      let wait = await this.secondWindow.take("app-second");
      wait > 0;
      wait = await this.secondWindow.take("app-second")
    ) {
      await new Promise((r) => setTimeout(r, wait));
    }
    if (this.minuteWindow && data.op !== "delayed_update") {
      // The per-minute app limit: the whole queue waits, in every process, until a slot frees.
      const wait = await this.minuteWindow.take("app-minute");
      if (wait > 0) {
        await this.worker.rateLimit(wait);
        throw Worker.RateLimitError();
      }
    }
    if ((data.op === "send" || data.op === "reply") && this.o.hooks?.beforeSend) {
      if (!(await this.o.hooks.beforeSend(data))) return undefined;
    }
    try {
      const result = await this.execute(data);
      await this.o.connection.hincrby(this.metricsKey, "sent", 1);
      await this.o.hooks?.onSent?.(data, result);
      return result;
    } catch (e) {
      if (!(e instanceof FeishuApiError)) throw e;
      if (e.kind === "rate_limited") {
        await this.o.connection.hincrby(this.metricsKey, "retried", 1);
        const wait = e.retryAfterMs ?? 1000;
        if (e.code === 230020 || e.code === undefined || e.httpStatus !== 429) {
          // Per-receiver or per-message limit: only this job waits.
          await job.moveToDelayed(Date.now() + wait, token);
          throw new DelayedError();
        }
        // App-wide limit: the whole queue waits, in every process.
        await this.worker.rateLimit(wait);
        throw Worker.RateLimitError();
      }
      if (e.retryable) {
        await this.o.connection.hincrby(this.metricsKey, "retried", 1);
        throw e;
      }
      await this.o.connection.hincrby(this.metricsKey, `failed:${e.kind}`, 1);
      await this.o.hooks?.onFailed?.(data, e.kind, e.message);
      throw new UnrecoverableError(e.message);
    }
  }

  private async execute(data: OutboundJob): Promise<SentMessage | undefined> {
    switch (data.op) {
      case "send":
        return this.o.feishu.send(data.to, data.content, { uuid: data.uuid });
      case "reply":
        return this.o.feishu.reply(data.messageId, data.content, {
          uuid: data.uuid,
          inThread: data.inThread,
        });
      case "patch": {
        // Drop a patch older than one already applied to the same message.
        const key = `${this.o.prefix}:patchseq:${data.messageId}`;
        const newer = await this.o.connection.eval(
          "local c = tonumber(redis.call('GET', KEYS[1]) or '0'); if c > tonumber(ARGV[1]) then return 1 end; redis.call('SET', KEYS[1], ARGV[1], 'EX', 1209600); return 0",
          1,
          key,
          data.seq,
        );
        if (Number(newer) === 1) return undefined;
        await this.o.feishu.patchCard(data.messageId, data.card);
        return undefined;
      }
      case "delayed_update":
        await this.o.feishu.delayedUpdate(data.token, data.card);
        return undefined;
    }
  }

  async metrics(): Promise<OutboundMetrics> {
    const h = await this.o.connection.hgetall(this.metricsKey);
    const failed: Record<string, number> = {};
    for (const [k, v] of Object.entries(h)) if (k.startsWith("failed:")) failed[k.slice(7)] = Number(v);
    return {
      sent: Number(h.sent ?? 0),
      retried: Number(h.retried ?? 0),
      delayed: Number(h.delayed ?? 0),
      failed,
    };
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
