import { FLAG_LABELS } from "../flags/describe";
import type { FlagKind } from "../flags/engine";
import { LEDGER_COLUMN_KEYS } from "../campaign/schema";
import type { ExportData, ExportMeasure, ResolvedFilters } from "./data";
import { dateIn, ledgerState, STATE_WORDS, plainText, type Lang, type LedgerState } from "./words";

/**
 * The ledger (整改台账) as plain data: its columns, one row per measure (and per problem still without a
 * measure), the self-check coverage of units × items, and the statistics. Pure: the writer only lays it
 * out, the tests check it by value.
 */
export type ColumnKey = (typeof LEDGER_COLUMN_KEYS)[number];
export type Cell = string | number | undefined;

export interface LedgerColumn {
  key: ColumnKey;
  title: string;
  /** In Excel's character units: a Chinese character takes about two. */
  width: number;
  kind: "text" | "date" | "number";
}

export interface LedgerRow {
  cells: Partial<Record<ColumnKey, Cell>>;
  state: LedgerState | "none";
  /** Overdue rows are red, rows due within three working days yellow. */
  highlight?: "overdue" | "soon";
  unitKey?: string;
  measureSeq?: number;
}

export interface CoverageCell {
  text: string;
  kind: "answered" | "problems" | "partly" | "missing" | "none";
}

export interface StatRow {
  name: string;
  problems: number;
  measures: number;
  closed: number;
  overdue: number;
  /** Closed measures whose 回头看 found a relapse. */
  relapsed: number;
  /** closed / measures, 0 when there are no measures. */
  rate: number;
}

export interface LedgerModel {
  lang: Lang;
  title: string;
  sheets: { ledger: string; coverage: string; stats: string };
  columns: LedgerColumn[];
  rows: LedgerRow[];
  /** The number of measures among the rows (the summary's "N 行" counts rows). */
  measureRows: number;
  stateWords: string[];
  coverage: { header: string[]; rows: { name: string; cells: CoverageCell[]; answered: string }[] };
  stats: {
    header: string[];
    bySection: StatRow[];
    byUnit: StatRow[];
    total: StatRow;
    labels: { bySection: string; byUnit: string; total: string };
  };
}

const COLUMNS: Record<ColumnKey, { zh: string; en: string; width: number; kind?: "date" | "number" }> = {
  seq: { zh: "序号", en: "No.", width: 6, kind: "number" },
  source: { zh: "问题来源", en: "Source", width: 20 },
  category: { zh: "问题类别", en: "Category", width: 22 },
  problem: { zh: "问题描述", en: "Problem", width: 36 },
  measure: { zh: "整改措施", en: "Measure", width: 36 },
  leader: { zh: "责任领导", en: "Leader in charge", width: 10 },
  unit: { zh: "责任部门", en: "Responsible unit", width: 14 },
  owner: { zh: "责任人", en: "Owner", width: 10 },
  due: { zh: "整改时限", en: "Deadline", width: 12, kind: "date" },
  progress: { zh: "整改进展", en: "Progress", width: 30 },
  state: { zh: "完成情况", en: "Status", width: 10 },
  evidence: { zh: "佐证材料", en: "Evidence", width: 24 },
  closure: { zh: "销号情况", en: "Closure", width: 20 },
  remarks: { zh: "备注", en: "Remarks", width: 30 },
  follow_up: { zh: "回头看", en: "Follow-up", width: 24 },
};

/** Columns offered in `ledger.columns` but not in the default set (the default ledger has them in 备注). */
const OPTIONAL_COLUMNS: readonly ColumnKey[] = ["follow_up"];

export interface LedgerViewInput {
  data: ExportData;
  filters: ResolvedFilters;
  lang: Lang;
  /** Working days from today to a due date (the project's calendar). */
  workingDaysUntil: (due: string) => number;
}

export function ledgerColumns(data: ExportData, lang: Lang): LedgerColumn[] {
  const chosen = data.campaign.ledgerColumns.length
    ? data.campaign.ledgerColumns.filter((c): c is { key: ColumnKey; title?: string } =>
        (LEDGER_COLUMN_KEYS as readonly string[]).includes(c.key),
      )
    : LEDGER_COLUMN_KEYS.filter((key) => !OPTIONAL_COLUMNS.includes(key)).map((key) => ({
        key,
        title: undefined,
      }));
  return chosen.map((c) => {
    const def = COLUMNS[c.key];
    const title = c.title ?? def[lang];
    return { key: c.key, title, width: Math.max(def.width, width(title) + 2), kind: def.kind ?? "text" };
  });
}

