import { callbackValues, expectValid, markdownText, objects, type Obj } from "../helpers/card-checks";
import { describe, expect, it } from "vitest";
import {
  itemStatusCard,
  MEASURE_LIST_MAX_BUTTON_ROWS,
  measureListCard,
  pendingCard,
  problemListCard,
} from "../../cards/answer-cards";
import { ESCALATION_ACTIONS, escalationCard } from "../../cards/escalation-card";
import {
  SUMMARY_CHART_MAX_BARS,
  SUMMARY_TABLE_MAX_ROWS,
  summaryCard,
  unitCompletion,
} from "../../cards/summary-card";
import type {
  EscalationItem,
  EscalationView,
  ItemStatusView,
  MeasureListView,
  PendingView,
  ProblemListView,
  SummaryView,
} from "../../cards/view-types";

const TODAY = "2026-12-10";
const NASTY = "**bold** <at id=all></at> [x](y) _u_ #h |t| `c`";
const long = (n: number, unit = "查"): string => unit.repeat(n);

function noteText(card: object): string {
  return objects((card as Obj).body)
    .filter((o) => o.tag === "div")
    .map((o) => (o.text as Obj).content as string)
    .join("\n");
}

function title(card: object): string {
  return ((card as Obj).header as { title: { content: string } }).title.content;
}

function subtitle(card: object): string | undefined {
  return ((card as Obj).header as { subtitle?: { content: string } }).subtitle?.content;
}

function rootElements(card: object): Obj[] {
  return (card as { body: { elements: Obj[] } }).body.elements;
}

function tables(card: object): Obj[] {
  return rootElements(card).filter((e) => e.tag === "table");
}

function charts(card: object): Obj[] {
  return rootElements(card).filter((e) => e.tag === "chart");
}

function buttonTexts(card: object): string[] {
  return objects((card as Obj).body)
    .filter((o) => o.tag === "button")
    .map((b) => (b.text as Obj).content as string);
}

/** Every row key is a declared column, numbers in number columns, strings in text ones. */
function expectTableCellsFit(t: Obj): void {
  const cols = new Map((t.columns as Obj[]).map((c) => [c.name as string, c.data_type as string]));
  expect(t.page_size).toBeLessThanOrEqual(10);
  for (const row of t.rows as Obj[]) {
    for (const [k, v] of Object.entries(row)) {
      expect(cols.has(k)).toBe(true);
      const dt = cols.get(k);
      if (dt === "number") expect(typeof v).toBe("number");
      if (dt === "text" || dt === "markdown" || dt === "lark_md") expect(typeof v).toBe("string");
    }
  }
}

function expectEscaped(card: object): void {
  const text = markdownText(card);
  expect(text).not.toContain("<at id=all>");
  expect(text).not.toContain("**bold**");
  expect(text).toContain("&#42;&#42;bold&#42;&#42;");
}

// ---------------------------------------------------------------------------------------------

const unit = (
  name: string,
  done: number,
  total: number,
  mc: number,
  mt: number,
  overdue = 0,
): SummaryView["units"][number] => ({
  name,
  done,
  total,
  measuresClosed: mc,
  measuresTotal: mt,
  overdue,
});

const overdueRow = (
  seq: number,
  days: number,
  over: Partial<SummaryView["overdue"][number]> = {},
): SummaryView["overdue"][number] => ({
  seq,
  content: `整改措施内容${seq}`,
  ownerName: "李四",
  unitName: "财务科",
  dueDate: "2026-12-01",
  daysOverdue: days,
  state: "in_progress",
  ...over,
});

const summary = (over: Partial<SummaryView> = {}): SummaryView => ({
  campaignTitle: "2026年作风建设自查整改",
  asOf: "2026-12-04 17:00",
  assignments: { done: 12, total: 40, overdue: 3 },
  measures: { closed: 5, total: 20, overdue: 2 },
  sections: [
    { code: "六查", done: 6, total: 18 },
    { code: "六正", done: 4, total: 12 },
    { code: "两提高", done: 2, total: 10 },
  ],
  units: [unit("办公室", 3, 5, 1, 4, 1), unit("人事科", 5, 5, 2, 2), unit("财务科", 4, 30, 2, 14, 2)],
  overdue: [overdueRow(12, 9), overdueRow(7, 4, { state: "open" })],
  newlyClosed: [{ seq: 3, content: "完善请假制度", ownerName: "王五", unitName: "人事科" }],
  ...over,
});

