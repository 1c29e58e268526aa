import { MEASURE_DONE } from "../../domain/types";
import { notFound } from "../../errors";
import type { WorkCalendar } from "../../calendar";
import type { Models } from "../../repositories/models";
import { daysBetween, todayIn } from "../../time";
import { type CampaignAccess, forbiddenPage, scopeFilter } from "./access";

/**
 * The console's pages as plain data, read from the database at this moment and scoped by the viewer's
 * access. Counting happens in the database ($group), lists are paged; overdue is derived from the due
 * date (red), and "due soon" means within 3 working days of today (yellow), on the working-day calendar.
 */
export interface PageDeps {
  models: Models;
  now: () => Date;
  calendar: WorkCalendar;
}

export const DUE_SOON_WORKING_DAYS = 3;
export type Light = "red" | "yellow" | "green";

export interface Counts {
  total: number;
  done: number;
  overdue: number;
  soon: number;
}
const zero = (): Counts => ({ total: 0, done: 0, overdue: 0, soon: 0 });
export const lightOf = (a: Counts, m: Counts): Light =>
  a.overdue + m.overdue > 0 ? "red" : a.soon + m.soon > 0 ? "yellow" : "green";

async function campaignOf(d: PageDeps, key: string) {
  const c = await d.models.Campaign.findOne({ key }).lean();
  if (!c) throw notFound("活动不存在。", "No such campaign.");
  return c;
}

export function daysOf(d: PageDeps, timezone: string) {
  const today = todayIn(timezone, d.now());
  return { today, soonUntil: d.calendar.addWorkingDays(today, DUE_SOON_WORKING_DAYS) };
}

/**
 * Counts by unit and by a second key (section for assignments, item for measures), state and due date:
 * one `$group` on field paths only, folded here. (Grouping on plain fields is cheap in every store;
 * per-document `$cond` expressions were ten times slower on the embedded one.) A few thousand rows at
 * most: units × items × states × distinct due dates.
 */
interface CountRow {
  _id: { u: string; g: string; st: string; due: string };
  n: number;
}

async function countRows(d: PageDeps, kind: "a" | "m", match: Record<string, unknown>): Promise<CountRow[]> {
  const model = (kind === "a" ? d.models.Assignment : d.models.Measure) as typeof d.models.Assignment;
  return model.aggregate<CountRow>([
    { $match: match },
    {
      $group: {
        _id: { u: "$unitKey", g: kind === "a" ? "$sectionKey" : "$itemKey", st: "$state", due: "$dueDate" },
        n: { $sum: 1 },
      },
    },
  ]);
}

const DONE_STATE = { a: "submitted", m: "closed" } as const;
const isOpen = (kind: "a" | "m", st: string) =>
  kind === "a" ? st === "pending" : !(MEASURE_DONE as string[]).includes(st);

/** Folds count rows into Counts per `keyOf(row)` (undefined: not counted). */
function fold(
  kind: "a" | "m",
  rows: CountRow[],
  days: { today: string; soonUntil: string },
  keyOf: (r: CountRow["_id"]) => string | undefined,
): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const { _id: r, n } of rows) {
    const k = keyOf(r);
    if (k === undefined) continue;
    let c = out.get(k);
    if (!c) out.set(k, (c = zero()));
    c.total += n;
    if (r.st === DONE_STATE[kind]) c.done += n;
    if (isOpen(kind, r.st)) {
      if (r.due < days.today) c.overdue += n;
      else if (r.due <= days.soonUntil) c.soon += n;
    }
  }
  return out;
}

const add = (a: Counts, b: Counts | undefined): Counts =>
  b
    ? {
        total: a.total + b.total,
        done: a.done + b.done,
        overdue: a.overdue + b.overdue,
        soon: a.soon + b.soon,
      }
    : a;

export async function campaignList(d: PageDeps, openId: string) {
  const people = await d.models.Person.find({ openId }, { campaignKey: 1 }).lean();
  const keys = [...new Set(people.map((p) => p.campaignKey))];
  const campaigns = await d.models.Campaign.find(
    { key: { $in: keys } },
    { key: 1, title: 1, status: 1, startDate: 1, endDate: 1, timezone: 1 },
  )
    .sort({ startDate: -1 })
    .lean();
  return campaigns;
}