export function ledgerView(input: LedgerViewInput): LedgerModel {
  const { data, filters, lang } = input;
  const zh = lang === "zh";
  const t = (z: string, e: string) => (zh ? z : e);
  const unitOf = new Map(data.units.map((u, i) => [u.key, { ...u, order: i }]));
  const itemOf = new Map(data.campaign.items.map((it, i) => [it.key, { ...it, order: i }]));
  const sectionOf = new Map(data.campaign.sections.map((s) => [s.key, s]));
  const problemOf = new Map(data.problems.map((p) => [p.id, p]));
  const name = (k?: string) => (k ? (data.people.get(k) ?? k) : undefined);
  const dateOf = dateIn(data.campaign.timezone);
  const word = (s: LedgerState) => (s === "other" ? "" : STATE_WORDS[s][lang]);

  const describe = (itemKey: string) => {
    const it = itemOf.get(itemKey);
    const sec = it ? sectionOf.get(it.sectionKey) : undefined;
    const title = it?.title ?? itemKey;
    return {
      source: t(`自查：${title}`, `Self-inspection: ${title}`),
      category: sec ? `${sec.code} · ${title}` : title,
    };
  };

  type Draft = { row: LedgerRow; sort: [number, number, number, number]; due?: string };
  const drafts: Draft[] = [];
  for (const m of data.measures) {
    const state = ledgerState(m.state, m.dueDate, data.today);
    const unit = unitOf.get(m.unitKey);
    const p = problemOf.get(m.problemId);
    const days =
      state === "overdue" || state === "closed" || state === "other" ? -1 : input.workingDaysUntil(m.dueDate);
    drafts.push({
      due: m.dueDate,
      sort: [itemOf.get(m.itemKey)?.order ?? 1e9, unit?.order ?? 1e9, p?.seq ?? 1e9, m.seq],
      row: {
        state,
        highlight: state === "overdue" ? "overdue" : days >= 0 && days <= 3 ? "soon" : undefined,
        unitKey: m.unitKey,
        measureSeq: m.seq,
        cells: {
          ...describe(m.itemKey),
          problem: p ? plainText(p.text) : undefined,
          measure: plainText(m.content),
          leader: unit?.leaderName,
          unit: unit?.name ?? m.unitKey,
          owner: name(m.ownerKey),
          due: m.dueDate,
          progress: m.progress
            ? `${plainText(m.progress.note)}（${dateOf(m.progress.at)}${m.progress.percent !== undefined ? ` · ${m.progress.percent}%` : ""}）`
            : undefined,
          state: word(state) || m.state,
          evidence: m.evidence.map(plainText).join("\n") || undefined,
          closure: closure(m, name, dateOf, lang),
          remarks: remarks(m, dateOf, lang) || undefined,
          follow_up: followUpText(m, dateOf, lang),
        },
      },
    });
  }
  // A problem found but without a measure yet is still on the ledger: it is work to be planned.
  const planned = new Set(data.measures.map((m) => m.problemId));
  for (const p of data.problems) {
    if (planned.has(p.id)) continue;
    const unit = unitOf.get(p.unitKey);
    drafts.push({
      sort: [itemOf.get(p.itemKey)?.order ?? 1e9, unit?.order ?? 1e9, p.seq, 0],
      row: {
        state: "open",
        unitKey: p.unitKey,
        cells: {
          ...describe(p.itemKey),
          problem: plainText(p.text),
          measure: t("（尚未制定整改措施）", "(no measure yet)"),
          leader: unit?.leaderName,
          unit: unit?.name ?? p.unitKey,
          state: word("open"),
        },
      },
    });
  }
  const kept = drafts.filter((x) => {
    const s = x.row.state as LedgerState;
    if (filters.states && !filters.states.has(s)) return false;
    if (filters.overdue && s !== "overdue") return false;
    if (filters.dueFrom && !(x.due && x.due >= filters.dueFrom)) return false;
    if (filters.dueTo && !(x.due && x.due <= filters.dueTo)) return false;
    return true;
  });
  kept.sort(
    (a, b) =>
      a.sort[0] - b.sort[0] || a.sort[1] - b.sort[1] || a.sort[2] - b.sort[2] || a.sort[3] - b.sort[3],
  );
  const rows: LedgerRow[] = kept.map((x, i) => ({ ...x.row, cells: { ...x.row.cells, seq: i + 1 } }));
  const measureRows = rows.filter((r) => r.measureSeq !== undefined).length;
  const columns = ledgerColumns(data, lang);
  if (!rows.length) {
    // An empty ledger still says so in words, under its header.
    const first = columns[0]?.key ?? "seq";
    const second = columns.find((c) => c.key === "problem" || c.key === "measure")?.key;
    rows.push({
      state: "none",
      cells: {
        [first]: t("暂无", "None"),
        ...(second && second !== first ? { [second]: t("暂无", "None") } : {}),
      },
    });
  }
  return {
    lang,
    title: t(`${data.campaign.title}整改台账`, `${data.campaign.title}: rectification ledger`),
    sheets: t3(zh, ["整改台账", "Ledger"], ["自查情况", "Self-check"], ["统计", "Statistics"]),
    columns,
    rows,
    measureRows,
    stateWords: Object.values(STATE_WORDS).map((w) => w[lang]),
    coverage: coverage(data, lang),
    stats: stats(data, lang),
  };
}

