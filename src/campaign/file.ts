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
import type { z } from "zod";
import type {
  AssignmentSpec,
  CampaignSpec,
  ChecklistSpec,
  EscalationStep,
  PersonSpec,
  Role,
  ScheduleSpec,
  UnitSpec,
} from "../domain/types";
import { checkCron } from "./cron";
import {
  ALL,
  ROLES,
  TOP_LEVEL_KEYS,
  KNOWN_FIELDS,
  assignmentSchema,
  chatSchema,
  checklistSchema,
  dateSchema,
  escalationSchema,
  isIsoDate,
  keySchema,
  normaliseMobile,
  personSchema,
  remindBeforeSchema,
  reviewerSchema,
  ledgerSchema,
  reportSchema,
  schedulesSchema,
  sectionSchema,
  checkItemSchema,
  textSchema,
  timezoneSchema,
  unitSchema,
  type RawChecklist,
} from "./schema";
import { SourceMap, type Path, type PathSegment } from "./source-map";
import { TEMPLATES, getTemplate } from "./template";

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
  return new CampaignChecker(file, map, root, opts.today).run();
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
  return new CampaignChecker(file, locator, root, opts.today).run();
}

// ---------------------------------------------------------------------------------------------

const MISSING = "\u0000missing";

const EMPTY_FILE =
  "文件是空的：一个活动至少要有 key、title、start、units、people / the file is empty: a campaign needs at least key, title, start, units and people";
const NOT_A_MAP =
  "文件必须是活动字段的映射（key:、title: …） / the file must be a map of campaign fields (key:, title:, …)";

const WHAT_ZH: Record<string, string> = {
  "section key": "分节 key",
  "section code": "分节编号",
  "item key": "事项 key",
  "item title": "事项标题",
  "unit key": "单位 key",
  "unit name": "单位名称",
  "person key": "人员 key",
  open_id: "open_id",
  email: "邮箱",
  mobile: "手机号",
  "chat id": "群 chat_id",
};

/** `中文 / English`: every message states its rule in both languages, Chinese first. */
function bi(zh: string, en: string): string {
  return `${zh} / ${en}`;
}

const TYPE_WORDS: Record<string, [string, string]> = {
  string: ["文字", "text"],
  number: ["数字", "a number"],
  int: ["整数", "a whole number"],
  boolean: ["true 或 false", "true or false"],
  array: ["列表", "a list"],
  object: ["字段映射（key: value）", "a map of fields (key: value)"],
};

/** Per-parse zod error map: short phrases that follow a field name ("name" must be text). */
function errorMap(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    return MISSING;
  }
  switch (issue.code) {
    case "invalid_type": {
      const [zh, en] = TYPE_WORDS[issue.expected] ?? [issue.expected, issue.expected];
      const scalar = typeof issue.input === "number" || typeof issue.input === "boolean";
      // YAML reads 101, 2024 or yes as a number or boolean: text must then be quoted.
      if (issue.expected === "string" && scalar)
        return bi(
          `必须是${zh}：YAML 把 ${String(issue.input)} 读成了${typeof issue.input === "number" ? "数字" : "真假值"}，请加引号，如 "${String(issue.input)}"`,
          `must be ${en}: YAML read ${String(issue.input)} as a ${typeof issue.input === "number" ? "number" : "boolean"}; put it in quotes, e.g. "${String(issue.input)}"`,
        );
      return bi(`必须是${zh}`, `must be ${en}`);
    }
    case "invalid_value":
      return bi(
        `必须是以下之一：${issue.values.map(String).join("、")}`,
        `must be one of: ${issue.values.map(String).join(", ")}`,
      );
    case "too_small":
      return Number(issue.minimum) === 1 && (issue.origin === "array" || issue.origin === "string")
        ? bi("不能为空", "must not be empty")
        : bi(`不能小于 ${String(issue.minimum)}`, `must be at least ${String(issue.minimum)}`);
    case "too_big":
      return bi(`不能大于 ${String(issue.maximum)}`, `must be at most ${String(issue.maximum)}`);
    default:
      return undefined;
  }
}

interface Indexed<T> {
  index: number;
  value: T;
}

type Dict = Record<string, unknown>;

/** Collects errors and warnings with their lines, phrased as `<subject>: <problem>`. */
class Collector {
  readonly errors: FileError[] = [];
  readonly warnings: FileError[] = [];

  constructor(
    private readonly file: string,
    private readonly map: Locator,
    private readonly root: Dict,
  ) {}

  error(path: Path, problem: string): void {
    this.errors.push(this.entry(path, problem));
  }

  warn(path: Path, problem: string): void {
    this.warnings.push(this.entry(path, problem));
  }

