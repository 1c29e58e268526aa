/**
 * Cards that answer questions asked in chat: who has not filled in yet, how one checklist item stands
 * across units, the problem list, and lists of measures (overdue / due soon).
 */
import { DIGEST_ACTIONS } from "./digest-card";
import {
  button,
  card,
  CARD_SAFE_ELEMENTS,
  clip,
  dueLevel,
  dueMd,
  escLine,
  fitCard,
  md,
  note,
  sep,
  table,
  tr,
  trimmedText,
  type Card,
  type Locale,
  type Template,
} from "./kit";
import { conclusionLabel, measureStateLabel, type ConclusionValue } from "./labels";
import type { ItemStatusView, MeasureListView, PendingView, ProblemListView } from "./view-types";

/** Markdown lines per markdown component in long lists (keeps each component a readable size). */
const LINES_PER_BLOCK = 20;

function blocks(lines: string[], per = LINES_PER_BLOCK): object[] {
  const out: object[] = [];
  for (let i = 0; i < lines.length; i += per) out.push(md(lines.slice(i, i + per).join("\n")));
  return out;
}

/** The header already names the campaign: the subtitle carries the scope, if any. */
function subtitleOf(scope?: string): string | undefined {
  return scope ? clip(scope, 60) : undefined;
}

// ---------------------------------------------------------------------------------------------
// 谁还没填报

export interface PendingCardInput {
  v: PendingView;
  locale: Locale;
}

const PENDING_LEVELS = [
  { units: 40, people: 30, items: 5, title: 40, name: 20 },
  { units: 30, people: 20, items: 3, title: 24, name: 16 },
  { units: 20, people: 15, items: 2, title: 16, name: 12 },
  { units: 15, people: 10, items: 1, title: 12, name: 10 },
  { units: 10, people: 8, items: 0, title: 0, name: 8 },
] as const;
type PendingLevel = (typeof PENDING_LEVELS)[number];

/** Who has not filled in their self-checks yet, grouped by unit, with the pending item titles. */
export function pendingCard(input: PendingCardInput): Card {
  return fitCard(PENDING_LEVELS.length, (lv) => buildPending(input, PENDING_LEVELS[lv]));
}

function buildPending(input: PendingCardInput, L: PendingLevel): Card {
  const { v, locale: l } = input;
  const units = v.byUnit.filter((u) => u.people.length > 0);
  const people = units.reduce((n, u) => n + u.people.length, 0);
  const title = tr(l, "未填报名单", "Not yet filled in");
  const elements: object[] = [];

  if (people === 0) {
    elements.push(md(tr(l, "所有自查事项均已填报。", "Every self-check has been filled in.")));
  } else {
    elements.push(
      md(
        tr(
          l,
          `共 **${v.total}** 项自查未填报，涉及 **${units.length}** 个科室 **${people}** 人：`,
          `**${v.total}** self-check(s) not filled in, by **${people}** people in **${units.length}** unit(s):`,
        ),
      ),
    );
    const shownUnits = units.slice(0, L.units);
    for (const u of shownUnits) {
      const shownPeople = u.people.slice(0, L.people);
      const lines = shownPeople.map((p) => {
        const name = escLine(p.name, L.name);
        if (L.items === 0 || p.items.length === 0)
          return `- ${name}${tr(l, `（${p.items.length} 项）`, ` (${p.items.length})`)}`;
        const items = p.items.slice(0, L.items).map((t) => escLine(t, L.title));
        const more = p.items.length - items.length;
        const tail = more > 0 ? tr(l, ` 等 ${p.items.length} 项`, ` and ${more} more`) : "";
        return `- ${name}${tr(l, "：", ": ")}${items.join(tr(l, "；", "; "))}${tail}`;
      });
      if (u.people.length > shownPeople.length) {
        lines.push(
          tr(
            l,
            `另有 ${u.people.length - shownPeople.length} 人`,
            `${u.people.length - shownPeople.length} more people`,
          ),
        );
      }
      const head = `**${escLine(u.unitName, 30)}**${tr(l, `（${u.people.length} 人）`, ` (${u.people.length})`)}`;
      elements.push(md(`${head}\n${lines.join("\n")}`));
    }
    if (units.length > shownUnits.length) {
      const rest = units.slice(shownUnits.length);
      const restPeople = rest.reduce((n, u) => n + u.people.length, 0);
      elements.push(
        md(
          tr(
            l,
            `另有 ${rest.length} 个科室（${restPeople} 人）未列出。`,
            `${rest.length} more unit(s) (${restPeople} people) not shown.`,
          ),
        ),
      );
    }
  }

  return card({
    title: clip(`${title} · ${v.campaignTitle}`, 100),
    template: people > 0 ? "orange" : "green",
    summary: clip(
      tr(l, `${title}：${people} 人，${v.total} 项`, `${title}: ${people} people, ${v.total} item(s)`),
      60,
    ),
    elements,
  });
}

