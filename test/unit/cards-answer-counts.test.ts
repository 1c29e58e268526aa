import { describe, expect, it } from "vitest";
import { measureCountsCard, pendingCountsCard, problemCountsCard } from "../../cards/answer-cards";
import { expectValid, markdownText } from "../helpers/card-checks";

/** The count-only answers (group chats, members): hostile unit names stay text, long lists still fit. */
const HOSTILE = "一科</font><at id=all></at>**粗体**[链接](https://evil.example)";
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => `${HOSTILE}${"很长的科室名称".repeat(20)}${i}`);

describe("pendingCountsCard / problemCountsCard", () => {
  it("escape unit names and item titles: no mention, no tag, no link", () => {
    const cards = [
      pendingCountsCard({
        v: { campaignTitle: "t", units: [{ unitName: HOSTILE, pending: 2, total: 6 }], own: [HOSTILE] },
        locale: "zh",
      }),
      problemCountsCard({
        v: { campaignTitle: "t", units: [{ unitName: HOSTILE, total: 3, resolved: 1 }] },
        locale: "en",
      }),
      measureCountsCard({
        v: { campaignTitle: "t", title: HOSTILE, units: [{ unitName: HOSTILE, n: 2 }] },
        locale: "zh",
      }),
    ];
    for (const c of cards) {
      expectValid(c);
      const md = markdownText(c);
      // Whatever the escaping (cards/kit.ts), no markup survives unescaped.
      expect(md).not.toMatch(/(?<!\\)<at/);
      expect(md).not.toMatch(/(?<!\\)<\/font>/);
      expect(md).not.toMatch(/(?<!\\)\]\(https:/);
    }
  });
  it("200 long unit names still make a card Feishu accepts, with the rest counted", () => {
    const names = many(200);
    const p = pendingCountsCard({
      v: { campaignTitle: "t", units: names.map((unitName) => ({ unitName, pending: 1, total: 2 })) },
      locale: "zh",
    });
    expectValid(p);
    expect(markdownText(p)).toContain("共 **200** 项未填报");
    expect(JSON.stringify(p)).toContain("个科室未列出");
    const q = problemCountsCard({
      v: { campaignTitle: "t", units: names.map((unitName) => ({ unitName, total: 1, resolved: 0 })) },
      locale: "zh",
    });
    expectValid(q);
    const m = measureCountsCard({
      v: { campaignTitle: "t", title: "本周到期", units: names.map((unitName) => ({ unitName, n: 1 })) },
      locale: "zh",
    });
    expectValid(m);
    expect(JSON.stringify(m)).toContain("个科室未列出");
  });
  it("a member with nothing left is told so, not that everyone has filled in", () => {
    const c = pendingCountsCard({
      v: { campaignTitle: "t", units: [{ unitName: "财务科", pending: 5, total: 6 }], own: [] },
      locale: "zh",
    });
    expect(markdownText(c)).toContain("您本人没有未填报的自查事项");
    expect(markdownText(c)).toContain("财务科：已填报 1/6，未填报 5 项");
  });
});