  line(path: Path): number {
    return this.map.locate(path).line;
  }

  /** Parses one value with a schema; reports its issues under `path`. */
  field<T>(path: Path, schema: z.ZodType<T>, value: unknown): T | undefined {
    const result = schema.safeParse(value, { error: errorMap });
    if (result.success) return result.data;
    this.zodIssues(path, result.error.issues);
    return undefined;
  }

  /**
   * Parses a list element by element so that one broken element does not hide the checks on the
   * others. Returns the elements that passed, with their index.
   */
  list<T>(path: Path, schema: z.ZodType<T>, value: unknown, required: boolean): Indexed<T>[] {
    if (value === undefined) {
      if (required) {
        const name = String(path[path.length - 1]);
        this.error(path.slice(0, -1), bi(`缺少必填字段 "${name}"`, `missing "${name}" (required)`));
      }
      return [];
    }
    if (!Array.isArray(value)) {
      const name = String(path[path.length - 1]);
      this.error(path, bi(`"${name}" 必须是列表`, `"${name}" must be a list`));
      return [];
    }
    const out: Indexed<T>[] = [];
    value.forEach((element, index) => {
      const parsed = this.field([...path, index], schema, element);
      if (parsed !== undefined) out.push({ index, value: parsed });
    });
    return out;
  }

  private zodIssues(base: Path, issues: readonly z.core.$ZodIssue[]): void {
    for (const issue of issues) {
      const full: PathSegment[] = [
        ...base,
        ...issue.path.filter((p): p is string | number => typeof p !== "symbol"),
      ];
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) this.error([...full, k], unknownField(k, fieldsAt(full)));
        continue;
      }
      const { rest } = this.subject(full);
      const label = fieldLabel(rest);
      if (issue.message === MISSING) {
        this.error(
          full,
          label ? bi(`缺少必填字段 ${label}`, `missing ${label} (required)`) : bi("缺少", "missing"),
        );
      } else {
        this.error(full, label ? `${label} ${issue.message}` : issue.message);
      }
    }
  }

  private entry(path: Path, problem: string): FileError {
    const { line, column, cell } = this.map.locate(path);
    const { subject } = this.subject(path);
    const message = subject ? `${subject}: ${problem}` : problem;
    return cell
      ? { file: this.file, line, column, cell, message }
      : { file: this.file, line, column, message };
  }

  /** Who a path is about ("unit \"hr\"", "assignment 3") and the rest of the path. */
  private subject(path: Path): { subject: string; rest: Path } {
    const [head, index] = path;
    if (typeof index === "number") {
      const element = (this.root[head as string] as unknown[] | undefined)?.[index];
      const rest = path.slice(2);
      switch (head) {
        case "units":
          return { subject: named("unit", element, index), rest };
        case "people":
          return { subject: named("person", element, index), rest };
        case "assignments":
          return { subject: `assignment ${index + 1}`, rest };
        case "chats":
          return { subject: `chat ${index + 1}`, rest };
        case "escalation":
          return { subject: `escalation step ${index + 1}`, rest };
        default:
          return { subject: "", rest: path };
      }
    }
    if (head === "checklist") {
      const sectionIndex = path[2];
      if (path[1] === "sections" && typeof sectionIndex === "number") {
        const sections = (this.root.checklist as Dict | undefined)?.sections as unknown[] | undefined;
        const section = sections?.[sectionIndex];
        const itemIndex = path[4];
        if (path[3] === "items" && typeof itemIndex === "number") {
          const item = ((section as Dict | undefined)?.items as unknown[] | undefined)?.[itemIndex];
          const itemKey = keyOf(item);
          const subject = itemKey
            ? `item "${itemKey}"`
            : `${named("section", section, sectionIndex)} item ${itemIndex + 1}`;
          return { subject, rest: path.slice(5) };
        }
        return { subject: named("section", section, sectionIndex), rest: path.slice(3) };
      }
      return { subject: "checklist", rest: path.slice(1) };
    }
    if (head === "schedules" && path.length > 1) return { subject: "schedules", rest: path.slice(1) };
    return { subject: "", rest: path };
  }
}

function keyOf(element: unknown): string | undefined {
  const k = isPlainObject(element) ? element.key : undefined;
  return typeof k === "string" && k !== "" ? k : undefined;
}

function named(kind: string, element: unknown, index: number): string {
  const k = keyOf(element);
  return k ? `${kind} "${k}"` : `${kind} ${index + 1}`;
}

function fieldLabel(rest: Path): string {
  return rest.map((seg) => (typeof seg === "number" ? `entry ${seg + 1}` : `"${seg}"`)).join(" ");
}

