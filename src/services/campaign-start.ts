import { digestCard } from "../../cards/digest-card";
import { selfCheckCard } from "../../cards/self-check-card";
import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import { AppError } from "../errors";
import { localeOf } from "./cards";
import { audit, loadCampaign, today, type ServiceDeps } from "./context";
import { assignmentViewFrom } from "./views";

export interface StartDeps extends ServiceDeps {
  outbound: { enqueueMany(jobs: OutboundJob[]): Promise<void> };
}

export interface StartReport {
  campaignKey: string;
  people: number;
  assignments: number;
  /** Cards put on the outbound queue now. */
  enqueued: number;
  /** Cards already sent by an earlier start (a restart sends nothing twice). */
  alreadySent: number;
  /** People who cannot receive anything: no open_id. */
  skipped: { personKey: string; name: string }[];
}

/**
 * Start a campaign: every assignee gets one digest card (what is assigned to them, due dates) and a
 * self-check card per assignment, through the outbound queue. Safe to run again: cards already sent
 * (recorded in sentcards) are skipped, and each card's uuid is deterministic, so a restart in the middle
 * sends nothing twice and skips no one. Sends are interleaved across people so the per-receiver limit
 * (5/s) never holds up the queue.
 */
export async function startCampaign(d: StartDeps, key: string): Promise<StartReport> {
  const c = await loadCampaign(d, key);
  if (c.status === "ended") throw new AppError("closed", "活动已结束，不能再启动。", "The campaign has ended; it cannot be started.");
  if (c.status !== "active") {
    await d.models.Campaign.updateOne({ key, status: { $ne: "ended" } }, { $set: { status: "active", startedAt: d.now() } });
    await audit(d, { campaignKey: key, entity: "campaign", entityId: key, action: "start", from: c.status, to: "active" });
  }
  const [units, people, assignments, sent] = await Promise.all([
    d.models.Unit.find({ campaignKey: key }, { key: 1, name: 1 }).lean(),
    d.models.Person.find({ campaignKey: key }).lean(),
    d.models.Assignment.find({ campaignKey: key, withdrawn: false, state: "pending" }).sort({ dueDate: 1, key: 1 }).lean(),
    d.models.SentCard.find({ campaignKey: key, kind: { $in: ["selfcheck", "digest-start"] } }, { kind: 1, refId: 1 }).lean(),
  ]);
  const sentSet = new Set(sent.map((s) => `${s.kind}:${s.refId}`));
  const unitName = new Map(units.map((u) => [u.key, u.name]));
  const byKey = new Map(people.map((p) => [p.key, p]));
  const perPerson = new Map<string, typeof assignments>();
  for (const a of assignments) {
    const list = perPerson.get(a.assigneeKey) ?? [];
    list.push(a);
    perPerson.set(a.assigneeKey, list);
  }
  const day = today(d, c);
  const rounds: OutboundJob[][] = [];
  const push = (round: number, job: OutboundJob) => (rounds[round] ??= []).push(job);
  const skipped: StartReport["skipped"] = [];
  let alreadySent = 0;
  for (const [personKey, list] of perPerson) {
    const p = byKey.get(personKey);
    if (!p?.openId) {
      skipped.push({ personKey, name: p?.name ?? personKey });
      continue;
    }
    const locale = localeOf(p);
    const to = { type: "open_id" as const, id: p.openId };
    const ref = (kind: string, refId: string) => ({ campaignId: key, kind, refId, personKey });
    if (sentSet.has(`digest-start:${personKey}`)) alreadySent++;
    else {
      const lines = list.map((a) => ({ kind: "assignment" as const, id: String(a._id), title: c.items.find((i) => i.key === a.itemKey)?.title ?? a.itemKey, dueDate: a.dueDate }));
      const card = digestCard({ personName: p.name, campaignTitle: c.title, lines, locale, today: day, kind: "start" });
      push(0, { op: "send", to, content: { card }, uuid: outboundUuid("start-digest", key, personKey), ref: ref("digest-start", personKey) });
    }
    list.forEach((a, i) => {
      const id = String(a._id);
      if (sentSet.has(`selfcheck:${id}`)) {
        alreadySent++;
        return;
      }
      const view = assignmentViewFrom(a, c, unitName.get(a.unitKey) ?? a.unitKey, p.name);
      const card = selfCheckCard({ a: view, locale, today: day, mode: "edit" });
      push(i + 1, { op: "send", to, content: { card }, uuid: outboundUuid("start-selfcheck", id), ref: ref("selfcheck", id) });
    });
  }
  const jobs = rounds.flat();
  await d.outbound.enqueueMany(jobs);
  return { campaignKey: key, people: perPerson.size, assignments: assignments.length, enqueued: jobs.length, alreadySent, skipped };
}
