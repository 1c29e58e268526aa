import { callbackValues, expectValid, markdownText, objects, type Obj } from "../helpers/card-checks";
import { describe, expect, it } from "vitest";
import { DIGEST_ACTIONS, DIGEST_MAX_LINES, digestCard, sortDigestLines } from "../../cards/digest-card";
import { cardBytes, daysUntil, dueLevel, dueMd } from "../../cards/kit";
import { MEASURE_ACTIONS, measureCard } from "../../cards/measure-card";
import { errorCard, noticeCard } from "../../cards/notice-card";
import { SELF_CHECK_ACTIONS, selfCheckCard } from "../../cards/self-check-card";
import type { AssignmentView, DigestLine, MeasureView, ResponseView } from "../../cards/view-types";

const TODAY = "2026-12-10";
const NASTY = "**bold** <at id=all></at> [x](y) _u_ #h";

function names(card: object): string[] {
  return objects((card as Obj).body)
    .filter((o) => typeof o.tag === "string" && typeof o.name === "string")
    .map((o) => o.name as string);
}

function expectUniqueNames(card: object): void {
  const n = names(card);
  expect(new Set(n).size).toBe(n.length);
}

function forms(card: object): Obj[] {
  return (card as { body: { elements: Obj[] } }).body.elements.filter((e) => e.tag === "form");
}

function form(card: object, name: string): Obj | undefined {
  return forms(card).find((f) => f.name === name);
}

/** Field names in a form, in order (the submit button included). */
function fieldNames(f: Obj): string[] {
  return objects(f.elements)
    .filter((o) => typeof o.tag === "string" && typeof o.name === "string")
    .map((o) => o.name as string);
}

function field(card: object, name: string): Obj {
  const found = objects((card as Obj).body).find((o) => typeof o.tag === "string" && o.name === name);
  if (!found) throw new Error(`no field ${name}`);
  return found;
}

function buttonsByAction(card: object, action: string): Obj[] {
  return objects((card as Obj).body).filter(
    (o) =>
      o.tag === "button" &&
      ((o.behaviors as Obj[] | undefined) ?? []).some((x) => (x.value as Obj | undefined)?.action === action),
  );
}

function allText(card: object): string {
  return JSON.stringify(card);
}

function template(card: object): string {
  return ((card as Obj).header as Obj).template as string;
}

const assignment = (over: Partial<AssignmentView> = {}): AssignmentView => ({
  id: "as_1",
  rev: 3,
  campaignTitle: "2026年作风建设自查整改",
  sectionCode: "六查",
  sectionTitle: "聚焦“六查”，深入查摆问题",
  itemTitle: "查立场是否坚定",
  checkpoints: ["是否坚决贯彻落实上级决策部署", "是否存在打折扣、搞变通"],
  unitName: "财务科",
  assigneeName: "张三",
  dueDate: "2026-12-20",
  state: "pending",
  ...over,
});

const response = (over: Partial<ResponseView> = {}): ResponseView => ({
  version: 2,
  conclusion: "problems",
  narrative: "对照要点逐条自查。",
  evidence: "https://example.com/doc",
  problems: [
    {
      id: "pb_1",
      seq: 1,
      text: "学习不够深入",
      measures: [
        {
          seq: 7,
          content: "每周集中学习一次",
          ownerName: "李四",
          dueDate: "2026-12-01",
          state: "in_progress",
        },
      ],
    },
    { id: "pb_2", seq: 2, text: "制度执行不严", measures: [] },
  ],
  byName: "张三",
  at: "2026-12-01 10:32",
  ...over,
});

const measure = (over: Partial<MeasureView> = {}): MeasureView => ({
  id: "ms_12",
  seq: 12,
  rev: 5,
  content: "建立每周学习制度",
  problemText: "学习不够深入",
  itemTitle: "查立场是否坚定",
  unitName: "财务科",
  ownerName: "李四",
  reviewerName: "王五",
  dueDate: "2026-12-30",
  originalDueDate: "2026-12-30",
  state: "in_progress",
  percent: 40,
  history: [{ at: "2026-12-02 09:00", byName: "李四", text: "已制定计划" }],
  ...over,
});

const long = (n: number, unit = "查"): string => unit.repeat(n);