// ---------------------------------------------------------------------------------------------

interface ChecklistIndex {
  /** Item keys, in checklist order. */
  items: string[];
  /** Item title → item key. */
  byTitle: Map<string, string>;
  /** Section key or code → its item keys. */
  sections: Map<string, string[]>;
  /** Path of each item in the file, for messages about it. */
  itemPaths: Map<string, Path>;
  titles: Map<string, string>;
}

/** Runs every check over a parsed document and builds the CampaignSpec. */
class CampaignChecker {
  private readonly c: Collector;
  private readonly root: Dict;

  constructor(
    file: string,
    map: Locator,
    root: Dict,
    private readonly today: string,
  ) {
    this.root = root;
    this.c = new Collector(file, map, root);
  }

  run(): ParseResult {
    const { c, root } = this;

    for (const k of Object.keys(root)) {
      if (!(TOP_LEVEL_KEYS as readonly string[]).includes(k)) {
        c.error([k], unknownField(k, TOP_LEVEL_KEYS));
      }
    }

    const key = c.field(["key"], keySchema, root.key);
    const title = c.field(["title"], textSchema, root.title);
    const timezone =
      root.timezone === undefined ? DEFAULT_TIMEZONE : c.field(["timezone"], timezoneSchema, root.timezone);
    const { start, end } = this.dates();

    const checklist = this.checklist(key);
    const index = checklist ? indexChecklist(checklist, root.template !== undefined) : undefined;

    const units = this.units();
    const people = this.people(units);
    this.unitReferences(units, people);

    const assignments = this.assignments(index, units, people, start, end);
    const chats = this.chats();
    const schedules = this.schedules(timezone);
    const escalation = this.escalation();
    const reviewer =
      root.reviewer === undefined ? DEFAULT_REVIEWER : c.field(["reviewer"], reviewerSchema, root.reviewer);
    const remindBefore = this.remindBefore();
    const ledger = root.ledger === undefined ? undefined : this.ledger();
    const report = root.report === undefined ? undefined : c.field(["report"], reportSchema, root.report);

    this.organisationWarnings(units, people, escalation, reviewer);

    if (c.errors.length > 0) return { ok: false, errors: byLine(c.errors) };
    const spec: CampaignSpec = {
      key: key!,
      title: title!,
      timezone: timezone!,
      startDate: start!,
      ...(end !== undefined ? { endDate: end } : {}),
      checklist: checklist!,
      units: units.map((u) => u.value),
      people: people.map((p) => p.value),
      assignments,
      chats,
      schedules: schedules!,
      escalation: escalation!,
      reviewer: reviewer!,
      remindBefore: remindBefore!,
      ...(ledger ? { ledger } : {}),
      ...(report && (report.basis || report.organisation) ? { report } : {}),
    };
    return { ok: true, spec, warnings: byLine(c.warnings) };
  }

  private dates(): { start?: string; end?: string } {
    const { c, root, today } = this;
    const start = c.field(["start"], dateSchema, root.start);
    const end = root.end === undefined ? undefined : c.field(["end"], dateSchema, root.end);
    if (start && end && end < start)
      c.error(["end"], bi(`结束日期 ${end} 早于开始日期 ${start}`, `end ${end} is before start ${start}`));
    else if (end && end < today)
      c.error(
        ["end"],
        bi(`结束日期 ${end} 已过（今天是 ${today}）`, `end ${end} is in the past (today is ${today})`),
      );
    return { start, end };
  }

  // --- checklist -----------------------------------------------------------------------------

  private checklist(campaignKey: string | undefined): ChecklistSpec | undefined {
    const { c, root } = this;
    const hasTemplate = root.template !== undefined;
    const hasInline = root.checklist !== undefined;
    if (hasTemplate && hasInline) {
      c.error(
        ["checklist"],
        bi('"template" 和 "checklist" 只能用一个', 'use either "template" or "checklist", not both'),
      );
      return undefined;
    }
    if (!hasTemplate && !hasInline) {
      const example = Object.keys(TEMPLATES)[0];
      c.error(
        [],
        bi(
          `缺少 "template"（如 template: ${example}）或内联的 "checklist"：二者须有其一`,
          `missing "template" (e.g. template: ${example}) or an inline "checklist"`,
        ),
      );
      return undefined;
    }
    if (hasTemplate) {
      const name = c.field(["template"], keySchema, root.template);
      if (name === undefined) return undefined;
      const template = getTemplate(name);
      if (!template) {
        const known = Object.keys(TEMPLATES);
        c.error(
          ["template"],
          bi(
            `未知模板 "${name}"（可用：${known.join("、")}）`,
            `unknown template "${name}" (known: ${known.join(", ")})`,
          ),
        );
        return undefined;
      }
      return structuredClone(template);
    }
    const raw = c.field(["checklist"], checklistSchema, root.checklist);
    return raw ? this.inlineChecklist(raw, campaignKey) : undefined;
  }

