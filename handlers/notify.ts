import { outboundUuid, type SentRef } from "../jobs/outbound";
import type { Person } from "../src/services/context";
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