describe("kit dates", () => {
  it("computes days and levels", () => {
    expect(daysUntil("2026-12-10", "2026-12-13")).toBe(3);
    expect(daysUntil("2026-12-31", "2027-01-01")).toBe(1);
    expect(daysUntil("2026-03-01", "2026-02-28")).toBe(-1);
    expect(daysUntil("2026-12-10", "soon")).toBeUndefined();
    expect(dueLevel(TODAY, "2026-12-09")).toBe("overdue");
    expect(dueLevel(TODAY, "2026-12-10")).toBe("soon");
    expect(dueLevel(TODAY, "2026-12-13")).toBe("soon");
    expect(dueLevel(TODAY, "2026-12-14")).toBe("normal");
    expect(dueMd("zh", TODAY, "2026-12-08")).toBe("<font color='red'>2026-12-08（逾期 2 天）</font>");
    expect(dueMd("en", TODAY, "2026-12-12")).toBe("<font color='orange'>2026-12-12 (2 days left)</font>");
    expect(dueMd("zh", TODAY, "2026-12-20")).toBe("2026-12-20");
    expect(dueMd("zh", TODAY, "2026-12-08", { done: true })).toBe("2026-12-08");
  });
});

describe("selfCheckCard", () => {
  it("edit mode: the sc_form with exactly the contract fields and action", () => {
    const c = selfCheckCard({ a: assignment(), locale: "zh", today: TODAY, mode: "edit" });
    expectValid(c);
    expectUniqueNames(c);
    expect(forms(c).map((f) => f.name)).toEqual(["sc_form"]);
    expect(fieldNames(form(c, "sc_form")!)).toEqual([
      "conclusion",
      "narrative",
      "evidence",
      "problems",
      "sc_submit",
    ]);
    const conclusion = field(c, "conclusion");
    expect(conclusion.tag).toBe("select_static");
    expect(conclusion.required).toBe(true);
    expect((conclusion.options as Obj[]).map((o) => o.value)).toEqual([
      "compliant",
      "basically_compliant",
      "problems",
    ]);
    expect((conclusion.options as Obj[]).map((o) => (o.text as Obj).content)).toEqual([
      "符合要求",
      "基本符合",
      "存在问题",
    ]);
    expect(conclusion.initial_option).toBeUndefined();
    const narrative = field(c, "narrative");
    expect(narrative).toMatchObject({
      tag: "input",
      input_type: "multiline_text",
      rows: 4,
      max_length: 1000,
      required: true,
      placeholder: { content: "自查情况" },
    });
    expect(field(c, "evidence")).toMatchObject({
      tag: "input",
      max_length: 500,
      placeholder: { content: "佐证材料链接或说明（选填）" },
    });
    expect(field(c, "evidence").required).toBeUndefined();
    expect(field(c, "problems")).toMatchObject({
      tag: "input",
      input_type: "multiline_text",
      max_length: 1000,
      placeholder: { content: "发现的问题，每行一条（结论为“存在问题”时必填）" },
    });
    const submit = field(c, "sc_submit");
    expect(submit).toMatchObject({
      tag: "button",
      form_action_type: "submit",
      behaviors: [{ type: "callback", value: { action: "sc.submit", a: "as_1", rev: 3 } }],
    });
    expect(callbackValues(c)).toEqual([{ action: SELF_CHECK_ACTIONS.submit, a: "as_1", rev: 3 }]);
    expect(template(c)).toBe("blue");
    expect((c.header.title as Obj).content).toBe("查立场是否坚定");
    expect((c.header.subtitle as Obj).content).toBe("六查 · 2026年作风建设自查整改");
    expect(markdownText(c)).toContain("聚焦“六查”，深入查摆问题");
    expect(markdownText(c)).toContain("是否存在打折扣、搞变通");
  });

  it("edit mode when amending: prefilled from the response", () => {
    const c = selfCheckCard({
      a: assignment({ state: "submitted" }),
      response: response(),
      locale: "zh",
      today: TODAY,
      mode: "edit",
    });
    expectValid(c);
    expect(field(c, "conclusion").initial_option).toBe("problems");
    expect(field(c, "narrative").default_value).toBe("对照要点逐条自查。");
    expect(field(c, "evidence").default_value).toBe("https://example.com/doc");
    expect(field(c, "problems").default_value).toBe("学习不够深入\n制度执行不严");
  });

  it("edit mode: error on top in red, return reason shown, red header when overdue and pending", () => {
    const c = selfCheckCard({
      a: assignment({ dueDate: "2026-12-01", returnReason: "情况不具体" }),
      locale: "zh",
      today: TODAY,
      mode: "edit",
      error: "请填写自查情况",
    });
    expectValid(c);
    expect(template(c)).toBe("red");
    const first = c.body.elements[0] as Obj;
    expect(first.tag).toBe("markdown");
    expect(first.content).toContain("<font color='red'>");
    expect(first.content).toContain("请填写自查情况");
    expect(markdownText(c)).toContain("情况不具体");
    expect(markdownText(c)).toContain("<font color='red'>2026-12-01（逾期 9 天）</font>");
  });

  it("due within 3 days is orange", () => {
    const c = selfCheckCard({
      a: assignment({ dueDate: "2026-12-12" }),
      locale: "zh",
      today: TODAY,
      mode: "edit",
    });
    expect(markdownText(c)).toContain("<font color='orange'>2026-12-12");
  });

  it("more than 4 checkpoints go into a collapsible panel", () => {
    const few = selfCheckCard({ a: assignment(), locale: "zh", today: TODAY, mode: "edit" });
    expect(objects(few.body).some((o) => o.tag === "collapsible_panel")).toBe(false);
    const many = selfCheckCard({
      a: assignment({ checkpoints: ["a", "b", "c", "d", "e"] }),
      locale: "zh",
      today: TODAY,
      mode: "edit",
    });
    expectValid(many);
    expect(objects(many.body).some((o) => o.tag === "collapsible_panel")).toBe(true);
  });

  it("submitted mode: answer, measures, amend button and the pm_form", () => {
    const c = selfCheckCard({
      a: assignment({ state: "submitted" }),
      response: response(),
      locale: "zh",
      today: TODAY,
      mode: "submitted",
    });
    expectValid(c);
    expectUniqueNames(c);
    expect(template(c)).toBe("green");
    const text = markdownText(c);
    expect(text).toContain("存在问题");
    expect(text).toContain("对照要点逐条自查。");
    expect(text).toContain("学习不够深入");
    expect(text).toMatch(
      /措施#7 每周集中学习一次 — 李四, <font color='red'>2026-12-01（逾期 9 天）<\/font>, 整改中/,
    );
    expect(allText(c)).toContain("张三 于 2026-12-01 10:32 提交 · 第 2 版");
    expect(forms(c).map((f) => f.name)).toEqual(["pm_form"]);
    expect(fieldNames(form(c, "pm_form")!)).toEqual([
      "problem",
      "measure_content",
      "measure_owner",
      "measure_due",
      "pm_submit",
    ]);
    const problem = field(c, "problem");
    expect(problem.tag).toBe("select_static");
    expect((problem.options as Obj[]).map((o) => [o.value, (o.text as Obj).content])).toEqual([
      ["pb_1", "#1 学习不够深入"],
      ["pb_2", "#2 制度执行不严"],
    ]);
    expect(problem.initial_option).toBe("pb_2");
    expect(field(c, "measure_content")).toMatchObject({ tag: "input", max_length: 500, required: true });
    expect(field(c, "measure_owner")).toMatchObject({
      tag: "select_person",
      placeholder: { content: "责任人（默认本人）" },
    });
    expect(field(c, "measure_due")).toMatchObject({
      tag: "date_picker",
      placeholder: { content: "完成时限" },
    });
    expect(field(c, "pm_submit")).toMatchObject({
      form_action_type: "submit",
      behaviors: [{ type: "callback", value: { action: "pm.submit", a: "as_1", rev: 3 } }],
    });
    expect(buttonsByAction(c, "sc.amend")).toHaveLength(1);
    expect(callbackValues(c)).toContainEqual({ action: "sc.amend", a: "as_1", rev: 3 });
  });

  it("submitted mode: no amend when the campaign is closed; no problem select without problems", () => {
    const c = selfCheckCard({
      a: assignment({ state: "submitted", closed: true }),
      response: response({ conclusion: "compliant", problems: [], evidence: undefined }),
      locale: "zh",
      today: TODAY,
      mode: "submitted",
    });
    expectValid(c);
    expect(buttonsByAction(c, "sc.amend")).toHaveLength(0);
    expect(fieldNames(form(c, "pm_form")!)).toEqual([
      "measure_content",
      "measure_owner",
      "measure_due",
      "pm_submit",
    ]);
    expect(markdownText(c)).toContain("符合要求");
  });

  it("submitted mode without a response still builds", () => {
    const c = selfCheckCard({
      a: assignment({ state: "submitted" }),
      locale: "zh",
      today: TODAY,
      mode: "submitted",
    });
    expectValid(c);
    expect(buttonsByAction(c, "sc.amend")).toHaveLength(1);
  });

  it("English labels", () => {
    const e = selfCheckCard({
      a: assignment({ dueDate: "2026-12-01" }),
      locale: "en",
      today: TODAY,
      mode: "edit",
    });
    expectValid(e);
    expect((field(e, "conclusion").options as Obj[]).map((o) => (o.text as Obj).content)).toEqual([
      "Compliant",
      "Basically compliant",
      "Problems found",
    ]);
    expect(markdownText(e)).toContain("Due");
    expect(markdownText(e)).toContain("9 days overdue");
    expect(allText(e)).not.toContain("自查情况");
    expect(allText(e)).not.toContain("截止");
    const s = selfCheckCard({
      a: assignment({ state: "submitted" }),
      response: response(),
      locale: "en",
      today: TODAY,
      mode: "submitted",
    });
    expectValid(s);
    expect(allText(s)).toContain("Amend");
    expect(allText(s)).toContain("Owner (default: you)");
    expect(allText(s)).not.toMatch(/修改|责任人|完成时限|提交/);
  });

  it("escapes user text in markdown", () => {
    const c = selfCheckCard({
      a: assignment({
        state: "submitted",
        unitName: NASTY,
        assigneeName: NASTY,
        returnReason: NASTY,
        itemTitle: NASTY,
      }),
      response: response({
        narrative: NASTY,
        evidence: NASTY,
        problems: [
          {
            id: "p",
            seq: 1,
            text: NASTY,
            measures: [{ seq: 1, content: NASTY, ownerName: NASTY, dueDate: "2026-12-30", state: "open" }],
          },
        ],
      }),
      locale: "zh",
      today: TODAY,
      mode: "submitted",
      error: NASTY,
    });
    expectValid(c);
    const text = markdownText(c);
    expect(text).not.toContain("<at id=all>");
    expect(text).not.toContain("[x](y)");
    expect(text).not.toContain("**bold**");
    expect(text).toContain("&lt;at id=all&gt;");
    expect(text).toContain("&#91;x&#93;&#40;y&#41;");
  });

  it("worst case stays valid and under 30 KB in both modes", () => {
    const a = assignment({
      checkpoints: Array.from({ length: 14 }, (_, i) => `${i}${long(199)}`),
      itemTitle: long(300),
      sectionTitle: long(300),
      campaignTitle: long(200),
      returnReason: long(1000),
      dueDate: "2026-12-01",
    });
    const r = response({
      narrative: long(1000, "*"),
      evidence: long(500, "<"),
      problems: Array.from({ length: 20 }, (_, i) => ({
        id: `pb_${i}`,
        seq: i + 1,
        text: long(1000),
        measures: Array.from({ length: 5 }, (_, j) => ({
          seq: i * 5 + j,
          content: long(500),
          ownerName: long(50),
          dueDate: "2026-12-11",
          state: "in_progress",
        })),
      })),
    });
    for (const mode of ["edit", "submitted"] as const) {
      for (const locale of ["zh", "en"] as const) {
        const c = selfCheckCard({ a, response: r, locale, today: TODAY, mode, error: long(1000) });
        expectValid(c);
        expectUniqueNames(c);
        expect(cardBytes(c)).toBeLessThan(30 * 1024);
      }
    }
    const edit = selfCheckCard({ a, response: r, locale: "zh", today: TODAY, mode: "edit" });
    expect((field(edit, "narrative").default_value as string).length).toBe(1000);
    const sub = selfCheckCard({ a, response: r, locale: "zh", today: TODAY, mode: "submitted" });
    expect((field(sub, "problem").options as Obj[]).length).toBeGreaterThan(0);
    expect(markdownText(sub)).toMatch(/还有 \d+ 项…/);
  });
});

