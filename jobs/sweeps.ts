import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../src/logger";
import type { Models } from "../src/repositories/models";
import {
  runBroadcast,
  runEscalationSweep,
  runFollowUpSweep,
  runLeadersDigest,
  runReminderSweep,
  type SweepDeps,
  type SweepResult,
} from "../src/services/sweeps";
import { QUEUE } from "./queue-names";

/**
 * Each campaign's schedules become BullMQ job schedulers (cron in the campaign's time zone). A scheduler
 * produces one job per tick however many processes run, and the sweeps themselves record every notice,
 * so nothing is sent twice. Re-importing updates the schedulers; ending a campaign removes them.
 */
export type SweepKind = "reminder" | "escalation" | "broadcast" | "leaders-digest" | "follow-up";

export interface SweepJob {
  kind: SweepKind;
  campaignKey: string;
  /** Names a broadcast (its uuid); set for on-demand runs. */
  slot?: string;
}

const SCHEDULE_FIELD: Record<SweepKind, "reminderSweep" | "escalationSweep" | "broadcast" | "leadersDigest"> =
  {
    reminder: "reminderSweep",
    escalation: "escalationSweep",
    broadcast: "broadcast",
    "leaders-digest": "leadersDigest",
    // 回头看 cards go out on the reminders' schedule (working-day mornings).
    "follow-up": "reminderSweep",
  };

export const SWEEP_KINDS = Object.keys(SCHEDULE_FIELD) as SweepKind[];

export function schedulerId(campaignKey: string, kind: SweepKind): string {
  return `${campaignKey}::${kind}`;
}

export class SweepQueue {
  readonly queue: Queue<SweepJob>;
  constructor(connection: Redis, prefix: string, logger: Logger) {
    this.queue = new Queue<SweepJob>(QUEUE.sweeps, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: 3,
        backoff: { type: "exponential", delay: 5000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    });
    this.queue.on("error", (err) => logger.warn({ err: err.message }, "sweeps queue error"));
  }

  /** Make the schedulers match the campaign: active → one per schedule; otherwise none. */
  async syncCampaign(c: {
    key: string;
    status: string;
    timezone: string;
    schedules?: Partial<Record<string, string | null>> | null;
  }): Promise<void> {
    for (const kind of SWEEP_KINDS) {
      const id = schedulerId(c.key, kind);
      const pattern = c.schedules?.[SCHEDULE_FIELD[kind]];
      if (c.status === "active" && pattern) {
        await this.queue.upsertJobScheduler(
          id,
          { pattern, tz: c.timezone },
          { name: kind, data: { kind, campaignKey: c.key } },
        );
      } else {
        await this.queue.removeJobScheduler(id);
      }
    }
  }

  /** The first job scheduler an active campaign should have and has not (after Redis lost its data). */
  async missing(models: Models): Promise<string | undefined> {
    const active = await models.Campaign.find({ status: "active" }, { key: 1, schedules: 1 }).lean();
    for (const c of active)
      for (const kind of SWEEP_KINDS) {
        const id = schedulerId(c.key, kind);
        if (c.schedules?.[SCHEDULE_FIELD[kind]] && !(await this.queue.getJobScheduler(id)))
          return `job scheduler ${id} is missing`;
      }
    return undefined;
  }

  async syncAll(models: Models): Promise<void> {
    for (const c of await models.Campaign.find({}, { key: 1, status: 1, timezone: 1, schedules: 1 }).lean())
      await this.syncCampaign(c);
  }

  /** Run a sweep now (admin "发送进度通报", CLI `summary send`). */
  async runNow(job: SweepJob): Promise<void> {
    // BullMQ job ids may not contain ":"; the same slot is the same run.
    const jobId = job.slot ? `${job.campaignKey}|${job.kind}|${job.slot}`.replace(/:/g, "_") : undefined;
    await this.queue.add(job.kind, job, { jobId });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export async function runSweep(d: SweepDeps, job: SweepJob, slot: string): Promise<SweepResult> {
  switch (job.kind) {
    case "reminder":
      return runReminderSweep(d, job.campaignKey);
    case "escalation":
      return runEscalationSweep(d, job.campaignKey);
    case "broadcast":
      return runBroadcast(d, job.campaignKey, job.slot ?? slot);
    case "leaders-digest":
      return runLeadersDigest(d, job.campaignKey, job.slot ?? slot);
    case "follow-up":
      return runFollowUpSweep(d, job.campaignKey);
  }
}

export function createSweepWorker(connection: Redis, prefix: string, deps: SweepDeps): Worker<SweepJob> {
  const worker = new Worker<SweepJob>(
    QUEUE.sweeps,
    async (job: Job<SweepJob>) => {
      // A scheduler names its jobs by tick (repeat:<id>:<millis>): the same tick is the same broadcast.
      const slot = `${job.data.kind}-${job.id}`;
      return runSweep(
        { ...deps, logger: deps.logger.child({ job: job.id, sweep: job.data.kind }) },
        job.data,
        slot,
      );
    },
    { connection, prefix, concurrency: 2 },
  );
  worker.on("error", (err) => deps.logger.warn({ err: err.message }, "sweeps worker error"));
  worker.on("failed", (job, err) => deps.logger.error({ job: job?.id, err: err.message }, "sweep failed"));
  return worker;
}
