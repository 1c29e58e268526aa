/** Campaign file checks: the rules (top-level keys, dates, checklist, chats, schedules, escalation) over a raw campaign object. */
import {
  type CampaignSpec,
  type ChecklistSpec,
  type EscalationStep,
  type PersonSpec,
  type ScheduleSpec,
  type UnitSpec,
} from "../domain/types";
import { byLine, isPlainObject, unknownField } from "./check-words";
import { bi, Collector, type Dict, type Indexed, WHAT_ZH } from "./collector";
import { checkCron } from "./cron";
import {
  DEFAULT_ESCALATION,
  DEFAULT_REMIND_BEFORE,
  DEFAULT_REVIEWER,
  DEFAULT_SCHEDULES,
  DEFAULT_TIMEZONE,
  type Locator,
  type ParseResult,
} from "./file";
import { type FeishuOrg, mergeOrg } from "./org-feishu";
import { checkUnitReferences, resolveAssignments, resolvePeople, resolveUnits } from "./resolve";
import {
  ALL,
  chatSchema,
  checklistSchema,
  dateSchema,
  escalationSchema,
  flagsSchema,
  followUpSchema,
  keySchema,
  ledgerSchema,
  orgSchema,
  type RawChecklist,
  remindBeforeSchema,
  reportSchema,
  reviewerSchema,
  schedulesSchema,
  textSchema,
  timezoneSchema,
  TOP_LEVEL_KEYS,
} from "./schema";
import { type Path } from "./source-map";
import { getTemplate, TEMPLATES } from "./template";

export interface ChecklistIndex {
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
export class CampaignChecker {
  readonly c: Collector;

  readonly root: Dict;

  /** Units only the address book has (not written in the file): messages about them say so. */
  readonly feishuOnlyUnits = new Set<string>();

  constructor(
    file: string,
    map: Locator,
    root: Dict,
    readonly today: string,
    private readonly org?: FeishuOrg,
  ) {
    this.root = org && isPlainObject(root.org) ? mergeOrg(root, org) : root;
    const written = new Set(
      Array.isArray(root.units) ? root.units.map((u) => (isPlainObject(u) ? u.key : u)) : [],
    );
    if (this.root !== root)
      for (const u of org!.units) if (!written.has(u.key)) this.feishuOnlyUnits.add(u.key as string);
    this.c = new Collector(file, map, this.root);
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

    const org = this.orgSource();
    const units = resolveUnits(this);
    const people = resolvePeople(this, units);
    checkUnitReferences(this, units, people);

    const assignments = resolveAssignments(this, index, units, people, start, end);
    const chats = this.chats();
    const schedules = this.schedules(timezone);
    const escalation = this.escalation();
    const reviewer =
      root.reviewer === undefined ? DEFAULT_REVIEWER : c.field(["reviewer"], reviewerSchema, root.reviewer);
    const remindBefore = this.remindBefore();
    const followUp =
      root.follow_up === undefined ? undefined : c.field(["follow_up"], followUpSchema, root.follow_up);
    const ledger = root.ledger === undefined ? undefined : this.ledger();
    const report = root.report === undefined ? undefined : c.field(["report"], reportSchema, root.report);
    const flags = root.flags === undefined ? undefined : this.flags(index);

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
      ...(followUp ? { followUp: { afterDays: followUp.after_days } } : {}),
      ...(ledger ? { ledger } : {}),
      ...(report && (report.basis || report.organisation) ? { report } : {}),
      ...(org ? { org } : {}),
      ...(flags ? { flags } : {}),
    };
    return { ok: true, spec, warnings: byLine(c.warnings) };
  }

  /** `org: from: feishu`: checked here; the people themselves were fetched and merged before (org-feishu.ts). */
  orgSource(): CampaignSpec["org"] {
    const { c, root } = this;
    if (root.org === undefined) return undefined;
    const org = c.field(["org"], orgSchema, root.org);
    if (!org) return undefined;
    if (!this.org)
      c.error(
        ["org"],
        bi(
          "组织架构要从飞书通讯录读取（org: from: feishu），本次导入没有读取通讯录：请通过机器人或 npm run cli -- campaign import 导入",
          "the organisation comes from Feishu's address book (org: from: feishu) and it was not read for this check: import through the bot or `npm run cli -- campaign import`",
        ),
      );
    return { departments: org.departments, includeChildren: org.include_children ?? true };
  }

  dates(): { start?: string; end?: string } {
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

  checklist(campaignKey: string | undefined): ChecklistSpec | undefined {
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

  inlineChecklist(raw: RawChecklist, campaignKey: string | undefined): ChecklistSpec {
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
  unique(seen: Map<string, Path>, value: string, path: Path, what: string): boolean {
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

  chats(): CampaignSpec["chats"] {
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

  schedules(timezone: string | undefined): ScheduleSpec | undefined {
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

  escalation(): EscalationStep[] | undefined {
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

  remindBefore(): number[] | undefined {
    const { c, root } = this;
    if (root.remind_before === undefined) return [...DEFAULT_REMIND_BEFORE];
    const raw = c.field(["remind_before"], remindBeforeSchema, root.remind_before);
    return raw ? [...new Set(raw)].sort((a, b) => b - a) : undefined;
  }

  /** `flags:` — thresholds of the 形式主义 check; `min_chars` per item must name the checklist's items. */
  flags(index: ChecklistIndex | undefined): CampaignSpec["flags"] {
    const { c, root } = this;
    const raw = c.field(["flags"], flagsSchema, root.flags);
    if (!raw) return undefined;
    const spec: NonNullable<CampaignSpec["flags"]> = { enabled: raw.enabled ?? true };
    if (raw.recycled_share !== undefined) spec.recycledShare = raw.recycled_share;
    if (raw.passage_chars !== undefined) spec.passageChars = raw.passage_chars;
    if (raw.checklist_share !== undefined) spec.checklistShare = raw.checklist_share;
    if (raw.stock_share !== undefined) spec.stockShare = raw.stock_share;
    if (typeof raw.min_chars === "number") spec.minChars = raw.min_chars;
    else if (raw.min_chars) {
      const byItem: Record<string, number> = {};
      for (const [k, n] of Object.entries(raw.min_chars)) {
        if (k === "default") spec.minChars = n;
        else if (index && !index.items.includes(k))
          c.error(["flags", "min_chars", k], bi(`清单中没有事项 ${k}`, `the checklist has no item "${k}"`));
        else byItem[k] = n;
      }
      if (Object.keys(byItem).length) spec.minCharsByItem = byItem;
    }
    if (raw.stock_phrases?.length) spec.stockPhrases = [...new Set(raw.stock_phrases)];
    return spec;
  }

  ledger(): CampaignSpec["ledger"] {
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

  organisationWarnings(
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