// ---------------------------------------------------------------------------------------------
// 未填报情况（只有数字）: for a group chat and for members, who do not get the named list.

export interface PendingCountsCardInput {
  v: {
    campaignTitle: string;
    units: { unitName: string; pending: number; total: number }[];
    /** The asker's own pending item titles (in private). */
    own?: string[];
  };
  locale: Locale;
}

const COUNT_LEVELS = [{ units: 100 }, { units: 60 }, { units: 30 }, { units: 15 }] as const;

export function pendingCountsCard(input: PendingCountsCardInput): Card {
  return fitCard(COUNT_LEVELS.length, (lv) => buildPendingCounts(input, COUNT_LEVELS[lv].units));
}

function buildPendingCounts(input: PendingCountsCardInput, maxUnits: number): Card {
  const { v, locale: l } = input;
  const pending = v.units.reduce((n, u) => n + u.pending, 0);
  const total = v.units.reduce((n, u) => n + u.total, 0);
  const title = tr(l, "未填报情况", "Not yet filled in");
  const elements: object[] = [];
  if (v.own) {
    elements.push(
      md(
        v.own.length
          ? tr(
              l,
              `您本人还有 **${v.own.length}** 项未填报：`,
              `You have **${v.own.length}** not filled in:`,
            ) +
              "\n" +
              v.own
                .slice(0, 20)
                .map((t) => `- ${escLine(t, 40)}`)
                .join("\n")
          : tr(l, "您本人没有未填报的自查事项。", "You have nothing left to fill in."),
      ),
    );
  }
  if (v.units.length) {
    elements.push(
      md(
        tr(
          l,
          `共 **${pending}** 项未填报（已填报 ${total - pending}/${total}）：`,
          `**${pending}** not filled in (${total - pending}/${total} done):`,
        ),
      ),
    );
    const shown = v.units.slice(0, maxUnits);
    elements.push(
      ...blocks(
        shown.map((u) =>
          tr(
            l,
            `- ${escLine(u.unitName, 30)}：已填报 ${u.total - u.pending}/${u.total}，未填报 ${u.pending} 项`,
            `- ${escLine(u.unitName, 30)}: ${u.total - u.pending}/${u.total} filled in, ${u.pending} not yet`,
          ),
        ),
      ),
    );
    if (v.units.length > shown.length) elements.push(moreUnits(l, v.units.length - shown.length));
  }
  elements.push(
    note(
      tr(
        l,
        "未填报人员名单只私信发给科室负责人、分管领导和管理员。",
        "The named list goes only to heads, leaders and admins, in private.",
      ),
    ),
  );
  return card({
    title: clip(`${title} · ${v.campaignTitle}`, 100),
    template: pending > 0 || (v.own?.length ?? 0) > 0 ? "orange" : "green",
    summary: clip(tr(l, `${title}：${pending} 项`, `${title}: ${pending}`), 60),
    elements,
  });
}

/**
 * Where a list of units was cut, right under it and as visible as it: the cut marker every fitted
 * list ends with (cards/kit.ts), then what the rest are.
 */
