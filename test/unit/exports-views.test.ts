import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatFileError, parseCampaignFile } from "../../src/campaign/file";
import { WorkCalendar } from "../../src/calendar";
import type { ExportData, ExportMeasure } from "../../src/exports/data";
import { ledgerView } from "../../src/exports/ledger-view";
import { reportView } from "../../src/exports/report-view";
import { chineseDate, plainText } from "../../src/exports/words";

/** The ledger's rows and the report's paragraphs as plain data, by value (no database, no files). */
const cal = new WorkCalendar();
const TODAY = "2026-12-28"; // a Monday

function measure(over: Partial<ExportMeasure>): ExportMeasure {
  return {
    id: `m${over.seq}`,
    seq: 1,
    problemId: "p1",
    itemKey: "s1",
    unitKey: "food",
    content: "制定学习计划",
    ownerKey: "tan",
    reviewerKey: "han",
    dueDate: "2027-01-20",
    originalDueDate: "2027-01-20",
    state: "in_progress",
    evidence: [],
    sendBacks: [],
    extensions: [],
    ...over,
  };
}

function data(over: Partial<ExportData> = {}): ExportData {
  return {
    campaign: {
      key: "k",
      title: "区市场监管所“四查四看”作风自查",
      timezone: "Asia/Shanghai",
      checklistTitle: "“四查四看”作风自查清单",
      sections: [
        { key: "sicha", code: "四查四看", title: "对照“四查四看”逐项自查" },
        { key: "other", code: "两提高", title: "两提高" },
      ],
      items: [
        { key: "s1", sectionKey: "sicha", title: "查思想看站位" },
        { key: "s2", sectionKey: "sicha", title: "查作风看担当" },
        { key: "t1", sectionKey: "other", title: "提高工作效能" },
      ],
      ledgerColumns: [],
      organisation: "区市场监督管理所",
    },
    today: TODAY,
    units: [
      { key: "general", name: "综合办公室", leaderName: "韩所长" },
      { key: "food", name: "食品安全监管组", leaderName: "韩所长" },
    ],
    people: new Map([
      ["tan", "谭敏"],
      ["han", "韩所长"],
      ["gao", "高磊"],
    ]),
    assignments: [
      {
        id: "a1",
        itemKey: "s1",
        unitKey: "food",
        assigneeKey: "tan",
        submitted: true,
        narrative: "组织学习3次。",
      },
      {
        id: "a2",
        itemKey: "s1",
        unitKey: "general",
        assigneeKey: "gao",
        submitted: true,
        narrative: "**建立**台账\n逐项销号",
      },
      { id: "a3", itemKey: "s2", unitKey: "food", assigneeKey: "tan", submitted: false },
    ],
    coverage: [
      { unitKey: "food", itemKey: "s1", total: 1, answered: 1 },
      { unitKey: "general", itemKey: "s1", total: 1, answered: 1 },
      { unitKey: "food", itemKey: "s2", total: 1, answered: 0 },
    ],
    problems: [
      { id: "p1", seq: 1, assignmentId: "a1", itemKey: "s1", unitKey: "food", text: "学用结合不紧" },
    ],
    measures: [],
    ...over,
  };
}

const view = (d: ExportData, filters = {}, lang: "zh" | "en" = "zh") =>
  ledgerView({ data: d, filters, lang, workingDaysUntil: (due) => cal.workingDaysBetween(d.today, due) });

