import type { FeishuErrorKind } from "../feishu/errors";
import type { SentMessage } from "../feishu/types";
import type { OutboundJob } from "../../jobs/outbound";
import type { Models } from "./models";

/** Map a Feishu message_id to what it shows, so later callbacks and patches find their record. */
export async function recordSent(
  m: Models,
  job: OutboundJob,
  result: SentMessage | undefined,
  at: Date,
): Promise<void> {
  if ((job.op !== "send" && job.op !== "reply") || !result?.messageId) return;
  await m.SentCard.updateOne(
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
