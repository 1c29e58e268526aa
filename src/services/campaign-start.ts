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
  if (c.status === "ended")
    throw new AppError("closed", "活动已结束，不能再启动。", "The campaign has ended; it cannot be started.");
  if (c.status !== "active") {
    await d.models.Campaign.updateOne(
      { key, status: { $ne: "ended" } },
      { $set: { status: "active", startedAt: d.now() } },
    );
    await audit(d, {
      campaignKey: key,
      entity: "campaign",
      entityId: key,
      action: "start",
      from: c.status,
      to: "active",
    });
  }
  const [units, people, assignments, sent] = await Promise.all([
    d.models.Unit.find({ campaignKey: key }, { key: 1, name: 1 }).lean(),
    d.models.Person.find({ campaignKey: key }).lean(),
    d.models.Assignment.find({ campaignKey: key, withdrawn: false, state: "pending" })
      .sort({ dueDate: 1, key: 1 })
      .lean(),
    d.models.SentCard.find(
      { campaignKey: key, kind: { $in: ["selfcheck", "digest-start"] } },
      { kind: 1, refId: 1 },
    ).lean(),
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
  const skipped: StartReport["skipped"] = [];
  let alreadySent = 0;
  let enqueued = 0;
  const recipients: { p: (typeof people)[number]; list: typeof assignments }[] = [];
  for (const [personKey, list] of perPerson) {
    const p = byKey.get(personKey);
    if (!p?.openId) skipped.push({ personKey, name: p?.name ?? personKey });
    else recipients.push({ p, list });
  }
  // Round 0 is everyone's digest, round i everyone's i-th card: built and queued round by round, so
  // the first cards go out while the rest are still being built.
  const rounds = Math.max(0, ...recipients.map((r) => r.list.length)) + 1;
  for (let round = 0; round < rounds; round++) {
    let jobs: OutboundJob[] = [];
    const flush = async () => {
      await d.outbound.enqueueMany(jobs);
      enqueued += jobs.length;
      jobs = [];
    };
    for (const { p, list } of recipients) {
      if (jobs.length >= 100) await flush();
      const locale = localeOf(p);
      const to = { type: "open_id" as const, id: p.openId as string };
      const ref = (kind: string, refId: string) => ({ campaignId: key, kind, refId, personKey: p.key });
      if (round === 0) {
        if (sentSet.has(`digest-start:${p.key}`)) {
          alreadySent++;
          continue;
        }
        const lines = list.map((a) => ({
          kind: "assignment" as const,
          id: String(a._id),
          title: c.items.find((i) => i.key === a.itemKey)?.title ?? a.itemKey,
          dueDate: a.dueDate,
        }));
        const card = digestCard({
          personName: p.name,
          campaignTitle: c.title,
          lines,
          locale,
          today: day,
          kind: "start",
        });
        jobs.push({
          op: "send",
          to,
          content: { card },
          uuid: outboundUuid("start-digest", key, p.key),
          ref: ref("digest-start", p.key),
        });
        continue;
      }
      const a = list[round - 1];
      if (!a) continue;
      const id = String(a._id);
      if (sentSet.has(`selfcheck:${id}`)) {
        alreadySent++;
        continue;
      }
      const view = assignmentViewFrom(a, c, unitName.get(a.unitKey) ?? a.unitKey, p.name);
      const card = selfCheckCard({ a: view, locale, today: day, mode: "edit" });
      jobs.push({
        op: "send",
        to,
        content: { card },
        uuid: outboundUuid("start-selfcheck", id),
        ref: ref("selfcheck", id),
      });
    }
    await flush();
  }
  return {
    campaignKey: key,
    people: perPerson.size,
    assignments: assignments.length,
    enqueued,
    alreadySent,
    skipped,
  };
}