function t3(zh: boolean, a: [string, string], b: [string, string], c: [string, string]) {
  const pick = (x: [string, string]) => (zh ? x[0] : x[1]);
  return { ledger: pick(a), coverage: pick(b), stats: pick(c) };
}

function closure(
  m: ExportMeasure,
  name: (k?: string) => string | undefined,
  dateOf: (d: Date) => string,
  lang: Lang,
) {
  const zh = lang === "zh";
  if (m.state === "closed") {
    const by = name(m.closedByKey) ?? "";
    const on = m.closedAt ? dateOf(m.closedAt) : "";
    return zh ? `${by} ${on} 审核销号`.trim() : `Closed by ${by} on ${on}`;
  }
  if (m.state === "closure_requested") {
    const by = name(m.reviewerKey);
    return zh ? `已申请销号，待${by ?? ""}审核` : `Closure requested${by ? `, awaiting ${by}` : ""}`;
  }
  return undefined;
}

function remarks(m: ExportMeasure, dateOf: (d: Date) => string, lang: Lang): string {
  const zh = lang === "zh";
  const out: string[] = [];
  // One line for the deadline as extended (the original date, the reasons given), one per refusal.
  const granted = m.extensions.filter((e) => e.granted);
  const why = [...new Set(granted.map((e) => (e.reason ? plainText(e.reason) : "")).filter(Boolean))].join(
    "；",
  );
  if (m.originalDueDate && m.originalDueDate !== m.dueDate)
    out.push(
      zh
        ? `原整改时限 ${m.originalDueDate}，经批准延期至 ${m.dueDate}${why ? `（${why}）` : ""}`
        : `Originally due ${m.originalDueDate}; extended to ${m.dueDate}${why ? ` (${why})` : ""}`,
    );
  for (const e of m.extensions.filter((x) => !x.granted)) {
    const reason = e.reason ? plainText(e.reason) : "";
    out.push(
      zh
        ? `${dateOf(e.at)} 延期申请未获批准${reason ? `（${reason}）` : ""}`
        : `${dateOf(e.at)} extension refused${reason ? ` (${reason})` : ""}`,
    );
  }
  if (m.extension?.status === "requested" && m.extension.requestedDue)
    out.push(
      zh
        ? `申请延期至 ${m.extension.requestedDue}，待审批${m.extension.reason ? `（${plainText(m.extension.reason)}）` : ""}`
        : `Extension to ${m.extension.requestedDue} requested, pending`,
    );
  for (const s of m.sendBacks)
    out.push(
      zh
        ? `${dateOf(s.at)} 销号申请被退回：${plainText(s.reason)}`
        : `${dateOf(s.at)} closure sent back: ${plainText(s.reason)}`,
    );
  if (m.relapseOfSeq !== undefined)
    out.push(
      zh
        ? `回头看反弹，重新整改（原措施#${m.relapseOfSeq}）`
        : `Reopens measure #${m.relapseOfSeq} (relapsed)`,
    );
  const fu = followUpText(m, dateOf, lang);
  if (fu) out.push(fu);
  return out.join("\n");
}

/** 回头看: its result and date once answered, else when it was due; undefined when none was sent. */
function followUpText(m: ExportMeasure, dateOf: (d: Date) => string, lang: Lang): string | undefined {
  const f = m.followUp;
  if (!f) return undefined;
  const zh = lang === "zh";
  if (!f.result)
    return zh
      ? `回头看：待回复（${f.dueDate ?? ""}起）`
      : `Follow-up: awaiting an answer (since ${f.dueDate ?? ""})`;
  const on = f.at ? dateOf(f.at) : "";
  const note = f.note ? plainText(f.note) : "";
  if (f.result === "holds")
    return zh
      ? `回头看 ${on}：巩固${note ? `（${note}）` : ""}`
      : `Follow-up ${on}: holds${note ? ` (${note})` : ""}`;
  const again =
    f.relapseSeq !== undefined
      ? zh
        ? `，已重新整改（措施#${f.relapseSeq}）`
        : `; reopened as #${f.relapseSeq}`
      : "";
  return zh
    ? `回头看 ${on}：反弹${note ? `（${note}）` : ""}${again}`
    : `Follow-up ${on}: relapsed${note ? ` (${note})` : ""}${again}`;
}

