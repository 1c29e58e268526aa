// Cells of a campaign workbook: cell references, the path → cell map, and turning cell values into raw values.
import type ExcelJS from "exceljs";
import type { Locator } from "./file";
import type { Path } from "./source-map";
import { SHEET, columnLetter, type FieldKind } from "./xlsx-template";

type Dict = Record<string, unknown>;

export interface Cell {
  sheet: string;
  row: number;
  col: number;
}

export function cellRef(c: Cell): string {
  return `${c.sheet}!${columnLetter(c.col - 1)}${c.row}`;
}

/** Paths of the raw object → cells; a path not recorded is located at its nearest recorded parent. */
export class CellMap implements Locator {
  private readonly cells = new Map<string, Cell>();

  set(path: Path, cell: Cell): void {
    this.cells.set(path.join("\u0001"), cell);
  }

  find(path: Path): Cell | undefined {
    for (let n = path.length; n >= 0; n--) {
      const cell = this.cells.get(path.slice(0, n).join("\u0001"));
      if (cell) return cell;
    }
    return undefined;
  }

  locate(path: Path): { line: number; column: number; cell?: string } {
    const cell = this.find(path) ?? { sheet: SHEET.campaign, row: 1, col: 1 };
    return { line: cell.row, column: cell.col, cell: cellRef(cell) };
  }
}

// --- cell values ---------------------------------------------------------------------------------

export type Scalar = string | number | boolean | Date;

/** The value a cell shows: formulas give their result, rich text and links their text. */
export function scalar(value: ExcelJS.CellValue): Scalar | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean" || value instanceof Date) return value;
  const v = value as unknown as Dict;
  if (Array.isArray(v.richText))
    return scalar((v.richText as { text: string }[]).map((t) => t.text).join(""));
  if ("result" in v) return scalar(v.result as ExcelJS.CellValue);
  if ("formula" in v || "sharedFormula" in v) return undefined;
  if (typeof v.text === "string") return scalar(v.text);
  if ("error" in v) return String(v.error);
  return undefined;
}

function isoDate(d: Date): string | undefined {
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

const TEXT_DATE = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/;

/** A date typed as a date, an Excel serial number, or text such as 2027-01-15, 2027/1/15, 2027年1月15日. */
function dateValue(v: Scalar): unknown {
  if (v instanceof Date) return isoDate(v) ?? String(v);
  if (typeof v === "number") {
    // 1900 date system serial (what a date cell shows as a number when its format is lost).
    if (v >= 1 && v < 2958466) return isoDate(new Date(Math.round((v - 25569) * 86400000)));
    return String(v);
  }
  const text = String(v).normalize("NFKC").trim();
  const m = TEXT_DATE.exec(text);
  return m ? `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}` : text;
}

export function textValue(v: Scalar): string {
  if (v instanceof Date) return isoDate(v) ?? String(v);
  return String(v).trim();
}

/** Several values in one cell, separated by 、 , ， ; ； or new lines. */
function splitList(text: string): string[] {
  return text
    .split(/[、,，;；\n\r]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function convert(kind: FieldKind, v: Scalar): unknown {
  switch (kind) {
    case "date":
      return dateValue(v);
    case "mobile":
      return typeof v === "number" && Number.isSafeInteger(v) ? String(v) : textValue(v).normalize("NFKC");
    case "list":
      return typeof v === "number" ? [v] : splitList(textValue(v));
    case "lines":
      return textValue(v)
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter((s) => s !== "");
    default:
      return textValue(v);
  }
}

export function normaliseHeader(text: string): string {
  return text
    .replace(/[（(][^）)]*[）)]/g, "")
    .replace(/[\s*＊:：]/g, "")
    .toLowerCase();
}
