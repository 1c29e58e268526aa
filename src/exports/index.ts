/**
 * STUB of the exports interface (issue 11 §1–2). The exports branch replaces this file with the real
 * ledger (.xlsx) and report (.docx) builders; the chat delivery depends only on these signatures.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { invalid } from "../errors";
import { loadCampaign, type ServiceDeps } from "../services/context";

export interface LedgerFilters {
  units?: string[];
  sections?: string[];
  states?: string[];
  overdue?: boolean;
  dueFrom?: string;
  dueTo?: string;
}
export interface ExportRequest {
  campaignKey: string;
  lang: "zh" | "en";
  /** Unit keys the asker may see; undefined = all. */
  units?: string[];
  filters?: LedgerFilters;
}
export interface ExportResult {
  path: string;
  fileName: string;
  bytes: number;
  summary: string;
}

async function placeholder(
  d: ServiceDeps,
  req: ExportRequest,
  outPath: string,
  what: "ledger" | "report",
): Promise<ExportResult> {
  const c = await loadCampaign(d, req.campaignKey);
  const asked = [...(req.units ?? []), ...(req.filters?.units ?? [])];
  if (asked.length) {
    const known = new Set(
      (await d.models.Unit.find({ campaignKey: c.key }, { key: 1 }).lean()).map((u) => u.key),
    );
    const unknown = asked.filter((u) => !known.has(u));
    if (unknown.length)
      throw invalid(`没有这个科室：${unknown.join("、")}。`, `No such unit: ${unknown.join(", ")}.`);
  }
  const measures = await d.models.Measure.countDocuments({
    campaignKey: c.key,
    ...(req.units ? { unitKey: { $in: req.units } } : {}),
  });
  const body = `${what} placeholder\ncampaign: ${c.key}\nunits: ${req.units?.join(",") ?? "all"}\nmeasures: ${measures}\n`;
  await writeFile(outPath, body, "utf8");
  const en = req.lang === "en";
  return {
    path: outPath,
    fileName: path.basename(outPath),
    bytes: Buffer.byteLength(body),
    summary:
      what === "ledger"
        ? en
          ? `${measures} measure(s)`
          : `共 ${measures} 项整改措施`
        : en
          ? "sections: work done, problems, measures"
          : "包括工作开展情况、存在的问题、整改措施",
  };
}

export function exportLedger(d: ServiceDeps, req: ExportRequest, outPath: string): Promise<ExportResult> {
  return placeholder(d, req, outPath, "ledger");
}

export function exportReport(d: ServiceDeps, req: ExportRequest, outPath: string): Promise<ExportResult> {
  return placeholder(d, req, outPath, "report");
}
