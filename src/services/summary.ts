import type { SummaryView } from "../../cards/view-types";
import { formatDateTime, todayIn, daysBetween } from "../time";
import { loadCampaign, type ServiceDeps } from "./context";

/**
 * The numbers of a progress broadcast, straight from the database at this moment: answered assignments,
 * closed measures, by section and by unit, the overdue measures, and measures closed since `since`.
 * `unitKeys` scopes it (a leader's units). Overdue is derived from the due date, never stored.
 */
export async function computeSummary(
  d: ServiceDeps,
  campaignKey: string,
  opts: { unitKeys?: string[]; since?: Date | null; scope?: string } = {},
): Promise<SummaryView> {
  const c = await loadCampaign(d, campaignKey);
  const today = todayIn(c.timezone, d.now());
  const unitFilter = opts.unitKeys ? { unitKey: { $in: opts.unitKeys } } : {};
  const [units, assignments, measures, people] = await Promise.all([
    d.models.Unit.find({ campaignKey, ...(opts.unitKeys ? { key: { $in: opts.unitKeys } } : {}) }).sort({ order: 1 }).lean(),
    d.models.Assignment.find({ campaignKey, withdrawn: false, ...unitFilter }, { state: 1, unitKey: 1, sectionKey: 1, dueDate: 1 }).lean(),
    d.models.Measure.find({ campaignKey, ...unitFilter }, { seq: 1, content: 1, ownerKey: 1, unitKey: 1, dueDate: 1, state: 1, closedAt: 1 }).lean(),
    d.models.Person.find({ campaignKey }, { key: 1, name: 1 }).lean(),
  ]);
  const name = new Map(people.map((p) => [p.key, p.name]));
  const unitName = new Map(units.map((u) => [u.key, u.name]));
  const isDone = (a: { state: string }) => a.state === "submitted";
  const aOverdue = (a: { state: string; dueDate: string }) => a.state === "pending" && a.dueDate < today;
  const mOverdue = (m: { state: string; dueDate: string }) => m.state !== "closed" && m.dueDate < today;
  const overdue = measures
    .filter(mOverdue)
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
  const since = opts.since ?? null;
  return {
    campaignTitle: c.title,
    asOf: formatDateTime(d.now(), c.timezone),
    scope: opts.scope,
    assignments: { done: assignments.filter(isDone).length, total: assignments.length, overdue: assignments.filter(aOverdue).length },
    measures: { closed: measures.filter((m) => m.state === "closed").length, total: measures.length, overdue: overdue.length },
    sections: c.sections.map((s) => {
      const list = assignments.filter((a) => a.sectionKey === s.key);
      return { code: s.code, done: list.filter(isDone).length, total: list.length };
    }),
    units: units.map((u) => {
      const list = assignments.filter((a) => a.unitKey === u.key);
      const ms = measures.filter((m) => m.unitKey === u.key);
      return {
        name: u.name,
        done: list.filter(isDone).length,
        total: list.length,
        measuresClosed: ms.filter((m) => m.state === "closed").length,
        measuresTotal: ms.length,
        overdue: list.filter(aOverdue).length + ms.filter(mOverdue).length,
      };
    }),
    overdue,
    newlyClosed: measures
      .filter((m) => m.state === "closed" && m.closedAt && (!since || m.closedAt > since))
      .sort((a, b) => a.seq - b.seq)
      .map((m) => ({ seq: m.seq, content: m.content, ownerName: name.get(m.ownerKey) ?? m.ownerKey, unitName: unitName.get(m.unitKey) ?? m.unitKey })),
  };
}
