import type { FeishuErrorKind } from "../feishu/errors";
import type { SentMessage } from "../feishu/types";
import type { OutboundJob } from "../../jobs/outbound";
import type { Models } from "./models";

/** Feishu drops a repeated uuid within one hour; a retry that starts later than this may post twice. */
export const SAFE_RETRY_MS = 55 * 60 * 1000;

type MessageJob = Extract<OutboundJob, { op: "send" | "reply" }>;

function isMessage(job: OutboundJob): job is MessageJob {
  return job.op === "send" || job.op === "reply";
}

/**
 * A duplicate key refused every refused document (the intent exists already). A bulk error without
 * write errors (the whole command failed) is no duplicate: `[].every` would say it is.
 */
function onlyDuplicates(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] | { code?: number } };
  const refused = e.writeErrors === undefined ? [] : [e.writeErrors].flat();
  if (!refused.length) return e.code === 11000;
  return refused.every((w) => w.code === 11000);
}

/**
 * The outbox: an intent record per send and reply, written before its job is queued (DESIGN: what was
 * sent is known from a record that exists before the send). An intent that exists already is kept as it
 * is, whatever its state. Returns how many intents were new.
 */
export async function recordIntents(
  m: Models,
  jobs: OutboundJob[],
  at: Date,
  opts: { delayMs?: number } = {},
): Promise<number> {
  const docs = jobs.filter(isMessage).map((job) => ({
    uuid: job.uuid,
    op: job.op,
    campaignKey: job.ref?.campaignId,
    kind: job.ref?.kind ?? "message",
    refId: job.ref?.refId,
    personKey: job.ref?.personKey,
    state: "queued",
    job,
    queuedAt: at,
    notBefore: opts.delayMs ? new Date(at.getTime() + opts.delayMs) : undefined,
  }));
  if (!docs.length) return 0;
  try {
    return (await m.Outbox.collection.insertMany(docs, { ordered: false, ignoreUndefined: true }))
      .insertedCount;
  } catch (e) {
    if (!onlyDuplicates(e)) throw e;
    const r = e as { insertedCount?: number; result?: { insertedCount?: number } };
    return r.insertedCount ?? r.result?.insertedCount ?? 0;
  }
}

/**
 * The worker's guard, right before the API call: true to send. A job whose intent says sent, failed or
 * unknown is refused. An intent first tried longer ago than Feishu's uuid window is not tried again
 * (the first try may have reached Feishu, and a second would post twice): it becomes `unknown`.
 */
export async function beginSend(m: Models, job: OutboundJob, now: Date): Promise<boolean> {
  if (!isMessage(job)) return true;
  // The usual case in one round trip: a queued intent becomes sending.
  const first = await m.Outbox.updateOne(
    { uuid: job.uuid, state: "queued" },
    { $set: { state: "sending", attemptAt: now } },
  );
  if (first.matchedCount === 1) return true;
  const intent = await m.Outbox.findOne({ uuid: job.uuid }, { state: 1, attemptAt: 1 }).lean();
  if (!intent) return true; // queued without an outbox (tests, tools)
  if (intent.state !== "sending") return false;
  if (intent.attemptAt && now.getTime() - intent.attemptAt.getTime() >= SAFE_RETRY_MS) {
    await m.Outbox.updateOne(
      { uuid: job.uuid, state: "sending" },
      {
        $set: {
          state: "unknown",
          reason: "interrupted while sending, retried after the uuid window: not sent again",
        },
      },
    );
    return false;
  }
  return true;
}

/** A permanent failure: the intent is not queued again. */
export async function markFailed(m: Models, job: OutboundJob, reason: string): Promise<void> {
  if (!isMessage(job)) return;
  await m.Outbox.updateOne({ uuid: job.uuid }, { $set: { state: "failed", reason }, $unset: { job: "" } });
}

/**
 * Queue again every intent that was not sent (Redis restarted empty, or a start re-run): same job,
 * same uuid and job id, so a job still in the queue is not added twice, Feishu drops a repeat within
 * the hour, and the worker's guard refuses anything sent or of unknown fate.
 */
export async function requeueUnsent(
  m: Models,
  outbound: {
    enqueueMany(jobs: OutboundJob[], opts?: { recorded?: boolean; delayMs?: number }): Promise<void>;
  },
  now: Date,
): Promise<number> {
  let n = 0;
  let batch: OutboundJob[] = [];
  const flush = async () => {
    await outbound.enqueueMany(batch, { recorded: true });
    n += batch.length;
    batch = [];
  };
  const cursor = m.Outbox.find({ state: { $in: ["queued", "sending"] } }, { job: 1, notBefore: 1 })
    .sort({ queuedAt: 1, _id: 1 })
    .lean()
    .cursor();
  for await (const doc of cursor) {
    if (!doc.job) continue;
    // A send held for quiet hours keeps its time.
    const delayMs = doc.notBefore ? doc.notBefore.getTime() - now.getTime() : 0;
    if (delayMs > 0) {
      await outbound.enqueueMany([doc.job as OutboundJob], { recorded: true, delayMs });
      n++;
    } else if (batch.push(doc.job as OutboundJob) >= 500) await flush();
  }
  if (batch.length) await flush();
  return n;
}

/** Map a Feishu message_id to what it shows, so later callbacks and patches find their record. */
export async function recordSent(
  m: Models,
  job: OutboundJob,
  result: SentMessage | undefined,
  at: Date,
): Promise<void> {
  if (!isMessage(job) || !result?.messageId) return;
  const sent = m.Outbox.updateOne(
    { uuid: job.uuid },
    { $set: { state: "sent", messageId: result.messageId, sentAt: at }, $unset: { job: "", reason: "" } },
  );
  const card = m.SentCard.updateOne(
    { messageId: result.messageId },
    {
      $setOnInsert: {
        campaignKey: job.ref?.campaignId,
        kind: job.ref?.kind ?? "message",
        refId: job.ref?.refId,
        personKey: job.ref?.personKey,
        receiverId: job.op === "send" ? job.to.id : job.chatId,
        uuid: job.uuid,
        sentAt: at,
      },
    },
    { upsert: true },
  );
  await Promise.all([sent, card]);
}

/** A permanent delivery failure is recorded on the person (shown to admins; not retried forever). */
export async function recordUndeliverable(
  m: Models,
  job: OutboundJob,
  kind: FeishuErrorKind,
  message: string,
  at: Date,
): Promise<void> {
  if (job.op !== "send" || !job.ref?.campaignId || !job.ref.personKey) return;
  if (kind !== "invalid_receiver" && kind !== "permission_denied") return;
  await m.Person.updateOne(
    { campaignKey: job.ref.campaignId, key: job.ref.personKey },
    { $set: { undeliverable: { reason: message, at, kind } } },
  );
}
