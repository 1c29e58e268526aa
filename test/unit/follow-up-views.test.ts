import { describe, expect, it } from "vitest";
import { FOLLOW_UP_ACTIONS, followUpCard, type FollowUpView } from "../../cards/follow-up-card";
import { summaryCard } from "../../cards/summary-card";
import type { SummaryView } from "../../cards/view-types";
import { WorkCalendar } from "../../src/calendar";
import type { ExportData, ExportMeasure } from "../../src/exports/data";
import { ledgerColumns, ledgerView } from "../../src/exports/ledger-view";
import { reportView } from "../../src/exports/report-view";
import { followUpDays, followUpDueDate } from "../../src/services/follow-up";
import { callbackValues, expectValid, markdownText } from "../helpers/card-checks";
import { text } from "../helpers/cards";

/** 回头看 as plain data: the card, the broadcast line, the ledger's column and remarks, the report. */
const TODAY = "2027-01-20";
const NASTY = "**bold** <at id=all></at> [x](y) _u_ #h |t| `c`";

const view = (over: Partial<FollowUpView> = {}): FollowUpView => ({
  id: "6b0f6c42beb1b23373ec839f",
  seq: 7,
  content: "补齐回访记录",
  problemText: "投诉回访记录缺失",
  itemTitle: "查作风看担当",
  unitName: "市场秩序监管组",
  ownerName: "白露",
  reviewerName: "韩所长",
  closedOn: "2026-12-08",
  closedByName: "韩所长",
  dueDate: "2027-01-19",
  answerBy: "2027-01-26",
  ...over,
});

describe("follow-up card", () => {
  it("asks the owner or reviewer 整改成效是否巩固 with 巩固 and 反弹 buttons carrying the round", () => {
    const card = followUpCard({ f: view(), locale: "zh", today: TODAY, viewer: "party" });
    expectValid(card);
    expect(text(card)).toContain("整改成效是否巩固");
    expect(text(card)).toContain("2027-01-26");
    const values = callbackValues(card);
    expect(values.map((v) => v.action).sort()).toEqual([FOLLOW_UP_ACTIONS.holds, FOLLOW_UP_ACTIONS.relapsed]);
    for (const v of values) expect(v).toMatchObject({ m: view().id, fu: "2027-01-19" });
  });

  it("offers nothing to press to anyone else, or once answered; shows who answered what", () => {
    expect(callbackValues(followUpCard({ f: view(), locale: "zh", today: TODAY, viewer: "other" }))).toEqual(
      [],
    );
    const answered = followUpCard({
      f: view({
        result: "relapsed",
        answeredByName: "白露",
        answeredAt: "2027-01-20 10:00",
        note: "又有缺漏",
        relapseSeq: 9,
      }),
      locale: "zh",
      today: TODAY,
      viewer: "party",
    });
    expectValid(answered);
    expect(callbackValues(answered)).toEqual([]);
    expect(answered.header.template).toBe("red");
    const md = markdownText(answered);
    expect(md).toContain("**反弹**");
    expect(md).toContain("又有缺漏");
    expect(md).toContain("整改措施#9");
  });

  it("stays valid and escapes hostile and very long text, in English too", () => {
    const long = "查".repeat(3000);
    for (const locale of ["zh", "en"] as const) {
      const card = followUpCard({
        f: view({
          content: NASTY + long,
          problemText: long,
          note: NASTY,
          result: "holds",
          answeredByName: NASTY,
        }),
        locale,
        today: TODAY,
        viewer: "party",
      });
      expectValid(card);
      expect(markdownText(card)).not.toContain("<at id=all>");
    }
    const en = followUpCard({ f: view(), locale: "en", today: TODAY, viewer: "party" });
    expect(text(en)).toContain("is the result holding?");
  });

  it("is red once its answer-by day has passed", () => {
    expect(
      followUpCard({ f: view(), locale: "zh", today: "2027-01-27", viewer: "party" }).header.template,
    ).toBe("red");
  });
});

describe("follow-up timing", () => {
  const cal = new WorkCalendar();
  it("counts working days from the day of closure in the campaign's zone; 0 is off; absent is 30", () => {
    // Closed 23:30 Shanghai on Fri 2026-12-11 (15:30 UTC): counted from that Friday.
    const closedAt = new Date("2026-12-11T15:30:00Z");
    expect(followUpDueDate(cal, "Asia/Shanghai", closedAt, 5)).toBe("2026-12-18");
    expect(followUpDays({ followUp: { afterDays: 0 } })).toBe(0);
    expect(followUpDays({ followUp: null })).toBe(30);
    expect(followUpDays({})).toBe(30);
  });
});

