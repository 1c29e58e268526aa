// One list sheet of a campaign workbook read into rows of field values, each value with its cell.
import { createHash } from "node:crypto";
import type ExcelJS from "exceljs";
import type { FileError } from "./file";
import { MAX_ROWS, type ColumnDef, type ListSheetDef } from "./xlsx-template";
import { cellRef, convert, normaliseHeader, scalar, textValue, type Cell } from "./xlsx-cells";

/** How many top rows may stand above a sheet's header row (titles, notes). */
const HEADER_SEARCH_ROWS = 10;

export interface Row {
  sheet: string;
  row: number;
  values: Map<string, unknown>;
  cells: Map<string, Cell>;
}

export interface SheetRows {
  rows: Row[];
  /** Fields whose column is missing → the header cell where it was expected. */
  missing: Map<string, Cell>;
}

export function readListSheet(
  ws: ExcelJS.Worksheet,
  def: ListSheetDef,
  errors: FileError[],
  file: string,
): SheetRows {
  const byHeader = new Map<string, ColumnDef>();
  for (const c of def.columns)
    for (const h of [c.header, c.field, ...(c.aliases ?? [])]) byHeader.set(normaliseHeader(h), c);
  // The header row is the first of the top rows that names two known columns (a clerk may have put a
  // title row above it); row 1 when none does.
  let header = 1;
  let colOf = new Map<string, number>();
  let lastCol = 0;
  for (let r = 1; r <= Math.min(ws.rowCount, HEADER_SEARCH_ROWS); r++) {
    const found = new Map<string, number>();
    let last = 0;
    ws.getRow(r).eachCell({ includeEmpty: false }, (cell, col) => {
      const v = scalar(cell.value);
      if (v === undefined) return;
      last = Math.max(last, col);
      const c = byHeader.get(normaliseHeader(textValue(v)));
      if (c && !found.has(c.field)) found.set(c.field, col);
    });
    if (r === 1 || found.size >= 2) [header, colOf, lastCol] = [r, found, last];
    if (found.size >= 2) break;
  }
  const missing = new Map<string, Cell>();
  for (const c of def.columns) {
    if (colOf.has(c.field) || !c.required) continue;
    const cell = { sheet: def.name, row: header, col: lastCol + 1 + missing.size };
    missing.set(c.field, cell);
    errors.push({
      file,
      line: header,
      column: cell.col,
      cell: cellRef(cell),
      message: `缺少“${c.header}”列（表头的列名不要改动） / missing column "${c.header}"`,
    });
  }

  const rows: Row[] = [];
  const last = Math.min(ws.rowCount, MAX_ROWS + 1);
  for (let r = header + 1; r <= last; r++) {
    const row = ws.getRow(r);
    const values = new Map<string, unknown>();
    const cells = new Map<string, Cell>();
    for (const c of def.columns) {
      const col = colOf.get(c.field);
      const cell = col === undefined ? missing.get(c.field) : { sheet: def.name, row: r, col };
      if (cell) cells.set(c.field, cell);
      if (col === undefined) continue;
      const v = scalar(row.getCell(col).value);
      if (v !== undefined) values.set(c.field, convert(c.kind, v));
    }
    if (values.size > 0) rows.push({ sheet: def.name, row: r, values, cells });
  }
  if (ws.rowCount > MAX_ROWS + 1) {
    errors.push({
      file,
      line: MAX_ROWS + 2,
      cell: `${def.name}!A${MAX_ROWS + 2}`,
      message: `超过 ${MAX_ROWS} 行，请分成几个活动 / more than ${MAX_ROWS} rows`,
    });
  }
  return { rows, missing };
}

export function derivedKey(prefix: string, text: string): string {
  return `${prefix}-${createHash("sha1").update(text).digest("hex").slice(0, 8)}`;
}
