/**
 * Shape of a campaign file as people write it (snake_case keys), checked with zod. Cross-references,
 * duplicates, dates against `today` and cron expressions are checked in file.ts, which also maps the
 * issues below to lines.
 */
import { z } from "zod";

/** Keys: short ASCII identifiers used in chat commands, card actions and the database. */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const KEY_HINT =
  '必须是简短的 key：字母或数字开头，只含字母、数字、_ - .，最多 64 个字符（如 office） / must be a short key: a letter or digit first, then letters, digits, "_", "-" or ".", at most 64 characters (e.g. "office")';

/** The word that, in an assignment, means "every item" (as `item`) or "every unit" (as `units`). */
export const ALL = "all";

export const ROLES = ["admin", "leader", "head", "member"] as const;
export const LOCALES = ["zh", "en"] as const;
export const ESCALATION_TARGETS = ["owner", "head", "leader", "admins"] as const;
export const REVIEWERS = ["head", "leader"] as const;

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  if (!DATE_SHAPE.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** YAML 1.1 documents may turn dates into Date objects; bring them back to YYYY-MM-DD. */
function dateToText(value: unknown): unknown {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value;
}

/** A bare scalar where a list is expected means a one-element list. */
function toList(value: unknown): unknown {
  return typeof value === "string" || typeof value === "number" ? [value] : value;
}

const key = z.string().regex(KEY_PATTERN, { error: KEY_HINT });
/** A reference to a unit or person: checked against the keys in the file, so any text will do here. */
const ref = z.string().min(1, { error: "不能为空 / must not be empty" });
const text = z.string().trim().min(1, { error: "不能为空 / must not be empty" });
const DATE_RULE =
  "必须是 YYYY-MM-DD 格式的日期，如 2027-01-15 / must be a date written YYYY-MM-DD, e.g. 2027-01-15";

/**
 * YAML reads `start: 20261201` as a number. Such a number is refused, with the date it would be when
 * it is one (docs/campaign-file.md): a date has one way to be written.
 */
function numberAsDateProblem(n: number): string {
  const digits = String(n);
  const iso = /^\d{8}$/.test(digits) ? `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}` : "";
  return isIsoDate(iso)
    ? `被读成了数字 ${digits}：日期请写成 ${iso} / was read as the number ${digits}: write the date as ${iso}`
    : `被读成了数字 ${digits}：日期请写成 YYYY-MM-DD，如 2027-01-15 / was read as the number ${digits}: write the date as YYYY-MM-DD, e.g. 2027-01-15`;
}

const date = z.preprocess(
  dateToText,
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : typeof issue.input === "number"
            ? numberAsDateProblem(issue.input)
            : DATE_RULE,
    })
    .superRefine((value, ctx) => {
      if (isIsoDate(value)) return;
      ctx.addIssue({
        code: "custom",
        input: value,
        message: DATE_SHAPE.test(value)
          ? `不是有效日期：${value} / is not a real date: ${value}`
          : `${DATE_RULE} (got "${value}")`,
      });
    }),
);

/** A Feishu open_id: "ou_" and 32 letters or digits (Feishu issues lowercase hex). */
export const OPEN_ID_PATTERN = /^ou_[A-Za-z0-9]{32}$/;

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Mainland China mobile, optionally with 86 / +86 in front. */
const CN_MOBILE = /^(?:\+?86)?(1[3-9]\d{9})$/;
/** Any other mobile in international form. */
const INTL_MOBILE = /^\+[1-9]\d{6,14}$/;

/** Mainland numbers become their 11 digits; others keep their "+country" form. Undefined when invalid. */
export function normaliseMobile(value: string): string | undefined {
  const compact = value.replace(/[\s-]/g, "");
  const cn = CN_MOBILE.exec(compact);
  if (cn) return cn[1];
  return INTL_MOBILE.test(compact) ? compact : undefined;
}

const mobile = z.preprocess(
  (v) => (typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v),
  z.string().refine((v) => normaliseMobile(v) !== undefined, {
    error:
      "必须是手机号：11 位大陆号码（可带 +86）或 “+国家码”开头的国际号码，如 13800138000、+85291234567 / must be a mobile number: 11 digits in mainland China (optionally with +86) or + and a country code, such as 13800138000 or +85291234567",
  }),
);

export const checkItemSchema = z.strictObject({
  key,
  title: text,
  checkpoints: z.array(text).optional(),
});

export const sectionSchema = z.strictObject({
  key,
  code: text.optional(),
  title: text,
  items: z.array(checkItemSchema).min(1, { error: "至少列出一个事项 / must list at least one item" }),
});