  private inlineChecklist(raw: RawChecklist, campaignKey: string | undefined): ChecklistSpec {
    const { c } = this;
    const sectionKeys = new Map<string, Path>();
    const sectionCodes = new Map<string, Path>();
    const itemKeys = new Map<string, Path>();
    const itemTitles = new Map<string, Path>();
    const base = ["checklist", "sections"];

    raw.sections.forEach((section, s) => {
      const sPath = [...base, s];
      this.unique(sectionKeys, section.key, [...sPath, "key"], "section key");
      if (section.code !== undefined)
        this.unique(sectionCodes, section.code, [...sPath, "code"], "section code");
      section.items.forEach((item, i) => {
        const iPath = [...sPath, "items", i];
        this.unique(itemKeys, item.key, [...iPath, "key"], "item key");
        this.unique(itemTitles, item.title, [...iPath, "title"], "item title");
        if (!item.checkpoints || item.checkpoints.length === 0) {
          c.warn(
            iPath,
            bi("没有检查要点，填报的人得不到指引", "has no checkpoints; people answering it get no guidance"),
          );
        }
      });
    });
    for (const [k, path] of [...sectionKeys, ...itemKeys]) {
      if (k === ALL)
        c.error(
          path,
          bi(
            `"${ALL}" 是保留字（在分派中表示全部事项），不能用作 key`,
            `"${ALL}" is reserved (it means every item in assignments)`,
          ),
        );
    }
    for (const [k, path] of itemKeys) {
      if (sectionKeys.has(k)) {
        const line = c.line(sectionKeys.get(k)!);
        c.error(
          path,
          bi(
            `事项 key "${k}" 与第 ${line} 行的分节 key 相同：key 不能重复`,
            `item key "${k}" is also a section key (line ${line})`,
          ),
        );
      }
    }

    return {
      key: raw.key ?? campaignKey ?? "checklist",
      title: raw.title,
      sections: raw.sections.map((section) => ({
        key: section.key,
        code: section.code ?? section.title,
        title: section.title,
        items: section.items.map((item) => ({
          key: item.key,
          title: item.title,
          checkpoints: item.checkpoints ?? [],
        })),
      })),
    };
  }

  /** Records `value` in `seen`; an error at `path` when it was seen before. */
  private unique(seen: Map<string, Path>, value: string, path: Path, what: string): boolean {
    const first = seen.get(value);
    if (first) {
      const line = this.c.line(first);
      this.c.error(
        path,
        bi(
          `${WHAT_ZH[what] ?? what} "${value}" 重复（首次出现在第 ${line} 行）：每个须唯一`,
          `duplicate ${what} "${value}" (first on line ${line})`,
        ),
      );
      return false;
    }
    seen.set(value, path);
    return true;
  }

  // --- organisation --------------------------------------------------------------------------

  private units(): Indexed<UnitSpec>[] {
    const { c, root } = this;
    const parsed = c.list(["units"], unitSchema, root.units, true);
    if (Array.isArray(root.units) && root.units.length === 0)
      c.error(["units"], bi('"units" 不能为空：至少列出一个单位', '"units" must not be empty'));
    const keys = new Map<string, Path>();
    const names = new Map<string, Path>();
    const out: Indexed<UnitSpec>[] = [];
    for (const { index, value } of parsed) {
      const path = ["units", index];
      if (value.key === ALL)
        c.error(
          [...path, "key"],
          bi(
            `"${ALL}" 是保留字（在分派中表示全部单位），不能用作 key`,
            `"${ALL}" is reserved (it means every unit in assignments)`,
          ),
        );
      const fresh = this.unique(keys, value.key, [...path, "key"], "unit key");
      this.unique(names, value.name, [...path, "name"], "unit name");
      if (!fresh) continue;
      out.push({
        index,
        value: {
          key: value.key,
          name: value.name,
          ...(value.head !== undefined ? { head: value.head } : {}),
          ...(value.leader !== undefined ? { leader: value.leader } : {}),
        },
      });
    }
    return out;
  }

