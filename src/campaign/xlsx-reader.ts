/**
 * Reads a campaign workbook (.xlsx, the layout of xlsx-template.ts) into the same raw campaign object a
 * YAML file gives, plus a map from paths to cells, and runs the one checker (file.ts) over it: every
 * problem is named by sheet and cell (`人员!C12: …`), all at once.
 *
 * The reader only turns cells into values: dates typed as dates or as text become YYYY-MM-DD, numbers
 * become text where text is expected, names of units and people become their keys, blank rows are
 * skipped, and merged or blank section cells in 清单 repeat the section above. Everything else (what is
 * required, what must exist, what is a valid date) is the checker's.
 */
import { createHash } from "node:crypto";
import ExcelJS from "exceljs";
import { checkCampaign, type FileError, type Locator, type ParseOptions, type ParseResult } from "./file";
import type { Path } from "./source-map";
import {
  ALL_WORDS,
  ASSIGNMENTS_SHEET,
  CHECKLIST_SHEET,
  LADDER_WORDS,
  LOCALE_WORDS,
  MAX_ROWS,
  PEOPLE_SHEET,
  ROLE_WORDS,
  SETTINGS,
  SHEET,
  UNITS_SHEET,
  columnLetter,
  type ColumnDef,
  type FieldKind,
  type ListSheetDef,
} from "./xlsx-template";

type Dict = Record<string, unknown>;

/** 清单 columns that belong to an item, not to its section. */
const ITEM_FIELDS = ["key", "title", "checkpoints", "due"];

/** How many top rows may stand above a sheet's header row (titles, notes). */
const HEADER_SEARCH_ROWS = 10;

/** Workbooks larger than this are refused before they are opened. */
export const MAX_WORKBOOK_BYTES = 10 * 1024 * 1024;

const SHEET_ORDER: readonly string[] = [
  SHEET.campaign,
  SHEET.checklist,
  SHEET.units,
  SHEET.people,
  SHEET.assignments,
];

/** The workbook read into a raw campaign object, ready to be checked (maybe several times). */
export interface WorkbookRead {
  ok: true;
  raw: Dict;
  /** Problems found while reading (missing columns, ambiguous names); reported with the checker's. */
  errors: FileError[];
  check(opts: ParseOptions): ParseResult;
}

export type WorkbookReadResult = WorkbookRead | { ok: false; errors: FileError[] };

interface Cell {
  sheet: string;
  row: number;
  col: number;
}

function cellRef(c: Cell): string {
  return `${c.sheet}!${columnLetter(c.col - 1)}${c.row}`;
}