function moreUnits(l: Locale, n: number): object {
  return md(trimmedText(l, n) + tr(l, `（${n} 个科室未列出）`, ` (${n} unit(s) not shown)`));
}

// ---------------------------------------------------------------------------------------------
// 查摆问题（只有数字）: a group chat sees counts by unit, never the problem texts.

export interface ProblemCountsCardInput {
  v: {
    campaignTitle: string;
    scope?: string;
    units: { unitName: string; total: number; resolved: number }[];
  };
  locale: Locale;
}

export function problemCountsCard(input: ProblemCountsCardInput): Card {
  const { v, locale: l } = input;
  return unitCountsCard({
    title: `${tr(l, "查摆问题", "Problems found")} · ${v.campaignTitle}`,
    scope: v.scope,
    lines: v.units.map((u) =>
      tr(
        l,
        `- ${escLine(u.unitName, 30)}：问题 ${u.total} 个，已整改到位 ${u.resolved} 个`,
        `- ${escLine(u.unitName, 30)}: ${u.total} problem(s), ${u.resolved} resolved`,
      ),
    ),
    empty: tr(l, "暂无查摆问题。", "No problems reported yet."),
    footer: tr(l, "问题详情请私聊查询。", "Details in a private chat with me."),
    locale: l,
  });
}

// 到期措施（只有数字）: a group chat sees how many measures fall due, by unit; the list goes in private.

export interface MeasureCountsCardInput {
  v: { campaignTitle: string; title: string; scope?: string; units: { unitName: string; n: number }[] };
  locale: Locale;
}

export function measureCountsCard(input: MeasureCountsCardInput): Card {
  const { v, locale: l } = input;
  const total = v.units.reduce((n, u) => n + u.n, 0);
  return unitCountsCard({
    title: `${v.title} · ${v.campaignTitle}`,
    scope: v.scope,
    head: total ? tr(l, `共 **${total}** 项：`, `**${total}** measure(s):`) : undefined,
    lines: v.units.map((u) =>
      tr(l, `- ${escLine(u.unitName, 30)}：${u.n} 项`, `- ${escLine(u.unitName, 30)}: ${u.n}`),
    ),
    empty: tr(l, `目前没有${escLine(v.title, 40)}。`, `No ${escLine(v.title, 40)} at the moment.`),
    footer: tr(
      l,
      "措施名单只私信发给本次活动的人员（各人可见的范围）。",
      "The list goes in private, to the people of the campaign (what each may see).",
    ),
    template: total ? "orange" : "green",
    locale: l,
  });
}

