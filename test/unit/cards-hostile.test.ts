import { describe, expect, it } from "vitest";
import { itemStatusCard, measureListCard, pendingCard, problemListCard } from "../../cards/answer-cards";
import { digestCard } from "../../cards/digest-card";
import { escalationCard } from "../../cards/escalation-card";
import { suspectCountsCard, suspectListCard } from "../../cards/flags-list-card";
import { flagReviewCard } from "../../cards/flags-review-card";
import { helpCard } from "../../cards/help-card";
import { card, cardBytes, esc, escLine, md, trimToLimits, type Card, type Locale } from "../../cards/kit";
import { measureCard } from "../../cards/measure-card";
import { errorCard, noticeCard } from "../../cards/notice-card";
import { selfCheckCard } from "../../cards/self-check-card";
import { summaryCard } from "../../cards/summary-card";
import type { MeasureView, ResponseView } from "../../cards/view-types";
import { formatCardAnswer } from "../../src/server/process-event";
import { expectValid, markdownText, objects, type Obj } from "../helpers/card-checks";

/**
 * Every card builder in cards/, fed hostile names, titles, narratives and reasons, in both languages:
 * nothing from data may become an @all, a colour, a link or emphasis, and every card stays valid and
 * under Feishu's 30 KB.
 */
const TODAY = "2026-12-10";
const H =
  "一科</font><at id=all></at>**粗**[点我](https://evil.example)<font color='red'>红</font>_斜_~~删~~`码`#题|表|\n- 列\n1. 序 &lt;at id=all&gt;";
/** Long hostile text: what a careless or malicious import could put in a name or narrative. */
const HL = `${H} ${"长".repeat(400)} ${H}`;
const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

const response = (): ResponseView => ({
  version: 3,
  conclusion: "problems",
  narrative: HL.repeat(3),
  evidence: HL,
  problems: many(20, (i) => ({
    id: `pb_${i}`,
    seq: i + 1,
    text: HL,
    measures: many(6, (j) => ({
      seq: i * 10 + j,
      content: HL,
      ownerName: H,
      dueDate: "2026-12-01",
      state: "open",
    })),
  })),
  byName: H,
  at: H,
});

const measure = (): MeasureView => ({
  id: "ms_1",
  seq: 1,
  rev: 2,
  content: HL,
  problemText: HL,
  itemTitle: HL,
  unitName: H,
  ownerName: H,
  reviewerName: H,
  dueDate: "2026-12-12",
  originalDueDate: "2026-12-01",
  state: "closure_requested",
  percent: 80,
  extension: { requestedDue: "2027-01-10", reason: HL, status: "requested" },
  sendBackReason: HL,
  history: many(40, () => ({ at: H, byName: H, text: HL })),
});

const assignment = (state: "pending" | "submitted") => ({
  id: "as_1",
  rev: 1,
  campaignTitle: HL,
  sectionCode: H,
  sectionTitle: HL,
  itemTitle: HL,
  checkpoints: many(14, () => HL),
  unitName: H,
  assigneeName: H,
  dueDate: "2026-12-11",
  state,
  returnReason: HL,
});

