/**
 * The reviewer's side of flags (issue 15 §1): who reviews a flagged answer, who may return it, the
 * reviewer's card of it, and keeping those cards true after the flags or the answer change.
 * A flagged answer's card goes to the unit's reviewer (the campaign's `reviewer`: head or leader in
 * charge, the other when that one answered it; never the person who answered). Heads, leaders in
 * charge and admins may return it; the chat's 疑似敷衍 list shows it to all of them.
 */
import { flagReviewCard, type FlagReviewState } from "../../cards/flags-review-card";
import type { Card } from "../../cards/kit";
import { PATCH_WINDOW_MS } from "../../handlers/notify";
import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import type { Locale } from "../domain/types";
import { notFound } from "../errors";
import { toObjectId, type ServiceDeps } from "../services/context";
import { describeFlag, returnReasonFor } from "./describe";
import type { Flag } from "./engine";

const CARD_KIND = "flags";

type UnitRow = { key: string; headKey?: string | null; leaderKey?: string | null };

/** The reviewer of a unit's answer: the campaign's `reviewer` role of the unit, else the other role. */
export function reviewerOf(
  policy: string | null | undefined,
  unit: UnitRow | null | undefined,
  assigneeKey: string,
): string | undefined {
  if (!unit) return undefined;
  const first = policy === "leader" ? unit.leaderKey : unit.headKey;
  const second = policy === "leader" ? unit.headKey : unit.leaderKey;
  if (first && first !== assigneeKey) return first;
  if (second && second !== assigneeKey) return second;
  return undefined;
}

/** Names of the answers that flags point at: unit · item (· campaign, for an earlier one). */
export async function flagNamer(
  d: ServiceDeps,
  campaignKey: string,
  flags: readonly Flag[],
): Promise<(f: Extract<Flag, { kind: "recycled" }>) => string> {
  const keys = new Set([campaignKey]);
  for (const f of flags) if (f.kind === "recycled") keys.add(f.otherCampaignKey);
  const [campaigns, units] = await Promise.all([
    d.models.Campaign.find({ key: { $in: [...keys] } }, { key: 1, title: 1, items: 1 }).lean(),
    d.models.Unit.find({ campaignKey: { $in: [...keys] } }, { campaignKey: 1, key: 1, name: 1 }).lean(),
  ]);
  const unitName = new Map(units.map((u) => [`${u.campaignKey}\u0000${u.key}`, u.name]));
  const byKey = new Map(campaigns.map((c) => [c.key, c]));
  return (f) => {
    const c = byKey.get(f.otherCampaignKey);
    const unit = unitName.get(`${f.otherCampaignKey}\u0000${f.otherUnitKey}`) ?? f.otherUnitKey;
    const item = c?.items.find((i) => i.key === f.otherItemKey)?.title ?? f.otherItemKey;
    return f.otherCampaignKey === campaignKey
      ? `${unit} · ${item}`
      : `${c?.title ?? f.otherCampaignKey} · ${unit} · ${item}`;
  };
}

/** The reviewer's card of one answer version as it stands now. */
export async function flagReviewCardFor(
  d: ServiceDeps,
  responseId: string,
  locale: Locale,
  opts: { notice?: string } = {},
): Promise<Card> {
  const oid = toObjectId(responseId);
  const r = oid ? await d.models.Response.findById(oid).lean() : null;
  if (!r) throw notFound("该自查回答已不存在。", "This answer no longer exists.");
  const [a, c] = await Promise.all([
    d.models.Assignment.findById(r.assignmentId).lean(),
    d.models.Campaign.findOne({ key: r.campaignKey }, { key: 1, title: 1, items: 1 }).lean(),
  ]);
  if (!a || !c) throw notFound("该自查回答已不存在。", "This answer no longer exists.");
  const [unit, answerer] = await Promise.all([
    d.models.Unit.findOne({ campaignKey: a.campaignKey, key: a.unitKey }, { name: 1 }).lean(),
    d.models.Person.findOne({ campaignKey: a.campaignKey, key: r.byKey }, { name: 1 }).lean(),
  ]);
  const flags = (r.flags ?? []) as Flag[];
  const nameOf = await flagNamer(d, a.campaignKey, flags);
  const state: FlagReviewState =
    a.withdrawn || a.responseVersion !== r.version
      ? "superseded"
      : a.state !== "submitted"
        ? "returned"
        : flags.length === 0
          ? "cleared"
          : "open";
  return flagReviewCard({
    v: {
      responseId: String(r._id),
      campaignTitle: c.title,
      unitName: unit?.name ?? a.unitKey,
      itemTitle: c.items.find((i) => i.key === a.itemKey)?.title ?? a.itemKey,
      answererName: answerer?.name ?? r.byKey,
      version: r.version,
      conclusion: r.conclusion ?? undefined,
      narrative: r.narrative,
      lines: flags.map((f) => describeFlag(f, nameOf, locale)),
      reason: returnReasonFor(flags, locale),
      state,
      returnReason: state === "returned" ? (a.returnReason ?? undefined) : undefined,
    },
    locale,
    notice: opts.notice,
  });
}