  private people(units: Indexed<UnitSpec>[]): Indexed<PersonSpec>[] {
    const { c, root } = this;
    const parsed = c.list(["people"], personSchema, root.people, true);
    if (Array.isArray(root.people) && root.people.length === 0)
      c.error(["people"], bi('"people" 不能为空：至少列出一个人员', '"people" must not be empty'));
    const unitKeys = rawKeys(root.units);
    const keys = new Map<string, Path>();
    const openIds = new Map<string, Path>();
    const emails = new Map<string, Path>();
    const mobiles = new Map<string, Path>();
    const out: Indexed<PersonSpec>[] = [];

    for (const { index, value } of parsed) {
      const path = ["people", index];
      const fresh = this.unique(keys, value.key, [...path, "key"], "person key");
      if (!unitKeys.has(value.unit)) {
        c.error([...path, "unit"], unknownRef("unit", value.unit, [...unitKeys]));
      }
      if (value.open_id === undefined && value.email === undefined && value.mobile === undefined) {
        c.error(
          path,
          bi(
            "至少需要一种身份：open_id、email 或 mobile",
            "needs at least one identity: open_id, email or mobile",
          ),
        );
      }
      const mobile = value.mobile === undefined ? undefined : normaliseMobile(value.mobile);
      if (value.open_id !== undefined) this.unique(openIds, value.open_id, [...path, "open_id"], "open_id");
      if (value.email !== undefined)
        this.unique(emails, value.email.toLowerCase(), [...path, "email"], "email");
      if (mobile !== undefined) this.unique(mobiles, mobile, [...path, "mobile"], "mobile");
      if (!fresh) continue;

      const roles = new Set<Role>(value.roles ?? ["member"]);
      for (const u of units) {
        if (u.value.head === value.key) roles.add("head");
        if (u.value.leader === value.key) roles.add("leader");
      }
      out.push({
        index,
        value: {
          key: value.key,
          name: value.name,
          unit: value.unit,
          roles: ROLES.filter((r) => roles.has(r)),
          ...(value.open_id !== undefined ? { openId: value.open_id } : {}),
          ...(value.email !== undefined ? { email: value.email } : {}),
          ...(mobile !== undefined ? { mobile } : {}),
          ...(value.locale !== undefined ? { locale: value.locale } : {}),
        },
      });
    }
    return out;
  }

  /** Unit head / leader must be people; a head normally belongs to the unit. */
  private unitReferences(units: Indexed<UnitSpec>[], people: Indexed<PersonSpec>[]): void {
    const { c, root } = this;
    const personKeys = rawKeys(root.people);
    const byKey = new Map(people.map((p) => [p.value.key, p.value]));
    for (const { index, value } of units) {
      for (const field of ["head", "leader"] as const) {
        const ref = value[field];
        if (ref === undefined) continue;
        if (!personKeys.has(ref)) {
          const hint = suggest(ref, [...personKeys]);
          c.error(
            ["units", index, field],
            bi(
              `${field === "head" ? "负责人" : "分管领导"} "${ref}" 不在 people 中：须是某个人员的 key${hint.zh}`,
              `${field} "${ref}" is not in people${hint.en}`,
            ),
          );
        }
      }
      const head = value.head === undefined ? undefined : byKey.get(value.head);
      if (head && head.unit !== value.key) {
        c.warn(
          ["units", index, "head"],
          bi(
            `负责人 "${head.key}" 属于单位 "${head.unit}"，不属于本单位`,
            `head "${head.key}" belongs to unit "${head.unit}", not to this unit`,
          ),
        );
      }
    }
  }

  // --- assignments ---------------------------------------------------------------------------