describe("summaryCard", () => {
  it("normal: overall numbers, sections, unit table, chart, overdue and newly closed", () => {
    const s = summary();
    const c = summaryCard({ s, locale: "zh", kind: "broadcast" });
    expectValid(c);
    expect(title(c)).toBe("进度通报 · 2026年作风建设自查整改");
    expect(subtitle(c)).toContain("2026-12-04 17:00");
    const text = markdownText(c);
    expect(text).toContain("12/40（30%）");
    expect(text).toContain("5/20（25%）");
    expect(text).toContain("已销号");
    expect(text).toContain("<font color='red'>**3**</font>");
    expect(text).toContain("<font color='red'>**2**</font>");
    expect(text).toContain("六查：6/18（33%）");
    expect(text).toContain("两提高：2/10（20%）");
    expect(text).toContain("措施#12 整改措施内容12 — 李四");
    expect(text).toContain("逾期 9 天");
    expect(text).toContain("整改中");
    expect(text).toContain("未开始");
    expect(text).not.toContain("另有");
    expect(text).toContain("措施#3 完善请假制度 — 王五");

    const [t] = tables(c);
    expect(tables(c)).toHaveLength(1);
    expectTableCellsFit(t);
    expect((t.columns as Obj[]).map((x) => x.display_name)).toEqual(["科室", "自查", "措施", "逾期"]);
    expect(t.rows).toEqual([
      { unit: "办公室", sc: "3/5", ms: "1/4", od: 1 },
      { unit: "人事科", sc: "5/5", ms: "2/2", od: 0 },
      { unit: "财务科", sc: "4/30", ms: "2/14", od: 2 },
    ]);

    const [ch] = charts(c);
    expect(ch.aspect_ratio).toBe("16:9");
    const spec = ch.chart_spec as { type: string; data: { values: { unit: string; pct: number }[] } };
    expect(spec.type).toBe("bar");
    expect(spec.data.values).toEqual([
      { unit: "办公室", pct: 44 },
      { unit: "人事科", pct: 100 },
      { unit: "财务科", pct: 14 },
    ]);
    expect(JSON.stringify(spec)).not.toMatch(/function|=>/);
  });

  it("header and subtitle for leader and answer kinds; scope shown", () => {
    const s = summary({ scope: "分管科室：办公室、人事科" });
    const leader = summaryCard({ s, locale: "zh", kind: "leader" });
    expectValid(leader);
    expect(title(leader)).toBe("分管科室进度 · 2026年作风建设自查整改");
    expect(subtitle(leader)).toBe("截至 2026-12-04 17:00 · 分管科室：办公室、人事科");
    const answer = summaryCard({ s, locale: "zh", kind: "answer" });
    expectValid(answer);
    expect(title(answer)).toBe("进度 · 2026年作风建设自查整改");
  });

  it("English labels", () => {
    const c = summaryCard({ s: summary(), locale: "en", kind: "broadcast" });
    expectValid(c);
    expect(title(c)).toBe("Progress report · 2026年作风建设自查整改");
    const text = markdownText(c);
    expect(text).toContain("Self-checks submitted: **12/40 (30%)**");
    expect(text).toContain("Measures closed: **5/20 (25%)**");
    expect(text).toContain("Measure #12");
    expect(text).toContain("9 days overdue");
    expect(text).toContain("In progress");
    expect((tables(c)[0].columns as Obj[]).map((x) => x.display_name)).toEqual([
      "Unit",
      "Self-checks",
      "Measures",
      "Overdue",
    ]);
  });

  it("topN respected with the right remaining count", () => {
    const overdue = Array.from({ length: 8 }, (_, i) => overdueRow(100 + i, 20 - i));
    const c = summaryCard({ s: summary({ overdue }), locale: "zh", topN: 3, kind: "broadcast" });
    expectValid(c);
    const text = markdownText(c);
    expect(text).toContain("措施#100");
    expect(text).toContain("措施#102");
    expect(text).not.toContain("措施#103");
    expect(text).toContain("另有 5 项逾期");
    // default top 10
    const d = summaryCard({
      s: summary({ overdue: Array.from({ length: 13 }, (_, i) => overdueRow(200 + i, 30 - i)) }),
      locale: "zh",
      kind: "broadcast",
    });
    expect(markdownText(d)).toContain("措施#209");
    expect(markdownText(d)).not.toContain("措施#210");
    expect(markdownText(d)).toContain("另有 3 项逾期");
  });

  it("empty: no table or chart, friendly lines", () => {
    const s = summary({
      assignments: { done: 0, total: 0, overdue: 0 },
      measures: { closed: 0, total: 0, overdue: 0 },
      sections: [],
      units: [],
      overdue: [],
      newlyClosed: [],
    });
    const c = summaryCard({ s, locale: "zh", kind: "broadcast" });
    expectValid(c);
    expect(tables(c)).toHaveLength(0);
    expect(charts(c)).toHaveLength(0);
    expect(markdownText(c)).toContain("暂无自查事项和整改措施");
    expect(markdownText(c)).toContain("本期无新销号");
    // A chat answer carries no newly-closed list, and shows no such section.
    const answer = summaryCard({ s: { ...s, newlyClosed: undefined }, locale: "zh", kind: "answer" });
    expectValid(answer);
    expect(markdownText(answer)).not.toContain("新销号");
    // units without any work: table yes, chart no
    const u = summaryCard({ s: { ...s, units: [unit("办公室", 0, 0, 0, 0)] }, locale: "en", kind: "answer" });
    expectValid(u);
    expect(tables(u)).toHaveLength(1);
    expect(charts(u)).toHaveLength(0);
  });

  it("worst case: 200 units, 500 overdue, long and markdown-special texts", () => {
    const units = Array.from({ length: 200 }, (_, i) =>
      unit(`${NASTY}${long(40, "科")}${i}`, i % 7, 10, i % 5, 6, i % 3 === 0 ? i % 11 : 0),
    );
    const overdue = Array.from({ length: 500 }, (_, i) =>
      overdueRow(i + 1, 500 - i, {
        content: `${NASTY}${long(120)}`,
        ownerName: NASTY + long(30, "名"),
        unitName: NASTY + long(40, "科"),
      }),
    );
    const newlyClosed = Array.from({ length: 300 }, (_, i) => ({
      seq: 1000 + i,
      content: `${NASTY}${long(120)}`,
      ownerName: NASTY,
      unitName: NASTY,
    }));
    const s = summary({
      scope: `分管科室：${long(200, "室")}`,
      sections: Array.from({ length: 30 }, (_, i) => ({ code: `${NASTY}${i}`, done: i, total: 30 })),
      units,
      overdue,
      newlyClosed,
    });
    for (const locale of ["zh", "en"] as const) {
      for (const topN of [10, 500]) {
        const c = summaryCard({ s, locale, topN, kind: "leader" });
        expectValid(c);
        expectEscaped(c);
        const [t] = tables(c);
        expectTableCellsFit(t);
        const rows = (t.rows as Obj[]).length;
        expect(rows).toBeLessThanOrEqual(SUMMARY_TABLE_MAX_ROWS);
        expect(noteText(c)).toContain(
          locale === "zh" ? `另有 ${200 - rows} 个科室` : `${200 - rows} more units`,
        );
        const values = (charts(c)[0].chart_spec as { data: { values: { unit: string; pct: number }[] } }).data
          .values;
        expect(values.length).toBeLessThanOrEqual(SUMMARY_CHART_MAX_BARS);
        expect(values.length).toBeGreaterThan(0);
        expect(new Set(values.map((v) => v.unit)).size).toBe(values.length);
        // the chart holds the lowest completion units
        const shownMax = Math.max(...values.map((v) => v.pct));
        const lower = units.filter((u) => Math.round((unitCompletion(u) ?? 0) * 100) < shownMax).length;
        expect(lower).toBeLessThanOrEqual(values.length);
        const text = markdownText(c);
        const listed = (text.match(locale === "zh" ? /措施#\d+ / : /Measure #\d+ /g) ?? []).length;
        expect(listed).toBeGreaterThan(0);
      }
    }
    const c = summaryCard({ s, locale: "zh", kind: "broadcast" });
    const text = markdownText(c);
    expect(text).toContain("另有 490 项逾期");
    expect(text).toMatch(/本期新销号\*\*（300 项）/);
  });
});

// ---------------------------------------------------------------------------------------------

const escItem = (i: number, over: Partial<EscalationItem> = {}): EscalationItem => ({
  kind: i % 2 ? "measure" : "assignment",
  id: `id_${i}`,
  title: `事项${i}`,
  ownerName: "张三",
  unitName: "财务科",
  dueDate: "2026-12-01",
  daysOverdue: 3,
  ...over,
});

const escView = (over: Partial<EscalationView> = {}): EscalationView => ({
  campaignTitle: "2026年作风建设自查整改",
  recipientName: "王科长",
  level: "head",
  afterWorkingDays: 3,
  items: [escItem(1, { daysOverdue: 5 }), escItem(2, { daysOverdue: 7 })],
  ...over,
});

describe("escalationCard", () => {
  it("head: lines with nudge and open buttons, exact values, most overdue first", () => {
    const c = escalationCard({ e: escView(), locale: "zh", today: TODAY });
    expectValid(c);
    expect(title(c)).toBe("逾期督办");
    expect(ESCALATION_ACTIONS.nudge).toBe("es.nudge");
    expect(callbackValues(c)).toEqual([
      { action: "es.nudge", kind: "assignment", id: "id_2" },
      { action: "dg.open", kind: "assignment", id: "id_2" },
      { action: "es.nudge", kind: "measure", id: "id_1" },
      { action: "dg.open", kind: "measure", id: "id_1" },
    ]);
    const text = markdownText(c);
    expect(text).toContain("王科长");
    expect(text).toContain("2 项事项逾期已超过 3 个工作日");
    expect(text).toContain("逾期 7 个工作日");
    expect(text).toContain("【整改】事项1");
    expect(text).toContain("截止 2026-12-01");
    expect(buttonTexts(c)).toEqual(["催办", "打开", "催办", "打开"]);
  });

  it("owner: 您有事项已逾期, no nudge button", () => {
    const c = escalationCard({ e: escView({ level: "owner" }), locale: "zh", today: TODAY });
    expectValid(c);
    expect(title(c)).toBe("您有事项已逾期");
    expect(callbackValues(c).every((v) => v.action === "dg.open")).toBe(true);
    expect(buttonTexts(c)).toEqual(["打开", "打开"]);
  });

  it("leader and admins levels, English, empty", () => {
    for (const level of ["leader", "admins"] as const) {
      const c = escalationCard({ e: escView({ level }), locale: "en", today: TODAY });
      expectValid(c);
      expect(title(c)).toBe("Overdue escalation");
      expect(buttonTexts(c)).toEqual(["Nudge", "Open", "Nudge", "Open"]);
      expect(markdownText(c)).toContain("7 working days overdue");
    }
    const e = escalationCard({ e: escView({ items: [] }), locale: "zh", today: TODAY });
    expectValid(e);
    expect(callbackValues(e)).toEqual([]);
  });

  it("worst case: truncated with the right remaining count", () => {
    const items = Array.from({ length: 300 }, (_, i) =>
      escItem(i, {
        title: NASTY + long(200),
        ownerName: NASTY + long(40),
        unitName: NASTY + long(40),
        daysOverdue: i,
      }),
    );
    for (const level of ["owner", "head"] as const) {
      const c = escalationCard({
        e: escView({ level, recipientName: NASTY, items }),
        locale: "zh",
        today: TODAY,
      });
      expectValid(c);
      expectEscaped(c);
      const opens = callbackValues(c).filter((v) => v.action === "dg.open").length;
      expect(opens).toBeGreaterThanOrEqual(10);
      expect(markdownText(c)).toContain(`另有 ${300 - opens} 项未列出`);
      expect(callbackValues(c)[level === "owner" ? 0 : 1]).toEqual({
        action: "dg.open",
        kind: "measure",
        id: "id_299",
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("pendingCard", () => {
  const view = (over: Partial<PendingView> = {}): PendingView => ({
    campaignTitle: "2026年作风建设自查整改",
    byUnit: [
      { unitName: "办公室", people: [{ name: "张三", items: ["查立场是否坚定", "查作风是否务实"] }] },
      {
        unitName: "财务科",
        people: [
          { name: "李四", items: ["查纪律是否严明"] },
          { name: "王五", items: ["查担当"] },
        ],
      },
    ],
    total: 4,
    ...over,
  });

  it("normal and English", () => {
    const c = pendingCard({ v: view(), locale: "zh" });
    expectValid(c);
    const text = markdownText(c);
    expect(text).toContain("共 **4** 项自查未填报，涉及 **2** 个科室 **3** 人");
    expect(text).toContain("**办公室**（1 人）");
    expect(text).toContain("- 张三：查立场是否坚定；查作风是否务实");
    expect(text).toContain("**财务科**（2 人）");
    const e = pendingCard({ v: view(), locale: "en" });
    expectValid(e);
    expect(title(e)).toContain("Not yet filled in");
    expect(markdownText(e)).toContain("- 张三: 查立场是否坚定; 查作风是否务实");
  });

  it("empty", () => {
    const c = pendingCard({ v: view({ byUnit: [], total: 0 }), locale: "zh" });
    expectValid(c);
    expect(markdownText(c)).toContain("所有自查事项均已填报");
  });

  it("worst case: 300 people with long titles", () => {
    const byUnit = Array.from({ length: 60 }, (_, u) => ({
      unitName: `${NASTY}${long(40, "科")}${u}`,
      people: Array.from({ length: 5 }, (_, p) => ({
        name: `${NASTY}${p}`,
        items: Array.from({ length: 10 }, (_, k) => `${NASTY}${long(60)}${k}`),
      })),
    }));
    const c = pendingCard({ v: { campaignTitle: long(200), byUnit, total: 3000 }, locale: "zh" });
    expectValid(c);
    expectEscaped(c);
    const text = markdownText(c);
    expect(text).toContain("共 **3000** 项自查未填报，涉及 **60** 个科室 **300** 人");
    const shownUnits = (text.match(/人）\n/g) ?? []).length;
    expect(text).toContain(`另有 ${60 - shownUnits} 个科室（${(60 - shownUnits) * 5} 人）未列出`);
    // one unit with 300 people
    const one = pendingCard({
      v: {
        campaignTitle: "x",
        byUnit: [{ unitName: "大科室", people: byUnit.flatMap((u) => u.people) }],
        total: 3000,
      },
      locale: "en",
    });
    expectValid(one);
    expect(markdownText(one)).toMatch(/\d+ more people/);
  });
});

describe("itemStatusCard", () => {
  const view = (over: Partial<ItemStatusView> = {}): ItemStatusView => ({
    campaignTitle: "2026年作风建设自查整改",
    itemTitle: "查立场是否坚定",
    sectionCode: "六查",
    rows: [
      {
        unitName: "办公室",
        assigneeName: "张三",
        state: "submitted",
        conclusion: "problems",
        dueDate: "2026-12-05",
        problems: 2,
      },
      { unitName: "财务科", assigneeName: "李四", state: "pending", dueDate: "2026-12-08", problems: 0 },
      { unitName: "人事科", assigneeName: "王五", state: "pending", dueDate: "2026-12-20", problems: 0 },
    ],
    ...over,
  });

  it("normal: table 科室/填报人/状态/结论/问题数/时限", () => {
    const c = itemStatusCard({ v: view(), locale: "zh", today: TODAY });
    expectValid(c);
    expect(title(c)).toContain("六查 · 查立场是否坚定");
    const [t] = tables(c);
    expectTableCellsFit(t);
    expect((t.columns as Obj[]).map((x) => x.display_name)).toEqual([
      "科室",
      "填报人",
      "状态",
      "结论",
      "问题数",
      "时限",
    ]);
    const rows = t.rows as Obj[];
    expect(rows[0]).toMatchObject({
      unit: "办公室",
      who: "张三",
      concl: "存在问题",
      probs: 2,
      due: "2026-12-05",
    });
    expect(rows[0].state).toEqual([{ text: "已填报", color: "green" }]);
    expect(rows[1].state).toEqual([{ text: "未填报", color: "red" }]);
    expect(rows[1].due).toContain("<font color='red'>2026-12-08");
    expect(markdownText(c)).toContain("已填报 **1/3**");
    expect(markdownText(c)).toContain("逾期未填报 **1**");
    const e = itemStatusCard({ v: view(), locale: "en", today: TODAY });
    expectValid(e);
    expect((tables(e)[0].columns as Obj[]).map((x) => x.display_name)).toEqual([
      "Unit",
      "Assignee",
      "State",
      "Conclusion",
      "Problems",
      "Due",
    ]);
  });

  it("empty and worst case", () => {
    const c = itemStatusCard({ v: view({ rows: [] }), locale: "zh", today: TODAY });
    expectValid(c);
    expect(tables(c)).toHaveLength(0);
    const rows = Array.from({ length: 200 }, (_, i) => ({
      unitName: NASTY + long(60, "科") + i,
      assigneeName: NASTY + long(30, "名"),
      state: (i % 2 ? "pending" : "submitted") as "pending" | "submitted",
      conclusion: i % 3 ? "compliant" : long(80),
      dueDate: "2026-12-01",
      problems: i,
    }));
    const w = itemStatusCard({ v: view({ rows, itemTitle: NASTY + long(200) }), locale: "zh", today: TODAY });
    expectValid(w);
    const [t] = tables(w);
    expectTableCellsFit(t);
    const n = (t.rows as Obj[]).length;
    expect(n).toBeGreaterThan(0);
    expect(noteText(w)).toContain(`另有 ${200 - n} 个科室未列出`);
  });
});

describe("problemListCard", () => {
  const view = (over: Partial<ProblemListView> = {}): ProblemListView => ({
    campaignTitle: "2026年作风建设自查整改",
    scope: "财务科",
    problems: [
      { seq: 1, text: "学习不够深入", itemTitle: "查立场", unitName: "财务科", measures: 2, resolved: false },
      { seq: 2, text: "制度执行不严", itemTitle: "查纪律", unitName: "财务科", measures: 0, resolved: false },
      { seq: 3, text: "台账不全", itemTitle: "查作风", unitName: "财务科", measures: 1, resolved: true },
    ],
    ...over,
  });

  it("normal, English and empty", () => {
    const c = problemListCard({ v: view(), locale: "zh" });
    expectValid(c);
    expect(subtitle(c)).toBe("财务科");
    const text = markdownText(c);
    expect(text).toContain("共 **3** 个问题");
    expect(text).toContain("已解决 **1**");
    expect(text).toContain("问题#1 学习不够深入（查立场");
    expect(text).toContain("措施 2 项");
    expect(text).toContain("尚无整改措施");
    const e = problemListCard({ v: view(), locale: "en" });
    expectValid(e);
    expect(markdownText(e)).toContain("Problem #3");
    const empty = problemListCard({ v: view({ problems: [] }), locale: "zh" });
    expectValid(empty);
    expect(markdownText(empty)).toContain("目前没有查摆出的问题");
  });

  it("worst case: 1000 problems", () => {
    const problems = Array.from({ length: 1000 }, (_, i) => ({
      seq: i + 1,
      text: NASTY + long(200),
      itemTitle: NASTY + long(60),
      unitName: NASTY + long(40),
      measures: i % 4,
      resolved: i % 5 === 0,
    }));
    const c = problemListCard({ v: view({ problems }), locale: "zh" });
    expectValid(c);
    expectEscaped(c);
    const text = markdownText(c);
    const shown = (text.match(/问题#\d+ /g) ?? []).length;
    expect(shown).toBeGreaterThan(0);
    expect(text).toContain(`另有 ${1000 - shown} 个问题，未全部列出`);
    expect(text).toContain("共 **1000** 个问题");
  });
});

describe("measureListCard", () => {
  const row = (
    i: number,
    over: Partial<MeasureListView["rows"][number]> = {},
  ): MeasureListView["rows"][number] => ({
    id: `ms_${i}`,
    seq: i,
    content: `措施内容${i}`,
    ownerName: "李四",
    unitName: "财务科",
    dueDate: "2026-12-05",
    daysOverdue: 5,
    state: "in_progress",
    ...over,
  });
  const view = (over: Partial<MeasureListView> = {}): MeasureListView => ({
    campaignTitle: "2026年作风建设自查整改",
    title: "逾期整改措施",
    rows: [row(12), row(7, { dueDate: "2026-12-12", daysOverdue: undefined, state: "open" })],
    ...over,
  });

  it("normal: content, owner, unit, highlighted due, days overdue, state label", () => {
    const c = measureListCard({ v: view(), locale: "zh", today: TODAY });
    expectValid(c);
    expect(title(c)).toBe("逾期整改措施 · 2026年作风建设自查整改");
    const text = markdownText(c);
    expect(text).toContain("措施#12 措施内容12");
    expect(text).toContain("李四");
    expect(text).toContain("<font color='red'>2026-12-05（逾期 5 天）</font>");
    expect(text).toContain("<font color='orange'>2026-12-12（还剩 2 天）</font>");
    expect(text).toContain("整改中");
    expect(text).toContain("未开始");
    expect(callbackValues(c)).toEqual([]);
    const e = measureListCard({ v: view(), locale: "en", today: TODAY });
    expectValid(e);
    expect(markdownText(e)).toContain("5 days overdue");
    expect(markdownText(e)).toContain("In progress");
  });

  it("open buttons carry exact values", () => {
    const c = measureListCard({ v: view(), locale: "zh", today: TODAY, withOpenButtons: true });
    expectValid(c);
    expect(callbackValues(c)).toEqual([
      { action: "dg.open", kind: "measure", id: "ms_12" },
      { action: "dg.open", kind: "measure", id: "ms_7" },
    ]);
  });

  it("empty shows a friendly line", () => {
    const c = measureListCard({ v: view({ rows: [] }), locale: "zh", today: TODAY });
    expectValid(c);
    expect(markdownText(c)).toContain("目前没有逾期整改措施。");
    const d = measureListCard({
      v: view({ rows: [] }),
      locale: "zh",
      today: TODAY,
      emptyText: "目前没有逾期的整改措施。",
    });
    expect(markdownText(d)).toBe("目前没有逾期的整改措施。");
  });

  it("worst case: 500 rows, with and without buttons", () => {
    const rows = Array.from({ length: 500 }, (_, i) =>
      row(i + 1, { content: NASTY + long(200), ownerName: NASTY + long(30), unitName: NASTY + long(40) }),
    );
    for (const withOpenButtons of [false, true]) {
      const c = measureListCard({
        v: view({ rows, scope: long(100) }),
        locale: "zh",
        today: TODAY,
        withOpenButtons,
      });
      expectValid(c);
      expectEscaped(c);
      const text = markdownText(c);
      const shown = (text.match(/措施#\d+ /g) ?? []).length;
      expect(shown).toBeGreaterThan(0);
      if (withOpenButtons) {
        expect(shown).toBeLessThanOrEqual(MEASURE_LIST_MAX_BUTTON_ROWS);
        expect(callbackValues(c)).toHaveLength(shown);
      }
      expect(text).toContain(`另有 ${500 - shown} 项，未全部列出`);
    }
  });
});
