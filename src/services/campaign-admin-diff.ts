/**
 * What a re-import would change (issue 13 §2): the rows of a checked campaign file against what is
 * stored, by natural key. Nothing is written here. An import never deletes: units and people no longer
 * in the file stay (with their answers); assignments no longer in the file are withdrawn (their answers
 * stay); a changed assignment keeps its state and answers.
 */
import type { CampaignSpec } from "../domain/types";
import type { Models } from "../repositories/models";
import { wantedAssignments } from "./campaign-import";

export interface RowChange {
  key: string;
  /** How the row is named to a clerk (unit or person name, item title, "item · unit"). */
  label: string;
  /** For a changed row: which fields, "field: old → new". */
  fields?: string[];
}

export interface SectionDiff {
  added: RowChange[];
  removed: RowChange[];
  changed: RowChange[];
}

export interface CampaignDiff {
  /** False for a new campaign key: everything is added, nothing is shown as a diff. */
  existing: boolean;
  units: SectionDiff;
  people: SectionDiff;
  items: SectionDiff;
  assignments: SectionDiff;
}

const empty = (): SectionDiff => ({ added: [], removed: [], changed: [] });

/** Compare keyed rows: `fields` gives the comparable fields of a row (label → shown value). */
function compare<A, B>(
  before: Map<string, A>,
  after: Map<string, B>,
  label: (key: string, row: A | B) => string,
  fieldsOf: { before: (a: A) => Record<string, string>; after: (b: B) => Record<string, string> },
): SectionDiff {
  const d = empty();
  for (const [key, b] of after) {
    const a = before.get(key);
    if (a === undefined) {
      d.added.push({ key, label: label(key, b) });
      continue;
    }
    const fa = fieldsOf.before(a);
    const fb = fieldsOf.after(b);
    const fields = Object.keys(fb)
      .filter((f) => (fa[f] ?? "") !== (fb[f] ?? ""))
      .map((f) => `${f}: ${fa[f] || "—"} → ${fb[f] || "—"}`);
    if (fields.length) d.changed.push({ key, label: label(key, b), fields });
  }
  for (const [key, a] of before) if (!after.has(key)) d.removed.push({ key, label: label(key, a) });
  return d;
}

const list = (v: readonly string[] | undefined | null) => [...(v ?? [])].sort().join("、");

export async function diffCampaign(m: Models, spec: CampaignSpec): Promise<CampaignDiff> {
  const c = await m.Campaign.findOne({ key: spec.key }).lean();
  if (!c) return { existing: false, units: empty(), people: empty(), items: empty(), assignments: empty() };
  const [units, people, assignments] = await Promise.all([
    m.Unit.find({ campaignKey: spec.key }).lean(),
    m.Person.find({ campaignKey: spec.key }).lean(),
    m.Assignment.find({ campaignKey: spec.key, withdrawn: false }).lean(),
  ]);
  const unitName = new Map<string, string>([
    ...units.map((u) => [u.key, u.name] as [string, string]),
    ...spec.units.map((u) => [u.key, u.name] as [string, string]),
  ]);
  const personName = new Map<string, string>([
    ...people.map((p) => [p.key, p.name] as [string, string]),
    ...spec.people.map((p) => [p.key, p.name] as [string, string]),
  ]);
  const nameOfPerson = (k: string | undefined | null) => (k ? (personName.get(k) ?? k) : "");
  const specItems = spec.checklist.sections.flatMap((s) => s.items);
  const itemTitle = new Map<string, string>([
    ...c.items.map((i) => [i.key, i.title] as [string, string]),
    ...specItems.map((i) => [i.key, i.title] as [string, string]),
  ]);

  const unitsD = compare(
    new Map(units.map((u) => [u.key, u])),
    new Map(spec.units.map((u) => [u.key, u])),
    (k) => unitName.get(k) ?? k,
    {
      before: (u) => ({ 名称: u.name, 负责人: nameOfPerson(u.headKey), 分管领导: nameOfPerson(u.leaderKey) }),
      after: (u) => ({ 名称: u.name, 负责人: nameOfPerson(u.head), 分管领导: nameOfPerson(u.leader) }),
    },
  );
  const peopleD = compare(
    new Map(people.map((p) => [p.key, p])),
    new Map(spec.people.map((p) => [p.key, p])),
    (k) => personName.get(k) ?? k,
    {
      before: (p) => ({
        姓名: p.name,
        单位: unitName.get(p.unitKey) ?? p.unitKey,
        角色: list(p.roles),
        手机: p.mobile ?? "",
        邮箱: p.email ?? "",
      }),
      after: (p) => ({
        姓名: p.name,
        单位: unitName.get(p.unit) ?? p.unit,
        角色: list(p.roles),
        手机: p.mobile ?? "",
        邮箱: p.email ?? "",
      }),
    },
  );
  const itemsD = compare(
    new Map(c.items.map((i) => [i.key, i])),
    new Map(specItems.map((i) => [i.key, i])),
    (k) => itemTitle.get(k) ?? k,
    {
      before: (i) => ({ 标题: i.title, 检查要点: (i.checkpoints ?? []).join("；") }),
      after: (i) => ({ 标题: i.title, 检查要点: (i.checkpoints ?? []).join("；") }),
    },
  );
  const wanted = wantedAssignments(spec);
  const assignmentLabel = (a: { itemKey: string; target: string; unitKey: string; assigneeKey: string }) =>
    `${itemTitle.get(a.itemKey) ?? a.itemKey} · ${
      a.target === "person" ? nameOfPerson(a.assigneeKey) : (unitName.get(a.unitKey) ?? a.unitKey)
    }`;
  const assignmentsD = compare(
    new Map(assignments.map((a) => [a.key, a])),
    wanted,
    (_k, a) => assignmentLabel(a),
    {
      before: (a) => ({ 完成时限: a.dueDate, 填报人: nameOfPerson(a.assigneeKey) }),
      after: (a) => ({ 完成时限: a.dueDate, 填报人: nameOfPerson(a.assigneeKey) }),
    },
  );
  return { existing: true, units: unitsD, people: peopleD, items: itemsD, assignments: assignmentsD };
}

/** True when the file changes nothing that is stored. */
export function diffIsEmpty(d: CampaignDiff): boolean {
  return [d.units, d.people, d.items, d.assignments].every(
    (s) => !s.added.length && !s.removed.length && !s.changed.length,
  );
}