const builders: [string, (l: Locale) => Card][] = [
  [
    "selfCheckCard (edit)",
    (l) =>
      selfCheckCard({
        a: assignment("pending"),
        response: response(),
        locale: l,
        today: TODAY,
        mode: "edit",
        error: HL,
      }),
  ],
  [
    "selfCheckCard (submitted)",
    (l) =>
      selfCheckCard({
        a: assignment("submitted"),
        response: response(),
        locale: l,
        today: TODAY,
        mode: "submitted",
      }),
  ],
  [
    "measureCard (owner)",
    (l) => measureCard({ m: measure(), locale: l, today: TODAY, viewer: "owner", notice: HL }),
  ],
  [
    "measureCard (reviewer)",
    (l) => measureCard({ m: measure(), locale: l, today: TODAY, viewer: "reviewer", notice: HL }),
  ],
  ["measureCard (other)", (l) => measureCard({ m: measure(), locale: l, today: TODAY, viewer: "other" })],
  [
    "digestCard",
    (l) =>
      digestCard({
        title: HL,
        personName: H,
        campaignTitle: HL,
        lines: many(80, (i) => ({
          kind: i % 2 ? "measure" : "assignment",
          id: `x${i}`,
          title: HL,
          dueDate: "2026-12-01",
          note: HL,
        })),
        locale: l,
        today: TODAY,
        kind: "reminder",
      }),
  ],
  [
    "escalationCard",
    (l) =>
      escalationCard({
        e: {
          campaignTitle: HL,
          recipientName: H,
          level: "leader",
          afterWorkingDays: 3,
          items: many(80, (i) => ({
            kind: "measure",
            id: `m${i}`,
            title: HL,
            ownerName: H,
            unitName: H,
            dueDate: "2026-12-01",
            daysOverdue: 9,
          })),
        },
        locale: l,
        today: TODAY,
      }),
  ],
  ...(["broadcast", "leader", "answer"] as const).map((kind): [string, (l: Locale) => Card] => [
    `summaryCard (${kind})`,
    (l) =>
      summaryCard({
        s: {
          campaignTitle: HL,
          asOf: H,
          scope: HL,
          assignments: { done: 3, total: 90, overdue: 7 },
          measures: { closed: 2, total: 70, overdue: 5 },
          sections: many(12, (i) => ({ code: `${H}${i}`, done: i, total: 12 })),
          units: many(80, (i) => ({
            name: `${HL}${i}`,
            done: i % 5,
            total: 6,
            measuresClosed: 1,
            measuresTotal: 4,
            overdue: i % 3,
          })),
          overdue: many(60, (i) => ({
            seq: i,
            content: HL,
            ownerName: H,
            unitName: H,
            dueDate: "2026-11-01",
            daysOverdue: 9,
            state: "open",
          })),
          newlyClosed: many(40, (i) => ({ seq: i, content: HL, ownerName: H, unitName: H })),
        },
        locale: l,
        kind,
      }),
  ]),
  [
    "pendingCard",
    (l) =>
      pendingCard({
        v: {
          campaignTitle: HL,
          byUnit: many(40, (i) => ({
            unitName: `${HL}${i}`,
            people: many(30, () => ({ name: H, items: many(8, () => HL) })),
          })),
          total: 9000,
        },
        locale: l,
      }),
  ],
  [
    "itemStatusCard",
    (l) =>
      itemStatusCard({
        v: {
          campaignTitle: HL,
          itemTitle: HL,
          sectionCode: H,
          rows: many(150, (i) => ({
            unitName: HL,
            assigneeName: H,
            state: i % 2 ? "submitted" : "pending",
            conclusion: H,
            dueDate: H,
            problems: i,
          })),
        },
        locale: l,
        today: TODAY,
      }),
  ],
  [
    "problemListCard",
    (l) =>
      problemListCard({
        v: {
          campaignTitle: HL,
          scope: HL,
          problems: many(300, (i) => ({
            seq: i,
            text: HL,
            itemTitle: HL,
            unitName: H,
            measures: i % 3,
            resolved: i % 2 === 0,
          })),
        },
        locale: l,
      }),
  ],
  [
    "measureListCard",
    (l) =>
      measureListCard({
        v: {
          campaignTitle: HL,
          title: HL,
          scope: HL,
          rows: many(200, (i) => ({
            id: `m${i}`,
            seq: i,
            content: HL,
            ownerName: H,
            unitName: H,
            dueDate: H,
            daysOverdue: 3,
            state: H,
          })),
        },
        locale: l,
        today: TODAY,
        withOpenButtons: true,
        emptyText: H,
      }),
  ],
  ...(["open", "returned"] as const).map(
    (state) =>
      [
        `flagReviewCard ${state}`,
        (l: Locale) =>
          flagReviewCard({
            v: {
              responseId: "r1",
              campaignTitle: HL,
              unitName: H,
              itemTitle: HL,
              answererName: H,
              version: 2,
              conclusion: "compliant",
              narrative: HL.repeat(3),
              lines: many(8, () => HL),
              reason: HL,
              state,
              returnReason: HL,
            },
            locale: l,
            notice: HL,
          }),
      ] as [string, (l: Locale) => Card],
  ),
  [
    "suspectListCard",
    (l) =>
      suspectListCard({
        v: {
          campaignTitle: HL,
          scope: HL,
          checked: 500,
          lines: many(200, (i) => ({
            responseId: `r${i}`,
            unitName: H,
            itemTitle: HL,
            answererName: H,
            kinds: [H, H],
            evidence: HL,
            reason: HL,
            canReturn: i % 2 === 0,
          })),
          hidden: many(50, () => ({ unitName: H, n: 3 })),
        },
        locale: l,
        emptyText: H,
      }),
  ],
  [
    "suspectCountsCard",
    (l) =>
      suspectCountsCard({
        v: { campaignTitle: HL, scope: HL, units: many(200, () => ({ unitName: H, n: 2, checked: 9 })) },
        locale: l,
      }),
  ],
  ["helpCard", (l) => helpCard({ locale: l, notUnderstood: HL })],
  ["noticeCard", (l) => noticeCard({ title: HL, lines: many(80, () => HL), locale: l })],
  ["errorCard", (l) => errorCard({ title: HL, message: HL.repeat(10), locale: l })],
];

