import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import { localeOf, selfCheckCardFor } from "./cards";
import type { ServiceDeps } from "./context";
import type { Assignment } from "./self-check";

/** A returned answer goes back to its assignee as an editable card with the reason. */
export async function sendReturnedCard(
  d: ServiceDeps & { outbound: { enqueue(job: OutboundJob): Promise<void> } },
  a: Assignment,
): Promise<boolean> {
  const p = await d.models.Person.findOne({ campaignKey: a.campaignKey, key: a.assigneeKey }).lean();
  if (!p?.openId) return false;
  const card = await selfCheckCardFor(d, a, localeOf(p), { mode: "edit" });
  const id = String(a._id);
  await d.outbound.enqueue({
    op: "send",
    to: { type: "open_id", id: p.openId },
    content: { card },
    uuid: outboundUuid("returned", id, a.rev),
    ref: { campaignId: a.campaignKey, kind: "selfcheck", refId: id, personKey: p.key },
  });
  return true;
}