/** Counts of one campaign for the list page, within the viewer's units (a member: their own items). */
export async function campaignCounts(d: PageDeps, a: CampaignAccess, timezone: string) {
  const days = daysOf(d, timezone);
  const [as, ms] = await Promise.all([
    countRows(d, "a", { ...scopeFilter(a, "assigneeKey"), withdrawn: false }),
    countRows(d, "m", { ...scopeFilter(a, "ownerKey"), state: { $ne: "withdrawn" } }),
  ]);
  const all = () => "all";
  return {
    assignments: fold("a", as, days, all).get("all") ?? zero(),
    measures: fold("m", ms, days, all).get("all") ?? zero(),
  };
}

/** The progress page: by section and by unit, assignments and measures, each with its traffic light. */
export async function progress(d: PageDeps, a: CampaignAccess) {
  const c = await campaignOf(d, a.campaignKey);
  const days = daysOf(d, c.timezone);
  // Aggregates of the viewer's units (a member sees their unit's numbers, never its people's rows).
  const unitScope = { campaignKey: c.key, ...(a.units ? { unitKey: { $in: a.units } } : {}) };
  const [units, aRows, mRows] = await Promise.all([
    d.models.Unit.find(
      { campaignKey: c.key, ...(a.units ? { key: { $in: a.units } } : {}) },
      { key: 1, name: 1 },
    )
      .sort({ order: 1, key: 1 })
      .lean(),
    countRows(d, "a", { ...unitScope, withdrawn: false }),
    countRows(d, "m", { ...unitScope, state: { $ne: "withdrawn" } }),
  ]);
  const sectionOfItem = new Map(c.items.map((i) => [i.key, i.sectionKey]));
  const aByUnit = fold("a", aRows, days, (r) => r.u);
  const aBySection = fold("a", aRows, days, (r) => r.g);
  const mByUnit = fold("m", mRows, days, (r) => r.u);
  const mBySection = fold("m", mRows, days, (r) => sectionOfItem.get(r.g) ?? "");
  const row = (key: string, name: string, ac: Map<string, Counts>, mc: Map<string, Counts>) => {
    const as = ac.get(key) ?? zero();
    const ms = mc.get(key) ?? zero();
    return { key, name, assignments: as, measures: ms, light: lightOf(as, ms) };
  };
  const sections = c.sections.map((s) => row(s.key, `${s.code} ${s.title}`, aBySection, mBySection));
  const unitRows = units.map((u) => row(u.key, u.name, aByUnit, mByUnit));
  const total = {
    assignments: [...aByUnit.values()].reduce(add, zero()),
    measures: [...mByUnit.values()].reduce(add, zero()),
  };
  return { campaign: c, days, sections, units: unitRows, total };
}

export interface ListRow {
  kind: "assignment" | "measure";
  id: string;
  seq?: number;
  title: string;
  unitName: string;
  personName: string;
  dueDate: string;
  /** Calendar days past due (overdue) or working days left (due soon). */
  days: number;
  state: string;
}

async function namesOf(d: PageDeps, campaignKey: string, units: string[], people: string[]) {
  const [us, ps] = await Promise.all([
    d.models.Unit.find({ campaignKey, key: { $in: [...new Set(units)] } }, { key: 1, name: 1 }).lean(),
    d.models.Person.find({ campaignKey, key: { $in: [...new Set(people)] } }, { key: 1, name: 1 }).lean(),
  ]);
  return {
    unit: new Map(us.map((u) => [u.key, u.name])),
    person: new Map(ps.map((p) => [p.key, p.name])),
  };
}

/** Each list shows its most urgent rows; the ledger's 只看逾期 filter has them all. */
export const LIST_LIMIT = 100;

