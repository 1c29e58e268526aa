import { forbidden, invalid } from "../errors";
import { loadCampaign, today, type ServiceDeps } from "../services/context";
import { isIsoDate } from "../time";
import { parseStateFilter, type LedgerState } from "./words";

/**
 * Everything an export shows, read once from the database as plain data (no mongoose documents past this
 * file). Withdrawn records (assignments removed from the campaign file, problems or measures in a
 * `withdrawn` state) are left out here, so no view can show them as open work.
 */
export interface ExportData {
  campaign: {
    key: string;
    title: string;
    timezone: string;
    checklistTitle: string;
    sections: { key: string; code: string; title: string }[];
    items: { key: string; sectionKey: string; title: string }[];
    ledgerColumns: { key: string; title?: string }[];
    basis?: string;
    organisation?: string;
  };
  /** The campaign's today (its time zone). */
  today: string;
  units: { key: string; name: string; leaderName?: string }[];
  people: Map<string, string>;
  /** The assignments answered at least once, with their current answer's narrative. */
  assignments: {
    id: string;
    itemKey: string;
    unitKey: string;
    assigneeKey: string;
    submitted: boolean;
    narrative?: string;
    conclusion?: string;
  }[];
  /** Current answers with stored flags (issue 15, src/flags): the kinds per unit × item. */
  flagged?: { unitKey: string; itemKey: string; kinds: string[] }[];
  /** Assignments per unit × item: how many, how many answered (counted in the database). */
  coverage: { unitKey: string; itemKey: string; total: number; answered: number }[];
  problems: {
    id: string;
    seq: number;
    assignmentId: string;
    itemKey: string;
    unitKey: string;
    text: string;
  }[];
  measures: ExportMeasure[];
}

export interface ExportMeasure {
  id: string;
  seq: number;
  problemId: string;
  itemKey: string;
  unitKey: string;
  content: string;
  ownerKey: string;
  reviewerKey?: string;
  dueDate: string;
  originalDueDate: string;
  /** The stored state; any state this code does not know is shown as it is and never counted as open. */
  state: string;
  extension?: { requestedDue?: string; reason?: string; status?: string };
  closedAt?: Date;
  closedByKey?: string;
  progress?: { note: string; at: Date; percent?: number };
  evidence: string[];
  sendBacks: { reason: string; at: Date; byKey?: string }[];
  extensions: { from?: string; to?: string; at: Date; granted: boolean; reason?: string }[];
  /** 回头看 of a closed measure (issue 15): due, and once answered its result. */
  followUp?: { dueDate?: string; result?: string; at?: Date; note?: string; relapseSeq?: number };
  /** The measure this one reopens after a relapse. */
  relapseOfSeq?: number;
}

/** Ledger filters; a unit or section by key or name, a state by key or office word. */
export interface LedgerFilters {
  units?: string[];
  sections?: string[];
  states?: string[];
  overdue?: boolean;
  dueFrom?: string;
  dueTo?: string;
}

/** Filters resolved to keys: unknown names are an error, never an empty export that looks complete. */
export interface ResolvedFilters {
  units?: Set<string>;
  sections?: Set<string>;
  states?: Set<LedgerState>;
  overdue?: boolean;
  dueFrom?: string;
  dueTo?: string;
}

const WITHDRAWN = "withdrawn";
/**
 * Large reads come in batches of this many documents: a store answers each getMore in a few
 * milliseconds and serves the bot's other queries in between (the embedded store has one event loop).
 */
const BATCH = 500;

const bySeq = <T extends { seq: number }>(rows: T[]): T[] => rows.sort((a, b) => a.seq - b.seq);

/** Assignments by unit × item: how many, how many answered (folded from a group by state). */
function foldCoverage(rows: { _id: { u: string; i: string; s: string }; n: number }[]) {
  const out = new Map<string, { _id: { u: string; i: string }; total: number; answered: number }>();
  for (const r of rows) {
    const k = `${r._id.u}\u0000${r._id.i}`;
    const c = out.get(k) ?? { _id: { u: r._id.u, i: r._id.i }, total: 0, answered: 0 };
    c.total += r.n;
    if (r._id.s === "submitted") c.answered += r.n;
    out.set(k, c);
  }
  return [...out.values()];
}
const isWithdrawn = (x: { state?: unknown; withdrawn?: unknown }) =>
  x.state === WITHDRAWN || x.withdrawn === true;