  private assignments(
    checklist: ChecklistIndex | undefined,
    units: Indexed<UnitSpec>[],
    people: Indexed<PersonSpec>[],
    start: string | undefined,
    end: string | undefined,
  ): AssignmentSpec[] {
    const { c, root, today } = this;
    const parsed = c.list(["assignments"], assignmentSchema, root.assignments, false);
    if (
      root.assignments === undefined ||
      (Array.isArray(root.assignments) && root.assignments.length === 0)
    ) {
      c.warn(
        ["assignments"],
        bi("没有分派：不会有人被要求填报", "no assignments: nobody will be asked to answer anything"),
      );
    }
    const rawAssignments = Array.isArray(root.assignments) ? (root.assignments as unknown[]) : [];
    const rawUnitKeys = rawKeys(root.units);
    const rawPersonKeys = rawKeys(root.people);
    const unitByKey = new Map(units.map((u) => [u.value.key, u]));
    const personKeys = new Set(people.map((p) => p.value.key));
    const taken = new Map<string, number>(); // item + target → assignment index
    const assigned = new Set<string>();
    const out: AssignmentSpec[] = [];

    for (const { index, value } of parsed) {
      const path = ["assignments", index];
      const rawEntry = rawAssignments[index] as Dict;
      const entryPath = (field: string, j: number): Path =>
        Array.isArray(rawEntry[field]) ? [...path, field, j] : [...path, field];

      // Items: item keys or titles, section keys or codes, or "all".
      const items: string[] = [];
      value.item.forEach((ref, j) => {
        if (!checklist) return;
        const byTitle = checklist.byTitle.get(ref);
        const resolved =
          ref === ALL
            ? checklist.items
            : checklist.titles.has(ref)
              ? [ref]
              : byTitle !== undefined
                ? [byTitle]
                : checklist.sections.get(ref);
        if (!resolved) {
          const known = [...checklist.items, ...checklist.sections.keys()];
          c.error(entryPath("item", j), unknownRef("item", ref, known));
          return;
        }
        for (const item of resolved) if (!items.includes(item)) items.push(item);
      });

      // Units: keys or "all"; each must have a head to answer.
      const unitTargets: string[] = [];
      (value.units ?? []).forEach((ref, j) => {
        const refs = ref === ALL ? units.map((u) => u.value.key) : [ref];
        if (ref !== ALL && !rawUnitKeys.has(ref)) {
          c.error(entryPath("units", j), unknownRef("unit", ref, [...rawUnitKeys]));
          return;
        }
        for (const u of refs) {
          const unit = unitByKey.get(u);
          if (unit && unit.value.head === undefined) {
            const line = c.line(["units", unit.index]);
            c.error(
              entryPath("units", j),
              bi(
                `单位 "${u}" 没有负责人来填报（请在第 ${line} 行的单位上设置 "head"）`,
                `unit "${u}" has no head to answer it (set "head" on the unit, line ${line})`,
              ),
            );
          }
          if (!unitTargets.includes(u)) unitTargets.push(u);
        }
      });

      const personTargets: string[] = [];
      (value.people ?? []).forEach((ref, j) => {
        if (!rawPersonKeys.has(ref)) {
          c.error(entryPath("people", j), unknownRef("person", ref, [...rawPersonKeys]));
          return;
        }
        if (!personKeys.has(ref)) return;
        if (!personTargets.includes(ref)) personTargets.push(ref);
      });

      if ((value.units ?? []).length === 0 && (value.people ?? []).length === 0) {
        c.error(
          path,
          bi(
            '须把事项分派给 "units" 或 "people"（或两者）',
            'assign the item to "units" or "people" (or both)',
          ),
        );
      }

      const due = value.due;
      const duePath = [...path, "due"];
      if (due < today)
        c.error(
          duePath,
          bi(
            `截止日期 ${due} 已过（今天是 ${today}）：不能早于今天`,
            `due date ${due} is in the past (today is ${today})`,
          ),
        );
      if (start && due < start)
        c.error(
          duePath,
          bi(
            `截止日期 ${due} 早于活动开始 ${start}`,
            `due date ${due} is before the campaign start ${start}`,
          ),
        );
      if (end && due > end)
        c.error(
          duePath,
          bi(`截止日期 ${due} 晚于活动结束 ${end}`, `due date ${due} is after the campaign end ${end}`),
        );

      // The same item may not go to the same unit or person twice.
      const overlaps: [string, string][] = [];
      for (const item of items) {
        const targets = [
          ...unitTargets.map((u) => ["unit", u] as const),
          ...personTargets.map((p) => ["person", p] as const),
        ];
        for (const [kind, target] of targets) {
          const k = `${item}\u0000${kind}\u0000${target}`;
          const first = taken.get(k);
          if (first !== undefined && first !== index) {
            overlaps.push([
              `事项 "${item}" 已在第 ${first + 1} 条分派中给了${kind === "unit" ? "单位" : "人员"} "${target}"：同一事项不能给同一对象两次`,
              `item "${item}" already goes to ${kind} "${target}" in assignment ${first + 1}`,
            ]);
          } else {
            taken.set(k, index);
          }
        }
      }
      if (overlaps.length > 0) {
        const n = overlaps.length - 1;
        const [zh, en] = overlaps[0];
        c.error(path, bi(`${zh}${n ? `（另有 ${n} 处）` : ""}`, `${en}${n ? ` (and ${n} more)` : ""}`));
      }

      for (const item of items) {
        assigned.add(item);
        out.push({ item, units: [...unitTargets], people: [...personTargets], due });
      }
    }

    if (checklist && parsed.length === rawAssignments.length && rawAssignments.length > 0) {
      const unassigned = checklist.items.filter((item) => !assigned.has(item));
      if (root.template !== undefined && unassigned.length > 0) {
        const list = unassigned.map((item) => `${item} ${checklist.titles.get(item)}`).join(", ");
        c.warn(["template"], bi(`没有分派给任何人：${list}`, `not assigned to anyone: ${list}`));
      } else {
        for (const item of unassigned)
          c.warn(checklist.itemPaths.get(item)!, bi("没有分派给任何人", "is not assigned to anyone"));
      }
    }
    return out;
  }