/** Paths of the raw object → cells; a path not recorded is located at its nearest recorded parent. */
class CellMap implements Locator {
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

type Scalar = string | number | boolean | Date;

/** The value a cell shows: formulas give their result, rich text and links their text. */
function scalar(value: ExcelJS.CellValue): Scalar | undefined {
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

function textValue(v: Scalar): string {
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

function convert(kind: FieldKind, v: Scalar): unknown {
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

// --- sheets --------------------------------------------------------------------------------------

interface Row {
  sheet: string;
  row: number;
  values: Map<string, unknown>;
  cells: Map<string, Cell>;
}

interface SheetRows {
  rows: Row[];
  /** Fields whose column is missing → the header cell where it was expected. */
  missing: Map<string, Cell>;
}

function normaliseHeader(text: string): string {
  return text
    .replace(/[（(][^）)]*[）)]/g, "")
    .replace(/[\s*＊:：]/g, "")
    .toLowerCase();
}

function readListSheet(
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

function derivedKey(prefix: string, text: string): string {
  return `${prefix}-${createHash("sha1").update(text).digest("hex").slice(0, 8)}`;
}

/** Builds the raw campaign object and its cell map from the sheets of a workbook. */
class WorkbookReader {
  readonly errors: FileError[] = [];
  readonly map = new CellMap();
  readonly raw: Dict = {};
  /** Cells of missing columns: checker errors there are already reported as the missing column. */
  readonly missingCells = new Set<string>();

  constructor(
    private readonly wb: ExcelJS.Workbook,
    private readonly file: string,
  ) {}

  private error(cell: Cell, message: string): void {
    this.errors.push({ file: this.file, line: cell.row, column: cell.col, cell: cellRef(cell), message });
  }

  /** Reads a list sheet; `base` (the raw list it fills) is located at its first data row. */
  private sheet(def: ListSheetDef, base: Path): SheetRows {
    this.map.set(base, { sheet: def.name, row: 2, col: 1 });
    const ws = this.wb.getWorksheet(def.name);
    if (!ws) return { rows: [], missing: new Map() };
    const read = readListSheet(ws, def, this.errors, this.file);
    for (const cell of read.missing.values()) this.missingCells.add(cellRef(cell));
    return read;
  }

  /** Records every cell of a row under `base`, so a missing value is named by its own cell. */
  private place(base: Path, row: Row, fields: Record<string, string> = {}): void {
    this.map.set(base, { sheet: row.sheet, row: row.row, col: 1 });
    for (const [field, cell] of row.cells) this.map.set([...base, fields[field] ?? field], cell);
  }

  read(): void {
    this.settings();
    const checklist = this.checklist();
    const units = this.sheet(UNITS_SHEET, ["units"]);
    const people = this.sheet(PEOPLE_SHEET, ["people"]);
    const unitKey = this.unitKeys(units);
    const personKey = this.personKeys(people);
    this.units(units, personKey);
    this.people(people, unitKey);
    this.assignments(checklist, unitKey, personKey);
  }

  private settings(): void {
    const ws = this.wb.getWorksheet(SHEET.campaign);
    this.map.set([], { sheet: SHEET.campaign, row: 1, col: 1 });
    if (!ws) return;
    const byLabel = new Map(SETTINGS.map((s) => [normaliseHeader(s.label), s]));
    for (const s of SETTINGS) byLabel.set(normaliseHeader(s.path.join(".")), s);
    const last = Math.min(ws.rowCount, 200);
    for (let r = 1; r <= last; r++) {
      const row = ws.getRow(r);
      const label = scalar(row.getCell(1).value);
      if (label === undefined) continue;
      const s = byLabel.get(normaliseHeader(textValue(label)));
      const valueCell = { sheet: SHEET.campaign, row: r, col: 2 };
      const v = scalar(row.getCell(2).value);
      if (!s) {
        if (r > 1 && v !== undefined)
          this.error(
            { ...valueCell, col: 1 },
            `不认识的项目“${textValue(label)}” / unknown row "${textValue(label)}"`,
          );
        continue;
      }
      this.map.set(s.path, valueCell);
      if (v === undefined) continue;
      let value = convert(s.kind, v);
      if (s.path[0] === "chats") value = (value as string[]).map(chatEntry);
      if (s.path[0] === "escalation") value = (value as string[]).map(ladderStep);
      if (s.path[0] === "reviewer") value = LADDER_WORDS[value as string] ?? value;
      if (s.path[0] === "remind_before")
        value = (value as unknown[]).map((x) => (typeof x === "string" && /^\d+$/.test(x) ? Number(x) : x));
      setPath(this.raw, s.path, value);
    }
  }

  /** 清单 rows become sections (a new one when the section columns change) and items. */
  private checklist(): Map<string, { due?: unknown; cell: Cell }> {
    const read = this.sheet(CHECKLIST_SHEET, ["checklist", "sections"]);
    const dueByItem = new Map<string, { due?: unknown; cell: Cell }>();
    const sections: Dict[] = [];
    const checklist = (this.raw.checklist ??= {}) as Dict;
    let current: Dict | undefined;
    for (const row of read.rows) {
      const v = row.values;
      const sectionKey = v.get("section_key") as string | undefined;
      const sectionTitle = v.get("section_title") as string | undefined;
      const startsSection =
        current === undefined ||
        (sectionKey !== undefined && sectionKey !== current.key) ||
        (sectionKey === undefined && sectionTitle !== undefined && sectionTitle !== current.title);
      if (startsSection) {
        const s = sections.length;
        const title = sectionTitle;
        current = {
          key: sectionKey ?? (title !== undefined ? derivedKey("s", title) : undefined),
          items: [],
        };
        if (v.has("section_code")) current.code = v.get("section_code");
        if (title !== undefined) current.title = title;
        sections.push(dropUndefined(current));
        this.place(["checklist", "sections", s], row, {
          section_key: "key",
          section_code: "code",
          section_title: "title",
        });
      }
      // A row that only names a section (a heading row above its items) adds no item.
      if (!ITEM_FIELDS.some((f) => v.has(f))) continue;
      const items = current!.items as Dict[];
      const i = items.length;
      const title = v.get("title") as string | undefined;
      const item = dropUndefined({
        key: v.get("key") ?? (title !== undefined ? derivedKey("i", title) : undefined),
        title,
        checkpoints: v.get("checkpoints"),
      });
      items.push(item);
      const path = ["checklist", "sections", sections.length - 1, "items", i];
      this.place(path, row);
      const ref = { due: v.get("due"), cell: row.cells.get("due")! };
      for (const name of [item.key, title])
        if (typeof name === "string" && !dueByItem.has(name)) dueByItem.set(name, ref);
    }
    if (sections.length > 0) checklist.sections = sections;
    return dueByItem;
  }

  /** Unit name or key → key. */
  private unitKeys(read: SheetRows): Map<string, string> {
    const out = new Map<string, string>();
    for (const row of read.rows) {
      const name = row.values.get("name") as string | undefined;
      const key = (row.values.get("key") as string | undefined) ?? (name ? derivedKey("u", name) : undefined);
      if (key === undefined) continue;
      row.values.set("key", key);
      out.set(key, key);
      if (name !== undefined && !out.has(name)) out.set(name, key);
    }
    return out;
  }

  /** Person key or name → the keys it may mean (more than one when people share a name). */
  private personKeys(read: SheetRows): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const names = new Map<string, string[]>();
    for (const row of read.rows) {
      const v = row.values;
      const identity = [v.get("open_id"), v.get("mobile"), v.get("email")].find(
        (x) => typeof x === "string",
      ) as string | undefined;
      const key =
        (v.get("key") as string | undefined) ??
        (identity !== undefined ? derivedKey("p", identity.toLowerCase()) : undefined);
      if (key === undefined) continue;
      v.set("key", key);
      out.set(key, [key]);
      const name = v.get("name") as string | undefined;
      if (name !== undefined) names.set(name, [...new Set([...(names.get(name) ?? []), key])]);
    }
    for (const [name, key] of names) if (!out.has(name)) out.set(name, key);
    return out;
  }

  /** Resolves a name to a key; an ambiguous name is an error at its cell. Unknown names pass through. */
  private resolve(map: Map<string, string[]>, ref: string, cell: Cell): string {
    if (ALL_WORDS.includes(ref)) return "all";
    const keys = map.get(ref);
    if (!keys) return ref;
    if (keys.length > 1) {
      this.error(
        cell,
        `有几个人叫“${ref}”，请在人员表填“人员编号”并在这里写编号 / several people are named "${ref}"; use their key`,
      );
    }
    // The first of them, so the checker does not also call the name unknown (the error above blocks it).
    return keys[0];
  }

  private units(read: SheetRows, personKey: Map<string, string[]>): void {
    const list = read.rows.map((row, index) => {
      this.place(["units", index], row);
      const v = row.values;
      const out: Dict = { key: v.get("key"), name: v.get("name") };
      for (const f of ["head", "leader"])
        if (v.has(f)) out[f] = this.resolve(personKey, v.get(f) as string, row.cells.get(f)!);
      return dropUndefined(out);
    });
    if (this.wb.getWorksheet(SHEET.units)) this.raw.units = list;
  }

  private people(read: SheetRows, unitKey: Map<string, string>): void {
    const list = read.rows.map((row, index) => {
      this.place(["people", index], row);
      const v = row.values;
      const out: Dict = { key: v.get("key"), name: v.get("name") };
      if (v.has("unit")) out.unit = unitKey.get(v.get("unit") as string) ?? v.get("unit");
      if (v.has("roles"))
        out.roles = (v.get("roles") as unknown[]).map(
          (r) => ROLE_WORDS[String(r)] ?? String(r).toLowerCase(),
        );
      for (const f of ["mobile", "email", "open_id"]) if (v.has(f)) out[f] = v.get(f);
      if (v.has("locale")) out.locale = LOCALE_WORDS[v.get("locale") as string] ?? v.get("locale");
      return dropUndefined(out);
    });
    if (this.wb.getWorksheet(SHEET.people)) this.raw.people = list;
  }

  private assignments(
    dueByItem: Map<string, { due?: unknown; cell: Cell }>,
    unitKey: Map<string, string>,
    personKey: Map<string, string[]>,
  ): void {
    const read = this.sheet(ASSIGNMENTS_SHEET, ["assignments"]);
    const titles = new Set(dueByItem.keys());
    const list = read.rows.map((row, index) => {
      const path = ["assignments", index];
      this.place(path, row);
      const v = row.values;
      const out: Dict = {};
      if (v.has("item")) {
        // A title that itself holds a separator stays whole.
        const whole = (v.get("item") as string[]).join("、");
        const refs = titles.has(whole) ? [whole] : (v.get("item") as string[]);
        out.item = refs.map((r) => (ALL_WORDS.includes(r) ? "all" : r));
      }
      if (v.has("units"))
        out.units = (v.get("units") as string[]).map((u) =>
          ALL_WORDS.includes(u) ? "all" : (unitKey.get(u) ?? u),
        );
      if (v.has("people"))
        out.people = (v.get("people") as string[]).map((p) =>
          this.resolve(personKey, p, row.cells.get("people")!),
        );
      if (v.has("due")) out.due = v.get("due");
      else if (Array.isArray(out.item) && out.item.length === 1) {
        // No due date here: the item's own 完成时限 in 清单, named by its cell there.
        const fallback = dueByItem.get(out.item[0] as string);
        if (fallback?.due !== undefined) {
          out.due = fallback.due;
          this.map.set([...path, "due"], fallback.cell);
        }
      }
      return out;
    });
    if (this.wb.getWorksheet(SHEET.assignments)) this.raw.assignments = list;
  }
}

function chatEntry(line: string): unknown {
  const m = /(oc_[A-Za-z0-9]+)/.exec(line);
  if (!m) return line;
  const name = line
    .replace(m[1], "")
    .replace(/[（）()]/g, " ")
    .trim();
  return name ? { chat_id: m[1], name } : { chat_id: m[1] };
}

function ladderStep(step: string): string {
  const m = /^\s*([^@\s]+)\s*@\s*(\S+)\s*$/.exec(step);
  return m ? `${LADDER_WORDS[m[1]] ?? m[1]}@${m[2]}` : step;
}

function setPath(root: Dict, path: readonly string[], value: unknown): void {
  let node = root;
  for (const seg of path.slice(0, -1)) node = (node[seg] ??= {}) as Dict;
  node[path[path.length - 1]] = value;
}

function dropUndefined<T extends Dict>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

// --- entry points --------------------------------------------------------------------------------

function fileError(file: string, message: string): { ok: false; errors: FileError[] } {
  return { ok: false, errors: [{ file, line: 0, message }] };
}

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

/** A workbook whose parts unpack to more than this is refused unopened (a zip bomb, or not a campaign). */
export const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;

/**
 * The total unpacked size the zip's central directory declares, without unpacking anything; undefined
 * when there is no readable directory. ZIP64 entries (sizes of 4 GiB and more) count as infinite.
 */
export function unpackedSize(bytes: Buffer): number | undefined {
  const EOCD = 0x06054b50;
  const CENTRAL = 0x02014b50;
  const from = Math.max(0, bytes.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= from; i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const entries = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) return undefined;
    const size = bytes.readUInt32LE(at + 24);
    if (size === 0xffffffff) return Infinity;
    total += size;
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return total;
}

/** True when the bytes look like a zip container (an .xlsx is one). */
export function looksLikeXlsx(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 4)).equals(ZIP);
}

/** Reads a workbook's bytes; a broken or foreign file is an error result, never a throw. */
export async function readCampaignWorkbook(bytes: Buffer, file: string): Promise<WorkbookReadResult> {
  if (bytes.length > MAX_WORKBOOK_BYTES)
    return fileError(file, `文件超过 10 MB，请删去无关内容后再试 / the file is over 10 MB`);
  if (Buffer.from(bytes.subarray(0, 4)).equals(OLE))
    return fileError(
      file,
      "这是旧版 .xls 或设了密码的文件：请在 Excel 里去掉密码、另存为 .xlsx 后再导入 / an .xls or password-protected file; save it as .xlsx without a password",
    );
  if (!looksLikeXlsx(bytes))
    return fileError(file, "不是 Excel 工作簿（.xlsx）：请用模板填写后导入 / not an .xlsx workbook");
  const unpacked = unpackedSize(bytes);
  if (unpacked === undefined)
    return fileError(file, "这个 Excel 文件已损坏，无法打开 / the workbook is damaged (no zip directory)");
  if (unpacked > MAX_UNPACKED_BYTES)
    return fileError(
      file,
      `文件解压后超过 ${MAX_UNPACKED_BYTES / 1024 / 1024} MB，不像是活动表格，未导入 / the workbook unpacks to more than ${MAX_UNPACKED_BYTES / 1024 / 1024} MB`,
    );
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  } catch (err) {
    return fileError(
      file,
      `无法打开这个 Excel 文件，它可能已损坏或不是 .xlsx / cannot open the workbook (${(err as Error).message})`,
    );
  }
  if (wb.worksheets.length === 0)
    return fileError(
      file,
      "这个文件里没有工作表，不是 Excel 工作簿（.xlsx） / not an .xlsx workbook (no sheets)",
    );
  const present = SHEET_ORDER.filter((name) => wb.getWorksheet(name));
  if (present.length === 0) {
    return fileError(
      file,
      `工作簿里没有“${SHEET_ORDER.join("”“")}”这些表：请用活动模板填写（npm run cli -- template xlsx） / none of the template's sheets are in this workbook`,
    );
  }
  const reader = new WorkbookReader(wb, file);
  for (const name of SHEET_ORDER) {
    if (!wb.getWorksheet(name))
      reader.errors.push({ file, line: 0, cell: name, message: `缺少“${name}”表 / missing sheet "${name}"` });
  }
  reader.read();
  const { raw, map, errors, missingCells } = reader;
  return {
    ok: true,
    raw,
    errors,
    check(opts: ParseOptions): ParseResult {
      const result = checkCampaign(raw, file, map, opts);
      const checked = result.ok ? [] : result.errors.filter((e) => !e.cell || !missingCells.has(e.cell));
      const all = dedupe([...errors, ...checked]);
      if (all.length === 0 && result.ok)
        return { ok: true, spec: result.spec, warnings: byCell(result.warnings) };
      return { ok: false, errors: byCell(all) };
    },
  };
}

function dedupe(errors: FileError[]): FileError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.cell ?? ""}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Sheets in template order, then rows, then columns. */
function byCell(entries: FileError[]): FileError[] {
  const sheetIndex = (e: FileError): number => {
    const name = e.cell?.split("!")[0] ?? "";
    const i = SHEET_ORDER.indexOf(name);
    return i < 0 ? -1 : i;
  };
  return entries
    .map((e, i) => ({ e, i }))
    .sort(
      (a, b) =>
        sheetIndex(a.e) - sheetIndex(b.e) ||
        a.e.line - b.e.line ||
        (a.e.column ?? 0) - (b.e.column ?? 0) ||
        a.i - b.i,
    )
    .map(({ e }) => e);
}