describe("ledger view", () => {
  it("words states as offices do, derives overdue from the date, colours overdue red and due-soon yellow", () => {
    const v = view(
      data({
        measures: [
          measure({ seq: 1, state: "open", dueDate: "2027-01-20" }),
          measure({ seq: 2, state: "in_progress", dueDate: "2026-12-25" }), // past: overdue
          measure({ seq: 3, state: "closure_requested", dueDate: "2026-12-31" }), // 3 working days: soon
          measure({
            seq: 4,
            state: "closed",
            dueDate: "2026-12-01",
            closedByKey: "han",
            closedAt: new Date("2026-12-20T02:00:00Z"),
          }),
          measure({ seq: 5, state: "in_progress", dueDate: "2027-01-05" }), // 2027-01-01 is a holiday: 4 working days
        ],
      }),
    );
    const bySeq = new Map(v.rows.map((r) => [r.measureSeq, r]));
    expect([1, 2, 3, 4, 5].map((s) => bySeq.get(s)!.cells.state)).toEqual([
      "未开始",
      "逾期",
      "待审核",
      "已销号",
      "整改中",
    ]);
    expect([1, 2, 3, 4, 5].map((s) => bySeq.get(s)!.highlight)).toEqual([
      undefined,
      "overdue",
      "soon",
      undefined,
      undefined,
    ]);
    expect(bySeq.get(4)!.cells.closure).toBe("韩所长 2026-12-20 审核销号");
    expect(bySeq.get(3)!.cells.closure).toBe("已申请销号，待韩所长审核");
    expect(bySeq.get(1)!.cells).toMatchObject({
      source: "自查：查思想看站位",
      category: "四查四看 · 查思想看站位",
      problem: "学用结合不紧",
      leader: "韩所长",
      unit: "食品安全监管组",
      owner: "谭敏",
      due: "2027-01-20",
    });
    expect(v.rows.map((r) => r.cells.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("shows an extended deadline as the new date with the original, the decision and send-backs in 备注", () => {
    const v = view(
      data({
        measures: [
          measure({
            seq: 7,
            dueDate: "2027-02-10",
            originalDueDate: "2027-01-20",
            extensions: [
              {
                from: "2027-01-20",
                to: "2027-02-10",
                at: new Date("2027-01-10T02:00:00Z"),
                granted: true,
                reason: "需外单位配合",
              },
            ],
            sendBacks: [{ reason: "佐证不全", at: new Date("2027-01-12T02:00:00Z") }],
          }),
        ],
      }),
    );
    expect(v.rows[0].cells.due).toBe("2027-02-10");
    expect(String(v.rows[0].cells.remarks).split("\n")).toEqual([
      "原整改时限 2027-01-20，经批准延期至 2027-02-10（需外单位配合）",
      "2027-01-12 销号申请被退回：佐证不全",
    ]);
  });

  it("never shows a withdrawn or unknown-state measure as open, nor counts it", () => {
    const v = view(data({ measures: [measure({ seq: 1, state: "superseded" }), measure({ seq: 2 })] }), {
      states: new Set(["in_progress", "open", "overdue", "closure_requested"] as const),
    });
    expect(v.rows.map((r) => r.measureSeq)).toEqual([2]);
    expect(v.stats.total).toMatchObject({ problems: 1, measures: 1, closed: 0, overdue: 0 });
  });

  it("an empty campaign: one row saying 暂无; English headers and words for an English asker", () => {
    const v = view(data({ problems: [], measures: [] }));
    expect(v.rows).toEqual([{ state: "none", cells: { seq: "暂无", problem: "暂无" } }]);
    const en = view(data({ measures: [measure({ seq: 1, state: "closed" })] }), {}, "en");
    expect(en.columns.map((c) => c.title).slice(0, 3)).toEqual(["No.", "Source", "Category"]);
    expect(en.rows[0].cells.state).toBe("Closed");
    expect(en.sheets).toEqual({ ledger: "Ledger", coverage: "Self-check", stats: "Statistics" });
  });

  it("lays out custom columns from the campaign file with their titles", () => {
    const d = data({ measures: [measure({ seq: 1 })] });
    d.campaign.ledgerColumns = [{ key: "unit" }, { key: "measure", title: "整改举措" }, { key: "state" }];
    expect(view(d).columns.map((c) => [c.key, c.title])).toEqual([
      ["unit", "责任部门"],
      ["measure", "整改举措"],
      ["state", "完成情况"],
    ]);
  });

  it("counts coverage per unit × item and statistics by section and by unit", () => {
    const v = view(
      data({ measures: [measure({ seq: 1, state: "closed" }), measure({ seq: 2, dueDate: "2026-12-01" })] }),
    );
    const food = v.coverage.rows.find((r) => r.name === "食品安全监管组")!;
    expect(food.cells.map((c) => c.text)).toEqual(["发现问题 1", "未报告", "—"]);
    expect(food.answered).toBe("1/2");
    expect(
      v.stats.bySection.map((r) => [r.name, r.problems, r.measures, r.closed, r.overdue, r.rate]),
    ).toEqual([
      ["四查四看", 1, 2, 1, 1, 0.5],
      ["两提高", 0, 0, 0, 0, 0],
    ]);
    expect(v.stats.byUnit.find((r) => r.name === "食品安全监管组")!.measures).toBe(2);
  });
});

describe("report view", () => {
  it("follows the seed: title, opening, 一、（一）per section, points attributed to units, 二、三、, statistics, signature, date", () => {
    const d = data({ measures: [measure({ seq: 1, state: "closed" }), measure({ seq: 2 })] });
    d.campaign.basis = "根据区委《关于开展作风自查的通知》要求。";
    const r = reportView(d);
    expect(r.blocks.map((b) => `${b.kind}:${b.text}`)).toEqual([
      "title:关于区市场监管所“四查四看”作风自查情况的报告",
      "body:根据区委《关于开展作风自查的通知》要求，区市场监督管理所对照“四查四看”“两提高”清单内容，认真开展了自查，并对查实的问题制定了整改措施。现将工作开展情况、存在的问题及整改措施等情况报告如下：",
      "h1:一、工作开展情况",
      "h2:（一）“四查四看”",
      "body:查思想看站位方面。1、综合办公室：建立台账；逐项销号；2、食品安全监管组：组织学习3次。",
      "body:查作风看担当方面。无。",
      "h2:（二）“两提高”",
      "body:提高工作效能方面。无。",
      "h1:二、存在的问题",
      "body:1、学用结合不紧（食品安全监管组，查思想看站位）。",
      "h1:三、整改措施",
      "body:1、制定学习计划。责任单位：食品安全监管组，责任人：谭敏；整改时限：2027年1月20日；当前状态：已销号。",
      "body:2、制定学习计划。责任单位：食品安全监管组，责任人：谭敏；整改时限：2027年1月20日；当前状态：整改中。",
      "body:截至2026年12月28日，共查找问题1个，制定整改措施2项，已完成1项，完成率50%。",
      "signature:区市场监督管理所",
      "date:二〇二六年十二月二十八日",
    ]);
    expect(r.stats).toEqual({ problems: 1, measures: 2, closed: 1, rate: "50%" });
  });

  it("says 无 in every empty section and zero statistics", () => {
    const r = reportView(data({ assignments: [], problems: [], measures: [] }));
    const texts = r.blocks.map((b) => b.text);
    expect(texts[texts.indexOf("二、存在的问题") + 1]).toBe("无。");
    expect(texts[texts.indexOf("三、整改措施") + 1]).toBe("无。");
    expect(texts).toContain("截至2026年12月28日，共查找问题0个，制定整改措施0项，已完成0项，完成率0%。");
  });
});

describe("words", () => {
  it("writes dates in Chinese numerals and turns markdown and HTML into plain text", () => {
    expect(chineseDate("2026-12-01")).toBe("二〇二六年十二月一日");
    expect(chineseDate("2027-10-20")).toBe("二〇二七年十月二十日");
    expect(chineseDate("2030-01-31")).toBe("二〇三〇年一月三十一日");
    expect(plainText("# 标题\n**粗** _斜_ <i>HTML</i>&amp;<br>[链接](https://x.example)\n1. 一\n- 二")).toBe(
      "标题\n粗 斜 HTML&\n链接\n一\n二",
    );
  });
});

describe("campaign file: ledger and report", () => {
  const base = readFileSync("test/fixtures/campaigns/sicha-sikan.yaml", "utf8");
  const parse = (extra: string) => parseCampaignFile(`${base}\n${extra}`, "x.yaml", { today: "2026-12-02" });

  it("reads ledger.columns (keys or key + title) and report.basis / organisation", () => {
    const r = parse(
      "ledger:\n  columns: [seq, { key: unit, title: 责任单位 }, due]\nreport:\n  basis: 根据通知要求\n  organisation: 区市场监督管理所\n",
    );
    if (!r.ok) throw new Error(r.errors.map(formatFileError).join("\n"));
    expect(r.spec.ledger).toEqual({
      columns: [{ key: "seq" }, { key: "unit", title: "责任单位" }, { key: "due" }],
    });
    expect(r.spec.report).toEqual({ basis: "根据通知要求", organisation: "区市场监督管理所" });
  });

  it("names an unknown or repeated column key on its line", () => {
    const r = parse("ledger:\n  columns: [seq, owner, colour]\nreport:\n  organization: x\n");
    expect(r.ok).toBe(false);
    const messages = r.ok ? [] : r.errors.map((e) => e.message);
    expect(messages.some((m) => m.includes("must be one of the ledger's column keys: seq, source"))).toBe(
      true,
    );
    const twice = parse("ledger:\n  columns: [seq, owner, seq]\n");
    expect(twice.ok ? [] : twice.errors.map((e) => [e.line, e.message])).toEqual([
      [94, 'column "seq" is listed twice'],
    ]);
    expect(
      messages.some((m) => m.includes('unknown field "organization"') && m.includes("organisation")),
    ).toBe(true);
  });
});
