/**
 * The chat answer to 疑似敷衍 (intent `suspect_answers`), scoped like every answer (DESIGN.md §5): an
 * admin sees every unit's flagged answers, a head or leader in charge their units', with the evidence
 * and a 退回 button; in a group, and for a member, only how many answers are flagged by unit.
 * Answers are the current ones (latest version of a submitted, not withdrawn assignment) with their
 * stored flags (computed on submit, jobs/flags.ts).
 */
import { suspectCountsCard, suspectListCard, type SuspectLine } from "../../cards/flags-list-card";
import type { ParsedIntent } from "../intent/index";
import {
  accessOf,
  detailUnits,
  itemFilter,
  labelOf,
  names,
  targetOf,
  type Answer,
  type Asker,
} from "../services/answer-scope";
import type { ServiceDeps } from "../services/context";
import { mayReturnAnswer } from "../services/self-check";
import { describeFlag, flagName, returnReasonFor } from "./describe";
import type { Flag, FlagKind } from "./engine";
import { flagNamer } from "./review";

export async function answerSuspects(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const c = a.campaign;
  const assignments = await d.models.Assignment.find(
    {
      campaignKey: c.key,
      state: "submitted",
      withdrawn: false,
      ...(t.units ? { unitKey: { $in: t.units } } : {}),
      ...itemFilter(t),
    },
    { unitKey: 1, itemKey: 1, assigneeKey: 1, responseVersion: 1 },
  ).lean();
  const byId = new Map(assignments.map((x) => [String(x._id), x]));
  const responses = await d.models.Response.find(
    { campaignKey: c.key, assignmentId: { $in: assignments.map((x) => x._id) } },
    { assignmentId: 1, version: 1, flags: 1, byKey: 1 },
  ).lean();
  const current = responses
    .map((r) => ({ r, a: byId.get(String(r.assignmentId))! }))
    .filter((x) => x.a && x.a.responseVersion === x.r.version);
  const flagged = current.filter((x) => (x.r.flags ?? []).length > 0);
  const checkedBy = new Map<string, number>();
  const flaggedBy = new Map<string, number>();
  for (const x of current) checkedBy.set(x.a.unitKey, (checkedBy.get(x.a.unitKey) ?? 0) + 1);
  for (const x of flagged) flaggedBy.set(x.a.unitKey, (flaggedBy.get(x.a.unitKey) ?? 0) + 1);
  const countsOf = (units: string[] | undefined) =>
    acc.all
      .filter((u) => (!units || units.includes(u.key)) && checkedBy.has(u.key))
      .map((u) => ({ unitName: u.name, n: flaggedBy.get(u.key) ?? 0, checked: checkedBy.get(u.key)! }));

  const units = t.mine ? [] : detailUnits(acc, t);
  if (a.group || units.length === 0) {
    return {
      card: suspectCountsCard({
        v: { campaignTitle: c.title, scope: labelOf(a, acc, t), units: countsOf(t.units) },
        locale: a.locale,
      }),
    };
  }
  const shown = flagged.filter((x) => units.includes(x.a.unitKey));
  const n = await names(
    d,
    c,
    shown.map((x) => x.r.byKey),
    acc.all,
  );
  const nameOf = await flagNamer(
    d,
    c.key,
    shown.flatMap((x) => (x.r.flags ?? []) as Flag[]),
  );
  const unitRow = new Map(acc.all.map((u) => [u.key, u]));
  const order = new Map(acc.all.map((u, i) => [u.key, i]));
  const itemOrder = new Map(c.items.map((it, i) => [it.key, i]));
  shown.sort(
    (x, y) =>
      (order.get(x.a.unitKey) ?? 0) - (order.get(y.a.unitKey) ?? 0) ||
      (itemOrder.get(x.a.itemKey) ?? 0) - (itemOrder.get(y.a.itemKey) ?? 0),
  );
  const me = a.person;
  const lines: SuspectLine[] = shown.map((x) => {
    const flags = (x.r.flags ?? []) as Flag[];
    return {
      responseId: String(x.r._id),
      unitName: n.unit.get(x.a.unitKey) ?? x.a.unitKey,
      itemTitle: c.items.find((i) => i.key === x.a.itemKey)?.title ?? x.a.itemKey,
      answererName: n.person.get(x.r.byKey) ?? x.r.byKey,
      kinds: [...new Set(flags.map((f) => f.kind))].map((k: FlagKind) => flagName(k, a.locale)),
      evidence: describeFlag(flags[0]!, nameOf, a.locale),
      reason: returnReasonFor(flags, a.locale),
      canReturn: Boolean(me && c.status === "active" && mayReturnAnswer(me, x.a, unitRow.get(x.a.unitKey))),
    };
  });
  const hidden = (t.units ?? []).filter((u) => !acc.units.has(u));
  return {
    card: suspectListCard({
      v: {
        campaignTitle: c.title,
        scope: labelOf(a, acc, t),
        lines,
        checked: current.filter((x) => units.includes(x.a.unitKey)).length,
        hidden: countsOf(hidden).map((h) => ({ unitName: h.unitName, n: h.n })),
      },
      locale: a.locale,
    }),
  };
}
