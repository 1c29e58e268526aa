import crypto from "node:crypto";
import { digestCard } from "../../cards/digest-card";
import { escalationCard } from "../../cards/escalation-card";
import { summaryCard } from "../../cards/summary-card";
import type { EscalationItem } from "../../cards/view-types";
import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import type { WorkCalendar } from "../calendar";
import { isDuplicateKey } from "../errors";
import type { Logger } from "../logger";
import { formatDateTime, todayIn } from "../time";
import { localeOf } from "./cards";
import { loadCampaign, type ServiceDeps } from "./context";
import { planEscalations, type OverdueItem } from "./escalation";
import { awaitingFollowUps, followUpTitle, sendDueFollowUps } from "./follow-up";
import { planReminders, quietHoursDelay, type ReminderItem } from "./reminders";
import { computeSummary } from "./summary";

/**
 * The scheduled sweeps: load, plan (pure functions in reminders.ts / escalation.ts), queue the sends with
 * deterministic uuids, then record each notice. Running a sweep twice, in two processes at once, or again
 * after a crash in the middle sends every notice exactly once.
 */
export interface SweepDeps extends ServiceDeps {
  outbound: { enqueue(job: OutboundJob, opts?: { delayMs?: number }): Promise<void> };
  calendar: WorkCalendar;
  logger: Logger;
  /** Working hours for reminders and escalations, in the campaign's zone. */
  workingHours?: { start: number; end: number };
}

async function alreadyNoticed(
  d: SweepDeps,
  campaignKey: string,
  kind: string,
  key: string,
): Promise<boolean> {
  return Boolean(await d.models.Notice.exists({ campaignKey, kind, key }));
}

async function recordNotice(d: SweepDeps, campaignKey: string, kind: string, key: string): Promise<void> {
  try {
    await d.models.Notice.create({ campaignKey, kind, key, at: d.now() });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
  }
}

async function openWork(d: SweepDeps, campaignKey: string) {
  const c = await loadCampaign(d, campaignKey);
  const [assignments, measures, people, units] = await Promise.all([
    d.models.Assignment.find({ campaignKey, withdrawn: false, state: "pending" }).lean(),
    d.models.Measure.find({ campaignKey, state: { $in: ["open", "in_progress"] } }).lean(),
    d.models.Person.find({ campaignKey }).lean(),
    d.models.Unit.find({ campaignKey }).lean(),
  ]);
  const title = (k: string) => c.items.find((i) => i.key === k)?.title ?? k;
  return { c, assignments, measures, people, units, title };
}

export interface SweepResult {
  sent: number;
  skipped: number;
  note?: string;
}

export async function runReminderSweep(d: SweepDeps, campaignKey: string): Promise<SweepResult> {
  const { c, assignments, measures, people, title } = await openWork(d, campaignKey);
  const today = todayIn(c.timezone, d.now());
  const items: ReminderItem[] = [
    ...assignments.map((a) => ({
      kind: "assignment" as const,
      id: String(a._id),
      title: title(a.itemKey),
      personKey: a.assigneeKey,
      dueDate: a.dueDate,
    })),
    ...measures.map((m) => ({
      kind: "measure" as const,
      id: String(m._id),
      title: `#${m.seq} ${m.content}`,
      personKey: m.ownerKey,
      dueDate: m.dueDate,
    })),
    // A 回头看 awaiting an answer is on both its owner and its reviewer until either answers.
    ...(await awaitingFollowUps(d, campaignKey)).flatMap((m) =>
      m.followUp?.answerBy
        ? [...new Set([m.ownerKey, m.reviewerKey].filter((k): k is string => Boolean(k)))].map((k) => ({
            kind: "follow-up" as const,
            id: String(m._id),
            title: followUpTitle(m),
            personKey: k,
            dueDate: m.followUp!.answerBy!,
          }))
        : [],
    ),
  ];
  const byKey = new Map(people.map((p) => [p.key, p]));
  const { plans, skipped } = planReminders({
    active: c.status === "active",
    today,
    remindBefore: c.remindBefore,
    items,
    people: byKey,
    calendar: d.calendar,
  });
  const delayMs = quietHoursDelay(d.now(), c.timezone, d.calendar, d.workingHours);
  let sent = 0;
  const done = new Set(
    (
      await d.models.Notice.find(
        { campaignKey, kind: "reminder", key: { $in: plans.map((p) => `${p.personKey}:${today}`) } },
        { key: 1 },
      ).lean()
    ).map((n) => n.key),
  );
  for (const plan of plans) {
    const key = `${plan.personKey}:${today}`;
    if (done.has(key)) continue;
    const p = byKey.get(plan.personKey)!;
    const card = digestCard({
      personName: p.name,
      campaignTitle: c.title,
      lines: plan.lines,
      locale: localeOf(p),
      today,
      kind: "reminder",
    });
    await d.outbound.enqueue(
      {
        op: "send",
        to: { type: "open_id", id: p.openId! },
        content: { card },
        uuid: outboundUuid("reminder", campaignKey, plan.personKey, today),
        ref: { campaignId: campaignKey, kind: "reminder", refId: today, personKey: p.key },
      },
      { delayMs },
    );
    await recordNotice(d, campaignKey, "reminder", key);
    sent++;
  }
  d.logger.info({ campaign: campaignKey, today, sent, skipped: skipped.length, delayMs }, "reminder sweep");
  return { sent, skipped: skipped.length };
}