/** A card of one line per unit, fitted to Feishu's limits (the rest counted). */
function unitCountsCard(o: {
  title: string;
  scope?: string;
  head?: string;
  lines: string[];
  empty: string;
  footer: string;
  template?: Template;
  locale: Locale;
}): Card {
  return fitCard(COUNT_LEVELS.length, (lv) => {
    const shown = o.lines.slice(0, COUNT_LEVELS[lv].units);
    const elements: object[] = shown.length
      ? [...(o.head ? [md(o.head)] : []), ...blocks(shown)]
      : [md(o.empty)];
    if (o.lines.length > shown.length) elements.push(moreUnits(o.locale, o.lines.length - shown.length));
    elements.push(note(o.footer));
    return card({
      title: clip(o.title, 100),
      subtitle: subtitleOf(o.scope),
      template: o.template ?? "blue",
      elements,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 一个检查项在各科室的填报情况

export interface ItemStatusCardInput {
  v: ItemStatusView;
  locale: Locale;
  today: string;
}

const ITEM_LEVELS = [{ rows: 100 }, { rows: 60 }, { rows: 40 }, { rows: 20 }, { rows: 10 }] as const;

const CONCLUSIONS = new Set<string>(["compliant", "basically_compliant", "problems"]);

function conclusionText(l: Locale, c: string | undefined): string {
  if (!c) return "";
  return CONCLUSIONS.has(c) ? conclusionLabel(l, c as ConclusionValue) : clip(c, 20);
}

/** One checklist item across units: a table 科室/填报人/状态/结论/问题数/时限. */
export function itemStatusCard(input: ItemStatusCardInput): Card {
  return fitCard(ITEM_LEVELS.length, (lv) => buildItemStatus(input, ITEM_LEVELS[lv].rows));
}

function buildItemStatus(input: ItemStatusCardInput, maxRows: number): Card {
  const { v, locale: l, today } = input;
  const rows = v.rows;
  const submitted = rows.filter((r) => r.state === "submitted").length;
  const problems = rows.reduce((n, r) => n + (Number.isFinite(r.problems) ? r.problems : 0), 0);
  const late = rows.filter((r) => r.state === "pending" && dueLevel(today, r.dueDate) === "overdue").length;
  const elements: object[] = [];

  if (rows.length === 0) {
    elements.push(md(tr(l, "该检查项尚未分派到科室。", "This item has not been assigned to any unit.")));
  } else {
    elements.push(
      md(
        tr(
          l,
          `已填报 **${submitted}/${rows.length}**${sep(l)}发现问题 **${problems}** 个${late > 0 ? `${sep(l)}<font color='red'>逾期未填报 **${late}**</font>` : ""}`,
          `Filled in **${submitted}/${rows.length}**${sep(l)}problems found **${problems}**${late > 0 ? `${sep(l)}<font color='red'>overdue **${late}**</font>` : ""}`,
        ),
      ),
    );
    const shown = rows.slice(0, maxRows);
    elements.push(
      table(
        [
          { name: "unit", display_name: tr(l, "科室", "Unit"), data_type: "text", width: "auto" },
          { name: "who", display_name: tr(l, "填报人", "Assignee"), data_type: "text" },
          { name: "state", display_name: tr(l, "状态", "State"), data_type: "options" },
          { name: "concl", display_name: tr(l, "结论", "Conclusion"), data_type: "text" },
          {
            name: "probs",
            display_name: tr(l, "问题数", "Problems"),
            data_type: "number",
            horizontal_align: "right",
          },
          { name: "due", display_name: tr(l, "时限", "Due"), data_type: "markdown" },
        ],
        shown.map((r) => {
          const done = r.state === "submitted";
          const overdue = !done && dueLevel(today, r.dueDate) === "overdue";
          return {
            unit: clip(r.unitName, 30),
            who: clip(r.assigneeName, 20),
            state: [
              done
                ? { text: tr(l, "已填报", "Submitted"), color: "green" }
                : { text: tr(l, "未填报", "Pending"), color: overdue ? "red" : "orange" },
            ],
            concl: conclusionText(l, r.conclusion),
            probs: Number.isFinite(r.problems) ? r.problems : 0,
            due: dueMd(l, today, r.dueDate, { done }),
          };
        }),
      ),
    );
    if (rows.length > shown.length) {
      elements.push(
        note(
          tr(
            l,
            `另有 ${rows.length - shown.length} 个科室未列出。`,
            `${rows.length - shown.length} more units not shown.`,
          ),
        ),
      );
    }
  }

  const head = `${v.sectionCode} · ${v.itemTitle}`;
  return card({
    title: clip(tr(l, `填报情况 · ${head}`, `Status · ${head}`), 100),
    subtitle: clip(v.campaignTitle, 60),
    template: late > 0 ? "orange" : rows.length > 0 && submitted === rows.length ? "green" : "blue",
    summary: clip(
      tr(
        l,
        `${v.itemTitle}：已填报 ${submitted}/${rows.length}`,
        `${v.itemTitle}: ${submitted}/${rows.length} filled in`,
      ),
      60,
    ),
    elements,
  });
}

// ---------------------------------------------------------------------------------------------
// 问题清单

export interface ProblemListCardInput {
  v: ProblemListView;
  locale: Locale;
  /** Shown when there are no problems; default "目前没有查摆出的问题。". */
  emptyText?: string;
}

const PROBLEM_LEVELS = [
  { lines: 100, text: 60, item: 30, name: 16 },
  { lines: 60, text: 40, item: 20, name: 12 },
  { lines: 40, text: 30, item: 16, name: 10 },
  { lines: 25, text: 20, item: 12, name: 8 },
  { lines: 15, text: 16, item: 10, name: 8 },
] as const;
type ProblemLevel = (typeof PROBLEM_LEVELS)[number];

/** The problems found (in the given order), each with its item, unit, measure count and whether it is resolved. */
export function problemListCard(input: ProblemListCardInput): Card {
  return fitCard(PROBLEM_LEVELS.length, (lv) => buildProblems(input, PROBLEM_LEVELS[lv]));
}

function buildProblems(input: ProblemListCardInput, L: ProblemLevel): Card {
  const { v, locale: l } = input;
  const ps = v.problems;
  const resolved = ps.filter((p) => p.resolved).length;
  const title = tr(l, "问题清单", "Problems found");
  const elements: object[] = [];

  if (ps.length === 0) {
    elements.push(
      md(
        input.emptyText
          ? escLine(input.emptyText, 200)
          : tr(l, "目前没有查摆出的问题。", "No problems have been found."),
      ),
    );
  } else {
    elements.push(
      md(
        tr(
          l,
          `共 **${ps.length}** 个问题${sep(l)}已解决 **${resolved}**${sep(l)}未解决 **${ps.length - resolved}**`,
          `**${ps.length}** problem(s)${sep(l)}resolved **${resolved}**${sep(l)}open **${ps.length - resolved}**`,
        ),
      ),
    );
    const shown = ps.slice(0, L.lines);
    const lines = shown.map((p) => {
      const status = p.resolved
        ? `<font color='green'>${tr(l, "已解决", "resolved")}</font>`
        : p.measures > 0
          ? tr(l, "未解决", "open")
          : `<font color='orange'>${tr(l, "尚无整改措施", "no measure yet")}</font>`;
      return `- ${tr(l, `问题#${p.seq}`, `Problem #${p.seq}`)} ${escLine(p.text, L.text)}（${escLine(p.itemTitle, L.item)}${sep(l)}${escLine(p.unitName, L.name)}${sep(l)}${tr(l, `措施 ${p.measures} 项`, `${p.measures} measure(s)`)}${sep(l)}${status}）`;
    });
    if (ps.length > shown.length) {
      lines.push(
        tr(
          l,
          `另有 ${ps.length - shown.length} 个问题，未全部列出。`,
          `${ps.length - shown.length} more not shown.`,
        ),
      );
    }
    elements.push(...blocks(lines));
  }

  return card({
    title: clip(`${title} · ${v.campaignTitle}`, 100),
    subtitle: subtitleOf(v.scope),
    template: ps.length > resolved ? "orange" : "green",
    summary: clip(
      tr(
        l,
        `${title}：${ps.length} 个，已解决 ${resolved} 个`,
        `${title}: ${ps.length}, ${resolved} resolved`,
      ),
      60,
    ),
    elements,
  });
}

// ---------------------------------------------------------------------------------------------
// 措施列表（逾期 / 快到期）

export interface MeasureListCardInput {
  v: MeasureListView;
  locale: Locale;
  today: string;
  /** An "打开" button on each row (value `{action: "dg.open", kind: "measure", id}`). */
  withOpenButtons?: boolean;
  /** Shown when there are no rows; default "目前没有{title}。". */
  emptyText?: string;
}

const MEASURE_LEVELS = [
  { rows: 60, content: 80, name: 20 },
  { rows: 40, content: 50, name: 16 },
  { rows: 30, content: 40, name: 12 },
  { rows: 20, content: 30, name: 10 },
  { rows: 10, content: 20, name: 8 },
] as const;
type MeasureLevel = (typeof MEASURE_LEVELS)[number];

/** Rows with an "打开" button cost 6 components each (column_set, 2 columns, markdown, button, text). */
export const MEASURE_LIST_MAX_BUTTON_ROWS = 25;

/** A list of measures (rows in the given order), e.g. 逾期措施 or 快到期. */
export function measureListCard(input: MeasureListCardInput): Card {
  return fitCard(MEASURE_LEVELS.length, (lv) => buildMeasures(input, MEASURE_LEVELS[lv]));
}

function measureDue(l: Locale, today: string, r: MeasureListView["rows"][number]): string {
  const closed = r.state === "closed";
  if (!closed && r.daysOverdue !== undefined && r.daysOverdue > 0) {
    const n = r.daysOverdue;
    return `<font color='red'>${escLine(r.dueDate, 20)}${tr(l, `（逾期 ${n} 天）`, ` (${n} day${n === 1 ? "" : "s"} overdue)`)}</font>`;
  }
  return dueMd(l, today, r.dueDate, { done: closed });
}

function buildMeasures(input: MeasureListCardInput, L: MeasureLevel): Card {
  const { v, locale: l, today } = input;
  const rows = v.rows;
  const elements: object[] = [];
  const overdue = rows.some(
    (r) => r.state !== "closed" && ((r.daysOverdue ?? 0) > 0 || dueLevel(today, r.dueDate) === "overdue"),
  );

  if (rows.length === 0) {
    elements.push(
      md(
        input.emptyText
          ? escLine(input.emptyText, 200)
          : tr(l, `目前没有${escLine(v.title, 40)}。`, `No ${escLine(v.title, 40)} at the moment.`),
      ),
    );
  } else {
    elements.push(md(tr(l, `共 **${rows.length}** 项：`, `**${rows.length}** measure(s):`)));
    const cap = input.withOpenButtons
      ? Math.min(L.rows, MEASURE_LIST_MAX_BUTTON_ROWS, Math.floor((CARD_SAFE_ELEMENTS - 10) / 6))
      : L.rows;
    const shown = rows.slice(0, cap);
    const parts = (r: MeasureListView["rows"][number]): [string, string] => [
      `${tr(l, `措施#${r.seq}`, `Measure #${r.seq}`)} ${escLine(r.content, L.content)}`,
      `${escLine(r.ownerName, L.name)}${sep(l)}${escLine(r.unitName, L.name)}${sep(l)}${tr(l, "截止 ", "Due ")}${measureDue(l, today, r)}${sep(l)}${escLine(measureStateLabel(l, r.state), 20)}`,
    ];
    if (input.withOpenButtons) {
      for (const r of shown) elements.push(openRow(l, parts(r).join("\n"), r.id));
    } else {
      elements.push(
        ...blocks(
          shown.map((r) => `- ${parts(r).join(" — ")}`),
          10,
        ),
      );
    }
    if (rows.length > shown.length) {
      elements.push(
        md(
          tr(
            l,
            `另有 ${rows.length - shown.length} 项，未全部列出。`,
            `${rows.length - shown.length} more, not all listed.`,
          ),
        ),
      );
    }
  }

  const template: Template = rows.length === 0 ? "green" : overdue ? "red" : "orange";
  return card({
    title: clip(`${v.title} · ${v.campaignTitle}`, 100),
    subtitle: subtitleOf(v.scope),
    template,
    summary: clip(`${v.title}${tr(l, `：${rows.length} 项`, `: ${rows.length}`)}`, 60),
    elements,
  });
}

function openRow(l: Locale, text: string, id: string): object {
  return {
    tag: "column_set",
    flex_mode: "none",
    horizontal_spacing: "small",
    columns: [
      { tag: "column", width: "weighted", weight: 4, vertical_align: "center", elements: [md(text)] },
      {
        tag: "column",
        width: "auto",
        vertical_align: "center",
        elements: [button(tr(l, "打开", "Open"), { action: DIGEST_ACTIONS.open, kind: "measure", id })],
      },
    ],
  };
}