export const checklistSchema = z.strictObject({
  key: key.optional(),
  title: text,
  sections: z.array(sectionSchema).min(1, { error: "至少列出一个分节 / must list at least one section" }),
});

export const unitSchema = z.strictObject({
  key,
  name: text,
  head: ref.optional(),
  leader: ref.optional(),
});

export const personSchema = z.strictObject({
  key,
  name: text,
  unit: ref,
  roles: z
    .preprocess(
      toList,
      z.array(z.enum(ROLES)).min(1, {
        error: `至少一个角色（${ROLES.join("、")}） / must list at least one role: ${ROLES.join(", ")}`,
      }),
    )
    .optional(),
  open_id: z
    .string()
    .regex(OPEN_ID_PATTERN, {
      error: (issue) =>
        `必须是飞书 open_id：ou_ 后接 32 位字母或数字 / must be a Feishu open_id: "ou_" followed by 32 letters or digits (got "${String(issue.input)}")`,
    })
    .optional(),
  email: z
    .string()
    .trim()
    .regex(EMAIL_PATTERN, {
      error: "必须是邮箱地址，如 name@example.cn / must be an email address such as name@example.cn",
    })
    .optional(),
  mobile: mobile.optional(),
  locale: z.enum(LOCALES).optional(),
});

export const assignmentSchema = z.strictObject({
  item: z.preprocess(
    toList,
    z.array(text).min(1, { error: "至少写一个事项或分节 / must name at least one item" }),
  ),
  units: z.preprocess(toList, z.array(ref)).optional(),
  people: z.preprocess(toList, z.array(ref)).optional(),
  due: date,
});

export const chatSchema = z.preprocess(
  (v) => (typeof v === "string" ? { chat_id: v } : v),
  z.strictObject({
    chat_id: z.string().regex(/^oc_[A-Za-z0-9]+$/, {
      error:
        '必须是飞书群 chat_id：oc_ 后接字母或数字 / must be a Feishu chat id: "oc_" followed by letters or digits',
    }),
    name: text.optional(),
  }),
);

export const schedulesSchema = z.strictObject({
  reminder_sweep: z.string().optional(),
  escalation_sweep: z.string().optional(),
  broadcast: z.string().optional(),
  leaders_digest: z.string().optional(),
});

const AFTER_RULE = "必须是 0 或更多个工作日 / must be 0 or more working days";

const STEP_TEXT = /^\s*([A-Za-z]+)\s*@\s*(\d+)\s*$/;

export const escalationStepSchema = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    const m = STEP_TEXT.exec(v);
    return m ? { to: m[1], after: Number(m[2]) } : v;
  },
  z.strictObject(
    {
      to: z.enum(ESCALATION_TARGETS),
      after: z.int().min(0, { error: AFTER_RULE }),
    },
    {
      error: (issue) =>
        issue.code === "invalid_type"
          ? `须写成 head@2 或 { to: head, after: 2 }（to：${ESCALATION_TARGETS.join("、")}；after：工作日数） / must be written "head@2" or as { to: head, after: 2 }`
          : undefined,
    },
  ),
);

export const escalationSchema = z.array(escalationStepSchema);

export const remindBeforeSchema = z.preprocess(
  toList,
  z.array(
    z
      .int()
      .min(0, { error: AFTER_RULE })
      .max(60, { error: "最多 60 个工作日 / must be at most 60 working days" }),
  ),
);

/** 回头看: working days after a measure is closed that it is checked again (0 = off). */
export const followUpSchema = z.strictObject({
  after_days: z
    .int()
    .min(0, { error: AFTER_RULE })
    .max(250, { error: "最多 250 个工作日 / must be at most 250 working days" }),
});

export const timezoneSchema = z.string().refine(isTimeZone, {
  error: '必须是 IANA 时区名，如 Asia/Shanghai / must be an IANA time zone such as "Asia/Shanghai"',
});

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Column keys of the rectification ledger (整改台账), in their default order (src/exports/ledger-view.ts). */
export const LEDGER_COLUMN_KEYS = [
  "seq",
  "source",
  "category",
  "problem",
  "measure",
  "leader",
  "unit",
  "owner",
  "due",
  "progress",
  "state",
  "evidence",
  "closure",
  "remarks",
  "follow_up",
] as const;

/** A ledger column: its key alone, or `{ key, title }` for the higher authority's own header text. */
export const ledgerColumnSchema = z.preprocess(
  (v) => (typeof v === "string" ? { key: v } : v),
  z.strictObject({
    key: z.enum(LEDGER_COLUMN_KEYS, {
      error: `must be one of the ledger's column keys: ${LEDGER_COLUMN_KEYS.join(", ")}`,
    }),
    title: text.optional(),
  }),
);