/** The overdue and the due-soon lists: pending assignments and open measures, most urgent first. */
export async function dueLists(d: PageDeps, a: CampaignAccess) {
  const c = await campaignOf(d, a.campaignKey);
  const days = daysOf(d, c.timezone);
  const aScope = { ...scopeFilter(a, "assigneeKey"), withdrawn: false, state: "pending" as const };
  const mScope = { ...scopeFilter(a, "ownerKey"), state: { $nin: MEASURE_DONE } };
  const late = { $lt: days.today };
  const soon = { $gte: days.today, $lte: days.soonUntil };
  const aFields = { itemKey: 1, unitKey: 1, assigneeKey: 1, dueDate: 1, state: 1 };
  const mFields = { seq: 1, content: 1, unitKey: 1, ownerKey: 1, dueDate: 1, state: 1 };
  const [aLate, mLate, aSoon, mSoon] = await Promise.all([
    d.models.Assignment.find({ ...aScope, dueDate: late }, aFields)
      .sort({ dueDate: 1 })
      .limit(LIST_LIMIT)
      .lean(),
    d.models.Measure.find({ ...mScope, dueDate: late }, mFields)
      .sort({ dueDate: 1 })
      .limit(LIST_LIMIT)
      .lean(),
    d.models.Assignment.find({ ...aScope, dueDate: soon }, aFields)
      .sort({ dueDate: 1 })
      .limit(LIST_LIMIT)
      .lean(),
    d.models.Measure.find({ ...mScope, dueDate: soon }, mFields)
      .sort({ dueDate: 1 })
      .limit(LIST_LIMIT)
      .lean(),
  ]);
  // Counted only when a list is cut at the limit.
  const count = async (list: unknown[], q: () => Promise<number>) =>
    list.length < LIST_LIMIT ? list.length : q();
  const [aLateN, mLateN, aSoonN, mSoonN] = await Promise.all([
    count(aLate, () => d.models.Assignment.countDocuments({ ...aScope, dueDate: late })),
    count(mLate, () => d.models.Measure.countDocuments({ ...mScope, dueDate: late })),
    count(aSoon, () => d.models.Assignment.countDocuments({ ...aScope, dueDate: soon })),
    count(mSoon, () => d.models.Measure.countDocuments({ ...mScope, dueDate: soon })),
  ]);
  const allA = [...aLate, ...aSoon];
  const allM = [...mLate, ...mSoon];
  const n = await namesOf(
    d,
    c.key,
    [...allA, ...allM].map((x) => x.unitKey),
    [...allA.map((x) => x.assigneeKey), ...allM.map((x) => x.ownerKey)],
  );
  const itemTitle = new Map(c.items.map((i) => [i.key, i.title]));
  const aRow = (x: (typeof allA)[number], overdue: boolean): ListRow => ({
    kind: "assignment",
    id: String(x._id),
    title: itemTitle.get(x.itemKey) ?? x.itemKey,
    unitName: n.unit.get(x.unitKey) ?? x.unitKey,
    personName: n.person.get(x.assigneeKey) ?? x.assigneeKey,
    dueDate: x.dueDate,
    days: overdue ? daysBetween(x.dueDate, days.today) : d.calendar.workingDaysBetween(days.today, x.dueDate),
    state: x.state,
  });
  const mRow = (x: (typeof allM)[number], overdue: boolean): ListRow => ({
    kind: "measure",
    id: String(x._id),
    seq: x.seq,
    title: x.content,
    unitName: n.unit.get(x.unitKey) ?? x.unitKey,
    personName: n.person.get(x.ownerKey) ?? x.ownerKey,
    dueDate: x.dueDate,
    days: overdue ? daysBetween(x.dueDate, days.today) : d.calendar.workingDaysBetween(days.today, x.dueDate),
    state: x.state,
  });
  const byDue = (p: ListRow, q: ListRow) => p.dueDate.localeCompare(q.dueDate) || (p.seq ?? 0) - (q.seq ?? 0);
  return {
    campaign: c,
    days,
    overdue: [...aLate.map((x) => aRow(x, true)), ...mLate.map((x) => mRow(x, true))].sort(byDue),
    soon: [...aSoon.map((x) => aRow(x, false)), ...mSoon.map((x) => mRow(x, false))].sort(byDue),
    counts: { overdue: aLateN + mLateN, soon: aSoonN + mSoonN },
  };
}

export interface LedgerQuery {
  unit?: string;
  section?: string;
  state?: string;
  overdue?: boolean;
  page: number;
}
export const LEDGER_PAGE = 100;
export const MEASURE_STATES = ["open", "in_progress", "closure_requested", "closed"] as const;