export async function loadExportData(
  d: ServiceDeps,
  campaignKey: string,
  opts: { scope?: string[]; filters?: LedgerFilters; narratives: boolean },
): Promise<{ data: ExportData; filters: ResolvedFilters }> {
  const c = await loadCampaign(d, campaignKey);
  const allUnits = await d.models.Unit.find({ campaignKey }).sort({ order: 1, key: 1 }).lean();
  const filters = resolveFilters(
    opts.filters ?? {},
    allUnits,
    c.sections.map((s) => ({ key: s.key, code: s.code, title: s.title })),
  );
  if (opts.scope && filters.units)
    for (const u of filters.units)
      if (!opts.scope.includes(u))
        throw forbidden("您无权导出该科室的台账。", "You may not export that unit's ledger.");
  const unitKeys = filters.units ? [...filters.units] : opts.scope;
  const units = allUnits.filter((u) => !unitKeys || unitKeys.includes(u.key));
  const unitMatch = unitKeys ? { unitKey: { $in: unitKeys } } : {};
  const itemKeys = filters.sections
    ? c.items.filter((i) => filters.sections!.has(i.sectionKey)).map((i) => i.key)
    : undefined;
  const itemMatch = itemKeys ? { itemKey: { $in: itemKeys } } : {};
  const match = { campaignKey, ...unitMatch, ...itemMatch };

  // Only answered assignments travel to the bot; the rest are counted where they are.
  const [assignments, coverage, problems, measures] = await Promise.all([
    d.models.Assignment.find(
      { ...match, withdrawn: { $ne: true }, responseVersion: { $gt: 0 } },
      { itemKey: 1, unitKey: 1, assigneeKey: 1, state: 1, responseVersion: 1 },
    )
      .batchSize(BATCH)
      .lean(),
    // A plain-field group (no per-document expression): the store answers it in one short piece.
    d.models.Assignment.aggregate<{ _id: { u: string; i: string; s: string }; n: number }>([
      { $match: { ...match, withdrawn: { $ne: true } } },
      { $group: { _id: { u: "$unitKey", i: "$itemKey", s: "$state" }, n: { $sum: 1 } } },
    ]).then(foldCoverage),
    // Sorted here, in the export's thread, not by the store (whose one thread also serves the callbacks).
    d.models.Problem.find(match).batchSize(BATCH).lean().then(bySeq),
    d.models.Measure.find(match).batchSize(BATCH).lean().then(bySeq),
  ]);
  const liveMeasures = measures.filter((m) => !isWithdrawn(m as { state?: unknown; withdrawn?: unknown }));
  const measureIds = liveMeasures.map((m) => m._id);
  const [progress, audits, responses] = await Promise.all([
    measureIds.length
      ? d.models.ProgressUpdate.find({ campaignKey, measureId: { $in: measureIds } })
          .batchSize(BATCH)
          .lean()
          .then((rows) => rows.sort((a, b) => +a.createdAt - +b.createdAt))
      : [],
    measureIds.length
      ? d.models.AuditEntry.find({
          campaignKey,
          entity: "measure",
          action: { $in: ["send_back", "grant_extension", "refuse_extension", "request_extension"] },
        })
          .batchSize(BATCH)
          .lean()
          .then((rows) => rows.sort((a, b) => +a.at - +b.at))
      : [],
    opts.narratives
      ? d.models.Response.find(
          { campaignKey, assignmentId: { $in: assignments.map((a) => a._id) } },
          { assignmentId: 1, version: 1, narrative: 1, conclusion: 1 },
        )
          .batchSize(BATCH)
          .lean()
      : [],
  ]);

  const latest = new Map<string, { narrative: string; conclusion: string }>();
  const version = new Map(assignments.map((a) => [String(a._id), a.responseVersion ?? 0]));
  for (const r of responses)
    if (version.get(String(r.assignmentId)) === r.version)
      latest.set(String(r.assignmentId), { narrative: r.narrative, conclusion: r.conclusion });

  // The problems of each assignment's current answer, plus any older problem a live measure still tracks.
  const live = new Set(assignments.map((a) => `${String(a._id)}:${a.responseVersion ?? 0}`));
  const tracked = new Set(liveMeasures.map((m) => String(m.problemId)));
  const liveProblems = problems.filter(
    (p) =>
      !isWithdrawn(p as { state?: unknown; withdrawn?: unknown }) &&
      (live.has(`${String(p.assignmentId)}:${p.responseVersion}`) || tracked.has(String(p._id))),
  );

  const byMeasure = <T extends { measureId?: unknown; entityId?: unknown }>(
    rows: T[],
    key: "measureId" | "entityId",
  ) => {
    const out = new Map<string, T[]>();
    for (const r of rows) {
      const k = String(r[key]);
      const list = out.get(k);
      if (list) list.push(r);
      else out.set(k, [r]);
    }
    return out;
  };
  const progressOf = byMeasure(progress, "measureId");
  const auditsOf = byMeasure(audits, "entityId");

  const people = await d.models.Person.find({ campaignKey }, { key: 1, name: 1 }).batchSize(BATCH).lean();
  const names = new Map(people.map((p) => [p.key, p.name]));
  // Stored flags of the current answers (issue 15); computed by `campaign status`.
  const flaggedResponses = await d.models.Response.find(
    { campaignKey, assignmentId: { $in: assignments.map((a) => a._id) }, "flags.0": { $exists: true } },
    { assignmentId: 1, version: 1, flags: 1 },
  ).lean();
  const assignmentById = new Map(assignments.map((a) => [String(a._id), a]));
  const flagged = flaggedResponses.flatMap((r) => {
    const a = assignmentById.get(String(r.assignmentId));
    if (!a || (a.responseVersion ?? 0) !== r.version) return [];
    const kinds = [...new Set(((r.flags ?? []) as { kind?: unknown }[]).map((f) => String(f.kind)))];
    return [{ unitKey: a.unitKey, itemKey: a.itemKey, kinds }];
  });
  return {
    filters,
    data: {
      campaign: {
        key: c.key,
        title: c.title,
        timezone: c.timezone,
        checklistTitle: c.checklistTitle,
        sections: [...c.sections]
          .sort((a, b) => a.order - b.order)
          .map((s) => ({ key: s.key, code: s.code, title: s.title })),
        items: [...c.items]
          .sort((a, b) => a.order - b.order)
          .map((i) => ({ key: i.key, sectionKey: i.sectionKey, title: i.title })),
        ledgerColumns: (c.ledgerColumns ?? []).map((col) => ({
          key: col.key ?? "",
          ...(col.title ? { title: col.title } : {}),
        })),
        basis: c.report?.basis ?? undefined,
        organisation: c.report?.organisation ?? undefined,
      },
      today: today(d, c),
      units: units.map((u) => ({
        key: u.key,
        name: u.name,
        leaderName: u.leaderKey ? (names.get(u.leaderKey) ?? u.leaderKey) : undefined,
      })),
      people: names,
      flagged,
      assignments: assignments.map((a) => {
        const r = latest.get(String(a._id));
        return {
          id: String(a._id),
          itemKey: a.itemKey,
          unitKey: a.unitKey,
          assigneeKey: a.assigneeKey,
          submitted: a.state === "submitted",
          ...(r ? { narrative: r.narrative, conclusion: r.conclusion } : {}),
        };
      }),
      coverage: coverage.map((x) => ({
        unitKey: x._id.u,
        itemKey: x._id.i,
        total: x.total,
        answered: x.answered,
      })),
      problems: liveProblems.map((p) => ({
        id: String(p._id),
        seq: p.seq,
        assignmentId: String(p.assignmentId),
        itemKey: p.itemKey,
        unitKey: p.unitKey,
        text: p.text,
      })),
      measures: liveMeasures.map((m) => {
        const ps = progressOf.get(String(m._id)) ?? [];
        const last = ps[ps.length - 1];
        const as = auditsOf.get(String(m._id)) ?? [];
        return {
          id: String(m._id),
          seq: m.seq,
          problemId: String(m.problemId),
          itemKey: m.itemKey,
          unitKey: m.unitKey,
          content: m.content,
          ownerKey: m.ownerKey,
          reviewerKey: m.reviewerKey ?? undefined,
          dueDate: m.dueDate,
          originalDueDate: m.originalDueDate,
          state: m.state,
          extension: m.extension
            ? {
                requestedDue: m.extension.requestedDue ?? undefined,
                reason: m.extension.reason ?? undefined,
                status: m.extension.status ?? undefined,
              }
            : undefined,
          closedAt: m.closedAt ?? undefined,
          closedByKey: m.closedByKey ?? undefined,
          progress: last
            ? {
                note: last.note,
                at: (last as { createdAt?: Date }).createdAt ?? new Date(0),
                percent: last.percent ?? undefined,
              }
            : undefined,
          evidence: [...new Set(ps.map((p) => p.evidence).filter((e): e is string => Boolean(e)))],
          sendBacks: as
            .filter((a) => a.action === "send_back")
            .map((a) => ({ reason: a.reason ?? "", at: a.at, byKey: a.byKey ?? undefined })),
          extensions: as
            .filter((a) => a.action === "grant_extension" || a.action === "refuse_extension")
            .map((a) => ({
              from: a.from ?? undefined,
              to: a.to ?? undefined,
              at: a.at,
              granted: a.action === "grant_extension",
              reason:
                as.filter((r) => r.action === "request_extension" && r.at <= a.at).pop()?.reason ?? undefined,
            })),
          ...(m.followUp?.sentAt
            ? {
                followUp: {
                  dueDate: m.followUp.dueDate ?? undefined,
                  result: m.followUp.result ?? undefined,
                  at: m.followUp.at ?? undefined,
                  note: m.followUp.note ?? undefined,
                  relapseSeq: m.followUp.relapseSeq ?? undefined,
                },
              }
            : {}),
          ...(m.relapseOf?.seq ? { relapseOfSeq: m.relapseOf.seq } : {}),
        };
      }),
    },
  };
}

