import type { SummaryView } from "../../cards/view-types";
import { MEASURE_DONE } from "../domain/types";
import { daysBetween, formatDateTime, todayIn } from "../time";
import { loadCampaign, type ServiceDeps } from "./context";
import { followUpCounts } from "./follow-up";

/**
 * The numbers of a progress broadcast, straight from the database at this moment: answered assignments,
 * closed measures, by section and by unit, the overdue measures, and measures closed since `since`.
 * `unitKeys` scopes it (a leader's units), `sectionKeys` to sections (their assignments, and the measures of
 * their items). Overdue is derived from the due date, never stored. Counting
 * happens in the database (one $group each), not by shipping every assignment to the bot.
 */
export async function computeSummary(
  d: ServiceDeps,
  campaignKey: string,
  opts: {
    unitKeys?: string[];
    sectionKeys?: string[];
    since?: Date | null;
    scope?: string;
    withNewlyClosed?: boolean;
  } = {},
): Promise<SummaryView> {
  const c = await loadCampaign(d, campaignKey);
  const today = todayIn(c.timezone, d.now());
  const sections = opts.sectionKeys;
  const itemKeys = sections ? c.items.filter((i) => sections.includes(i.sectionKey)).map((i) => i.key) : [];
  const unitFilter = {
    ...(opts.unitKeys ? { unitKey: { $in: opts.unitKeys } } : {}),
    ...(sections ? { itemKey: { $in: itemKeys } } : {}),
  };
  const [units, aCounts, mCounts, overdueList, closedList, fu] = await Promise.all([
    d.models.Unit.find(
      { campaignKey, ...(opts.unitKeys ? { key: { $in: opts.unitKeys } } : {}) },
      { key: 1, name: 1 },
    )
      .sort({ order: 1 })
      .lean(),
    countAssignments(d, { campaignKey, withdrawn: false, ...unitFilter }, today),
    d.models.Measure.aggregate<{ _id: string; total: number; closed: number }>([
      { $match: { campaignKey, ...unitFilter, state: { $ne: "withdrawn" } } },
      {
        $group: {
          _id: "$unitKey",
          total: { $sum: 1 },
          closed: { $sum: { $cond: [{ $eq: ["$state", "closed"] }, 1, 0] } },
        },
      },
    ]),
    d.models.Measure.find(
      { campaignKey, ...unitFilter, state: { $nin: MEASURE_DONE }, dueDate: { $lt: today } },
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
    sections ? undefined : followUpCounts(d, c, opts.unitKeys),
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
  const allSections = [...aCounts.bySection.values()];
  const measureCounts = new Map(mCounts.map((x) => [x._id, x]));
  const overdueByUnit = new Map<string, number>();
  for (const m of overdueList) overdueByUnit.set(m.unitKey, (overdueByUnit.get(m.unitKey) ?? 0) + 1);
  return {
    campaignTitle: c.title,
    asOf: formatDateTime(d.now(), c.timezone),
    scope: opts.scope,
    assignments: {
      done: sum(allSections, (x) => x.done),
      total: sum(allSections, (x) => x.total),
      overdue: sum(allSections, (x) => x.overdue),
    },
    measures: {
      closed: sum(mCounts, (x) => x.closed),
      total: sum(mCounts, (x) => x.total),
      overdue: overdue.length,
    },
    sections: c.sections
      .filter((sec) => !sections || sections.includes(sec.key))
      .map((sec) => {
        const a = aCounts.bySection.get(sec.key);
        return { code: sec.code, done: a?.done ?? 0, total: a?.total ?? 0 };
      }),
    units: units.map((u) => {
      const a = aCounts.byUnit.get(u.key);
      const ms = measureCounts.get(u.key);
      return {
        name: u.name,
        done: a?.done ?? 0,
        total: a?.total ?? 0,
        measuresClosed: ms?.closed ?? 0,
        measuresTotal: ms?.total ?? 0,
        overdue: (a?.overdue ?? 0) + (overdueByUnit.get(u.key) ?? 0),
      };
    }),
    overdue,
    newlyClosed: closedList?.map((m) => ({
      seq: m.seq,
      content: m.content,
      ownerName: name.get(m.ownerKey) ?? m.ownerKey,
      unitName: unitName.get(m.unitKey) ?? m.unitKey,
    })),
    ...(fu ? { followUps: { due: fu.due, done: fu.done, relapsed: fu.relapsed } } : {}),
  };
}

/**
 * Assignment counts by unit and by section: totals with the answered ones counted by `$cond`, and the
 * overdue ones (pending past their due date) grouped the same way. Four small `$group`s, a few hundred
 * rows in all, instead of one row per unit × section × state.
 */
async function countAssignments(d: ServiceDeps, filter: Record<string, unknown>, today: string) {
  type Counts = { _id: string; total: number; done: number };
  const counts = (by: string) =>
    d.models.Assignment.aggregate<Counts>([
      { $match: filter },
      {
        $group: {
          _id: by,
          total: { $sum: 1 },
          done: { $sum: { $cond: [{ $eq: ["$state", "submitted"] }, 1, 0] } },
        },
      },
    ]);
  const late = (by: string) =>
    d.models.Assignment.aggregate<{ _id: string; n: number }>([
      { $match: { ...filter, state: "pending", dueDate: { $lt: today } } },
      { $group: { _id: by, n: { $sum: 1 } } },
    ]);
  const [byUnit, bySection, lateByUnit, lateBySection] = await Promise.all([
    counts("$unitKey"),
    counts("$sectionKey"),
    late("$unitKey"),
    late("$sectionKey"),
  ]);
  const merge = (rows: Counts[], lateRows: { _id: string; n: number }[]) => {
    const out = new Map<string, { total: number; done: number; overdue: number }>();
    for (const r of rows) out.set(r._id, { total: r.total, done: r.done, overdue: 0 });
    for (const r of lateRows) {
      const g = out.get(r._id);
      if (g) g.overdue = r.n;
    }
    return out;
  };
  return { byUnit: merge(byUnit, lateByUnit), bySection: merge(bySection, lateBySection) };
}
