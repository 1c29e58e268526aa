import path from "node:path";
import { AppError } from "../errors";
import { exportFileName, exportLedger, exportReport, type LedgerFilters } from "../exports/index";
import { todayIn } from "../time";
import type { Out } from "./campaign";
import type { CliServices } from "./connect";

/**
 * `export ledger <campaign> [--out FILE] [--unit U] [--section S] [--state S] [--overdue]
 * [--due-from D] [--due-to D] [--lang en]` and `export report <campaign> [--out FILE]`. A filter may be
 * repeated or take a comma-separated list. Prints where the file went and a one-line summary.
 */
export const EXPORT_HELP = `  export ledger <key> [--out FILE] [--unit U] [--section S] [--state S] [--overdue]
               [--due-from D] [--due-to D] [--lang en]
                                         the rectification ledger (整改台账) as .xlsx
  export report <key> [--out FILE]       the self-inspection report (自查报告) as .docx (a draft to edit)`;

const VALUE_FLAGS = ["out", "unit", "section", "state", "due-from", "due-to", "lang"];

/** Every value of a repeatable flag, split on commas. */
function values(args: string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === `--${name}` && args[i + 1] !== undefined) out.push(...args[i + 1].split(/[,，]/));
  });
  return out.map((s) => s.trim()).filter(Boolean);
}

export async function exportCommand(
  s: CliServices,
  kind: string | undefined,
  args: string[],
  out: Out,
  now: () => Date = () => new Date(),
): Promise<number> {
  const key = args[0];
  if ((kind !== "ledger" && kind !== "report") || !key || key.startsWith("--")) {
    out.error(`usage:\n${EXPORT_HELP}`);
    return 2;
  }
  const unknown: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--") && VALUE_FLAGS.includes(a.slice(2))) i++;
    else if (a !== "--overdue") unknown.push(a);
  }
  if (unknown.length) {
    out.error(`unknown argument ${unknown.join(" ")}\n\nusage:\n${EXPORT_HELP}`);
    return 2;
  }
  const lang = values(args, "lang")[0] === "en" ? "en" : "zh";
  const d = { models: s.models, now };
  try {
    const c = await s.models.Campaign.findOne({ key }, { timezone: 1 }).lean();
    const file =
      values(args, "out")[0] ??
      exportFileName(key, kind, lang, todayIn(c?.timezone ?? "Asia/Shanghai", now()));
    const outPath = path.resolve(file);
    const filters: LedgerFilters = {
      units: values(args, "unit"),
      sections: values(args, "section"),
      states: values(args, "state"),
      overdue: args.includes("--overdue"),
      dueFrom: values(args, "due-from")[0],
      dueTo: values(args, "due-to")[0],
    };
    const r =
      kind === "ledger"
        ? await exportLedger(d, { campaignKey: key, lang, filters }, outPath)
        : await exportReport(d, { campaignKey: key, lang }, outPath);
    out.print(`wrote ${r.path} (${r.bytes} bytes)`);
    out.print(r.summary);
    return 0;
  } catch (e) {
    if (e instanceof AppError) {
      out.error(`${e.zh}\n${e.en}`);
      return 1;
    }
    throw e;
  }
}