describe("broadcast line", () => {
  const s: SummaryView = {
    campaignTitle: "自查",
    asOf: "2027-01-20 17:00",
    assignments: { done: 1, total: 2, overdue: 0 },
    measures: { closed: 3, total: 4, overdue: 0 },
    sections: [],
    units: [],
    overdue: [],
  };
  it("shows due, done and relapsed follow-ups only when there are any", () => {
    expect(markdownText(summaryCard({ s, locale: "zh", kind: "broadcast" }))).not.toContain("回头看");
    const md = markdownText(
      summaryCard({
        s: { ...s, followUps: { due: 2, done: 3, relapsed: 1 } },
        locale: "zh",
        kind: "broadcast",
      }),
    );
    expect(md).toContain("回头看：待回复 **2**");
    expect(md).toContain("已完成 **3**");
    expect(md).toMatch(/反弹 .*1.* 项/);
  });
});

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
    state: "closed",
    closedAt: new Date("2026-12-08T02:00:00Z"),
    closedByKey: "han",
    evidence: [],
    sendBacks: [],
    extensions: [],
    ...over,
  };
}

function data(
  measures: ExportMeasure[],
  ledgerColumns: ExportData["campaign"]["ledgerColumns"] = [],
): ExportData {
  return {
    campaign: {
      key: "k",
      title: "自查",
      timezone: "Asia/Shanghai",
      checklistTitle: "清单",
      sections: [{ key: "sec", code: "四查", title: "四查" }],
      items: [{ key: "s1", sectionKey: "sec", title: "查思想" }],
      ledgerColumns,
    },
    today: TODAY,
    units: [{ key: "food", name: "食品组" }],
    people: new Map([
      ["tan", "谭敏"],
      ["han", "韩所长"],
    ]),
    assignments: [],
    coverage: [],
    problems: [{ id: "p1", seq: 1, assignmentId: "a1", itemKey: "s1", unitKey: "food", text: "问题" }],
    measures,
  };
}

describe("ledger and report", () => {
  const at = new Date("2027-01-19T02:00:00Z");
  const measures = [
    measure({ seq: 1, followUp: { dueDate: "2027-01-19", result: "holds", at } }),
    measure({
      seq: 2,
      followUp: { dueDate: "2027-01-19", result: "relapsed", at, note: "又出现", relapseSeq: 4 },
    }),
    measure({ seq: 3, followUp: { dueDate: "2027-01-19" } }),
    measure({ seq: 4, state: "open", closedAt: undefined, relapseOfSeq: 2, content: "回头看发现反弹" }),
  ];
  const ledger = (cols: ExportData["campaign"]["ledgerColumns"] = []) =>
    ledgerView({ data: data(measures, cols), filters: {}, lang: "zh", workingDaysUntil: () => 10 });

  it("the default ledger has the follow-up in 备注; a 回头看 column only when ledger.columns asks for it", () => {
    expect(ledgerColumns(data([]), "zh").map((c) => c.key)).not.toContain("follow_up");
    const rows = ledger().rows;
    const remarks = (seq: number) => String(rows.find((r) => r.measureSeq === seq)!.cells.remarks ?? "");
    expect(remarks(1)).toBe("回头看 2027-01-19：巩固");
    expect(remarks(2)).toBe("回头看 2027-01-19：反弹（又出现），已重新整改（措施#4）");
    expect(remarks(3)).toBe("回头看：待回复（2027-01-19起）");
    expect(remarks(4)).toBe("回头看反弹，重新整改（原措施#2）");
    const withColumn = ledger([{ key: "seq" }, { key: "measure" }, { key: "follow_up" }]);
    expect(withColumn.columns.map((c) => c.title)).toEqual(["序号", "整改措施", "回头看"]);
    expect(withColumn.rows.find((r) => r.measureSeq === 2)!.cells.follow_up).toContain("反弹");
  });

  it("the 统计 sheet and the report count 反弹", () => {
    const v = ledger();
    expect(v.stats.header.at(-1)).toBe("回头看反弹");
    expect(v.stats.total.relapsed).toBe(1);
    expect(v.stats.byUnit[0]!.relapsed).toBe(1);
    const r = reportView(data(measures));
    expect(r.stats.followUp).toEqual({ checked: 3, holds: 1, relapsed: 1 });
    const stats = r.blocks.find((b) => b.text.startsWith("截至"))!.text;
    expect(stats).toContain(
      "已销号措施开展回头看3项，整改成效巩固1项，反弹1项（已重新制定整改措施），待回复1项。",
    );
    // Without any follow-up the paragraph is as before.
    expect(
      reportView(data([measure({ seq: 1 })])).blocks.find((b) => b.text.startsWith("截至"))!.text,
    ).not.toContain("回头看");
  });
});