  // --- chats, schedules, escalation ----------------------------------------------------------

  private chats(): CampaignSpec["chats"] {
    const { c, root } = this;
    const parsed = c.list(["chats"], chatSchema, root.chats, false);
    const seen = new Map<string, Path>();
    const out: CampaignSpec["chats"] = [];
    for (const { index, value } of parsed) {
      const path =
        Array.isArray(root.chats) && isPlainObject(root.chats[index])
          ? ["chats", index, "chat_id"]
          : ["chats", index];
      if (!this.unique(seen, value.chat_id, path, "chat id")) continue;
      out.push({ chatId: value.chat_id, ...(value.name !== undefined ? { name: value.name } : {}) });
    }
    return out;
  }

  private schedules(timezone: string | undefined): ScheduleSpec | undefined {
    const { c, root } = this;
    if (root.schedules === undefined) return { ...DEFAULT_SCHEDULES };
    const raw = c.field(["schedules"], schedulesSchema, root.schedules);
    if (!raw) return undefined;
    const fields = {
      reminder_sweep: "reminderSweep",
      escalation_sweep: "escalationSweep",
      broadcast: "broadcast",
      leaders_digest: "leadersDigest",
    } as const;
    const out: ScheduleSpec = { ...DEFAULT_SCHEDULES };
    for (const [name, prop] of Object.entries(fields) as [keyof typeof fields, keyof ScheduleSpec][]) {
      const expr = raw[name];
      if (expr === undefined) continue;
      const problem = checkCron(expr, timezone);
      if (problem) c.error(["schedules", name], `"${name}" ${problem}`);
      else out[prop] = expr.trim().replace(/\s+/g, " ");
    }
    return out;
  }

  private escalation(): EscalationStep[] | undefined {
    const { c, root } = this;
    if (root.escalation === undefined) return DEFAULT_ESCALATION.map((s) => ({ ...s }));
    const raw = c.field(["escalation"], escalationSchema, root.escalation);
    if (!raw) return undefined;
    raw.forEach((step, i) => {
      const previous = raw[i - 1];
      if (previous && step.after <= previous.after) {
        c.error(
          ["escalation", i],
          bi(
            `"after" 须比上一步多（${step.after} ≤ ${previous.after}）：工作日数逐步增加`,
            `"after" must be more working days than the step before (${step.after} ≤ ${previous.after})`,
          ),
        );
      }
    });
    return raw.map((s) => ({ afterWorkingDays: s.after, to: s.to }));
  }

  private remindBefore(): number[] | undefined {
    const { c, root } = this;
    if (root.remind_before === undefined) return [...DEFAULT_REMIND_BEFORE];
    const raw = c.field(["remind_before"], remindBeforeSchema, root.remind_before);
    return raw ? [...new Set(raw)].sort((a, b) => b - a) : undefined;
  }

  private ledger(): CampaignSpec["ledger"] {
    const { c, root } = this;
    const raw = c.field(["ledger"], ledgerSchema, root.ledger);
    if (!raw) return undefined;
    const seen = new Set<string>();
    raw.columns.forEach((col, i) => {
      if (seen.has(col.key)) c.error(["ledger", "columns", i], `column "${col.key}" is listed twice`);
      seen.add(col.key);
    });
    return {
      columns: raw.columns.map((col) => (col.title ? { key: col.key, title: col.title } : { key: col.key })),
    };
  }

  private organisationWarnings(
    units: Indexed<UnitSpec>[],
    people: Indexed<PersonSpec>[],
    escalation: EscalationStep[] | undefined,
    reviewer: CampaignSpec["reviewer"] | undefined,
  ): void {
    const { c } = this;
    if (people.length > 0 && !people.some((p) => p.value.roles.includes("admin"))) {
      c.warn(
        ["people"],
        bi(
          '没有人有 "admin" 角色：没人能管理活动，也没人接收到管理员一级的催办',
          'nobody has the "admin" role: no one can run the campaign or receive admin escalations',
        ),
      );
    }
    const needsLeader = reviewer === "leader" || (escalation ?? []).some((s) => s.to === "leader");
    const needsHead = reviewer === "head" || (escalation ?? []).some((s) => s.to === "head");
    for (const { index, value } of units) {
      if (value.head === undefined) {
        c.warn(
          ["units", index],
          bi(
            `没有负责人：不能给它分派单位事项${needsHead ? "，也没人接收负责人一级的催办和审核" : ""}`,
            `has no head: it cannot be given unit assignments${needsHead ? ", and no one takes its head-level escalations and reviews" : ""}`,
          ),
        );
      }
      if (value.leader === undefined && needsLeader) {
        c.warn(
          ["units", index],
          bi(
            "没有分管领导：没人接收领导一级的催办和审核",
            "has no leader in charge: no one takes its leader-level escalations and reviews",
          ),
        );
      }
    }
  }
}

