/** Campaign file checks: resolving the organisation — unit and person keys, people's identities, assignments with their dates. */
import { type AssignmentSpec, type PersonSpec, type Role, type UnitSpec } from "../domain/types";
import { CampaignChecker, type ChecklistIndex } from "./check";
import { rawKeys, suggest, unknownRef } from "./check-words";
import { bi, type Dict, type Indexed } from "./collector";
import { ALL, assignmentSchema, normaliseMobile, personSchema, ROLES, unitSchema } from "./schema";
import { type Path } from "./source-map";

export function resolveUnits(ck: CampaignChecker): Indexed<UnitSpec>[] {
  const { c, root } = ck;
  const parsed = c.list(["units"], unitSchema, root.units, true);
  if (Array.isArray(root.units) && root.units.length === 0)
    c.error(["units"], bi('"units" 不能为空：至少列出一个单位', '"units" must not be empty'));
  const keys = new Map<string, Path>();
  const names = new Map<string, Path>();
  const out: Indexed<UnitSpec>[] = [];
  for (const { index, value } of parsed) {
    const path = ["units", index];
    if (value.key === ALL)
      c.error(
        [...path, "key"],
        bi(
          `"${ALL}" 是保留字（在分派中表示全部单位），不能用作 key`,
          `"${ALL}" is reserved (it means every unit in assignments)`,
        ),
      );
    const fresh = ck.unique(keys, value.key, [...path, "key"], "unit key");
    ck.unique(names, value.name, [...path, "name"], "unit name");
    if (!fresh) continue;
    out.push({
      index,
      value: {
        key: value.key,
        name: value.name,
        ...(value.head !== undefined ? { head: value.head } : {}),
        ...(value.leader !== undefined ? { leader: value.leader } : {}),
      },
    });
  }
  return out;
}

export function resolvePeople(ck: CampaignChecker, units: Indexed<UnitSpec>[]): Indexed<PersonSpec>[] {
  const { c, root } = ck;
  const parsed = c.list(["people"], personSchema, root.people, true);
  if (Array.isArray(root.people) && root.people.length === 0)
    c.error(["people"], bi('"people" 不能为空：至少列出一个人员', '"people" must not be empty'));
  const unitKeys = rawKeys(root.units);
  const keys = new Map<string, Path>();
  const openIds = new Map<string, Path>();
  const emails = new Map<string, Path>();
  const mobiles = new Map<string, Path>();
  const out: Indexed<PersonSpec>[] = [];

  for (const { index, value } of parsed) {
    const path = ["people", index];
    const fresh = ck.unique(keys, value.key, [...path, "key"], "person key");
    if (!unitKeys.has(value.unit)) {
      c.error([...path, "unit"], unknownRef("unit", value.unit, [...unitKeys]));
    }
    if (value.open_id === undefined && value.email === undefined && value.mobile === undefined) {
      c.error(
        path,
        bi(
          "至少需要一种身份：open_id、email 或 mobile",
          "needs at least one identity: open_id, email or mobile",
        ),
      );
    }
    const mobile = value.mobile === undefined ? undefined : normaliseMobile(value.mobile);
    if (value.open_id !== undefined) ck.unique(openIds, value.open_id, [...path, "open_id"], "open_id");
    if (value.email !== undefined) ck.unique(emails, value.email.toLowerCase(), [...path, "email"], "email");
    if (mobile !== undefined) ck.unique(mobiles, mobile, [...path, "mobile"], "mobile");
    if (!fresh) continue;

    const roles = new Set<Role>(value.roles ?? ["member"]);
    for (const u of units) {
      if (u.value.head === value.key) roles.add("head");
      if (u.value.leader === value.key) roles.add("leader");
    }
    out.push({
      index,
      value: {
        key: value.key,
        name: value.name,
        unit: value.unit,
        roles: ROLES.filter((r) => roles.has(r)),
        ...(value.open_id !== undefined ? { openId: value.open_id } : {}),
        ...(value.email !== undefined ? { email: value.email } : {}),
        ...(mobile !== undefined ? { mobile } : {}),
        ...(value.locale !== undefined ? { locale: value.locale } : {}),
      },
    });
  }
  return out;
}

