import {
  itemStatusCard,
  measureCountsCard,
  measureListCard,
  pendingCard,
  pendingCountsCard,
  problemCountsCard,
  problemListCard,
} from "../../cards/answer-cards";
import { digestCard } from "../../cards/digest-card";
import { helpCard } from "../../cards/help-card";
import type { Card } from "../../cards/kit";
import { card, escLine, md, note } from "../../cards/kit";
import { summaryCard } from "../../cards/summary-card";
import type { MeasureListView } from "../../cards/view-types";
import { MEASURE_DONE, type Locale } from "../domain/types";
import type { ParsedIntent } from "../intent/index";
import { addDays, daysBetween, todayIn } from "../time";
import { measureCardFor } from "./cards";
import type { Campaign, Person, ServiceDeps } from "./context";
import { computeSummary } from "./summary";

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
interface Access {
  admin: boolean;
  /** Units whose details the asker may see: every unit for an admin, the units they head or lead otherwise. */
  units: Set<string>;
  /** Every unit of the campaign, in order. */
  all: UnitRow[];
}

/** What the question asks about (a unit, "mine", "our unit"), before permissions. */
interface Target {
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

type UnitRow = { key: string; name: string; headKey?: string | null; leaderKey?: string | null };

async function unitsOf(d: ServiceDeps, c: Campaign): Promise<UnitRow[]> {
  return d.models.Unit.find({ campaignKey: c.key }, { key: 1, name: 1, headKey: 1, leaderKey: 1, order: 1 })
    .sort({ order: 1 })
    .lean();
}

async function accessOf(d: ServiceDeps, a: Asker): Promise<Access> {
  const all = await unitsOf(d, a.campaign);
  const p = a.person;
  const admin = Boolean(p?.roles.includes("admin"));
  const units = all.filter((u) => admin || (p && (u.headKey === p.key || u.leaderKey === p.key)));
  return { admin, units: new Set(units.map((u) => u.key)), all };
}

function targetOf(a: Asker, q: ParsedIntent, acc: Access): Target {
  return { ...whoOf(a, q, acc), ...topicOf(a.campaign, q) };
}

function whoOf(a: Asker, q: ParsedIntent, acc: Access): Target {
  const named = q.slots.unit ? acc.all.find((u) => u.name === q.slots.unit) : undefined;
  if (named) return { units: [named.key], mine: false, label: named.name };
  const p = a.person;
  if (q.slots.scope === "unit" && p)
    return { units: [p.unitKey], mine: false, label: acc.all.find((u) => u.key === p.unitKey)?.name };
  if (q.slots.scope === "mine" && p) return { mine: true, label: a.locale === "en" ? "mine" : "本人" };
  return { mine: false };
}

/** "正行风逾期的措施", "六正还有谁没填": the item or section a question names narrows its answer. */
function topicOf(c: Campaign, q: ParsedIntent): Pick<Target, "items" | "topic"> {
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

function itemFilter(t: Target): Record<string, unknown> {
  return t.items ? { itemKey: { $in: t.items } } : {};
}

/** The units of the target the asker may see in detail. */
function detailUnits(acc: Access, t: Target): string[] {
  return (t.units ?? acc.all.map((u) => u.key)).filter((u) => acc.units.has(u));
}

/**
 * Measures a list answer may show: in a campaign's group chat every measure (the overdue list is for
 * everyone there); in private the asker's units, plus what they own or review wherever it is.
 */
function measureScope(a: Asker, acc: Access, t: Target): Record<string, unknown> | null {
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
function labelOf(a: Asker, acc: Access, t: Target): string | undefined {
  const who = whoLabel(a, acc, t);
  return [t.topic, who].filter(Boolean).join(" · ") || undefined;
}

function whoLabel(a: Asker, acc: Access, t: Target): string | undefined {
  if (t.label || a.group || acc.admin) return t.label;
  const names = acc.all.filter((u) => acc.units.has(u.key)).map((u) => u.name);
  const own = a.locale === "en" ? "yours" : "本人负责或审核";
  return names.length ? `${names.join("、")}${a.locale === "en" ? " and " : "及"}${own}` : own;
}

/** Names of the given people (only those: a campaign may have thousands) and of every unit. */
async function names(d: ServiceDeps, c: Campaign, personKeys: string[], units?: UnitRow[]) {
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

function todayOf(d: ServiceDeps, c: Campaign): string {
  return todayIn(c.timezone, d.now());
}

async function measureRows(
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

/** Open measures past their due date (the due date itself is the last day, not overdue). */
export async function answerOverdue(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const today = todayOf(d, a.campaign);
  const open = { state: { $nin: MEASURE_DONE }, dueDate: { $lt: today }, ...itemFilter(t) };
  const scope = measureScope(a, acc, t);
  const rows = scope ? await measureRows(d, a, scope, open, { dueDate: 1, seq: 1 }) : [];
  const card = measureListCard({
    v: {
      campaignTitle: a.campaign.title,
      title: a.locale === "en" ? "Overdue measures" : "逾期整改措施",
      scope: labelOf(a, acc, t),
      rows,
    },
    locale: a.locale,
    today,
    withOpenButtons: !a.group,
    emptyText: a.locale === "en" ? "No overdue measures." : "目前没有逾期的整改措施。",
  });
  const p = a.person;
  if (!a.group && p && !acc.units.has(p.unitKey)) {
    // Someone who does not see their unit's details still sees how it stands, as a number.
    const unitOverdue = await d.models.Measure.countDocuments({
      campaignKey: a.campaign.key,
      unitKey: p.unitKey,
      ...open,
    });
    card.body.elements.push(
      note(
        a.locale === "en"
          ? `Your unit has ${unitOverdue} overdue measure(s) in all.`
          : `本科室共有逾期措施 ${unitOverdue} 项。`,
      ),
    );
  }
  return { card };
}

/** Open measures due from today (included) to `days` days ahead (default 7). */
export async function answerDueSoon(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const today = todayOf(d, a.campaign);
  const days = q.slots.days ?? 7;
  const until = addDays(today, days);
  const due = { state: { $nin: MEASURE_DONE }, dueDate: { $gte: today, $lte: until }, ...itemFilter(t) };
  const title =
    a.locale === "en"
      ? days === 0
        ? "Measures due today"
        : `Measures due within ${days} day(s)`
      : days === 0
        ? "今天到期的措施"
        : `${days} 天内到期的措施`;
  if (a.group) {
    // Not yet late, so not on the (public) overdue list: a group sees how many, by unit; the list
    // goes to the asker in private.
    const rows = await d.models.Measure.aggregate<{ _id: string; n: number }>([
      { $match: { campaignKey: a.campaign.key, ...due, ...(t.units ? { unitKey: { $in: t.units } } : {}) } },
      { $group: { _id: "$unitKey", n: { $sum: 1 } } },
    ]);
    const byKey = new Map(rows.map((r) => [r._id, r.n]));
    const counts = measureCountsCard({
      v: {
        campaignTitle: a.campaign.title,
        title,
        scope: t.topic,
        units: acc.all
          .filter((u) => byKey.has(u.key))
          .map((u) => ({ unitName: u.name, n: byKey.get(u.key)! })),
      },
      locale: a.locale,
    });
    if (!a.person || !rows.length) return { card: counts };
    return { card: counts, privateCard: (await answerDueSoon(d, { ...a, group: false }, q)).card };
  }
  const scope = measureScope(a, acc, t);
  const rows = scope ? await measureRows(d, a, scope, due, { dueDate: 1, seq: 1 }) : [];
  return {
    card: measureListCard({
      v: { campaignTitle: a.campaign.title, title, scope: labelOf(a, acc, t), rows },
      locale: a.locale,
      today,
      withOpenButtons: true,
    }),
  };
}

export async function answerMyTodos(d: ServiceDeps, a: Asker): Promise<Answer> {
  const p = a.person;
  if (!p) return { card: notInCampaign(a) };
  const c = a.campaign;
  const [assignments, measures] = await Promise.all([
    d.models.Assignment.find(
      { campaignKey: c.key, assigneeKey: p.key, state: "pending", withdrawn: false },
      { itemKey: 1, dueDate: 1 },
    ).lean(),
    d.models.Measure.find(
      { campaignKey: c.key, ownerKey: p.key, state: { $nin: MEASURE_DONE } },
      { seq: 1, content: 1, dueDate: 1, state: 1 },
    ).lean(),
  ]);
  const title = (k: string) => c.items.find((i) => i.key === k)?.title ?? k;
  const lines = [
    ...assignments.map((x) => ({
      kind: "assignment" as const,
      id: String(x._id),
      title: title(x.itemKey),
      dueDate: x.dueDate,
    })),
    ...measures.map((m) => ({
      kind: "measure" as const,
      id: String(m._id),
      title: `#${m.seq} ${m.content}`,
      dueDate: m.dueDate,
      note:
        m.state === "closure_requested" ? (a.locale === "en" ? "awaiting review" : "待审核销号") : undefined,
    })),
  ];
  const todo = digestCard({
    title: a.locale === "en" ? "My to-dos" : "我的待办",
    personName: p.name,
    campaignTitle: c.title,
    lines,
    locale: a.locale,
    today: todayOf(d, c),
    kind: "reminder",
  });
  if (!a.group) return { card: todo };
  return { card: privateNotice(a, a.locale === "en" ? "My to-dos" : "我的待办"), privateCard: todo };
}

/** The group's answer when the real one is personal: it went to the asker in private. */
function privateNotice(a: Asker, title: string): Card {
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

/**
 * 谁还没填报. Named lists go only to heads, leaders and admins, in private, for the units they see;
 * everyone else (a member, a group chat) gets per-unit counts, and a member their own pending items.
 */
export async function answerPending(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const c = a.campaign;
  const filter = { campaignKey: c.key, withdrawn: false, ...itemFilter(t) };
  const title = t.topic ? `${c.title} · ${t.topic}` : c.title;
  const mayName = Boolean(a.person) && acc.units.size > 0;
  const me = a.person?.key;
  // The units asked about that the asker sees, and (unless a unit was named) their own items.
  const namedScope = () =>
    acc.admin && !t.units
      ? {}
      : {
          $or: [{ unitKey: { $in: detailUnits(acc, t) } }, ...(me && !t.units ? [{ assigneeKey: me }] : [])],
        };
  if (!a.group && mayName && !t.mine) {
    const named = await namedPending(d, a, { ...filter, ...namedScope() }, title);
    // A unit asked about that the asker does not see in detail: its numbers only.
    const others = (t.units ?? []).filter((u) => !acc.units.has(u));
    if (others.length) {
      const counts = await pendingCounts(d, { ...filter, unitKey: { $in: others } }, acc);
      named.body.elements.push(
        note(counts.map((r) => countLine(a.locale, r.unitName, r.pending, r.total)).join("\n")),
      );
    }
    return { card: named };
  }
  const own =
    !a.group && me
      ? await d.models.Assignment.find(
          { ...filter, assigneeKey: me, state: "pending" },
          { itemKey: 1 },
        ).lean()
      : [];
  const unitKeys = a.group ? t.units : t.mine || !a.person ? [] : (t.units ?? [a.person.unitKey]);
  const counts =
    unitKeys && unitKeys.length === 0
      ? []
      : await pendingCounts(d, { ...filter, ...(unitKeys ? { unitKey: { $in: unitKeys } } : {}) }, acc);
  const answer: Answer = {
    card: pendingCountsCard({
      v: {
        campaignTitle: title,
        units: counts,
        own: a.group
          ? undefined
          : own.map((x) => c.items.find((i) => i.key === x.itemKey)?.title ?? x.itemKey),
      },
      locale: a.locale,
    }),
  };
  // A head, leader or admin asking in a group gets the names in private.
  if (a.group && mayName)
    answer.privateCard = await namedPending(d, a, { ...filter, ...namedScope() }, title);
  return answer;
}

async function namedPending(d: ServiceDeps, a: Asker, filter: Record<string, unknown>, title: string) {
  const c = a.campaign;
  // Grouped in the database: who (by unit) still has which items.
  const groups = await d.models.Assignment.aggregate<{ _id: { u: string; p: string }; items: string[] }>([
    { $match: { ...filter, state: "pending" } },
    { $group: { _id: { u: "$unitKey", p: "$assigneeKey" }, items: { $push: "$itemKey" } } },
  ]);
  const n = await names(
    d,
    c,
    groups.map((g) => g._id.p),
  );
  const byUnit = new Map<string, Map<string, string[]>>();
  for (const g of groups) {
    const u = byUnit.get(g._id.u) ?? new Map<string, string[]>();
    u.set(
      g._id.p,
      g.items.map((k) => c.items.find((i) => i.key === k)?.title ?? k),
    );
    byUnit.set(g._id.u, u);
  }
  const order = new Map([...n.unit.keys()].map((k, i) => [k, i]));
  return pendingCard({
    v: {
      campaignTitle: title,
      byUnit: [...byUnit]
        .sort(([x], [y]) => (order.get(x) ?? 0) - (order.get(y) ?? 0))
        .map(([unitKey, people]) => ({
          unitName: n.unit.get(unitKey) ?? unitKey,
          people: [...people].map(([k, items]) => ({ name: n.person.get(k) ?? k, items })),
        })),
      total: groups.reduce((sum, g) => sum + g.items.length, 0),
    },
    locale: a.locale,
  });
}

/** Per unit (in campaign order): assignments not yet filled in, of all. */
async function pendingCounts(d: ServiceDeps, filter: Record<string, unknown>, acc: Access) {
  const rows = await d.models.Assignment.aggregate<{ _id: string; total: number; pending: number }>([
    { $match: filter },
    {
      $group: {
        _id: "$unitKey",
        total: { $sum: 1 },
        pending: { $sum: { $cond: [{ $eq: ["$state", "pending"] }, 1, 0] } },
      },
    },
  ]);
  const byKey = new Map(rows.map((r) => [r._id, r]));
  return acc.all
    .filter((u) => byKey.has(u.key))
    .map((u) => ({ unitName: u.name, pending: byKey.get(u.key)!.pending, total: byKey.get(u.key)!.total }));
}

function countLine(l: Locale, unit: string, pending: number, total: number): string {
  return l === "en"
    ? `${escLine(unit, 30)}: ${total - pending}/${total} filled in, ${pending} not yet`
    : `${escLine(unit, 30)}：已填报 ${total - pending}/${total}，未填报 ${pending} 项`;
}

export async function answerProgress(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const p = a.person;
  // Progress is aggregate (the broadcast shows every unit's numbers in the campaign's chats): a unit asked
  // about is shown to anyone on the campaign; otherwise a member sees their unit, a head or leader theirs.
  const unitKeys =
    t.units ??
    (a.group || acc.admin
      ? undefined
      : acc.units.size > 0 && !t.mine
        ? [...acc.units]
        : p
          ? [p.unitKey]
          : []);
  const scope =
    t.units || a.group || acc.admin
      ? t.label
      : acc.all
          .filter((u) => unitKeys?.includes(u.key))
          .map((u) => u.name)
          .join("、");
  const section = q.slots.section ? a.campaign.sections.find((x) => x.code === q.slots.section) : undefined;
  // A chat answer is "where things stand": no "newly closed since the last broadcast" section.
  const summary = await computeSummary(d, a.campaign.key, {
    unitKeys,
    sectionKeys: section ? [section.key] : undefined,
    scope: section ? [section.code, scope].filter(Boolean).join(" · ") : scope,
    withNewlyClosed: false,
  });
  return { card: summaryCard({ s: summary, locale: a.locale, kind: "answer" }) };
}

/**
 * One checklist item: every assignment's state (states are for everyone); conclusions and problem counts
 * only where the asker may see details.
 */
export async function answerItemStatus(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const c = a.campaign;
  const item = c.items.find((i) => i.title === q.slots.item);
  if (!item) return { card: helpCard({ locale: a.locale, notUnderstood: q.slots.item ?? "" }) };
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const list = await d.models.Assignment.find(
    {
      campaignKey: c.key,
      itemKey: item.key,
      withdrawn: false,
      ...(t.units ? { unitKey: { $in: t.units } } : {}),
    },
    { unitKey: 1, assigneeKey: 1, state: 1, dueDate: 1, responseVersion: 1 },
  ).lean();
  const n = await names(d, c, a.group ? [] : list.map((x) => x.assigneeKey), acc.all);
  const detail = (unitKey: string, assignee: string) =>
    !a.group && (acc.units.has(unitKey) || assignee === a.person?.key);
  const responses = await d.models.Response.find(
    { assignmentId: { $in: list.filter((x) => detail(x.unitKey, x.assigneeKey)).map((x) => x._id) } },
    { assignmentId: 1, version: 1, conclusion: 1 },
  ).lean();
  const problems = await d.models.Problem.find(
    { assignmentId: { $in: list.map((x) => x._id) }, withdrawn: { $ne: true } },
    { assignmentId: 1, responseVersion: 1 },
  ).lean();
  const section = c.sections.find((x) => x.key === item.sectionKey);
  return {
    card: itemStatusCard({
      v: {
        campaignTitle: c.title,
        itemTitle: item.title,
        sectionCode: section?.code ?? "",
        rows: list.map((x) => {
          const r = responses.find(
            (y) => String(y.assignmentId) === String(x._id) && y.version === x.responseVersion,
          );
          return {
            unitName: n.unit.get(x.unitKey) ?? x.unitKey,
            // Who in person has not filled in is for heads, leaders and admins in private, not for a group.
            assigneeName: a.group ? "—" : (n.person.get(x.assigneeKey) ?? x.assigneeKey),
            state: x.state,
            conclusion: r?.conclusion,
            dueDate: x.dueDate,
            problems: detail(x.unitKey, x.assigneeKey)
              ? problems.filter(
                  (p) => String(p.assignmentId) === String(x._id) && p.responseVersion === x.responseVersion,
                ).length
              : 0,
          };
        }),
      },
      locale: a.locale,
      today: todayOf(d, c),
    }),
  };
}

export async function answerMeasureDetail(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const c = a.campaign;
  const m = q.slots.measureId
    ? await d.models.Measure.findOne({ campaignKey: c.key, seq: q.slots.measureId }).lean()
    : null;
  if (!m)
    return {
      card: card({
        title: a.locale === "en" ? "No such measure" : "没有这条措施",
        template: "grey",
        elements: [
          md(
            a.locale === "en"
              ? `There is no measure #${q.slots.measureId ?? "?"}.`
              : `没有编号为 #${q.slots.measureId ?? "?"} 的整改措施。`,
          ),
        ],
      }),
    };
  const acc = await accessOf(d, a);
  const me = a.person?.key;
  const mayDetail =
    !a.group &&
    (acc.units.has(m.unitKey) || (me !== undefined && (m.ownerKey === me || m.reviewerKey === me)));
  if (mayDetail) return { card: await measureCardFor(d, String(m._id), a.person, { locale: a.locale }) };
  const today = todayOf(d, c);
  if (a.group && !(!MEASURE_DONE.includes(m.state) && m.dueDate < today)) {
    // A group sees the overdue list; any other measure is someone's own work: answered in private.
    const title = a.locale === "en" ? `Measure #${m.seq}` : `措施 #${m.seq}`;
    if (!a.person)
      return {
        card: card({
          title,
          template: "grey",
          elements: [
            md(
              a.locale === "en"
                ? "Measure details are given in a private chat, to the people of the campaign."
                : "措施详情只在私聊中提供给本次活动的人员。",
            ),
          ],
        }),
      };
    return {
      card: privateNotice(a, title),
      privateCard: (await answerMeasureDetail(d, { ...a, group: false }, q)).card,
    };
  }
  // Elsewhere: what the measure is and where it stands, without its history.
  const rows = await measureRows(d, a, {}, { _id: m._id }, { seq: 1 });
  return {
    card: measureListCard({
      v: { campaignTitle: c.title, title: a.locale === "en" ? `Measure #${m.seq}` : `措施 #${m.seq}`, rows },
      locale: a.locale,
      today,
    }),
  };
}

/**
 * 问题清单. Problem texts are part of the answers: in private, the units the asker sees plus the problems
 * they reported or own a measure of; in a group and for the rest, counts by unit.
 */
export async function answerProblems(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const c = a.campaign;
  const base = {
    campaignKey: c.key,
    withdrawn: { $ne: true },
    ...(t.units ? { unitKey: { $in: t.units } } : {}),
    ...itemFilter(t),
  };
  if (a.group) {
    const counts = await problemCounts(d, base, acc);
    return {
      card: problemCountsCard({
        v: { campaignTitle: c.title, scope: t.label, units: counts },
        locale: a.locale,
      }),
    };
  }
  const me = a.person?.key;
  const owned = me
    ? await d.models.Measure.find({ campaignKey: c.key, ownerKey: me }, { problemId: 1 }).lean()
    : [];
  const units = t.mine ? [] : detailUnits(acc, t);
  const or: Record<string, unknown>[] = [
    ...(units.length ? [{ unitKey: { $in: units } }] : []),
    ...(me ? [{ reportedByKey: me }, { _id: { $in: owned.map((m) => m.problemId) } }] : []),
  ];
  const problems = or.length
    ? await d.models.Problem.find(
        { ...base, $or: or },
        { seq: 1, text: 1, itemKey: 1, unitKey: 1, resolved: 1 },
      )
        .sort({ seq: 1 })
        .limit(1000)
        .lean()
    : [];
  const [n, measures] = await Promise.all([
    names(d, c, [], acc.all),
    d.models.Measure.find(
      { campaignKey: c.key, state: { $ne: "withdrawn" }, problemId: { $in: problems.map((p) => p._id) } },
      { problemId: 1 },
    ).lean(),
  ]);
  const count = new Map<string, number>();
  for (const m of measures) count.set(String(m.problemId), (count.get(String(m.problemId)) ?? 0) + 1);
  const result = problemListCard({
    v: {
      campaignTitle: c.title,
      scope: labelOf(a, acc, t),
      problems: problems.map((p) => ({
        seq: p.seq,
        text: p.text,
        itemTitle: c.items.find((i) => i.key === p.itemKey)?.title ?? p.itemKey,
        unitName: n.unit.get(p.unitKey) ?? p.unitKey,
        measures: count.get(String(p._id)) ?? 0,
        resolved: p.resolved,
      })),
    },
    locale: a.locale,
    emptyText:
      units.length || acc.admin
        ? undefined
        : a.locale === "en"
          ? "No problems reported by you or with a measure of yours."
          : "没有您本人查摆或负责整改的问题。",
  });
  // The units asked about (or the asker's own) that the asker does not see in detail: counts.
  const hidden = (t.units ?? (a.person && !t.mine ? [a.person.unitKey] : [])).filter(
    (u) => !acc.units.has(u),
  );
  if (hidden.length) {
    const counts = await problemCounts(
      d,
      { campaignKey: c.key, withdrawn: { $ne: true }, unitKey: { $in: hidden } },
      acc,
    );
    result.body.elements.push(
      note(
        hidden
          .map((u) => {
            const r = counts.find((x) => x.unitKey === u);
            const name = acc.all.find((x) => x.key === u)?.name ?? u;
            return problemCountLine(a.locale, name, r?.total ?? 0, r?.resolved ?? 0);
          })
          .join("\n"),
      ),
    );
  }
  return { card: result };
}

async function problemCounts(d: ServiceDeps, filter: Record<string, unknown>, acc: Access) {
  const rows = await d.models.Problem.aggregate<{ _id: string; total: number; resolved: number }>([
    { $match: filter },
    {
      $group: {
        _id: "$unitKey",
        total: { $sum: 1 },
        resolved: { $sum: { $cond: [{ $eq: ["$resolved", true] }, 1, 0] } },
      },
    },
  ]);
  const byKey = new Map(rows.map((r) => [r._id, r]));
  return acc.all
    .filter((u) => byKey.has(u.key))
    .map((u) => ({
      unitKey: u.key,
      unitName: u.name,
      total: byKey.get(u.key)!.total,
      resolved: byKey.get(u.key)!.resolved,
    }));
}

function problemCountLine(l: Locale, unit: string, total: number, resolved: number): string {
  return l === "en"
    ? `${escLine(unit, 30)}: ${total} problem(s) in all, ${resolved} resolved`
    : `${escLine(unit, 30)}共查摆问题 ${total} 个，已整改到位 ${resolved} 个`;
}

/** Where a question is answered from: the asker's campaign, or why there is none. */
export type AskerContext =
  | { kind: "campaign"; campaign: Campaign; person: Person | null }
  | { kind: "no_campaign" }
  | { kind: "not_campaign_chat" };

/**
 * The campaign a question is about. Ended campaigns stay askable (their final results): active ones
 * come first, then the newest. In a group only campaigns whose chats include that group count; in
 * private the newest campaign the asker is on, else the newest campaign.
 */
export async function askerContext(
  d: ServiceDeps,
  msg: { senderOpenId: string; chatType: "p2p" | "group"; chatId: string },
): Promise<AskerContext> {
  const group = msg.chatType === "group";
  const list = await d.models.Campaign.find({
    status: { $in: ["active", "ended"] },
    ...(group ? { "chats.chatId": msg.chatId } : {}),
  }).lean();
  if (!list.length) return group ? { kind: "not_campaign_chat" } : { kind: "no_campaign" };
  const time = (c: Campaign) => (c.startedAt ?? c.updatedAt ?? new Date(0)).getTime();
  list.sort((x, y) => Number(y.status === "active") - Number(x.status === "active") || time(y) - time(x));
  const people = await d.models.Person.find({
    openId: msg.senderOpenId,
    campaignKey: { $in: list.map((c) => c.key) },
  }).lean();
  const campaign = list.find((c) => people.some((p) => p.campaignKey === c.key)) ?? list[0];
  return { kind: "campaign", campaign, person: people.find((p) => p.campaignKey === campaign.key) ?? null };
}

/** A group that is none of a campaign's chats gets no campaign data: a short refusal. */
export function notCampaignChat(locale: Locale): Card {
  return card({
    title: locale === "en" ? "Not available in this chat" : "本群无法查询",
    template: "grey",
    elements: [
      md(
        locale === "en"
          ? "This group is not a chat of a self-check campaign, so I cannot answer about one here. If you take part in a campaign, ask me in a private chat."
          : "本群不是专项整治自查活动的工作群，不能在此查询活动情况。如您参加了活动，请私聊我查询。",
      ),
    ],
  });
}

/** An ended campaign's answers are its final results: said on every answer card. */
export function withCampaignState(answer: Answer, c: Campaign, locale: Locale): Answer {
  if (c.status !== "ended") return answer;
  const on = c.endedAt ? todayIn(c.timezone, c.endedAt) : c.endDate;
  const text =
    locale === "en"
      ? `This campaign ended${on ? ` on ${on}` : ""}: these are its final results.`
      : `本次活动已${on ? `于 ${on} ` : ""}结束，以上为最终结果。`;
  for (const x of [answer.card, answer.privateCard]) x?.body.elements.push(note(text));
  return answer;
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