type Outbound = { outbound: { enqueue(job: OutboundJob): Promise<void> } };

/**
 * After an answer's flags or state changed: every live reviewer card of it is updated in place; when it
 * is flagged and its reviewer holds none, the reviewer gets one (one per answer version and flag set:
 * the uuid makes a retried job a no-op). `skipMessage` is the card a callback answers itself.
 */
export async function refreshFlagCards(
  d: ServiceDeps & Outbound,
  responseId: string,
  opts: { send?: boolean; skipMessage?: string } = {},
): Promise<{ sent: number; patched: number }> {
  const r = await d.models.Response.findById(responseId, {
    campaignKey: 1,
    assignmentId: 1,
    version: 1,
    flags: 1,
  }).lean();
  if (!r) return { sent: 0, patched: 0 };
  const now = d.now().getTime();
  const cards = await d.models.SentCard.find({
    campaignKey: r.campaignKey,
    kind: CARD_KIND,
    refId: responseId,
  }).lean();
  const live = cards.filter(
    (s) =>
      s.personKey && s.messageId !== opts.skipMessage && now - new Date(s.sentAt).getTime() < PATCH_WINDOW_MS,
  );
  let patched = 0;
  // The card as of now: a later refresh (newer clock) wins over this one.
  const seq = now;
  for (const s of live) {
    const p = await d.models.Person.findOne(
      { campaignKey: r.campaignKey, key: s.personKey },
      { locale: 1 },
    ).lean();
    const l: Locale = p?.locale === "en" ? "en" : "zh";
    const card = await flagReviewCardFor(d, responseId, l);
    await d.outbound.enqueue({ op: "patch", messageId: s.messageId, card, seq });
    patched++;
  }
  const flags = (r.flags ?? []) as Flag[];
  if (opts.send === false || flags.length === 0) return { sent: 0, patched };
  const a = await d.models.Assignment.findById(r.assignmentId).lean();
  if (!a || a.state !== "submitted" || a.responseVersion !== r.version) return { sent: 0, patched };
  const [c, unit] = await Promise.all([
    d.models.Campaign.findOne({ key: a.campaignKey }, { reviewer: 1 }).lean(),
    d.models.Unit.findOne({ campaignKey: a.campaignKey, key: a.unitKey }).lean(),
  ]);
  const key = reviewerOf(c?.reviewer, unit, a.assigneeKey);
  if (!key || cards.some((s) => s.personKey === key)) return { sent: 0, patched };
  const p = await d.models.Person.findOne({ campaignKey: a.campaignKey, key }).lean();
  if (!p?.openId) return { sent: 0, patched };
  const card = await flagReviewCardFor(d, responseId, p.locale === "en" ? "en" : "zh");
  const signature = flags.map((f) => (f.kind === "recycled" ? `${f.kind}:${f.otherId}` : f.kind)).join(",");
  await d.outbound.enqueue({
    op: "send",
    to: { type: "open_id", id: p.openId },
    content: { card },
    uuid: outboundUuid(CARD_KIND, responseId, signature, p.key),
    ref: { campaignId: a.campaignKey, kind: CARD_KIND, refId: responseId, personKey: p.key },
  });
  return { sent: 1, patched };
}