export async function runEscalationSweep(d: SweepDeps, campaignKey: string): Promise<SweepResult> {
  const { c, assignments, measures, people, units, title } = await openWork(d, campaignKey);
  if (c.status !== "active") return { sent: 0, skipped: 0, note: "inactive" };
  const today = todayIn(c.timezone, d.now());
  const items: OverdueItem[] = [
    ...assignments.map((a) => ({
      kind: "assignment" as const,
      id: String(a._id),
      title: title(a.itemKey),
      ownerKey: a.assigneeKey,
      unitKey: a.unitKey,
      dueDate: a.dueDate,
    })),
    ...measures.map((m) => ({
      kind: "measure" as const,
      id: String(m._id),
      title: `#${m.seq} ${m.content}`,
      ownerKey: m.ownerKey,
      unitKey: m.unitKey,
      dueDate: m.dueDate,
    })),
    // A follow-up not answered by its answer-by day is overdue work of the measure's owner.
    ...(await awaitingFollowUps(d, campaignKey))
      .filter((m) => m.followUp?.answerBy)
      .map((m) => ({
        kind: "follow-up" as const,
        id: String(m._id),
        title: followUpTitle(m),
        ownerKey: m.ownerKey,
        unitKey: m.unitKey,
        dueDate: m.followUp!.answerBy!,
      })),
  ];
  const plan = planEscalations({
    today,
    ladder: c.escalation.map((s) => ({
      afterWorkingDays: s.afterWorkingDays ?? 0,
      to: (s.to ?? "owner") as "owner" | "head" | "leader" | "admins",
    })),
    items,
    units: new Map(units.map((u) => [u.key, { headKey: u.headKey, leaderKey: u.leaderKey }])),
    admins: people.filter((p) => p.roles.includes("admin")).map((p) => p.key),
    calendar: d.calendar,
  });
  const byKey = new Map(people.map((p) => [p.key, p]));
  const unitName = new Map(units.map((u) => [u.key, u.name]));
  // One card per recipient and level, listing every item newly escalated to them.
  const groups = new Map<string, typeof plan>();
  for (const s of plan) {
    if (await alreadyNoticed(d, campaignKey, "escalation", s.claim)) continue;
    const g = `${s.recipientKey}|${s.level}`;
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  const delayMs = quietHoursDelay(d.now(), c.timezone, d.calendar, d.workingHours);
  let sent = 0;
  let skipped = 0;
  for (const sends of groups.values()) {
    const r = byKey.get(sends[0].recipientKey);
    if (!r?.openId || r.undeliverable?.at) {
      skipped++;
      continue;
    }
    const escItems: EscalationItem[] = sends.map((s) => ({
      kind: s.item.kind,
      id: s.item.id,
      title: s.item.title,
      ownerName: byKey.get(s.item.ownerKey)?.name ?? s.item.ownerKey,
      unitName: unitName.get(s.item.unitKey) ?? s.item.unitKey,
      dueDate: s.item.dueDate,
      daysOverdue: s.item.daysOverdue,
    }));
    const card = escalationCard({
      e: {
        campaignTitle: c.title,
        recipientName: r.name,
        level: sends[0].level,
        afterWorkingDays: sends[0].afterWorkingDays,
        items: escItems,
      },
      locale: localeOf(r),
      today,
    });
    const digest = crypto
      .createHash("sha256")
      .update(
        sends
          .map((s) => s.claim)
          .sort()
          .join("|"),
      )
      .digest("hex")
      .slice(0, 16);
    await d.outbound.enqueue(
      {
        op: "send",
        to: { type: "open_id", id: r.openId },
        content: { card },
        uuid: outboundUuid("escalation", campaignKey, r.key, digest),
        ref: { campaignId: campaignKey, kind: "escalation", refId: today, personKey: r.key },
      },
      { delayMs },
    );
    for (const s of sends) await recordNotice(d, campaignKey, "escalation", s.claim);
    sent++;
  }
  d.logger.info({ campaign: campaignKey, today, sent, skipped }, "escalation sweep");
  return { sent, skipped };
}

/** 回头看: the follow-up cards of closed measures now due (src/services/follow-up.ts). */
export async function runFollowUpSweep(d: SweepDeps, campaignKey: string): Promise<SweepResult> {
  const c = await loadCampaign(d, campaignKey);
  const delayMs = quietHoursDelay(d.now(), c.timezone, d.calendar, d.workingHours);
  const r = await sendDueFollowUps(d, campaignKey, delayMs);
  d.logger.info({ campaign: campaignKey, ...r, delayMs }, "follow-up sweep");
  return r;
}

/** The progress broadcast to every group chat of the campaign; `slot` names this broadcast (its uuid). */
export async function runBroadcast(d: SweepDeps, campaignKey: string, slot: string): Promise<SweepResult> {
  const c = await loadCampaign(d, campaignKey);
  if (c.status === "draft") return { sent: 0, skipped: 0, note: "not started" };
  if (c.status === "ended") return { sent: 0, skipped: 0, note: "ended" }; // README: no broadcasts after the end
  const s = await computeSummary(d, campaignKey, { since: c.lastBroadcastAt });
  const card = summaryCard({ s, locale: "zh", kind: "broadcast" });
  let sent = 0;
  for (const chat of c.chats) {
    if (!chat.chatId) continue;
    await d.outbound.enqueue({
      op: "send",
      to: { type: "chat_id", id: chat.chatId },
      content: { card },
      uuid: outboundUuid("broadcast", campaignKey, chat.chatId, slot),
      ref: { campaignId: campaignKey, kind: "broadcast", refId: slot },
    });
    sent++;
  }
  await d.models.Campaign.updateOne({ key: campaignKey }, { $set: { lastBroadcastAt: d.now() } });
  d.logger.info({ campaign: campaignKey, chats: sent, slot }, "progress broadcast");
  return { sent, skipped: 0 };
}

/** Each leader's personal card: the units in their charge only. */
export async function runLeadersDigest(
  d: SweepDeps,
  campaignKey: string,
  slot: string,
): Promise<SweepResult> {
  const c = await loadCampaign(d, campaignKey);
  if (c.status !== "active") return { sent: 0, skipped: 0, note: "inactive" };
  const [units, people] = await Promise.all([
    d.models.Unit.find({ campaignKey }).sort({ order: 1 }).lean(),
    d.models.Person.find({ campaignKey }).lean(),
  ]);
  const byLeader = new Map<string, typeof units>();
  for (const u of units)
    if (u.leaderKey) byLeader.set(u.leaderKey, [...(byLeader.get(u.leaderKey) ?? []), u]);
  let sent = 0;
  let skipped = 0;
  for (const [leaderKey, list] of byLeader) {
    const p = people.find((x) => x.key === leaderKey);
    if (!p?.openId || p.undeliverable?.at) {
      skipped++;
      continue;
    }
    const scope = `${localeOf(p) === "en" ? "Units in your charge" : "分管科室"}：${list.map((u) => u.name).join("、")}`;
    const s = await computeSummary(d, campaignKey, {
      unitKeys: list.map((u) => u.key),
      scope,
      since: c.lastBroadcastAt,
    });
    const card = summaryCard({ s, locale: localeOf(p), kind: "leader" });
    await d.outbound.enqueue({
      op: "send",
      to: { type: "open_id", id: p.openId },
      content: { card },
      uuid: outboundUuid("leaders-digest", campaignKey, leaderKey, slot),
      ref: { campaignId: campaignKey, kind: "leaders-digest", refId: slot, personKey: leaderKey },
    });
    sent++;
  }
  return { sent, skipped };
}

/** A broadcast slot name for an on-demand broadcast: one per minute at most. */
export function manualSlot(d: ServiceDeps, timezone: string): string {
  return `manual-${formatDateTime(d.now(), timezone)}`;
}
