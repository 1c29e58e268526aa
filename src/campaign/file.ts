/**
 * Campaign files: one YAML (or JSON) file describes one campaign — its checklist (a built-in template
 * or an inline one), the organisation (units, people), who answers which item by when, the group chats,
 * schedules and the escalation ladder. The format is documented in docs/campaign-file.md.
 *
 * Parsing never stops at the first problem: every error is collected with the file, the line (and
 * column) of the offending key, and a short message, e.g.
 *   examples/bureau.yaml:42: assignment 3: unknown unit "finance2"
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { type CampaignSpec, type EscalationStep, type ScheduleSpec } from "../domain/types";
import { CampaignChecker } from "./check";
import { dropNulls, isPlainObject } from "./check-words";
import { type Dict, EMPTY_FILE, NOT_A_MAP } from "./collector";
import type { FeishuOrg } from "./org-feishu";
import { isIsoDate } from "./schema";
import { type Path, SourceMap } from "./source-map";

export interface FileError {
  file: string;
  /** 1-based line; 0 when the problem concerns the whole file (e.g. it cannot be read). */
  line: number;
  column?: number;
  /** Where in a workbook, `sheet!cell` (e.g. `人员!D12`); set by the .xlsx reader, absent for YAML. */
  cell?: string;
  message: string;
}

export type ParseResult =
  { ok: true; spec: CampaignSpec; warnings: FileError[] } | { ok: false; errors: FileError[] };

export interface ParseOptions {
  /** Today's date (YYYY-MM-DD) in the organisation's time zone; due dates before it are errors. */
  today: string;
  /** The organisation fetched from Feishu for a file with `org: from: feishu` (org-feishu.ts). */
  org?: FeishuOrg;
}

export const DEFAULT_TIMEZONE = "Asia/Shanghai";

export const DEFAULT_SCHEDULES: Readonly<ScheduleSpec> = Object.freeze({
  reminderSweep: "0 9 * * 1-5",
  escalationSweep: "30 9 * * 1-5",
  broadcast: "0 17 * * 5",
  leadersDigest: "0 8 * * 1",
});

export const DEFAULT_ESCALATION: readonly EscalationStep[] = Object.freeze([
  { afterWorkingDays: 0, to: "owner" },
  { afterWorkingDays: 2, to: "head" },
  { afterWorkingDays: 5, to: "leader" },
  { afterWorkingDays: 10, to: "admins" },
] as const);

export const DEFAULT_REVIEWER: CampaignSpec["reviewer"] = "head";
export const DEFAULT_REMIND_BEFORE: readonly number[] = Object.freeze([3, 1]);

/** `file:line:column: message` (line and column left out when unknown). */
export function formatFileError(e: FileError): string {
  if (e.cell) return `${e.file}: ${e.cell}: ${e.message}`;
  if (e.line <= 0) return `${e.file}: ${e.message}`;
  return e.column ? `${e.file}:${e.line}:${e.column}: ${e.message}` : `${e.file}:${e.line}: ${e.message}`;
}

export const WRONG_ENCODING =
  "文件编码不对：须为 UTF-8（或带 BOM 的 UTF-16），请“另存为 UTF-8”后重新导入 / wrong encoding: the file must be UTF-8 (or UTF-16 with a byte-order mark); save it as UTF-8 and import again";

/**
 * The text of a campaign file's bytes: UTF-8 (a byte-order mark is dropped), or UTF-16 LE/BE when it
 * starts with its byte-order mark. Anything else (GBK, UTF-16 without a mark, binary) is refused
 * with WRONG_ENCODING rather than read as garbage.
 */
export function decodeCampaignBytes(bytes: Uint8Array): { text: string } | { problem: string } {
  const [a, b] = bytes;
  try {
    if (a === 0xff && b === 0xfe) return { text: new TextDecoder("utf-16le", { fatal: true }).decode(bytes) };
    if (a === 0xfe && b === 0xff) return { text: new TextDecoder("utf-16be", { fatal: true }).decode(bytes) };
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a UTF-8 BOM
    return text.includes("\u0000") ? { problem: WRONG_ENCODING } : { text };
  } catch {
    return { problem: WRONG_ENCODING };
  }
}

/** Reads and parses a campaign file; an unreadable file is reported as an error, not thrown. */
export async function loadCampaignFile(path: string, opts: ParseOptions): Promise<ParseResult> {
  const read = await readCampaignText(path);
  return "text" in read ? parseCampaignFile(read.text, path, opts) : { ok: false, errors: [read.error] };
}

/** The decoded text of a campaign file, or the error to report (unreadable, wrong encoding). */
export async function readCampaignText(path: string): Promise<{ text: string } | { error: FileError }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return {
      error: {
        file: path,
        line: 0,
        message: `无法读取文件（${reason}），请检查路径 / cannot read the file (${reason}): check the path`,
      },
    };
  }
  const decoded = decodeCampaignBytes(bytes);
  return "text" in decoded ? decoded : { error: { file: path, line: 0, message: decoded.problem } };
}

/** Parses and validates campaign file text (YAML or JSON). `file` names the file in messages. */
export function parseCampaignFile(text: string, file: string, opts: ParseOptions): ParseResult {
  if (!isIsoDate(opts.today)) throw new TypeError(`today must be a YYYY-MM-DD date, got "${opts.today}"`);
  if (text.includes("\u0000")) return { ok: false, errors: [{ file, line: 0, message: WRONG_ENCODING }] };
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });

  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? 1,
        column: e.linePos?.[0].col,
        message:
          e.code === "MULTIPLE_DOCS"
            ? 'YAML 语法错误：文件里有多个文档（"---"），一个文件只放一个活动 / YAML syntax error: the file holds several documents ("---"); keep one campaign per file'
            : `YAML 语法错误 / YAML syntax error: ${e.message.split(/ at line \d+/)[0]}`,
      })),
    };
  }

  let root: unknown;
  try {
    root = dropNulls(doc.toJS({ maxAliasCount: 1000 }));
  } catch (err) {
    return {
      ok: false,
      errors: [
        { file, line: 1, message: `无法读取文档 / cannot read the document: ${(err as Error).message}` },
      ],
    };
  }
  const map = new SourceMap(doc, lines);
  if (root === undefined) {
    return { ok: false, errors: [{ file, line: 1, message: EMPTY_FILE }] };
  }
  if (!isPlainObject(root)) {
    const { line, column } = map.locate([]);
    return {
      ok: false,
      errors: [{ file, line, column, message: NOT_A_MAP }],
    };
  }
  return new CampaignChecker(file, map, root, opts.today, opts.org).run();
}

/** Where a path of the raw campaign object is in its file: a YAML line, or a workbook cell. */
export interface Locator {
  locate(path: Path): { line: number; column: number; cell?: string };
}

/**
 * The one checker behind every reader: checks a raw campaign object (the YAML shape, snake_case
 * keys) and names each problem where `locator` says its path is. The .xlsx reader uses it.
 */
export function checkCampaign(root: Dict, file: string, locator: Locator, opts: ParseOptions): ParseResult {
  if (!isIsoDate(opts.today)) throw new TypeError(`today must be a YYYY-MM-DD date, got "${opts.today}"`);
  return new CampaignChecker(file, locator, root, opts.today, opts.org).run();
}
