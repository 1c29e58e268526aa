// Who asks and what they may see: the asker, access and target of a question, and the list helpers every answer shares.
import type { Card } from "../../cards/kit";
import { card, md } from "../../cards/kit";
import type { MeasureListView } from "../../cards/view-types";
import { type Locale } from "../domain/types";
import type { ParsedIntent } from "../intent/index";
import { daysBetween, todayIn } from "../time";
import type { Campaign, Person, ServiceDeps } from "./context";

/**
 * Answers to chat questions, built from the database at this moment and scoped to who asks
 * (DESIGN.md §5): a member sees their own items and their unit's aggregates, a head their unit, a leader
 * the units in their charge, an admin everything. In a group chat only what every member may see:
 * aggregates, the overdue and pending lists, states — never someone's narrative, problems or progress notes.
 */
export interface Asker {
  person: Person | null;
  campaign: Campaign;
  group: boolean;
  locale: Locale;
}

export interface Answer {
  card: Card;
  /** For a group question about personal things: the card goes to the asker privately too. */
  privateCard?: Card;
}

/** What the asker may see in detail (DESIGN.md §5), independent of the question. */
export interface Access {
  admin: boolean;
  /** Units whose details the asker may see: every unit for an admin, the units they head or lead otherwise. */
  units: Set<string>;
  /** Every unit of the campaign, in order. */
  all: UnitRow[];
}

/** What the question asks about (a unit, "mine", "our unit"), before permissions. */
export interface Target {
  /** The units asked about; undefined = every unit. */
  units?: string[];
  /** Only the asker's own things ("我的", "mine"). */
  mine: boolean;
  label?: string;
  /** The checklist items asked about (a section's or one item); undefined = all. */
  items?: string[];
  /** The section code or item title asked about, for the scope line. */
  topic?: string;
}

export type UnitRow = { key: string; name: string; headKey?: string | null; leaderKey?: string | null };

export async function unitsOf(d: ServiceDeps, c: Campaign): Promise<UnitRow[]> {
  return d.models.Unit.find({ campaignKey: c.key }, { key: 1, name: 1, headKey: 1, leaderKey: 1, order: 1 })
    .sort({ order: 1 })
    .lean();
}

export async function accessOf(d: ServiceDeps, a: Asker): Promise<Access> {
  const all = await unitsOf(d, a.campaign);
  const p = a.person;
  const admin = Boolean(p?.roles.includes("admin"));
  const units = all.filter((u) => admin || (p && (u.headKey === p.key || u.leaderKey === p.key)));
  return { admin, units: new Set(units.map((u) => u.key)), all };
}

export function targetOf(a: Asker, q: ParsedIntent, acc: Access): Target {
  return { ...whoOf(a, q, acc), ...topicOf(a.campaign, q) };
}

export function whoOf(a: Asker, q: ParsedIntent, acc: Access): Target {
  const named = q.slots.unit ? acc.all.find((u) => u.name === q.slots.unit) : undefined;
  if (named) return { units: [named.key], mine: false, label: named.name };
  const p = a.person;
  if (q.slots.scope === "unit" && p)
    return { units: [p.unitKey], mine: false, label: acc.all.find((u) => u.key === p.unitKey)?.name };
  if (q.slots.scope === "mine" && p) return { mine: true, label: a.locale === "en" ? "mine" : "本人" };
  return { mine: false };
}

/** "正行风逾期的措施", "六正还有谁没填": the item or section a question names narrows its answer. */
export function topicOf(c: Campaign, q: ParsedIntent): Pick<Target, "items" | "topic"> {
  const item = q.slots.item ? c.items.find((i) => i.title === q.slots.item) : undefined;
  if (item) return { items: [item.key], topic: item.title };
  const section = q.slots.section ? c.sections.find((x) => x.code === q.slots.section) : undefined;
  if (section)
    return {
      items: c.items.filter((i) => i.sectionKey === section.key).map((i) => i.key),
      topic: section.code,
    };
  return {};
}

export function itemFilter(t: Target): Record<string, unknown> {
  return t.items ? { itemKey: { $in: t.items } } : {};
}

/** The units of the target the asker may see in detail. */
export function detailUnits(acc: Access, t: Target): string[] {
  return (t.units ?? acc.all.map((u) => u.key)).filter((u) => acc.units.has(u));
}