function indexChecklist(checklist: ChecklistSpec, fromTemplate: boolean): ChecklistIndex {
  const index: ChecklistIndex = {
    items: [],
    byTitle: new Map(),
    sections: new Map(),
    itemPaths: new Map(),
    titles: new Map(),
  };
  checklist.sections.forEach((section, s) => {
    const keys = section.items.map((i) => i.key);
    if (!index.sections.has(section.key)) index.sections.set(section.key, keys);
    if (!index.sections.has(section.code)) index.sections.set(section.code, keys);
    section.items.forEach((item, i) => {
      if (index.titles.has(item.key)) return;
      index.items.push(item.key);
      index.titles.set(item.key, item.title);
      if (!index.byTitle.has(item.title)) index.byTitle.set(item.title, item.key);
      index.itemPaths.set(item.key, fromTemplate ? ["template"] : ["checklist", "sections", s, "items", i]);
    });
  });
  return index;
}

/** Keys of the elements of a raw list, including elements that failed validation (avoids cascades). */
function rawKeys(list: unknown): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(list))
    for (const element of list) {
      const k = keyOf(element);
      if (k) out.add(k);
    }
  return out;
}

function byLine(entries: FileError[]): FileError[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.line - b.e.line || (a.e.column ?? 0) - (b.e.column ?? 0) || a.i - b.i)
    .map(({ e }) => e);
}

function isPlainObject(value: unknown): value is Dict {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Map entries whose value is null (`head:` left empty) count as absent. */
function dropNulls(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => (v === null ? v : dropNulls(v)));
  if (isPlainObject(value)) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null) out[k] = dropNulls(v);
    }
    return out;
  }
  return value;
}

/** A known word within a small edit distance of `word`, as a hint in both languages (or empty). */
function suggest(word: string, known: Iterable<string>): { zh: string; en: string } {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestDistance > 0 && bestDistance <= limit
    ? { zh: `（是不是 "${best}"？）`, en: ` (did you mean "${best}"?)` }
    : { zh: "", en: "" };
}

const REF_WORDS = {
  unit: ["单位", "须是 units 中某个单位的 key"],
  person: ["人员", "须是 people 中某个人员的 key"],
  item: ["事项或分节", "须是事项的 key 或标题、分节的 key 或编号，或 all"],
} as const;

/** `unknown unit "x"`, with the rule for what may be named there and a "did you mean". */
function unknownRef(kind: keyof typeof REF_WORDS, ref: string, known: string[]): string {
  const [zhKind, zhRule] = REF_WORDS[kind];
  const hint = suggest(ref, known);
  const en = kind === "item" ? "item or section" : kind;
  return bi(`未知${zhKind} "${ref}"：${zhRule}${hint.zh}`, `unknown ${en} "${ref}"${hint.en}`);
}

/** `unknown field "x"`, listing the fields allowed there. */
function unknownField(field: string, allowed: readonly string[]): string {
  const hint = suggest(field, allowed.length ? allowed : KNOWN_FIELDS);
  const list = allowed.length ? `（可用字段：${allowed.join("、")}）` : "";
  return bi(`未知字段 "${field}"${list}${hint.zh}`, `unknown field "${field}"${hint.en}`);
}

/** The fields a map at `path` may have (the object that holds an unknown field). */
function fieldsAt(path: Path): readonly string[] {
  const keys = (shape: object) => Object.keys(shape);
  const [head] = path;
  const depth = path.length;
  if (head === "units" && depth === 2) return keys(unitSchema.shape);
  if (head === "people" && depth === 2) return keys(personSchema.shape);
  if (head === "assignments" && depth === 2) return keys(assignmentSchema.shape);
  if (head === "chats" && depth === 2) return ["chat_id", "name"];
  if (head === "escalation" && depth === 2) return ["to", "after"];
  if (head === "schedules" && depth === 1) return keys(schedulesSchema.shape);
  if (head === "checklist") {
    if (depth === 1) return keys(checklistSchema.shape);
    if (depth === 3) return keys(sectionSchema.shape);
    if (depth === 5) return keys(checkItemSchema.shape);
  }
  return [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