/** The ledger: measures with their problem, owner and due date; filters by unit, section, state, overdue. */
export async function ledger(d: PageDeps, a: CampaignAccess, q: LedgerQuery) {
  const c = await campaignOf(d, a.campaignKey);
  const days = daysOf(d, c.timezone);
  if (q.unit && a.units && !a.units.includes(q.unit)) throw forbiddenPage();
  const filter: Record<string, unknown> = { ...scopeFilter(a, "ownerKey"), state: { $ne: "withdrawn" } };
  if (q.unit) filter.unitKey = q.unit;
  if (q.section)
    filter.itemKey = { $in: c.items.filter((i) => i.sectionKey === q.section).map((i) => i.key) };
  if (q.state && (MEASURE_STATES as readonly string[]).includes(q.state)) filter.state = q.state;
  if (q.overdue) {
    filter.dueDate = { $lt: days.today };
    if (!q.state) filter.state = { $nin: MEASURE_DONE };
    else if ((MEASURE_DONE as string[]).includes(q.state)) filter.state = "__none__";
  }
  const [rows, total, unitList] = await Promise.all([
    d.models.Measure.find(filter, {
      seq: 1,
      content: 1,
      unitKey: 1,
      ownerKey: 1,
      itemKey: 1,
      dueDate: 1,
      state: 1,
      percent: 1,
      problemId: 1,
    })
      .sort({ seq: 1 })
      .skip((q.page - 1) * LEDGER_PAGE)
      .limit(LEDGER_PAGE)
      .lean(),
    d.models.Measure.countDocuments(filter),
    d.models.Unit.find(
      { campaignKey: c.key, ...(a.units ? { key: { $in: a.units } } : {}) },
      { key: 1, name: 1 },
    )
      .sort({ order: 1, key: 1 })
      .lean(),
  ]);
  const [n, problems] = await Promise.all([
    namesOf(
      d,
      c.key,
      rows.map((r) => r.unitKey),
      rows.map((r) => r.ownerKey),
    ),
    d.models.Problem.find({ _id: { $in: rows.map((r) => r.problemId) } }, { text: 1 }).lean(),
  ]);
  const problemText = new Map(problems.map((p) => [String(p._id), p.text]));
  const itemTitle = new Map(c.items.map((i) => [i.key, i.title]));
  return {
    campaign: c,
    days,
    units: unitList,
    total,
    pages: Math.max(1, Math.ceil(total / LEDGER_PAGE)),
    rows: rows.map((r) => ({
      seq: r.seq,
      content: r.content,
      problem: problemText.get(String(r.problemId)) ?? "",
      item: itemTitle.get(r.itemKey) ?? r.itemKey,
      unitName: n.unit.get(r.unitKey) ?? r.unitKey,
      ownerName: n.person.get(r.ownerKey) ?? r.ownerKey,
      dueDate: r.dueDate,
      state: r.state,
      percent: r.percent ?? 0,
      overdue: !(MEASURE_DONE as string[]).includes(r.state) && r.dueDate < days.today,
      soon:
        !(MEASURE_DONE as string[]).includes(r.state) &&
        r.dueDate >= days.today &&
        r.dueDate <= days.soonUntil,
    })),
  };
}

/** One measure's history: progress updates, extensions, send-backs and closure, oldest first. */
export async function measureHistory(d: PageDeps, a: CampaignAccess, seq: number) {
  const c = await campaignOf(d, a.campaignKey);
  const m = await d.models.Measure.findOne({ campaignKey: c.key, seq }).lean();
  if (!m || m.state === "withdrawn") throw notFound("没有这项整改措施。", "No such measure.");
  if ((a.units && !a.units.includes(m.unitKey)) || (a.self && m.ownerKey !== a.self)) throw forbiddenPage();
  const [problem, progressRows, audits] = await Promise.all([
    d.models.Problem.findById(m.problemId, { text: 1 }).lean(),
    d.models.ProgressUpdate.find({ measureId: m._id }).sort({ createdAt: 1 }).lean(),
    d.models.AuditEntry.find({ campaignKey: c.key, entity: "measure", entityId: String(m._id) })
      .sort({ at: 1 })
      .lean(),
  ]);
  const n = await namesOf(
    d,
    c.key,
    [m.unitKey],
    [
      m.ownerKey,
      m.reviewerKey ?? "",
      ...progressRows.map((p) => p.byKey),
      ...audits.map((x) => x.byKey ?? ""),
    ],
  );
  // Same-moment entries in the order they happen: proposed, started, progress notes, then the rest.
  const rank: Record<string, number> = { create: 0, start: 1, progress: 2 };
  const events = [
    ...progressRows.map((p) => ({
      at: p.at ?? p.createdAt,
      kind: "progress",
      note: p.note,
      percent: p.percent ?? undefined,
      evidence: p.evidence ?? undefined,
      by: n.person.get(p.byKey) ?? p.byKey,
    })),
    ...audits
      .filter((x) => x.action !== "progress")
      .map((x) => ({
        at: x.at,
        kind: x.action,
        // States for transitions, dates for extensions: the template words the states.
        from: x.from ?? undefined,
        to: x.to ?? undefined,
        reason: x.reason ?? undefined,
        by: x.byKey ? (n.person.get(x.byKey) ?? x.byKey) : "",
      })),
  ].sort(
    (p, q) =>
      new Date(p.at as Date).getTime() - new Date(q.at as Date).getTime() ||
      (rank[p.kind] ?? 3) - (rank[q.kind] ?? 3),
  );
  return {
    campaign: c,
    measure: {
      seq: m.seq,
      content: m.content,
      problem: problem?.text ?? "",
      unitName: n.unit.get(m.unitKey) ?? m.unitKey,
      ownerName: n.person.get(m.ownerKey) ?? m.ownerKey,
      reviewerName: m.reviewerKey ? (n.person.get(m.reviewerKey) ?? m.reviewerKey) : "",
      dueDate: m.dueDate,
      originalDueDate: m.originalDueDate,
      state: m.state,
      percent: m.percent ?? 0,
    },
    events,
  };
}