/** Unit head / leader must be people; a head normally belongs to the unit. */
export function checkUnitReferences(
  ck: CampaignChecker,
  units: Indexed<UnitSpec>[],
  people: Indexed<PersonSpec>[],
): void {
  const { c, root } = ck;
  const personKeys = rawKeys(root.people);
  const byKey = new Map(people.map((p) => [p.value.key, p.value]));
  for (const { index, value } of units) {
    for (const field of ["head", "leader"] as const) {
      const ref = value[field];
      if (ref === undefined) continue;
      if (!personKeys.has(ref)) {
        const hint = suggest(ref, [...personKeys]);
        c.error(
          ["units", index, field],
          bi(
            `${field === "head" ? "负责人" : "分管领导"} "${ref}" 不在 people 中：须是某个人员的 key${hint.zh}`,
            `${field} "${ref}" is not in people${hint.en}`,
          ),
        );
      }
    }
    const head = value.head === undefined ? undefined : byKey.get(value.head);
    if (head && head.unit !== value.key) {
      c.warn(
        ["units", index, "head"],
        bi(
          `负责人 "${head.key}" 属于单位 "${head.unit}"，不属于本单位`,
          `head "${head.key}" belongs to unit "${head.unit}", not to this unit`,
        ),
      );
    }
  }
}

