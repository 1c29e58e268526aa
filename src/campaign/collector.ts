/** Campaign file checks: the collector of errors and warnings (each at its line or cell), and the bilingual words they use. */
import { type z } from "zod";
import { fieldsAt, isPlainObject, unknownField } from "./check-words";
import { type FileError, type Locator } from "./file";
import { type Path, type PathSegment } from "./source-map";

const MISSING = "\u0000missing";

export const EMPTY_FILE =
  "文件是空的：一个活动至少要有 key、title、start、units、people / the file is empty: a campaign needs at least key, title, start, units and people";

export const NOT_A_MAP =
  "文件必须是活动字段的映射（key:、title: …） / the file must be a map of campaign fields (key:, title:, …)";

export const WHAT_ZH: Record<string, string> = {
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
export function bi(zh: string, en: string): string {
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

export interface Indexed<T> {
  index: number;
  value: T;
}

export type Dict = Record<string, unknown>;

/** Collects errors and warnings with their lines, phrased as `<subject>: <problem>`. */
export class Collector {
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

export function keyOf(element: unknown): string | undefined {
  const k = isPlainObject(element) ? element.key : undefined;
  return typeof k === "string" && k !== "" ? k : undefined;
}

export function named(kind: string, element: unknown, index: number): string {
  const k = keyOf(element);
  return k ? `${kind} "${k}"` : `${kind} ${index + 1}`;
}

function fieldLabel(rest: Path): string {
  return rest.map((seg) => (typeof seg === "number" ? `entry ${seg + 1}` : `"${seg}"`)).join(" ");
}
