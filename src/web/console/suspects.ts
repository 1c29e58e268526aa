import { describeFlag, flagName } from "../../flags/describe";
import type { Flag } from "../../flags/engine";
import { flagNamer } from "../../flags/review";
import { notFound } from "../../errors";
import { type CampaignAccess, forbiddenPage, scopeFilter } from "./access";
import { LIST_LIMIT, type PageDeps } from "./data";

/**
 * 疑似敷衍 in the console (issue 15): the current answers of the viewer's units that carry flags, with
 * each flag's evidence in words — the same flags the reviewer's card and the chat list show. Admins see
 * every unit; heads and leaders theirs; members are refused (flags are for reviewers).
 */
export async function suspectAnswers(d: PageDeps, a: CampaignAccess) {
  if (!a.canExport || a.self) throw forbiddenPage();
  const c = await d.models.Campaign.findOne({ key: a.campaignKey }).lean();
  if (!c) throw notFound("活动不存在。", "No such campaign.");
  const assignments = await d.models.Assignment.find(
    { ...scopeFilter(a, "assigneeKey"), state: "submitted", withdrawn: false },
    { unitKey: 1, itemKey: 1, assigneeKey: 1, responseVersion: 1 },
  ).lean();
  const byId = new Map(assignments.map((x) => [String(x._id), x]));
  const responses = await d.models.Response.find(
    {
      campaignKey: c.key,
      assignmentId: { $in: assignments.map((x) => x._id) },
      "flags.0": { $exists: true },
    },
    { assignmentId: 1, version: 1, flags: 1, byKey: 1 },
  ).lean();
  const current = responses
    .map((r) => ({ r, x: byId.get(String(r.assignmentId)) }))
    .filter((p): p is { r: (typeof responses)[number]; x: (typeof assignments)[number] } =>
      Boolean(p.x && p.x.responseVersion === p.r.version),
    );
  const itemOrder = new Map(c.items.map((i, n) => [i.key, n]));
  current.sort(
    (p, q) =>
      p.x.unitKey.localeCompare(q.x.unitKey) ||
      (itemOrder.get(p.x.itemKey) ?? 0) - (itemOrder.get(q.x.itemKey) ?? 0),
  );
  const shown = current.slice(0, LIST_LIMIT);
  const flags = shown.flatMap((p) => (p.r.flags ?? []) as Flag[]);
  const [units, people, nameOf] = await Promise.all([
    d.models.Unit.find({ campaignKey: c.key }, { key: 1, name: 1 }).lean(),
    d.models.Person.find(
      { campaignKey: c.key, key: { $in: [...new Set(shown.map((p) => p.r.byKey))] } },
      { key: 1, name: 1 },
    ).lean(),
    flagNamer(d, c.key, flags),
  ]);
  const unitName = new Map(units.map((u) => [u.key, u.name]));
  const personName = new Map(people.map((p) => [p.key, p.name]));
  const itemTitle = new Map(c.items.map((i) => [i.key, i.title]));
  const checked = assignments.length;
  return {
    campaign: c,
    total: current.length,
    checked,
    rows: shown.map((p) => ({
      unitName: unitName.get(p.x.unitKey) ?? p.x.unitKey,
      item: itemTitle.get(p.x.itemKey) ?? p.x.itemKey,
      by: personName.get(p.r.byKey) ?? p.r.byKey,
      flags: ((p.r.flags ?? []) as Flag[]).map((f) => ({
        name: flagName(f.kind, a.locale),
        text: describeFlag(f, nameOf, a.locale),
      })),
    })),
  };
}