export function resolveAssignments(
  ck: CampaignChecker,
  checklist: ChecklistIndex | undefined,
  units: Indexed<UnitSpec>[],
  people: Indexed<PersonSpec>[],
  start: string | undefined,
  end: string | undefined,
): AssignmentSpec[] {
  const { c, root, today } = ck;
  const parsed = c.list(["assignments"], assignmentSchema, root.assignments, false);
  if (root.assignments === undefined || (Array.isArray(root.assignments) && root.assignments.length === 0)) {
    c.warn(
      ["assignments"],
      bi("没有分派：不会有人被要求填报", "no assignments: nobody will be asked to answer anything"),
    );
  }
  const rawAssignments = Array.isArray(root.assignments) ? (root.assignments as unknown[]) : [];
  const rawUnitKeys = rawKeys(root.units);
  const rawPersonKeys = rawKeys(root.people);
  const unitByKey = new Map(units.map((u) => [u.value.key, u]));
  const personKeys = new Set(people.map((p) => p.value.key));
  const taken = new Map<string, number>(); // item + target → assignment index
  const assigned = new Set<string>();
  const out: AssignmentSpec[] = [];

  for (const { index, value } of parsed) {
    const path = ["assignments", index];
    const rawEntry = rawAssignments[index] as Dict;
    const entryPath = (field: string, j: number): Path =>
      Array.isArray(rawEntry[field]) ? [...path, field, j] : [...path, field];

    // Items: item keys or titles, section keys or codes, or "all".
    const items: string[] = [];
    value.item.forEach((ref, j) => {
      if (!checklist) return;
      const byTitle = checklist.byTitle.get(ref);
      const resolved =
        ref === ALL
          ? checklist.items
          : checklist.titles.has(ref)
            ? [ref]
            : byTitle !== undefined
              ? [byTitle]
              : checklist.sections.get(ref);
      if (!resolved) {
        const known = [...checklist.items, ...checklist.sections.keys()];
        c.error(entryPath("item", j), unknownRef("item", ref, known));
        return;
      }
      for (const item of resolved) if (!items.includes(item)) items.push(item);
    });

    // Units: keys or "all"; each must have a head to answer.
    const unitTargets: string[] = [];
    (value.units ?? []).forEach((ref, j) => {
      const refs = ref === ALL ? units.map((u) => u.value.key) : [ref];
      if (ref !== ALL && !rawUnitKeys.has(ref)) {
        c.error(entryPath("units", j), unknownRef("unit", ref, [...rawUnitKeys]));
        return;
      }
      for (const u of refs) {
        const unit = unitByKey.get(u);
        if (unit && unit.value.head === undefined) {
          const line = c.line(["units", unit.index]);
          c.error(
            entryPath("units", j),
            ck.feishuOnlyUnits.has(u)
              ? bi(
                  `单位“${unit.value.name}”（飞书部门 ${u}）没有负责人来填报：请在飞书通讯录为该部门设置部门负责人，或在 units 中为 ${u} 写 head`,
                  `unit "${unit.value.name}" (Feishu department ${u}) has no head to answer it: set the department's leader in the address book, or a head for ${u} in units`,
                )
              : bi(
                  `单位 "${u}" 没有负责人来填报（请在第 ${line} 行的单位上设置 "head"）`,
                  `unit "${u}" has no head to answer it (set "head" on the unit, line ${line})`,
                ),
          );
        }
        if (!unitTargets.includes(u)) unitTargets.push(u);
      }
    });

    const personTargets: string[] = [];
    (value.people ?? []).forEach((ref, j) => {
      if (!rawPersonKeys.has(ref)) {
        c.error(entryPath("people", j), unknownRef("person", ref, [...rawPersonKeys]));
        return;
      }
      if (!personKeys.has(ref)) return;
      if (!personTargets.includes(ref)) personTargets.push(ref);
    });

    if ((value.units ?? []).length === 0 && (value.people ?? []).length === 0) {
      c.error(
        path,
        bi(
          '须把事项分派给 "units" 或 "people"（或两者）',
          'assign the item to "units" or "people" (or both)',
        ),
      );
    }

    const due = value.due;
    const duePath = [...path, "due"];
    if (due < today)
      c.error(
        duePath,
        bi(
          `截止日期 ${due} 已过（今天是 ${today}）：不能早于今天`,
          `due date ${due} is in the past (today is ${today})`,
        ),
      );
    if (start && due < start)
      c.error(
        duePath,
        bi(`截止日期 ${due} 早于活动开始 ${start}`, `due date ${due} is before the campaign start ${start}`),
      );
    if (end && due > end)
      c.error(
        duePath,
        bi(`截止日期 ${due} 晚于活动结束 ${end}`, `due date ${due} is after the campaign end ${end}`),
      );

    // The same item may not go to the same unit or person twice.
    const overlaps: [string, string][] = [];
    for (const item of items) {
      const targets = [
        ...unitTargets.map((u) => ["unit", u] as const),
        ...personTargets.map((p) => ["person", p] as const),
      ];
      for (const [kind, target] of targets) {
        const k = `${item}\u0000${kind}\u0000${target}`;
        const first = taken.get(k);
        if (first !== undefined && first !== index) {
          overlaps.push([
            `事项 "${item}" 已在第 ${first + 1} 条分派中给了${kind === "unit" ? "单位" : "人员"} "${target}"：同一事项不能给同一对象两次`,
            `item "${item}" already goes to ${kind} "${target}" in assignment ${first + 1}`,
          ]);
        } else {
          taken.set(k, index);
        }
      }
    }
    if (overlaps.length > 0) {
      const n = overlaps.length - 1;
      const [zh, en] = overlaps[0];
      c.error(path, bi(`${zh}${n ? `（另有 ${n} 处）` : ""}`, `${en}${n ? ` (and ${n} more)` : ""}`));
    }

    for (const item of items) {
      assigned.add(item);
      out.push({ item, units: [...unitTargets], people: [...personTargets], due });
    }
  }

  if (checklist && parsed.length === rawAssignments.length && rawAssignments.length > 0) {
    const unassigned = checklist.items.filter((item) => !assigned.has(item));
    if (root.template !== undefined && unassigned.length > 0) {
      const list = unassigned.map((item) => `${item} ${checklist.titles.get(item)}`).join(", ");
      c.warn(["template"], bi(`没有分派给任何人：${list}`, `not assigned to anyone: ${list}`));
    } else {
      for (const item of unassigned)
        c.warn(checklist.itemPaths.get(item)!, bi("没有分派给任何人", "is not assigned to anyone"));
    }
  }
  return out;
}
