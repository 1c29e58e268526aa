import ExcelJS from "exceljs";
import { width, type LedgerModel } from "./ledger-view";

/**
 * Lays a ledger model out as .xlsx with exceljs's streaming writer (rows go to disk as they are
 * committed, so a large campaign does not sit in memory twice). Print setup is what offices hand upward:
 * A4 landscape, fitted to the page width, the header row repeated on every page.
 */
const FONT = { name: "宋体", size: 11 } as const;
const HEADER_FONT = { name: "黑体", size: 11, bold: true } as const;
const FILL = {
  header: "FFD9E1F2",
  overdue: "FFFFC7CE",
  soon: "FFFFEB9C",
  answered: "FFC6EFCE",
  problems: "FFFFEB9C",
  partly: "FFFFF2CC",
  missing: "FFFFC7CE",
} as const;
const BORDER = { style: "thin", color: { argb: "FFBFBFBF" } } as const;
const BORDERS = { top: BORDER, left: BORDER, bottom: BORDER, right: BORDER };

const fill = (argb: string): ExcelJS.Fill => ({ type: "pattern", pattern: "solid", fgColor: { argb } });

function landscape(extra: Partial<ExcelJS.PageSetup> = {}): Partial<ExcelJS.PageSetup> {
  return {
    paperSize: 9, // A4
    orientation: "landscape",
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    horizontalCentered: true,
    margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    printTitlesRow: "1:1",
    ...extra,
  };
}

