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
  schedulesSchema,
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

/** Reads and parses a campaign file; an unreadable file is reported as an error, not thrown. */
export async function loadCampaignFile(path: string, opts: ParseOptions): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, errors: [{ file: path, line: 0, message: `cannot read the file (${reason})` }] };
  }
  return parseCampaignFile(text, path, opts);
}

/** Parses and validates campaign file text (YAML or JSON). `file` names the file in messages. */
export function parseCampaignFile(text: string, file: string, opts: ParseOptions): ParseResult {
  if (!isIsoDate(opts.today)) throw new TypeError(`today must be a YYYY-MM-DD date, got "${opts.today}"`);
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
            ? 'YAML syntax error: the file holds several documents ("---"); keep one campaign per file'
            : `YAML syntax error: ${e.message.split(/ at line \d+/)[0]}`,
      })),
    };
  }

  let root: unknown;
  try {
    root = dropNulls(doc.toJS({ maxAliasCount: 1000 }));
  } catch (err) {
    return {
      ok: false,
      errors: [{ file, line: 1, message: `cannot read the document: ${(err as Error).message}` }],
    };
  }
  const map = new SourceMap(doc, lines);
  if (root === undefined) {
    return { ok: false, errors: [{ file, line: 1, message: "the file is empty" }] };
  }
  if (!isPlainObject(root)) {
    const { line, column } = map.locate([]);
    return {
      ok: false,
      errors: [
        { file, line, column, message: "the file must be a map of campaign fields (key:, title:, …)" },
      ],
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

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map of fields (key: value)",
};

/** Per-parse zod error map: short phrases that follow a field name ("name" must be text). */
function errorMap(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    return MISSING;
  }
  switch (issue.code) {
    case "invalid_type":
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `must be one of: ${issue.values.map(String).join(", ")}`;
    case "too_small":
      return Number(issue.minimum) === 1 && (issue.origin === "array" || issue.origin === "string")
        ? "must not be empty"
        : `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
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
      if (required) this.error(path.slice(0, -1), `missing "${String(path[path.length - 1])}"`);
      return [];
    }
    if (!Array.isArray(value)) {
      this.error(path, `"${String(path[path.length - 1])}" must be a list`);
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
        for (const k of issue.keys)
          this.error([...full, k], `unknown field "${k}"${didYouMean(k, KNOWN_FIELDS)}`);
        continue;
      }
      const { rest } = this.subject(full);
      const label = fieldLabel(rest);
      if (issue.message === MISSING) {
        this.error(full, label ? `missing ${label}` : "missing");
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
        c.error([k], `unknown field "${k}"${didYouMean(k, TOP_LEVEL_KEYS)}`);
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
    };
    return { ok: true, spec, warnings: byLine(c.warnings) };
  }

  private dates(): { start?: string; end?: string } {
    const { c, root, today } = this;
    const start = c.field(["start"], dateSchema, root.start);
    const end = root.end === undefined ? undefined : c.field(["end"], dateSchema, root.end);
    if (start && end && end < start) c.error(["end"], `end ${end} is before start ${start}`);
    else if (end && end < today) c.error(["end"], `end ${end} is in the past (today is ${today})`);
    return { start, end };
  }

  // --- checklist -----------------------------------------------------------------------------

  private checklist(campaignKey: string | undefined): ChecklistSpec | undefined {
    const { c, root } = this;
    const hasTemplate = root.template !== undefined;
    const hasInline = root.checklist !== undefined;
    if (hasTemplate && hasInline) {
      c.error(["checklist"], 'use either "template" or "checklist", not both');
      return undefined;
    }
    if (!hasTemplate && !hasInline) {
      c.error(
        [],
        `missing "template" (e.g. template: ${Object.keys(TEMPLATES)[0]}) or an inline "checklist"`,
      );
      return undefined;
    }
    if (hasTemplate) {
      const name = c.field(["template"], keySchema, root.template);
      if (name === undefined) return undefined;
      const template = getTemplate(name);
      if (!template) {
        c.error(["template"], `unknown template "${name}" (known: ${Object.keys(TEMPLATES).join(", ")})`);
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
          c.warn(iPath, "has no checkpoints; people answering it get no guidance");
        }
      });
    });
    for (const [k, path] of [...sectionKeys, ...itemKeys]) {
      if (k === ALL) c.error(path, `"${ALL}" is reserved (it means every item in assignments)`);
    }
    for (const [k, path] of itemKeys) {
      if (sectionKeys.has(k)) {
        c.error(path, `item key "${k}" is also a section key (line ${c.line(sectionKeys.get(k)!)})`);
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
      this.c.error(path, `duplicate ${what} "${value}" (first on line ${this.c.line(first)})`);
      return false;
    }
    seen.set(value, path);
    return true;
  }

  // --- organisation --------------------------------------------------------------------------

  private units(): Indexed<UnitSpec>[] {
    const { c, root } = this;
    const parsed = c.list(["units"], unitSchema, root.units, true);
    if (Array.isArray(root.units) && root.units.length === 0) c.error(["units"], '"units" must not be empty');
    const keys = new Map<string, Path>();
    const names = new Map<string, Path>();
    const out: Indexed<UnitSpec>[] = [];
    for (const { index, value } of parsed) {
      const path = ["units", index];
      if (value.key === ALL)
        c.error([...path, "key"], `"${ALL}" is reserved (it means every unit in assignments)`);
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
      c.error(["people"], '"people" must not be empty');
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
        c.error([...path, "unit"], `unknown unit "${value.unit}"${didYouMean(value.unit, [...unitKeys])}`);
      }
      if (value.open_id === undefined && value.email === undefined && value.mobile === undefined) {
        c.error(path, "needs at least one identity: open_id, email or mobile");
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
          c.error(
            ["units", index, field],
            `${field} "${ref}" is not in people${didYouMean(ref, [...personKeys])}`,
          );
        }
      }
      const head = value.head === undefined ? undefined : byKey.get(value.head);
      if (head && head.unit !== value.key) {
        c.warn(
          ["units", index, "head"],
          `head "${head.key}" belongs to unit "${head.unit}", not to this unit`,
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
      c.warn(["assignments"], "no assignments: nobody will be asked to answer anything");
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
          c.error(entryPath("item", j), `unknown item or section "${ref}"${didYouMean(ref, known)}`);
          return;
        }
        for (const item of resolved) if (!items.includes(item)) items.push(item);
      });

      // Units: keys or "all"; each must have a head to answer.
      const unitTargets: string[] = [];
      (value.units ?? []).forEach((ref, j) => {
        const refs = ref === ALL ? units.map((u) => u.value.key) : [ref];
        if (ref !== ALL && !rawUnitKeys.has(ref)) {
          c.error(entryPath("units", j), `unknown unit "${ref}"${didYouMean(ref, [...rawUnitKeys])}`);
          return;
        }
        for (const u of refs) {
          const unit = unitByKey.get(u);
          if (unit && unit.value.head === undefined) {
            c.error(
              entryPath("units", j),
              `unit "${u}" has no head to answer it (set "head" on the unit, line ${c.line(["units", unit.index])})`,
            );
          }
          if (!unitTargets.includes(u)) unitTargets.push(u);
        }
      });

      const personTargets: string[] = [];
      (value.people ?? []).forEach((ref, j) => {
        if (!rawPersonKeys.has(ref)) {
          c.error(entryPath("people", j), `unknown person "${ref}"${didYouMean(ref, [...rawPersonKeys])}`);
          return;
        }
        if (!personKeys.has(ref)) return;
        if (!personTargets.includes(ref)) personTargets.push(ref);
      });

      if ((value.units ?? []).length === 0 && (value.people ?? []).length === 0) {
        c.error(path, 'assign the item to "units" or "people" (or both)');
      }

      const due = value.due;
      const duePath = [...path, "due"];
      if (due < today) c.error(duePath, `due date ${due} is in the past (today is ${today})`);
      if (start && due < start) c.error(duePath, `due date ${due} is before the campaign start ${start}`);
      if (end && due > end) c.error(duePath, `due date ${due} is after the campaign end ${end}`);

      // The same item may not go to the same unit or person twice.
      const overlaps: string[] = [];
      for (const item of items) {
        const targets = [
          ...unitTargets.map((u) => ["unit", u] as const),
          ...personTargets.map((p) => ["person", p] as const),
        ];
        for (const [kind, target] of targets) {
          const k = `${item}\u0000${kind}\u0000${target}`;
          const first = taken.get(k);
          if (first !== undefined && first !== index) {
            overlaps.push(`item "${item}" already goes to ${kind} "${target}" in assignment ${first + 1}`);
          } else {
            taken.set(k, index);
          }
        }
      }
      if (overlaps.length > 0) {
        const more = overlaps.length > 1 ? ` (and ${overlaps.length - 1} more)` : "";
        c.error(path, `${overlaps[0]}${more}`);
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
        c.warn(["template"], `not assigned to anyone: ${list}`);
      } else {
        for (const item of unassigned) c.warn(checklist.itemPaths.get(item)!, "is not assigned to anyone");
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
      if (problem) c.error(["schedules", name], `"${name}": ${problem}`);
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
          `"after" must be more working days than the step before (${step.after} ≤ ${previous.after})`,
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
        'nobody has the "admin" role: no one can run the campaign or receive admin escalations',
      );
    }
    const needsLeader = reviewer === "leader" || (escalation ?? []).some((s) => s.to === "leader");
    const needsHead = reviewer === "head" || (escalation ?? []).some((s) => s.to === "head");
    for (const { index, value } of units) {
      if (value.head === undefined) {
        c.warn(
          ["units", index],
          `has no head: it cannot be given unit assignments${needsHead ? ", and no one takes its head-level escalations and reviews" : ""}`,
        );
      }
      if (value.leader === undefined && needsLeader) {
        c.warn(
          ["units", index],
          "has no leader in charge: no one takes its leader-level escalations and reviews",
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

/** ` (did you mean "leader"?)` when a known word is within a small edit distance. */
function didYouMean(word: string, known: Iterable<string>): string {
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
  return best !== undefined && bestDistance > 0 && bestDistance <= limit ? ` (did you mean "${best}"?)` : "";
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