describe("measureCard", () => {
  const ACTIONS = (c: object): unknown[] => callbackValues(c).map((v) => v.action);

  it("owner, in progress: ms_form, ext_form and the closure request button", () => {
    for (const state of ["open", "in_progress"] as const) {
      const c = measureCard({ m: measure({ state }), locale: "zh", today: TODAY, viewer: "owner" });
      expectValid(c);
      expectUniqueNames(c);
      expect(forms(c).map((f) => f.name)).toEqual(["ms_form", "ext_form"]);
      expect(fieldNames(form(c, "ms_form")!)).toEqual([
        "progress_note",
        "progress_percent",
        "progress_evidence",
        "ms_progress_submit",
      ]);
      expect(fieldNames(form(c, "ext_form")!)).toEqual(["ext_due", "ext_reason", "ms_extend_submit"]);
      expect(field(c, "progress_note")).toMatchObject({
        tag: "input",
        input_type: "multiline_text",
        max_length: 1000,
      });
      const pct = field(c, "progress_percent");
      expect(pct.tag).toBe("select_static");
      expect((pct.options as Obj[]).map((o) => o.value)).toEqual([
        "0",
        "10",
        "20",
        "30",
        "40",
        "50",
        "60",
        "70",
        "80",
        "90",
        "100",
      ]);
      expect(pct.initial_option).toBe("40");
      expect(field(c, "progress_evidence")).toMatchObject({ tag: "input", max_length: 500 });
      expect(field(c, "ext_due").tag).toBe("date_picker");
      expect(field(c, "ext_reason")).toMatchObject({ tag: "input", max_length: 500 });
      expect(field(c, "ms_progress_submit")).toMatchObject({
        form_action_type: "submit",
        behaviors: [{ type: "callback", value: { action: "ms.progress", m: "ms_12", rev: 5 } }],
      });
      expect(field(c, "ms_extend_submit")).toMatchObject({
        form_action_type: "submit",
        behaviors: [{ type: "callback", value: { action: "ms.extend", m: "ms_12", rev: 5 } }],
      });
      const close = buttonsByAction(c, "ms.close_req");
      expect(close).toHaveLength(1);
      expect(close[0].confirm).toBeDefined();
      expect(callbackValues(c)).toContainEqual({ action: MEASURE_ACTIONS.requestClose, m: "ms_12", rev: 5 });
      expect(ACTIONS(c).sort()).toEqual(["ms.close_req", "ms.extend", "ms.progress"]);
    }
  });

  it("owner with a pending extension: no second extension form", () => {
    const c = measureCard({
      m: measure({ extension: { requestedDue: "2027-01-15", reason: "等待审批", status: "requested" } }),
      locale: "zh",
      today: TODAY,
      viewer: "owner",
    });
    expectValid(c);
    expect(forms(c).map((f) => f.name)).toEqual(["ms_form"]);
    expect(markdownText(c)).toContain("2027-01-15");
  });

  it("reviewer, closure requested: accept button and the rv_form", () => {
    const c = measureCard({
      m: measure({ state: "closure_requested", percent: 100 }),
      locale: "zh",
      today: TODAY,
      viewer: "reviewer",
    });
    expectValid(c);
    expectUniqueNames(c);
    expect(template(c)).toBe("orange");
    expect(forms(c).map((f) => f.name)).toEqual(["rv_form"]);
    expect(fieldNames(form(c, "rv_form")!)).toEqual(["sendback_reason", "rv_sendback_submit"]);
    expect(field(c, "sendback_reason")).toMatchObject({ tag: "input", max_length: 500, required: true });
    expect(field(c, "rv_sendback_submit")).toMatchObject({
      type: "danger",
      form_action_type: "submit",
      behaviors: [{ type: "callback", value: { action: "rv.send_back", m: "ms_12", rev: 5 } }],
    });
    const accept = buttonsByAction(c, "rv.accept");
    expect(accept).toHaveLength(1);
    expect(accept[0].type).toBe("primary");
    expect((accept[0].text as Obj).content).toBe("同意销号");
    expect(ACTIONS(c).sort()).toEqual(["rv.accept", "rv.send_back"]);
  });

  it("reviewer, extension requested: grant and refuse buttons with date and reason", () => {
    const c = measureCard({
      m: measure({
        dueDate: "2026-12-30",
        extension: { requestedDue: "2027-01-15", reason: "材料未到", status: "requested" },
      }),
      locale: "zh",
      today: TODAY,
      viewer: "reviewer",
    });
    expectValid(c);
    expect(forms(c)).toHaveLength(0);
    expect(callbackValues(c)).toEqual([
      { action: "rv.ext_grant", m: "ms_12", rev: 5 },
      { action: "rv.ext_refuse", m: "ms_12", rev: 5 },
    ]);
    expect(buttonsByAction(c, "rv.ext_grant")[0].text).toMatchObject({ content: "同意延期" });
    expect(buttonsByAction(c, "rv.ext_refuse")[0].text).toMatchObject({ content: "不同意延期" });
    expect(markdownText(c)).toContain("2027-01-15");
    expect(markdownText(c)).toContain("材料未到");
  });

  it("reviewer, closure and extension both pending: both sets of actions, one form", () => {
    const c = measureCard({
      m: measure({
        state: "closure_requested",
        extension: { requestedDue: "2027-01-15", reason: "r", status: "requested" },
      }),
      locale: "zh",
      today: TODAY,
      viewer: "reviewer",
    });
    expectValid(c);
    expectUniqueNames(c);
    expect(ACTIONS(c).sort()).toEqual(["rv.accept", "rv.ext_grant", "rv.ext_refuse", "rv.send_back"]);
  });

  it("read-only for closed measures and other viewers", () => {
    const cases: Array<[Partial<MeasureView>, "owner" | "reviewer" | "other"]> = [
      [{ state: "closed", percent: 100 }, "owner"],
      [{ state: "closed", percent: 100 }, "reviewer"],
      [{ state: "in_progress" }, "other"],
      [{ state: "closure_requested" }, "other"],
      [{ state: "closure_requested" }, "owner"],
      [{ state: "in_progress" }, "reviewer"],
    ];
    for (const [over, viewer] of cases) {
      const c = measureCard({ m: measure(over), locale: "zh", today: TODAY, viewer });
      expectValid(c);
      expect(forms(c)).toHaveLength(0);
      expect(callbackValues(c)).toEqual([]);
    }
    const closed = measureCard({
      m: measure({ state: "closed", dueDate: "2026-12-01" }),
      locale: "zh",
      today: TODAY,
      viewer: "other",
    });
    expect(template(closed)).toBe("green");
    expect(markdownText(closed)).toContain("已销号");
    expect(markdownText(closed)).not.toContain("<font color='red'>2026-12-01");
  });

  it("a long history stays under the card limits and says how many of the oldest it leaves out", () => {
    const c = measureCard({
      m: measure({
        history: Array.from({ length: 400 }, (_, i) => ({
          at: "2026-12-01 09:00",
          byName: "李四",
          text: `进展${i + 1}：${"长".repeat(200)}`,
        })),
      }),
      locale: "zh",
      today: TODAY,
      viewer: "owner",
    });
    expectValid(c);
    const all = markdownText(c);
    expect(all).toContain("进展400");
    expect(all).toMatch(/最早的 \d+ 条未在卡片中列出/);
  });

  it("shows labels, overdue in red, the original due date, send-back reason and history count", () => {
    const c = measureCard({
      m: measure({
        dueDate: "2026-12-05",
        originalDueDate: "2026-11-30",
        extension: { requestedDue: "2026-12-05", reason: "人手不足", status: "granted" },
        sendBackReason: "佐证不足",
        history: Array.from({ length: 8 }, (_, i) => ({
          at: `2026-12-0${i + 1} 09:00`,
          byName: "李四",
          text: `进展${i + 1}`,
        })),
      }),
      locale: "zh",
      today: TODAY,
      viewer: "other",
      notice: "进展已记录",
    });
    expectValid(c);
    expect(template(c)).toBe("red");
    const text = markdownText(c);
    expect(text).toContain("<font color='red'>2026-12-05（逾期 5 天）</font>");
    expect(text).toContain("原定 2026-11-30");
    expect(text).toContain("整改中");
    expect(text).toContain("40%");
    expect(text).toContain("已同意");
    expect(text).toContain("佐证不足");
    expect(text).toContain("共 8 条");
    expect(text).toContain("进展8");
    expect(text).toContain("进展4");
    // Every entry is on the card, oldest first: the earlier three in a collapsed "查看全部" panel.
    const panels = objects(c).filter((o) => o.tag === "collapsible_panel");
    expect(panels).toHaveLength(1);
    expect(panels[0].expanded).toBe(false);
    const inPanel = objects(panels[0])
      .filter((o) => o.tag === "markdown")
      .map((o) => o.content as string)
      .join("\n");
    expect(inPanel).toContain("查看全部");
    expect(inPanel.indexOf("进展1")).toBeGreaterThan(-1);
    expect(inPanel.indexOf("进展1")).toBeLessThan(inPanel.indexOf("进展2"));
    expect(inPanel.indexOf("进展2")).toBeLessThan(inPanel.indexOf("进展3"));
    expect(inPanel).not.toContain("进展4");
    expect(text.indexOf("进展3")).toBeLessThan(text.indexOf("进展4"));
    expect(text.indexOf("进展4")).toBeLessThan(text.indexOf("进展8"));
    expect(text).toContain("进展已记录");
    expect(text).toContain("王五");
    const labels = (["open", "in_progress", "closure_requested", "closed"] as const).map((state) =>
      markdownText(measureCard({ m: measure({ state }), locale: "zh", today: TODAY, viewer: "other" })),
    );
    expect(labels[0]).toContain("未开始");
    expect(labels[1]).toContain("整改中");
    expect(labels[2]).toContain("待审核");
    expect(labels[3]).toContain("已销号");
    expect(
      markdownText(
        measureCard({ m: measure({ state: "withdrawn" }), locale: "zh", today: TODAY, viewer: "owner" }),
      ),
    ).toContain("已撤回");
  });

  it("English labels", () => {
    const c = measureCard({
      m: measure({ state: "closure_requested" }),
      locale: "en",
      today: TODAY,
      viewer: "reviewer",
    });
    expectValid(c);
    expect(allText(c)).toContain("Awaiting review");
    expect(allText(c)).toContain("Accept and close");
    expect(allText(c)).not.toMatch(/同意销号|责任人|状态|进展/);
    const o = measureCard({ m: measure(), locale: "en", today: TODAY, viewer: "owner" });
    expectValid(o);
    expect(allText(o)).toContain("Request closure");
    expect(allText(o)).not.toMatch(/申请销号|申请延期|填报进展/);
  });

  it("escapes user text", () => {
    const c = measureCard({
      m: measure({
        content: NASTY,
        problemText: NASTY,
        itemTitle: NASTY,
        ownerName: NASTY,
        reviewerName: NASTY,
        sendBackReason: NASTY,
        extension: { requestedDue: "2027-01-01", reason: NASTY, status: "requested" },
        history: [{ at: "x", byName: NASTY, text: NASTY }],
      }),
      locale: "zh",
      today: TODAY,
      viewer: "reviewer",
      notice: NASTY,
    });
    expectValid(c);
    const text = markdownText(c);
    expect(text).not.toContain("<at id=all>");
    expect(text).not.toContain("[x](y)");
    expect(text).not.toContain("**bold**");
  });

  it("worst case stays valid", () => {
    const m = measure({
      content: long(1000),
      problemText: long(1000),
      itemTitle: long(300),
      unitName: long(100),
      sendBackReason: long(1000),
      extension: { requestedDue: "2027-01-01", reason: long(1000), status: "requested" },
      history: Array.from({ length: 200 }, () => ({
        at: "2026-12-01 10:00",
        byName: long(50),
        text: long(1000),
      })),
    });
    for (const viewer of ["owner", "reviewer", "other"] as const) {
      for (const state of ["open", "closure_requested"] as const) {
        const c = measureCard({ m: { ...m, state }, locale: "zh", today: TODAY, viewer, notice: long(500) });
        expectValid(c);
        expectUniqueNames(c);
      }
    }
  });
});

