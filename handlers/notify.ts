import { outboundUuid, type SentRef } from "../jobs/outbound";
import type { Person } from "../src/services/context";
import { measureCardFor } from "../src/services/cards";
import type { HandlerDeps } from "./deps";

/**
 * Send a card to a person of a campaign through the outbound queue. People without an open_id (not
 * resolved at import) are skipped with a log line; the uuid parts make a repeat of the same notice a no-op.
 */
export async function sendCardToPerson(
  deps: HandlerDeps,
  person: Pick<Person, "key" | "openId" | "campaignKey">,
  card: object,
  uuidParts: (string | number)[],
  ref: Omit<SentRef, "campaignId" | "personKey">,
): Promise<boolean> {
  if (!person.openId) {
    deps.logger.warn({ person: person.key }, "person has no open_id; card not sent");
    return false;
  }
  await deps.outbound.enqueue({
    op: "send",
    to: { type: "open_id", id: person.openId },
    content: { card },
    uuid: outboundUuid(...uuidParts),
    ref: { ...ref, campaignId: person.campaignKey, personKey: person.key },
  });
  return true;
}

/** Feishu lets a message be updated for 14 days; an hour's margin for the queue. */
export const PATCH_WINDOW_MS = 14 * 86_400_000 - 3_600_000;

/**
 * One live card per person per measure: after a change, every card of this measure a person holds that
 * was sent within Feishu's 14-day window is updated in place (a PATCH through the outbound queue, the
 * newest rev wins), so no copy shows a stale state. `notify` (the party who must act) gets a new card
 * only when they hold none that can still be updated. The card the operator pressed is updated by the
 * callback's answer (`pressed`); their other copies are patched like everyone's.
 */
export async function refreshMeasureCards(
  deps: HandlerDeps,
  m: { _id: unknown; campaignKey: string; rev: number },
  opts: { operatorKey: string; pressed?: string; notify?: Person; notice?: string },
): Promise<void> {
  const id = String(m._id);
  const now = deps.now().getTime();
  const sent = await deps.models.SentCard.find({
    campaignKey: m.campaignKey,
    kind: "measure",
    refId: id,
  }).lean();
  const live = new Map<string, string[]>();
  for (const s of sent) {
    if (!s.personKey || s.messageId === opts.pressed) continue;
    if (now - new Date(s.sentAt).getTime() >= PATCH_WINDOW_MS) continue;
    live.set(s.personKey, [...(live.get(s.personKey) ?? []), s.messageId]);
  }
  const keys = new Set([...live.keys(), ...(opts.notify ? [opts.notify.key] : [])]);
  for (const key of keys) {
    const notified = opts.notify?.key === key;
    const person = notified
      ? opts.notify
      : await deps.models.Person.findOne({ campaignKey: m.campaignKey, key }).lean();
    if (!person) continue;
    const card = await measureCardFor(deps, id, person, notified ? { notice: opts.notice } : {});
    const messages = live.get(key) ?? [];
    for (const messageId of messages)
      await deps.outbound.enqueue({ op: "patch", messageId, card, seq: m.rev });
    if (!messages.length && key !== opts.operatorKey)
      await sendCardToPerson(deps, person, card, ["measure", id, m.rev, person.key], {
        kind: "measure",
        refId: id,
      });
  }
}