/** The `<font …>` tags the builders themselves write: a colour name, nothing from data. */
const OWN_FONT = /<font color='(red|orange|green|grey)'>/g;

function expectNoMarkupFromData(c: Card): void {
  // plain_text (titles, inputs, options) is never parsed as markup; markdown is.
  const mdText = markdownText(c);
  expect(mdText).not.toMatch(/<at\b/i);
  expect(mdText.replace(OWN_FONT, "")).not.toMatch(/<font\b/i);
  expect(mdText).not.toContain("](https://evil.example)");
  expect(mdText).not.toContain("[点我]");
  expect(mdText).not.toContain("**粗**");
  expect(mdText).not.toContain("_斜_");
  expect(mdText).not.toContain("`码`");
  // Data that contains an entity stays text: its `&` is escaped, so it cannot decode into a tag.
  expect(mdText).not.toMatch(/序 &lt;/);
  // Table cells of a markdown column obey the same rules (text columns are plain).
  for (const t of objects(c.body).filter((o) => o.tag === "table")) {
    const mdColumns = (t.columns as Obj[]).filter(
      (x) => x.data_type === "markdown" || x.data_type === "lark_md",
    );
    for (const row of t.rows as Obj[])
      for (const col of mdColumns)
        expect(String(row[col.name as string] ?? "")).not.toMatch(/<at\b|\]\(|<font color='red'>红/);
  }
}

describe("every card builder with hostile input", () => {
  for (const locale of ["zh", "en"] as const) {
    it.each(builders)(`%s (${locale}): no markup from data, valid, under 30 KB`, (_name, build) => {
      const c = build(locale);
      expectNoMarkupFromData(c);
      expectValid(c);
      expect(cardBytes(c)).toBeLessThan(30 * 1024);
    });
  }
});

describe("esc, the one markdown escaping function", () => {
  it("turns tags, links, emphasis, table pipes and list markers into text", () => {
    expect(esc("一科</font><at id=all></at>")).toBe("一科&lt;/font&gt;&lt;at id=all&gt;&lt;/at&gt;");
    expect(esc("[x](https://e.x) **b** _i_ ~s~ `c` #h a|b")).toBe(
      "&#91;x&#93;&#40;https://e.x&#41; &#42;&#42;b&#42;&#42; &#95;i&#95; &#126;s&#126; &#96;c&#96; &#35;h a&#124;b",
    );
    expect(esc("A&B &lt;at&gt;")).toBe("A&amp;B &amp;lt;at&amp;gt;");
    expect(esc("- a\n  + b\n3. c\nx - y")).toBe("&#45; a\n  &#43; b\n3&#46; c\nx - y");
    expect(escLine("第一行\n- 第二行", 100)).toBe("第一行 - 第二行");
  });
});

describe("trimToLimits, on every card that leaves", () => {
  // The group answer of the report: 30 long unit names, one markdown line each.
  const groupAnswer = (l: Locale) =>
    card({
      title: l === "en" ? "Problems found" : "查摆问题",
      elements: [md(many(30, (i) => `- ${esc(HL.repeat(2))}${i}：问题 3 个`).join("\n")), md("尾注")],
    });

  it("cuts the biggest list and says how many were left out", () => {
    const big = groupAnswer("zh");
    expect(cardBytes(big)).toBeGreaterThan(60 * 1024);
    const fitted = trimToLimits(big);
    expectValid(fitted);
    expect(markdownText(fitted)).toMatch(/…另有 \d+ 项/);
    expect(markdownText(trimToLimits(groupAnswer("en")))).toMatch(/…and \d+ more/);
    // The original is left alone; a card that fits comes back as it is.
    expect(cardBytes(big)).toBeGreaterThan(60 * 1024);
    const small = helpCard({ locale: "zh" });
    expect(trimToLimits(small)).toBe(small);
  });

  it("keeps forms whole and trims too many components", () => {
    const c = selfCheckCard({
      a: assignment("pending"),
      response: response(),
      locale: "zh",
      today: TODAY,
      mode: "edit",
    });
    const crowded = card({
      title: "很多",
      elements: [
        ...many(400, (i) => md(`第 ${i} 行`)),
        ...c.body.elements.filter((e) => (e as Obj).tag === "form"),
      ],
    });
    const fitted = trimToLimits(crowded);
    expectValid(fitted);
    expect(fitted.body.elements.filter((e) => (e as Obj).tag === "form")).toHaveLength(
      c.body.elements.filter((e) => (e as Obj).tag === "form").length,
    );
  });

  it("is applied to a card returned by a callback", () => {
    const answer = formatCardAnswer({ card: groupAnswer("zh") }) as { card: { data: Card } };
    expectValid(answer.card.data);
  });
});