describe("digestCard", () => {
  const lines: DigestLine[] = [
    { kind: "measure", id: "ms_1", title: "建立学习制度", dueDate: "2026-12-30", note: "进度 40%" },
    { kind: "assignment", id: "as_1", title: "查立场是否坚定", dueDate: "2026-12-08" },
    { kind: "assignment", id: "as_2", title: "查作风是否务实", dueDate: "2026-12-12" },
  ];

  it("sorts by due date and gives each line an open button", () => {
    const c = digestCard({
      personName: "张三",
      campaignTitle: "2026年自查整改",
      lines,
      locale: "zh",
      today: TODAY,
      kind: "reminder",
    });
    expectValid(c);
    expect(callbackValues(c)).toEqual([
      { action: "dg.open", kind: "assignment", id: "as_1" },
      { action: "dg.open", kind: "assignment", id: "as_2" },
      { action: DIGEST_ACTIONS.open, kind: "measure", id: "ms_1" },
    ]);
    const text = markdownText(c);
    expect(text).toContain("<font color='red'>2026-12-08（逾期 2 天）</font>");
    expect(text).toContain("<font color='orange'>2026-12-12（还剩 2 天）</font>");
    expect(text).toContain("2026-12-30 · 进度 40%");
    expect(text).toContain("其中 1 项已逾期");
    expect(template(c)).toBe("red");
    expect(buttonsByAction(c, "dg.open").every((b) => (b.text as Obj).content === "打开")).toBe(true);
    expect((c.header.subtitle as Obj).content).toBe("2026年自查整改");
  });

  it("start kind, custom title, empty list, English", () => {
    const s = digestCard({
      title: "自查任务已下发",
      personName: "张三",
      campaignTitle: "c",
      lines: lines.slice(0, 1),
      locale: "zh",
      today: TODAY,
      kind: "start",
    });
    expectValid(s);
    expect((s.header.title as Obj).content).toBe("自查任务已下发");
    expect(template(s)).toBe("blue");
    const empty = digestCard({
      personName: "张三",
      campaignTitle: "c",
      lines: [],
      locale: "zh",
      today: TODAY,
      kind: "reminder",
    });
    expectValid(empty);
    expect(callbackValues(empty)).toEqual([]);
    const en = digestCard({
      personName: "Zhang",
      campaignTitle: "c",
      lines,
      locale: "en",
      today: TODAY,
      kind: "reminder",
    });
    expectValid(en);
    expect(allText(en)).toContain("Open");
    expect(allText(en)).toContain("2 days overdue");
    expect(allText(en)).not.toMatch(/打开|截止|待办/);
  });

  it("sortDigestLines puts undated lines last", () => {
    const s = sortDigestLines([{ kind: "measure", id: "x", title: "x", dueDate: "" }, ...lines], TODAY);
    expect(s.map((d) => d.id)).toEqual(["as_1", "as_2", "ms_1", "x"]);
  });

  it("escapes user text", () => {
    const c = digestCard({
      personName: NASTY,
      campaignTitle: NASTY,
      lines: [{ kind: "measure", id: "m", title: NASTY, dueDate: "2026-12-20", note: NASTY }],
      locale: "zh",
      today: TODAY,
      kind: "start",
    });
    expectValid(c);
    expect(markdownText(c)).not.toContain("<at id=all>");
    expect(markdownText(c)).not.toContain("[x](y)");
  });

  it("300 long lines: truncated with 另有 N 项, valid and under 30 KB", () => {
    const many: DigestLine[] = Array.from({ length: 300 }, (_, i) => ({
      kind: i % 2 ? "measure" : "assignment",
      id: `id_${String(i).padStart(24, "0")}`,
      title: long(200),
      dueDate: `2026-12-${String((i % 28) + 1).padStart(2, "0")}`,
      note: long(200),
    }));
    for (const locale of ["zh", "en"] as const) {
      const c = digestCard({
        personName: long(50),
        campaignTitle: long(200),
        lines: many,
        locale,
        today: TODAY,
        kind: "reminder",
      });
      expectValid(c);
      const shown = buttonsByAction(c, "dg.open").length;
      expect(shown).toBeGreaterThan(0);
      expect(shown).toBeLessThanOrEqual(DIGEST_MAX_LINES);
      expect(allText(c)).toContain(locale === "zh" ? `另有 ${300 - shown} 项` : `${300 - shown} more`);
    }
  });
});

