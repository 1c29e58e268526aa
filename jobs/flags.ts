import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { HandlerDeps } from "../handlers/deps";
import { refreshCampaignFlags } from "../src/flags/store";
import { refreshFlagCards } from "../src/flags/review";
import type { Logger } from "../src/logger";
import { QUEUE } from "./queue-names";

/**
 * Flags computed on submit (issue 15 §1): a submitted (or resubmitted) answer queues one job; the
 * worker recomputes the campaign's flags (the answer against the campaign's other answers and the same
 * units' answers in earlier campaigns), stores those that changed — the new answer's and those of the
 * answers it overlaps, since a recycled pair flags both — and brings the reviewers' cards up to date.
 * Idempotent (a rerun changes nothing and the cards' uuids repeat), retried with backoff; the submit
 * itself only adds the job and never waits for it. Submissions within `FLAGS_WINDOW_MS` share a job.
 */
export interface FlagsJob {
  campaignKey: string;
  /** The answer version that was submitted, `<assignment id>-v<version>` (for the log). */
  answer?: string;
  /** When it was submitted (the bot's clock, ISO): resubmissions since then get their old cards updated. */
  at?: string;
}

/**
 * Submissions of one campaign within this window share one job, run just after the window closes
 * (a burst of 200 submissions is a handful of recomputes, not 200).
 */
export const FLAGS_WINDOW_MS = 1000;

export class FlagsQueue {
  readonly queue: Queue<FlagsJob>;
  constructor(
    connection: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.queue = new Queue<FlagsJob>(QUEUE.flags, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    this.queue.on("error", (err) => logger.warn({ err: err.message }, "flags queue error"));
  }

  /**
   * The campaign's job of the current window (a second submission in the window is the same job).
   * Never throws: flags must not fail a submission; a lost job is made good by the next one of the
   * campaign or by `flags recompute`.
   */
  async enqueue(job: FlagsJob): Promise<void> {
    const now = Date.now();
    const slot = Math.floor(now / FLAGS_WINDOW_MS);
    try {
      await this.queue.add("refresh", job, {
        jobId: `flags-${job.campaignKey}-${slot}`,
        delay: (slot + 1) * FLAGS_WINDOW_MS - now + 50,
      });
    } catch (e) {
      this.logger.warn({ err: e instanceof Error ? e.message : String(e), ...job }, "flags job not queued");
    }
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Run one flags job: recompute, store what changed, update or send the reviewers' cards. */
export async function runFlagsJob(deps: HandlerDeps, job: FlagsJob) {
  const r = await refreshCampaignFlags(deps, job.campaignKey);
  let sent = 0;
  let patched = 0;
  for (const x of r.changed) {
    const n = await refreshFlagCards(deps, x.responseId);
    sent += n.sent;
    patched += n.patched;
  }
  // Resubmissions since the job's first submission: the reviewer's cards of the version before say a
  // newer answer exists (5 s of slack for the window and clock steps).
  if (job.at) {
    const since = new Date(Date.parse(job.at) - 5000);
    const again = await deps.models.Assignment.find(
      {
        campaignKey: job.campaignKey,
        state: "submitted",
        responseVersion: { $gt: 1 },
        submittedAt: { $gte: since },
      },
      { responseVersion: 1 },
    ).lean();
    for (const a of again) {
      const prev = await deps.models.Response.findOne(
        { assignmentId: a._id, version: a.responseVersion - 1 },
        { _id: 1 },
      ).lean();
      if (prev) patched += (await refreshFlagCards(deps, String(prev._id), { send: false })).patched;
    }
  }
  return { total: r.total, flagged: r.flagged.length, changed: r.changed.length, sent, patched };
}

/**
 * One job at a time: the work is CPU-bound and a burst of submissions is best taken in turn. A job
 * queued before a run of the same campaign began is already covered by that run (its answer was
 * stored before it was queued) and is skipped.
 */
export function createFlagsWorker(connection: Redis, prefix: string, deps: HandlerDeps): Worker<FlagsJob> {
  const lastRunStart = new Map<string, number>();
  const worker = new Worker<FlagsJob>(
    QUEUE.flags,
    async (job) => {
      const key = job.data.campaignKey;
      if (job.timestamp < (lastRunStart.get(key) ?? 0)) return;
      const startedAt = Date.now();
      const started = performance.now();
      const r = await runFlagsJob(deps, job.data);
      lastRunStart.set(key, startedAt);
      if (lastRunStart.size > 1000) lastRunStart.clear();
      deps.logger.info(
        { job: job.id, campaign: job.data.campaignKey, ...r, ms: Math.round(performance.now() - started) },
        "flags refreshed",
      );
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on("error", (err) => deps.logger.warn({ err: err.message }, "flags worker error"));
  worker.on("failed", (job, err) =>
    deps.logger.error({ job: job?.id, err: err.message }, "flags job failed"),
  );
  return worker;
}