export const ledgerSchema = z.strictObject({
  columns: z.array(ledgerColumnSchema).min(1, { error: "must list at least one column" }),
});

/** The organisation from Feishu's address book (src/campaign/org-feishu.ts). */
export const orgSchema = z.strictObject({
  from: z.literal("feishu", {
    error: '目前只支持 from: feishu（飞书通讯录） / only "from: feishu" (the address book) is supported',
  }),
  departments: z.preprocess(
    toList,
    z
      .array(
        z.string().regex(/^(0|od-[A-Za-z0-9_-]+)$/, {
          error: (issue) =>
            `须是飞书部门 ID（open_department_id，od- 开头；0 表示整个企业） / must be a Feishu department id (open_department_id, starting "od-"; 0 is the whole organisation) (got "${String(issue.input)}")`,
        }),
      )
      .min(1, { error: "至少列出一个部门 / must list at least one department" }),
  ),
  include_children: z.boolean().optional(),
});

/** What the self-inspection report (自查报告) opens with and is signed by. */
export const reportSchema = z.strictObject({
  basis: text.optional(),
  organisation: text.optional(),
});

/** A share written 0.5 or "50%". */
const share = z.preprocess(
  (v) => (typeof v === "string" && /^\s*\d+(?:\.\d+)?\s*%\s*$/.test(v) ? Number.parseFloat(v) / 100 : v),
  z
    .number({
      error: "必须是 0 到 1 之间的比例，如 0.5 或 50% / must be a share between 0 and 1, e.g. 0.5 or 50%",
    })
    .gt(0, { error: "必须大于 0 / must be more than 0" })
    .max(1, { error: "不能超过 1（100%） / must be at most 1 (100%)" }),
);
const chars = z
  .int({ error: "必须是字数（整数） / must be a number of characters (a whole number)" })
  .min(0, { error: "不能为负数 / must not be negative" })
  .max(1000, { error: "最多 1000 字 / must be at most 1000 characters" });

/** The `flags:` section (形式主义 check, docs/flags.md): thresholds, extra set phrases, on/off. */
export const flagsSchema = z.strictObject({
  enabled: z.boolean({ error: "须为 true 或 false / must be true or false" }).optional(),
  recycled_share: share.optional(),
  passage_chars: chars.optional(),
  checklist_share: share.optional(),
  stock_share: share.optional(),
  /** A number (every item), or `{ default: 30, <item key>: 80 }`. */
  min_chars: z.union([chars, z.record(z.string(), chars)]).optional(),
  stock_phrases: z.preprocess(toList, z.array(text)).optional(),
});

export const reviewerSchema = z.enum(REVIEWERS);
export const keySchema = key;
export const textSchema = text;
export const dateSchema = date;

export type RawCheckItem = z.infer<typeof checkItemSchema>;
export type RawSection = z.infer<typeof sectionSchema>;
export type RawChecklist = z.infer<typeof checklistSchema>;
export type RawUnit = z.infer<typeof unitSchema>;
export type RawPerson = z.infer<typeof personSchema>;
export type RawAssignment = z.infer<typeof assignmentSchema>;
export type RawChat = z.infer<typeof chatSchema>;
export type RawSchedules = z.infer<typeof schedulesSchema>;
export type RawEscalationStep = z.infer<typeof escalationStepSchema>;

/** The top-level keys of a campaign file. */
export const TOP_LEVEL_KEYS = [
  "key",
  "title",
  "timezone",
  "start",
  "end",
  "template",
  "checklist",
  "units",
  "people",
  "assignments",
  "chats",
  "schedules",
  "escalation",
  "reviewer",
  "remind_before",
  "follow_up",
  "ledger",
  "report",
  "org",
  "flags",
] as const;

/** Every field name the format knows, for "did you mean" hints on unknown fields. */
export const KNOWN_FIELDS: readonly string[] = [
  ...TOP_LEVEL_KEYS,
  ...Object.keys(checklistSchema.shape),
  ...Object.keys(sectionSchema.shape),
  ...Object.keys(checkItemSchema.shape),
  ...Object.keys(unitSchema.shape),
  ...Object.keys(personSchema.shape),
  ...Object.keys(assignmentSchema.shape),
  "chat_id",
  "name",
  ...Object.keys(schedulesSchema.shape),
  "to",
  "after",
  ...Object.keys(ledgerSchema.shape),
  ...Object.keys(reportSchema.shape),
  ...Object.keys(orgSchema.shape),
  ...Object.keys(flagsSchema.shape),
  ...Object.keys(followUpSchema.shape),
];
