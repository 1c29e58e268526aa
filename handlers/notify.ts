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
 * One live card per person per measure: after a change, every person who holds a card of this measure
 * gets it updated in place (a PATCH through the outbound queue, the newest rev wins), if it was sent
 * within Feishu's 14-day window. `notify` (the party who must act) gets a new card when they hold
 * none or theirs is too old to update. The operator's own card is updated by the callback's answer.
 */
export async function refreshMeasureCards(
  deps: HandlerDeps,
  m: { _id: unknown; campaignKey: string; rev: number },
  opts: { operatorKey: string; notify?: Person; notice?: string },
): Promise<void> {
  const id = String(m._id);
  const sent = await deps.models.SentCard.find({ campaignKey: m.campaignKey, kind: "measure", refId: id })
    .sort({ sentAt: -1, _id: -1 })
    .lean();
  const newest = new Map<string, (typeof sent)[number]>();
  for (const s of sent) if (s.personKey && !newest.has(s.personKey)) newest.set(s.personKey, s);
  const keys = new Set([...newest.keys(), ...(opts.notify ? [opts.notify.key] : [])]);
  keys.delete(opts.operatorKey);
  const now = deps.now().getTime();
  for (const key of keys) {
    const person =
      opts.notify?.key === key
        ? opts.notify
        : await deps.models.Person.findOne({ campaignKey: m.campaignKey, key }).lean();
    if (!person) continue;
    const live = newest.get(key);
    const fresh = live && now - new Date(live.sentAt).getTime() < PATCH_WINDOW_MS;
    const isNotified = opts.notify?.key === key;
    if (!fresh && !isNotified) continue;
    const card = await measureCardFor(deps, id, person, isNotified ? { notice: opts.notice } : {});
    if (fresh && live) {
      await deps.outbound.enqueue({ op: "patch", messageId: live.messageId, card, seq: m.rev });
    } else {
      await sendCardToPerson(deps, person, card, ["measure", id, m.rev, person.key], {
        kind: "measure",
        refId: id,
      });
    }
  }
}
