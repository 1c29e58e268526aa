// Answers about problems: the problem list in private, counts by unit in a group.
import { problemCountsCard, problemListCard } from "../../cards/answer-cards";
import { escLine, note } from "../../cards/kit";
import { type Locale } from "../domain/types";
import type { ParsedIntent } from "../intent/index";
import {
  accessOf,
  detailUnits,
  itemFilter,
  labelOf,
  names,
  targetOf,
  type Access,
  type Answer,
  type Asker,
} from "./answer-scope";
import type { ServiceDeps } from "./context";

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
