import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { WorkCalendar } from "../calendar";
import type { ServiceDeps } from "../services/context";
import { loadExportData, type LedgerFilters } from "./data";
import type { Logger } from "../logger";
import { render, type Rendered, type RenderJob } from "./render";
import type { ExportProcess } from "./export-process";

/**
 * The campaign's deliverables: the rectification ledger (整改台账, .xlsx) and the self-inspection report
 * (自查报告, .docx). Each is a view (plain data → rows or paragraphs, tested by value) and a thin writer
 * (tested by reading the file back). Bad input is an AppError with zh and en text.
 */
export type { LedgerFilters } from "./data"; // { units?, sections?, states?, overdue?, dueFrom?, dueTo? }

export interface ExportRequest {
  campaignKey: string;
  lang: "zh" | "en";
  /** unit keys the asker may see (head/leader); undefined = whole campaign (admin) */
  units?: string[];
  filters?: LedgerFilters; // ledger only
  /** The working-day calendar for "due within 3 working days"; default: the statutory one. */
  calendar?: WorkCalendar;
}

export interface ExportResult {
  path: string;
  fileName: string;
  bytes: number;
  /** One line in req.lang, e.g. "整改台账：42 行（3 个工作表）". */
  summary: string;
  /** Ledger: rows on the ledger sheet; report: headings of 一、工作开展情况 (sections). */
  rows?: number;
  sections?: number;
}

let defaultCalendar: WorkCalendar | undefined;
export function calendarOf(d: ServiceDeps, req: ExportRequest): WorkCalendar {
  const fromDeps = (d as ServiceDeps & { calendar?: WorkCalendar }).calendar;
  return req.calendar ?? fromDeps ?? (defaultCalendar ??= new WorkCalendar());
}

/** The view and the writer run in a worker thread (./render); a fallback to this thread is logged here. */
const loggerOf = (d: ServiceDeps) => (d as ServiceDeps & { logger?: Logger }).logger;

/** The long-lived export process (./export-process) when the bot runs one; absent in the CLI and in tests. */
const processOf = (d: ServiceDeps) => (d as ServiceDeps & { exportProcess?: ExportProcess }).exportProcess;

async function result(outPath: string, summary: string, extra: Partial<ExportResult>): Promise<ExportResult> {
  const { size } = await stat(outPath);
  return { path: outPath, fileName: path.basename(outPath), bytes: size, summary, ...extra };
}

/**
 * Where an export's two halves run: working days from the calendar, and the view + writer. In the
 * calling thread, the calendar is at hand and the render goes to a worker (./render); inside the export
 * process the calendar is asked of the bot's thread and the render runs right there.
 */
export interface ExportSteps {
  workingDays(today: string, dates: string[]): Promise<Record<string, number>>;
  render(job: RenderJob): Promise<Rendered>;
}

export function stepsHere(d: ServiceDeps, req: ExportRequest): ExportSteps {
  return {
    workingDays: async (from, dates) => workingDaysFrom(calendarOf(d, req), from, dates),
    render: (job) => render(job, loggerOf(d)),
  };
}

/** Working days from `today` to each date (the calendar stays in the bot's thread). */
export function workingDaysFrom(cal: WorkCalendar, today: string, dates: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const due of dates) out[due] ??= cal.workingDaysBetween(today, due);
  return out;
}

export async function exportLedger(
  d: ServiceDeps,
  req: ExportRequest,
  outPath: string,
): Promise<ExportResult> {
  const t = processOf(d);
  if (t) return t.run(d, "ledger", req, outPath);
  return buildLedger(d, req, outPath, stepsHere(d, req));
}

/** The report is an official document and always in Chinese; `req.lang` chooses the summary's language. */
export async function exportReport(
  d: ServiceDeps,
  req: ExportRequest,
  outPath: string,
): Promise<ExportResult> {
  const t = processOf(d);
  if (t) return t.run(d, "report", req, outPath);
  return buildReport(d, req, outPath, stepsHere(d, req));
}

export async function buildLedger(
  d: ServiceDeps,
  req: ExportRequest,
  outPath: string,
  steps: ExportSteps,
): Promise<ExportResult> {
  const { data, filters } = await loadExportData(d, req.campaignKey, {
    scope: req.units,
    filters: req.filters,
    narratives: false,
  });
  const workingDays = await steps.workingDays(
    data.today,
    data.measures.map((m) => m.dueDate),
  );
  await mkdir(path.dirname(outPath), { recursive: true });
  const r = await steps.render({ kind: "ledger", data, filters, lang: req.lang, workingDays, outPath });
  if (r.kind !== "ledger") throw new Error("export render: wrong result");
  const { rows, measureRows } = r;
  const summary =
    req.lang === "zh"
      ? `整改台账：${rows} 行（整改措施 ${measureRows} 项，3 个工作表）`
      : `Ledger: ${rows} row(s) (${measureRows} measure(s), 3 sheets)`;
  return result(outPath, summary, { rows });
}

export async function buildReport(
  d: ServiceDeps,
  req: ExportRequest,
  outPath: string,
  steps: ExportSteps,
): Promise<ExportResult> {
  const { data } = await loadExportData(d, req.campaignKey, { scope: req.units, narratives: true });
  await mkdir(path.dirname(outPath), { recursive: true });
  const model = await steps.render({ kind: "report", data, outPath });
  if (model.kind !== "report") throw new Error("export render: wrong result");
  const s = model.stats;
  const summary =
    req.lang === "zh"
      ? `自查报告：${model.sections} 个检查部分，问题 ${s.problems} 个，整改措施 ${s.measures} 项（已完成 ${s.closed} 项）`
      : `Report: ${model.sections} section(s), ${s.problems} problem(s), ${s.measures} measure(s) (${s.closed} completed)`;
  return result(outPath, summary, { sections: model.sections });
}

/** A file name for an export: campaign key, kind and the date, e.g. wlj-2027-整改台账-2026-12-01.xlsx. */
export function exportFileName(
  campaignKey: string,
  kind: "ledger" | "report",
  lang: "zh" | "en",
  date: string,
) {
  const word =
    kind === "ledger" ? (lang === "zh" ? "整改台账" : "ledger") : lang === "zh" ? "自查报告" : "report";
  return `${campaignKey}-${word}-${date}.${kind === "ledger" ? "xlsx" : "docx"}`;
}