function resolveFilters(
  f: LedgerFilters,
  units: { key: string; name: string }[],
  sections: { key: string; code: string; title: string }[],
): ResolvedFilters {
  const out: ResolvedFilters = {};
  if (f.units?.length) {
    out.units = new Set(
      f.units.map((u) => {
        const hit = units.find((x) => x.key === u || x.name === u.trim());
        if (!hit)
          throw invalid(
            `没有名为“${u}”的科室。可选：${units.map((x) => x.name).join("、")}`,
            `No unit "${u}". Units: ${units.map((x) => x.key).join(", ")}`,
          );
        return hit.key;
      }),
    );
  }
  if (f.sections?.length) {
    out.sections = new Set(
      f.sections.map((s) => {
        const t = s.trim().replace(/^[“"]|[”"]$/g, "");
        const hit = sections.find((x) => x.key === t || x.code === t || x.title === t);
        if (!hit)
          throw invalid(
            `没有名为“${s}”的检查部分。可选：${sections.map((x) => x.code).join("、")}`,
            `No section "${s}". Sections: ${sections.map((x) => x.key).join(", ")}`,
          );
        return hit.key;
      }),
    );
  }
  if (f.states?.length) out.states = new Set(f.states.map(parseStateFilter));
  for (const [name, v] of [
    ["dueFrom", f.dueFrom],
    ["dueTo", f.dueTo],
  ] as const) {
    if (v === undefined) continue;
    if (!isIsoDate(v))
      throw invalid(
        `日期“${v}”无效，请写成 YYYY-MM-DD（如 2026-12-31）。`,
        `Bad date "${v}": write YYYY-MM-DD (e.g. 2026-12-31).`,
      );
    out[name] = v;
  }
  if (out.dueFrom && out.dueTo && out.dueFrom > out.dueTo)
    throw invalid(
      `起始日期 ${out.dueFrom} 晚于截止日期 ${out.dueTo}。`,
      `The from date ${out.dueFrom} is after the to date ${out.dueTo}.`,
    );
  if (f.overdue) out.overdue = true;
  return out;
}
