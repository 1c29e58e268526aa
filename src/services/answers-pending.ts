// Answers about filling in: who has not filled in, progress, one checklist item.
import { itemStatusCard, pendingCard, pendingCountsCard } from "../../cards/answer-cards";
import { helpCard } from "../../cards/help-card";
import { escLine, note } from "../../cards/kit";
import { summaryCard } from "../../cards/summary-card";
import { type Locale } from "../domain/types";
import type { ParsedIntent } from "../intent/index";
import {
  accessOf,
  detailUnits,
  itemFilter,
  names,
  targetOf,
  todayOf,
  type Access,
  type Answer,
  type Asker,
} from "./answer-scope";
import type { ServiceDeps } from "./context";
import { computeSummary } from "./summary";

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
