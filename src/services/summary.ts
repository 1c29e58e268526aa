import type { SummaryView } from "../../cards/view-types";
import { daysBetween, formatDateTime, todayIn } from "../time";
import { loadCampaign, type ServiceDeps } from "./context";

/**
 * The numbers of a progress broadcast, straight from the database at this moment: answered assignments,
 * closed measures, by section and by unit, the overdue measures, and measures closed since `since`.
 * `unitKeys` scopes it (a leader's units). Overdue is derived from the due date, never stored. Counting
 * happens in the database (one $group each), not by shipping every assignment to the bot.
 */
export async function computeSummary(
  d: ServiceDeps,
  campaignKey: string,
  opts: { unitKeys?: string[]; since?: Date | null; scope?: string; withNewlyClosed?: boolean } = {},
): Promise<SummaryView> {
  const c = await loadCampaign(d, campaignKey);
  const today = todayIn(c.timezone, d.now());
  const unitFilter = opts.unitKeys ? { unitKey: { $in: opts.unitKeys } } : {};
  const [units, aCounts, mCounts, overdueList, closedList] = await Promise.all([
    d.models.Unit.find(
      { campaignKey, ...(opts.unitKeys ? { key: { $in: opts.unitKeys } } : {}) },
      { key: 1, name: 1 },
    )
      .sort({ order: 1 })
      .lean(),
    countAssignments(d, { campaignKey, withdrawn: false, ...unitFilter }, today),
    d.models.Measure.aggregate<{ _id: string; total: number; closed: number }>([
      { $match: { campaignKey, ...unitFilter } },
      {
        $group: {
          _id: "$unitKey",
          total: { $sum: 1 },
          closed: { $sum: { $cond: [{ $eq: ["$state", "closed"] }, 1, 0] } },
        },
      },
    ]),
    d.models.Measure.find(
      { campaignKey, ...unitFilter, state: { $ne: "closed" }, dueDate: { $lt: today } },
      { seq: 1, content: 1, ownerKey: 1, unitKey: 1, dueDate: 1, state: 1 },
    ).lean(),
    // A broadcast lists what was closed since the last one; a chat answer is "where things stand".
    opts.withNewlyClosed === false
      ? undefined
      : d.models.Measure.find(
          {
            campaignKey,
            ...unitFilter,
            state: "closed",
            ...(opts.since ? { closedAt: { $gt: opts.since } } : {}),
          },
          { seq: 1, content: 1, ownerKey: 1, unitKey: 1 },
        )
          .sort({ seq: 1 })
          .limit(500)
          .lean(),
  ]);
  // Names only for the rows a card can show (most overdue first; the rest are counted, not listed).
  overdueList.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.seq - b.seq);
  const wanted = [
    ...new Set([...overdueList.slice(0, 100), ...(closedList ?? []).slice(0, 100)].map((m) => m.ownerKey)),
  ];
  const people = wanted.length
    ? await d.models.Person.find({ campaignKey, key: { $in: wanted } }, { key: 1, name: 1 }).lean()
    : [];
  const name = new Map(people.map((p) => [p.key, p.name]));
  const unitName = new Map(units.map((u) => [u.key, u.name]));
  const sum = <T>(list: T[], f: (x: T) => number) => list.reduce((n, x) => n + f(x), 0);
  const overdue = overdueList
    .map((m) => ({
      seq: m.seq,
      content: m.content,
      ownerName: name.get(m.ownerKey) ?? m.ownerKey,
      unitName: unitName.get(m.unitKey) ?? m.unitKey,
      dueDate: m.dueDate,
      daysOverdue: daysBetween(m.dueDate, today),
      state: m.state,
    }))
    .sort((a, b) => b.daysOverdue - a.daysOverdue || a.seq - b.seq);
  const overdueByUnit = new Map<string, number>();
  for (const m of overdueList) overdueByUnit.set(m.unitKey, (overdueByUnit.get(m.unitKey) ?? 0) + 1);
  return {
    campaignTitle: c.title,
    asOf: formatDateTime(d.now(), c.timezone),
    scope: opts.scope,
    assignments: {
      done: sum(aCounts, (x) => x.done),
      total: sum(aCounts, (x) => x.total),
      overdue: sum(aCounts, (x) => x.overdue),
    },
    measures: {
      closed: sum(mCounts, (x) => x.closed),
      total: sum(mCounts, (x) => x.total),
      overdue: overdue.length,
    },
    sections: c.sections.map((sec) => {
      const list = aCounts.filter((x) => x._id.s === sec.key);
      return { code: sec.code, done: sum(list, (x) => x.done), total: sum(list, (x) => x.total) };
    }),
    units: units.map((u) => {
      const list = aCounts.filter((x) => x._id.u === u.key);
      const ms = mCounts.find((x) => x._id === u.key);
      return {
        name: u.name,
        done: sum(list, (x) => x.done),
        total: sum(list, (x) => x.total),
        measuresClosed: ms?.closed ?? 0,
        measuresTotal: ms?.total ?? 0,
        overdue: sum(list, (x) => x.overdue) + (overdueByUnit.get(u.key) ?? 0),
      };
    }),
    overdue,
    newlyClosed: closedList?.map((m) => ({
      seq: m.seq,
      content: m.content,
      ownerName: name.get(m.ownerKey) ?? m.ownerKey,
      unitName: unitName.get(m.unitKey) ?? m.unitKey,
    })),
  };
}

/**
 * Assignment counts by unit and section: two plain $groups (by state; and the overdue ones), which the
 * embedded store runs several times faster than one $group with $cond per document.
 */
async function countAssignments(d: ServiceDeps, filter: Record<string, unknown>, today: string) {
  const [byState, late] = await Promise.all([
    d.models.Assignment.aggregate<{ _id: { u: string; s: string; st: string }; n: number }>([
      { $match: filter },
      { $group: { _id: { u: "$unitKey", s: "$sectionKey", st: "$state" }, n: { $sum: 1 } } },
    ]),
    d.models.Assignment.aggregate<{ _id: { u: string; s: string }; n: number }>([
      { $match: { ...filter, state: "pending", dueDate: { $lt: today } } },
      { $group: { _id: { u: "$unitKey", s: "$sectionKey" }, n: { $sum: 1 } } },
    ]),
  ]);
  const groups = new Map<
    string,
    { _id: { u: string; s: string }; total: number; done: number; overdue: number }
  >();
  const at = (u: string, s: string) => {
    const k = `${u}\u0000${s}`;
    const g = groups.get(k) ?? { _id: { u, s }, total: 0, done: 0, overdue: 0 };
    groups.set(k, g);
    return g;
  };
  for (const r of byState) {
    const g = at(r._id.u, r._id.s);
    g.total += r.n;
    if (r._id.st === "submitted") g.done += r.n;
  }
  for (const r of late) at(r._id.u, r._id.s).overdue += r.n;
  return [...groups.values()];
}
