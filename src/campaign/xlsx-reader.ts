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
import ExcelJS from "exceljs";
import { checkCampaign, type FileError, type ParseOptions, type ParseResult } from "./file";
import { SHEET } from "./xlsx-template";
import { WorkbookReader } from "./xlsx-workbook";

type Dict = Record<string, unknown>;

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