/**
 * Measures a list answer may show: in a campaign's group chat every measure (the overdue list is for
 * everyone there); in private the asker's units, plus what they own or review wherever it is.
 */
export function measureScope(a: Asker, acc: Access, t: Target): Record<string, unknown> | null {
  const me = a.person?.key;
  if (t.mine) return me ? { ownerKey: me } : null;
  const inTarget = t.units ? { unitKey: { $in: t.units } } : {};
  if (a.group || acc.admin) return inTarget;
  const units = detailUnits(acc, t);
  const or: Record<string, unknown>[] = [
    ...(units.length ? [{ unitKey: { $in: units } }] : []),
    ...(me ? [{ ownerKey: me }, { reviewerKey: me }] : []),
  ];
  return or.length ? { ...inTarget, $or: or } : null;
}

/** The scope line of a list: what was asked for, or what the asker may see when that is less than all. */
export function labelOf(a: Asker, acc: Access, t: Target): string | undefined {
  const who = whoLabel(a, acc, t);
  return [t.topic, who].filter(Boolean).join(" · ") || undefined;
}

export function whoLabel(a: Asker, acc: Access, t: Target): string | undefined {
  if (t.label || a.group || acc.admin) return t.label;
  const names = acc.all.filter((u) => acc.units.has(u.key)).map((u) => u.name);
  const own = a.locale === "en" ? "yours" : "本人负责或审核";
  return names.length ? `${names.join("、")}${a.locale === "en" ? " and " : "及"}${own}` : own;
}

/** Names of the given people (only those: a campaign may have thousands) and of every unit. */
export async function names(d: ServiceDeps, c: Campaign, personKeys: string[], units?: UnitRow[]) {
  const wanted = [...new Set(personKeys)];
  const [people, unitList] = await Promise.all([
    wanted.length
      ? d.models.Person.find({ campaignKey: c.key, key: { $in: wanted } }, { key: 1, name: 1 }).lean()
      : [],
    units ?? unitsOf(d, c),
  ]);
  return {
    person: new Map(people.map((p) => [p.key, p.name])),
    unit: new Map(unitList.map((u) => [u.key, u.name])),
  };
}

export function todayOf(d: ServiceDeps, c: Campaign): string {
  return todayIn(c.timezone, d.now());
}

export async function measureRows(
  d: ServiceDeps,
  a: Asker,
  scope: Record<string, unknown>,
  filter: Record<string, unknown>,
  sort: Record<string, 1 | -1>,
): Promise<MeasureListView["rows"]> {
  const c = a.campaign;
  const today = todayOf(d, c);
  const list = await d.models.Measure.find(
    { campaignKey: c.key, ...filter, ...scope },
    { seq: 1, content: 1, ownerKey: 1, unitKey: 1, dueDate: 1, state: 1 },
  )
    .sort(sort)
    .limit(500)
    .lean();
  const n = await names(
    d,
    c,
    list.map((m) => m.ownerKey),
  );
  return list.map((m) => ({
    id: String(m._id),
    seq: m.seq,
    content: m.content,
    ownerName: n.person.get(m.ownerKey) ?? m.ownerKey,
    unitName: n.unit.get(m.unitKey) ?? m.unitKey,
    dueDate: m.dueDate,
    daysOverdue: m.dueDate < today ? daysBetween(m.dueDate, today) : undefined,
    state: m.state,
  }));
}

/** The group's answer when the real one is personal: it went to the asker in private. */
export function privateNotice(a: Asker, title: string): Card {
  return card({
    title,
    template: "blue",
    elements: [
      md(
        a.locale === "en"
          ? "This answer is personal: I have sent it to you in a private chat."
          : "该内容只发给您本人，已私信发送，请查看。",
      ),
    ],
  });
}

export function notInCampaign(a: Pick<Asker, "locale">): Card {
  return card({
    title: a.locale === "en" ? "Not on a campaign" : "未找到您的自查任务",
    template: "grey",
    elements: [
      md(
        a.locale === "en"
          ? "You are not on the list of the current campaign. Ask the organising office if you should be."
          : "您不在当前专项整治活动的名单中。如有疑问，请联系牵头科室。",
      ),
    ],
  });
}