/** A coverage cell with a 疑似敷衍 note when the answer there has flags. */
function noteFlags(c: CoverageCell, kinds: Set<string> | undefined, zh: boolean): CoverageCell {
  if (!kinds?.size) return c;
  const words = [...kinds].map((k) => FLAG_LABELS[k as FlagKind] ?? k).join(zh ? "、" : ", ");
  return { ...c, text: `${c.text}\n${zh ? "疑似敷衍：" : "suspect: "}${words}` };
}

function coverage(data: ExportData, lang: Lang): LedgerModel["coverage"] {
  const zh = lang === "zh";
  const at = (unitKey: string, itemKey: string) => `${unitKey}\u0000${itemKey}`;
  const problemsAt = new Map<string, number>();
  for (const p of data.problems)
    problemsAt.set(at(p.unitKey, p.itemKey), (problemsAt.get(at(p.unitKey, p.itemKey)) ?? 0) + 1);
  const cell = new Map(
    data.coverage.map((c) => [
      at(c.unitKey, c.itemKey),
      { ...c, problems: problemsAt.get(at(c.unitKey, c.itemKey)) ?? 0 },
    ]),
  );
  const flaggedAt = new Map<string, Set<string>>();
  for (const f of data.flagged ?? []) {
    const k = at(f.unitKey, f.itemKey);
    const set = flaggedAt.get(k) ?? new Set<string>();
    for (const kind of f.kinds) set.add(kind);
    flaggedAt.set(k, set);
  }
  const rows = data.units.map((u) => {
    let total = 0;
    let answered = 0;
    const cells = data.campaign.items.map((it): CoverageCell => {
      const c = cell.get(at(u.key, it.key));
      if (!c) return { text: "—", kind: "none" };
      total += c.total;
      answered += c.answered;
      const part = c.total > 1 ? `（${c.answered}/${c.total}）` : "";
      if (c.problems)
        return {
          text: zh ? `发现问题 ${c.problems}${part}` : `${c.problems} problem(s)${part}`,
          kind: "problems",
        };
      if (c.answered === c.total) return { text: zh ? `已报告${part}` : `answered${part}`, kind: "answered" };
      if (c.answered) return { text: zh ? `已报告${part}` : `answered${part}`, kind: "partly" };
      return { text: zh ? `未报告${part}` : `not answered${part}`, kind: "missing" };
    });
    const noted = cells.map((c, i) =>
      noteFlags(c, flaggedAt.get(at(u.key, data.campaign.items[i]!.key)), zh),
    );
    return { name: u.name, cells: noted, answered: `${answered}/${total}` };
  });
  return {
    header: [
      zh ? "科室" : "Unit",
      ...data.campaign.items.map((i) => i.title),
      zh ? "已报告/应报告" : "Answered/assigned",
    ],
    rows,
  };
}

function stats(data: ExportData, lang: Lang): LedgerModel["stats"] {
  const zh = lang === "zh";
  const sectionOfItem = new Map(data.campaign.items.map((i) => [i.key, i.sectionKey]));
  const empty = (name: string): StatRow => ({
    name,
    problems: 0,
    measures: 0,
    closed: 0,
    overdue: 0,
    relapsed: 0,
    rate: 0,
  });
  const bySection = new Map(data.campaign.sections.map((s) => [s.key, empty(s.code)]));
  const byUnit = new Map(data.units.map((u) => [u.key, empty(u.name)]));
  const total = empty(zh ? "合计" : "Total");
  const rowsFor = (itemKey: string, unitKey: string) =>
    [bySection.get(sectionOfItem.get(itemKey) ?? ""), byUnit.get(unitKey), total].filter((r): r is StatRow =>
      Boolean(r),
    );
  for (const p of data.problems) for (const r of rowsFor(p.itemKey, p.unitKey)) r.problems++;
  for (const m of data.measures) {
    const s = ledgerState(m.state, m.dueDate, data.today);
    if (s === "other") continue;
    for (const r of rowsFor(m.itemKey, m.unitKey)) {
      r.measures++;
      if (s === "closed") r.closed++;
      if (s === "overdue") r.overdue++;
      if (m.followUp?.result === "relapsed") r.relapsed++;
    }
  }
  const rate = (r: StatRow) => ({ ...r, rate: r.measures ? r.closed / r.measures : 0 });
  return {
    header: zh
      ? ["", "问题数", "整改措施数", "已完成", "逾期", "完成率", "回头看反弹"]
      : ["", "Problems", "Measures", "Completed", "Overdue", "Completion rate", "Relapsed at follow-up"],
    bySection: [...bySection.values()].map(rate),
    byUnit: [...byUnit.values()].map(rate),
    total: rate(total),
    labels: zh
      ? { bySection: "按检查部分", byUnit: "按科室", total: "合计" }
      : { bySection: "By section", byUnit: "By unit", total: "Total" },
  };
}

/** Display width in Excel's character units: CJK and full-width characters count two. */
export function width(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\u1100-\uffff]/.test(ch) ? 2 : 1;
  return n;
}
