import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { HandlerDeps } from "../handlers/deps";
import { onMessageReceive } from "../handlers/message-receive";
import type { InboundMessage } from "../src/domain/events";
import type { Logger } from "../src/logger";
import { QUEUE } from "./queue-names";

/** Inbound message events are acknowledged at once and answered from this queue. */
export class EventsQueue {
  readonly queue: Queue<InboundMessage>;
  constructor(connection: Redis, prefix: string, logger: Logger) {
    this.queue = new Queue<InboundMessage>(QUEUE.events, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: 3,
        backoff: { type: "exponential", delay: 500 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    this.queue.on("error", (err) => logger.warn({ err: err.message }, "events queue error"));
  }

  async add(evt: InboundMessage): Promise<void> {
    // The event id is the job id: a redelivery that slipped past the dedup key is still one job.
    await this.queue.add("message", evt, { jobId: `msg-${evt.eventId}` });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export function createEventsWorker(
  connection: Redis,
  prefix: string,
  deps: HandlerDeps,
  concurrency = 8,
): Worker<InboundMessage> {
  const worker = new Worker<InboundMessage>(
    QUEUE.events,
    async (job) => {
      const log = deps.logger.child({ event_id: job.data.eventId, job: job.id });
      await onMessageReceive(job.data, deps, log);
    },
    { connection, prefix, concurrency },
  );
  worker.on("error", (err) => deps.logger.warn({ err: err.message }, "events worker error"));
  worker.on("failed", (job, err) =>
    deps.logger.error({ job: job?.id, err: err.message }, "message event failed"),
  );
  return worker;
}