/** "A", "B", …, "AA" for a 1-based column number. */
export function columnLetter(n: number): string {
  let s = "";
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** A calendar date as Excel stores it: midnight UTC, so no time zone moves it to another day. */
function excelDate(iso: string): Date {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

export async function writeLedger(model: LedgerModel, outPath: string): Promise<void> {
  // One style object per kind of cell: exceljs recognises a style it has seen by identity, so shared
  // objects are written once instead of being compared cell by cell.
  const styles = new Map<string, Partial<ExcelJS.Style>>();
  const style = (key: string, make: () => Partial<ExcelJS.Style>) => {
    let s = styles.get(key);
    if (!s) styles.set(key, (s = make()));
    return s;
  };
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: outPath,
    useStyles: true,
    useSharedStrings: false,
  });
  wb.creator = "rectify-bot";
  wb.created = new Date();
  const footer = model.lang === "zh" ? "&C第 &P 页 / 共 &N 页" : "&CPage &P of &N";

  // --- 整改台账 ---------------------------------------------------------------------------------
  const cols = model.columns;
  const ws = wb.addWorksheet(model.sheets.ledger, {
    views: [{ state: "frozen", ySplit: 1, xSplit: 0 }],
    pageSetup: landscape(),
    headerFooter: { oddFooter: footer, evenFooter: footer },
  });
  ws.columns = cols.map((c) => ({ key: c.key, width: c.width }));
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: cols.length } };
  header(ws.addRow(cols.map((c) => c.title)));
  for (const r of model.rows) {
    const row = ws.addRow(
      cols.map((c) => {
        const v = r.cells[c.key];
        return c.kind === "date" && typeof v === "string" ? excelDate(v) : v;
      }),
    );
    row.height = rowHeight(cols.map((c) => [r.cells[c.key], c.width]));
    cols.forEach((c, i) => {
      row.getCell(i + 1).style = style(`l:${c.kind}:${r.highlight ?? ""}`, () => ({
        font: FONT,
        border: BORDERS,
        alignment: { vertical: "top", horizontal: c.kind === "text" ? "left" : "center", wrapText: true },
        ...(c.kind === "date" ? { numFmt: "yyyy-mm-dd" } : {}),
        ...(r.highlight ? { fill: fill(FILL[r.highlight]) } : {}),
      }));
    });
    row.commit();
  }
  const stateCol = cols.findIndex((c) => c.key === "state");
  if (stateCol >= 0) {
    const letter = columnLetter(stateCol + 1);
    // Room below the rows for lines the office adds by hand.
    // The streaming writer has the same `dataValidations` as a worksheet; its typings omit it.
    (
      ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }
    ).dataValidations.add(`${letter}2:${letter}${model.rows.length + 501}`, {
      type: "list",
      allowBlank: true,
      formulae: [`"${model.stateWords.join(",")}"`],
      showErrorMessage: true,
      errorTitle: model.lang === "zh" ? "完成情况" : "Status",
      error:
        model.lang === "zh"
          ? `请从列表中选择：${model.stateWords.join("、")}`
          : "Choose a status from the list.",
    });
  }
  ws.commit();

  // --- 自查情况 ---------------------------------------------------------------------------------
  const cov = model.coverage;
  const cs = wb.addWorksheet(model.sheets.coverage, {
    views: [{ state: "frozen", ySplit: 1, xSplit: 1 }],
    pageSetup: landscape({ printTitlesColumn: "A:A" }),
    headerFooter: { oddFooter: footer, evenFooter: footer },
  });
  cs.columns = cov.header.map((_, i) => ({ width: i === 0 ? 16 : i === cov.header.length - 1 ? 14 : 12 }));
  header(cs.addRow(cov.header), 48);
  for (const r of cov.rows) {
    const row = cs.addRow([r.name, ...r.cells.map((c) => c.text), r.answered]);
    row.eachCell({ includeEmpty: true }, (cell, n) => {
      const kind = n > 1 && n <= r.cells.length + 1 ? r.cells[n - 2].kind : "none";
      cell.style = style(`c:${n === 1}:${kind}`, () => ({
        font: FONT,
        border: BORDERS,
        alignment: { vertical: "middle", horizontal: n === 1 ? "left" : "center", wrapText: true },
        ...(kind !== "none" ? { fill: fill(FILL[kind]) } : {}),
      }));
    });
    row.commit();
  }
  cs.commit();

  // --- 统计 -------------------------------------------------------------------------------------
  const st = model.stats;
  const ss = wb.addWorksheet(model.sheets.stats, {
    pageSetup: landscape({ printTitlesRow: undefined }),
    headerFooter: { oddFooter: footer, evenFooter: footer },
  });
  ss.columns = st.header.map((_, i) => ({ width: i === 0 ? 30 : 14 }));
  const table = (label: string, rows: typeof st.byUnit) => {
    header(ss.addRow([label, ...st.header.slice(1)]));
    for (const r of [...rows, st.total]) {
      const row = ss.addRow([r.name, r.problems, r.measures, r.closed, r.overdue, r.rate, r.relapsed]);
      row.eachCell({ includeEmpty: true }, (cell, n) => {
        const bold = r === st.total;
        cell.style = style(`s:${bold}:${n === 1 ? "name" : n === 6 ? "rate" : "n"}`, () => ({
          font: bold ? { ...FONT, bold: true } : FONT,
          border: BORDERS,
          alignment: { vertical: "middle", horizontal: n === 1 ? "left" : "center", wrapText: true },
          ...(n === 6 ? { numFmt: "0.0%" } : {}),
        }));
      });
      row.commit();
    }
    ss.addRow([]).commit();
  };
  table(st.labels.bySection, st.bySection);
  table(st.labels.byUnit, st.byUnit);
  ss.commit();

  await wb.commit();
}

/**
 * Wrapped rows need a height: neither Excel nor LibreOffice grows a row written with none. Estimated from
 * the longest cell: its display width over the column's, plus its line breaks, 15 pt a line at 11 pt.
 */
export function rowHeight(cells: [unknown, number][]): number {
  let lines = 1;
  for (const [v, w] of cells) {
    if (typeof v !== "string" || !v) continue;
    const n = v
      .split("\n")
      .reduce((sum, part) => sum + Math.max(1, Math.ceil(width(part) / Math.max(1, w - 1))), 0);
    lines = Math.max(lines, n);
  }
  return Math.min(409, 15 * lines + 3);
}

const HEADER_STYLE: Partial<ExcelJS.Style> = {
  font: HEADER_FONT,
  fill: fill(FILL.header),
  border: BORDERS,
  alignment: { vertical: "middle", horizontal: "center", wrapText: true },
};

function header(row: ExcelJS.Row, height = 30): void {
  row.height = height;
  row.eachCell({ includeEmpty: true }, (cell) => (cell.style = HEADER_STYLE));
  row.commit();
}
