import { digestCard } from "../../cards/digest-card";
import { selfCheckCard } from "../../cards/self-check-card";
import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import { AppError } from "../errors";
import { recordIntents } from "../repositories/sent-cards";
import { localeOf } from "./cards";
import { audit, loadCampaign, today, type ServiceDeps } from "./context";
import { assignmentViewFrom } from "./views";

export interface StartDeps extends ServiceDeps {
  /** `recorded`: the intents are written already (the queue need not write them). */
  outbound: { enqueueMany(jobs: OutboundJob[], opts?: { recorded?: boolean }): Promise<void> };
}

export interface StartReport {
  campaignKey: string;
  people: number;
  assignments: number;
  /** Cards queued by this run for the first time (intent records this run wrote). */
  enqueued: number;
  /** Cards recorded as sent by an earlier run (an intent marked sent, or a sentcards record). */
  alreadySent: number;
  /** Cards an earlier run queued that are not recorded as sent yet: queued again (same uuid, same job). */
  queuedBefore: number;
  /**
   * Cards whose send was interrupted and not finished within Feishu's uuid window: perhaps delivered,
   * not sent again (a second send could not be told apart from the first).
   */
  unknown: number;
  /** Cards that failed for good (receiver not found, no permission). */
  failed: number;
  /** People who cannot receive anything: no open_id. */
  skipped: { personKey: string; name: string }[];
}

/**
 * Start a campaign: every assignee gets one digest card (what is assigned to them, due dates) and a
 * self-check card per assignment, through the outbound queue. Safe to run again: each card's intent
 * record (the outbox) is written before its job is queued, keyed by the card's deterministic uuid; a
 * re-run queues only cards without one, queues again those not yet sent, and the worker refuses a job
 * whose intent says sent. So a restart in the middle, even after Feishu's uuid window, sends nothing
 * twice and skips no one. Every count in the report is a count of those records. Sends are
 * interleaved across people so the per-receiver limit (5/s) never holds up the queue.
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
  const [units, people, assignments, sent, intents] = await Promise.all([
    d.models.Unit.find({ campaignKey: key }, { key: 1, name: 1 }).lean(),
    d.models.Person.find({ campaignKey: key }).lean(),
    d.models.Assignment.find({ campaignKey: key, withdrawn: false, state: "pending" })
      .sort({ dueDate: 1, key: 1 })
      .lean(),
    d.models.SentCard.find(
      { campaignKey: key, kind: { $in: ["selfcheck", "digest-start"] } },
      { kind: 1, refId: 1 },
    ).lean(),
    d.models.Outbox.find(
      { campaignKey: key, kind: { $in: ["selfcheck", "digest-start"] } },
      { kind: 1, refId: 1, state: 1 },
    ).lean(),
  ]);
  const sentSet = new Set(sent.map((s) => `${s.kind}:${s.refId}`));
  const intentOf = new Map(intents.map((i) => [`${i.kind}:${i.refId}`, i]));
  let queuedBefore = 0;
  let unknown = 0;
  let failed = 0;
  /**
   * What the records say of a card: "done" (sent, failed or of unknown fate: counted, not built),
   * "again" (queued earlier, not sent: built and queued again with its uuid, in case Redis lost it),
   * "new" (no record).
   */
  const known = (id: string): "done" | "again" | "new" => {
    const intent = intentOf.get(id);
    if (!intent) {
      if (!sentSet.has(id)) return "new";
      alreadySent++;
      return "done";
    }
    if (intent.state === "sent") alreadySent++;
    else if (intent.state === "unknown") unknown++;
    else if (intent.state === "failed") failed++;
    else {
      queuedBefore++;
      return "again";
    }
    return "done";
  };
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
    // Queued earlier and not sent: lost with Redis, or still in the queue (the same job id is a no-op).
    let again: OutboundJob[] = [];
    const flush = async () => {
      if (jobs.length) enqueued += await recordIntents(d.models, jobs, d.now());
      if (jobs.length || again.length) await d.outbound.enqueueMany([...again, ...jobs], { recorded: true });
      jobs = [];
      again = [];
    };
    for (const { p, list } of recipients) {
      if (jobs.length + again.length >= 100) await flush();
      const locale = localeOf(p);
      const to = { type: "open_id" as const, id: p.openId as string };
      const ref = (kind: string, refId: string) => ({ campaignId: key, kind, refId, personKey: p.key });
      if (round === 0) {
        const state = known(`digest-start:${p.key}`);
        if (state === "done") continue;
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
        (state === "again" ? again : jobs).push({
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
      const state = known(`selfcheck:${id}`);
      if (state === "done") continue;
      const view = assignmentViewFrom(a, c, unitName.get(a.unitKey) ?? a.unitKey, p.name);
      const card = selfCheckCard({ a: view, locale, today: day, mode: "edit" });
      (state === "again" ? again : jobs).push({
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
    queuedBefore,
    unknown,
    failed,
    skipped,
  };
}