/** Who has not answered: people with pending assignments, most overdue first. */
export async function notAnswered(d: PageDeps, a: CampaignAccess) {
  const c = await campaignOf(d, a.campaignKey);
  const days = daysOf(d, c.timezone);
  // Two groups on field paths only (no per-document expressions): pending per person, overdue per person.
  const pending = { ...scopeFilter(a, "assigneeKey"), withdrawn: false, state: "pending" as const };
  const [all, late] = await Promise.all([
    d.models.Assignment.aggregate<{ _id: { a: string; u: string }; n: number; firstDue: string }>([
      { $match: pending },
      {
        $group: { _id: { a: "$assigneeKey", u: "$unitKey" }, n: { $sum: 1 }, firstDue: { $min: "$dueDate" } },
      },
    ]),
    d.models.Assignment.aggregate<{ _id: string; n: number }>([
      { $match: { ...pending, dueDate: { $lt: days.today } } },
      { $group: { _id: "$assigneeKey", n: { $sum: 1 } } },
    ]),
  ]);
  const lateOf = new Map(late.map((r) => [r._id, r.n]));
  const byPerson = new Map<
    string,
    { _id: string; unitKey: string; pending: number; overdue: number; firstDue: string }
  >();
  for (const r of all) {
    const p = byPerson.get(r._id.a);
    if (p) {
      p.pending += r.n;
      if (r.firstDue < p.firstDue) p.firstDue = r.firstDue;
    } else
      byPerson.set(r._id.a, {
        _id: r._id.a,
        unitKey: r._id.u,
        pending: r.n,
        overdue: lateOf.get(r._id.a) ?? 0,
        firstDue: r.firstDue,
      });
  }
  const rows = [...byPerson.values()];
  rows.sort(
    (p, q) => q.overdue - p.overdue || p.firstDue.localeCompare(q.firstDue) || p._id.localeCompare(q._id),
  );
  const shown = rows.slice(0, LIST_LIMIT);
  const n = await namesOf(
    d,
    c.key,
    shown.map((r) => r.unitKey),
    shown.map((r) => r._id),
  );
  return {
    campaign: c,
    days,
    total: rows.length,
    rows: shown.map((r) => ({
      name: n.person.get(r._id) ?? r._id,
      unitName: n.unit.get(r.unitKey) ?? r.unitKey,
      pending: r.pending,
      overdue: r.overdue,
      firstDue: r.firstDue,
    })),
  };
}

/** One unit's assignments (a member: only their own). */
export async function unitPage(d: PageDeps, a: CampaignAccess, unitKey: string) {
  const c = await campaignOf(d, a.campaignKey);
  const days = daysOf(d, c.timezone);
  if (a.units && !a.units.includes(unitKey)) throw forbiddenPage();
  const unit = await d.models.Unit.findOne({ campaignKey: c.key, key: unitKey }, { key: 1, name: 1 }).lean();
  if (!unit) throw notFound("没有这个单位。", "No such unit.");
  const rows = await d.models.Assignment.find(
    { campaignKey: c.key, unitKey, withdrawn: false, ...(a.self ? { assigneeKey: a.self } : {}) },
    { itemKey: 1, sectionKey: 1, assigneeKey: 1, dueDate: 1, state: 1, submittedAt: 1 },
  )
    .sort({ sectionKey: 1, itemKey: 1, assigneeKey: 1 })
    .limit(2000)
    .lean();
  const n = await namesOf(
    d,
    c.key,
    [],
    rows.map((r) => r.assigneeKey),
  );
  const itemTitle = new Map(c.items.map((i) => [i.key, i.title]));
  return {
    campaign: c,
    days,
    unit,
    rows: rows.map((r) => ({
      item: itemTitle.get(r.itemKey) ?? r.itemKey,
      personName: n.person.get(r.assigneeKey) ?? r.assigneeKey,
      dueDate: r.dueDate,
      state: r.state,
      overdue: r.state === "pending" && r.dueDate < days.today,
      soon: r.state === "pending" && r.dueDate >= days.today && r.dueDate <= days.soonUntil,
    })),
  };
}