describe("noticeCard and errorCard", () => {
  it("builds valid small cards", () => {
    const n = noticeCard({
      title: "措施#12 已销号",
      lines: ["措施#12 已由 王五 同意销号。", NASTY],
      template: "green",
      locale: "zh",
    });
    expectValid(n);
    expect(template(n)).toBe("green");
    expect(allText(n)).toContain("措施#12 已由 王五 同意销号。");
    // lines are plain text, never markdown: mentions and links stay inert
    expect(markdownText(n)).toBe("");
    expect(template(noticeCard({ title: "t", lines: [], locale: "en" }))).toBe("blue");
    expectValid(noticeCard({ title: "t", lines: [], locale: "en" }));
    const e = errorCard({ title: "出错了", message: "找不到这条措施", locale: "zh" });
    expectValid(e);
    expect(template(e)).toBe("red");
    expect(allText(e)).toContain("找不到这条措施");
    expect(allText(errorCard({ title: "Error", message: "m", locale: "en" }))).toContain("administrator");
  });

  it("worst case: many long lines", () => {
    const n = noticeCard({
      title: long(500),
      lines: Array.from({ length: 300 }, () => long(1000)),
      locale: "zh",
    });
    expectValid(n);
    expect(allText(n)).toMatch(/还有 \d+ 项…/);
    expectValid(errorCard({ title: long(500), message: long(20000), locale: "zh" }));
  });
});
