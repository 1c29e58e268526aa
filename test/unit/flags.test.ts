import { describe, expect, it } from "vitest";
import {
  computeFlags,
  DEFAULT_FLAG_OPTIONS,
  describeFlag,
  hasConcreteFacts,
  returnReasonFor,
  type Flag,
  type FlagAnswer,
} from "../../src/flags/index.js";
import { seedPoints } from "../helpers/seed-points.js";

/**
 * Calibration on the product's seed report (test/fixtures/flags-seed-report.txt), each numbered point
 * taken as a different unit's answer. Labelled by hand (read the report): these pairs repeat a passage
 * of several clauses word for word. Everything else shares at most one set sentence or formula
 * (“局主要负责人‘第一责任人’职责…”, “把推动问题及时解决作为…重要抓手”, “学习贯彻习近平新时代…精神”)
 * and must stay unflagged. docs/flags.md records the sweep this test prints.
 */
const REPEATED_PAIRS: [string, string][] = [
  ["L5.3", "L8.3"], // 二查 3 ↔ 五查 3: 强化创新创优服务意识 … 下功夫出点子
  ["L4.2", "L11.3"], // 一查 2 ↔ 正学风 3: 借助作风大改进活动 … 畅通群众反映问题的渠道
  ["L8.2", "L18"], // 五查 2 ↔ 提高工作效能: 提升机关和窗口单位服务能力 … 出发点和落脚点
];

function seedAnswers(): FlagAnswer[] {
  return seedPoints().map((p) => ({
    id: p.id,
    campaignKey: "c",
    unitKey: `u-${p.id}`,
    itemKey: "item",
    narrative: p.text,
    conclusion: "problems",
  }));
}

const pairKey = (a: string, b: string) => [a, b].sort().join("~");

function measure(flags: Map<string, Flag[]>) {
  const found = new Set<string>();
  for (const [id, list] of flags) {
    for (const f of list) if (f.kind === "recycled") found.add(pairKey(id, f.otherId));
  }
  const truth = new Set(REPEATED_PAIRS.map(([a, b]) => pairKey(a, b)));
  const tp = [...found].filter((k) => truth.has(k)).length;
  return {
    found,
    precision: found.size === 0 ? 1 : tp / found.size,
    recall: tp / truth.size,
  };
}

describe("flags calibrated on the seed report", () => {
  const answers = seedAnswers();

  it("splits the report into its numbered points", () => {
    expect(answers.length).toBe(39);
    for (const [a, b] of REPEATED_PAIRS) {
      expect(answers.some((x) => x.id === a)).toBe(true);
      expect(answers.some((x) => x.id === b)).toBe(true);
    }
  });

  it("flags exactly the repeated passages with the default thresholds (precision 1, recall 1)", () => {
    const flags = computeFlags(answers);
    const m = measure(flags);
    expect([...m.found].sort()).toEqual(REPEATED_PAIRS.map(([a, b]) => pairKey(a, b)).sort());
    expect(m.precision).toBe(1);
    expect(m.recall).toBe(1);
    // Evidence: which answer, the share and the passage as written.
    const f = flags.get("L5.3")!.find((x) => x.kind === "recycled")!;
    expect(f).toMatchObject({ otherId: "L8.3", relation: "other_unit" });
    if (f.kind !== "recycled") throw new Error("unreachable");
    expect(f.share).toBeGreaterThanOrEqual(0.6);
    expect(f.passage).toContain("以服务好群众和企业为着眼点，按照上级的部署要求");
  });

  it("sweep: containment alone misses passages embedded in long answers; the passage rule catches them", () => {
    const rows: string[] = [];
    for (const t of [0.3, 0.4, 0.5, 0.6]) {
      for (const p of [0, 30, 40, 50, 60]) {
        const m = measure(computeFlags(answers, { recycledThreshold: t, passageMinChars: p }));
        rows.push(
          `threshold ${t} passage ${p || "off"}: P ${m.precision.toFixed(2)} R ${m.recall.toFixed(2)}`,
        );
      }
    }
    process.stdout.write(`${rows.join("\n")}\n`);
    const only = measure(computeFlags(answers, { recycledThreshold: 0.5, passageMinChars: 0 }));
    expect(only.recall).toBeLessThan(1);
    const loose = measure(computeFlags(answers, { recycledThreshold: 0.5, passageMinChars: 30 }));
    expect(loose.precision).toBeLessThan(1);
  });

  it("does not flag a unit's resubmission of its own answer, but does flag its copy across items", () => {
    const text = answers.find((a) => a.id === "L5.3")!.narrative;
    const base = { campaignKey: "c", unitKey: "u1", narrative: text, conclusion: "problems" as const };
    const flags = computeFlags([
      { ...base, id: "a", itemKey: "i1" },
      { ...base, id: "b", itemKey: "i2" },
    ]);
    expect(flags.get("a")?.[0]).toMatchObject({
      kind: "recycled",
      otherId: "b",
      relation: "same_unit",
      share: 1,
    });
    const lastYear = computeFlags([{ ...base, id: "now", itemKey: "i1" }], {}, [
      { ...base, id: "old", campaignKey: "c-2025", itemKey: "i1" },
      { ...base, id: "other-unit-old", campaignKey: "c-2025", unitKey: "u9", itemKey: "i1" },
    ]);
    expect(lastYear.get("now")).toEqual([
      expect.objectContaining({ kind: "recycled", otherId: "old", relation: "earlier_campaign" }),
    ]);
    expect(lastYear.has("old")).toBe(false);
  });
});

describe("single-answer flags", () => {
  const item = {
    campaignKey: "c",
    unitKey: "u1",
    itemKey: "i1",
    itemTitle: "严格落实中央八项规定精神情况",
    checkpoints: ["是否存在公车私用、私车公养问题", "是否存在违规发放津补贴问题"],
    conclusion: "problems" as const,
  };

  it("copied from the checklist", () => {
    const flags = computeFlags([
      {
        ...item,
        id: "a",
        narrative: "严格落实中央八项规定精神情况，不存在公车私用、私车公养问题，不存在违规发放津补贴问题。",
      },
    ]);
    expect(flags.get("a")?.map((f) => f.kind)).toContain("checklist");
  });

  it("stock phrasing without facts is flagged; the same phrasing with facts is not", () => {
    const stock =
      "我单位高度重视，认真落实，扎实推进，进一步加强作风建设，不断提升服务水平，取得了积极成效，为下一步工作奠定了坚实的基础。";
    const flags = computeFlags([{ ...item, id: "a", narrative: stock }]);
    const f = flags.get("a")!.find((x) => x.kind === "stock");
    expect(f).toBeDefined();
    expect(describeFlag(f!)).toContain("套话");
    const withFacts = `${stock}3月召开专题会议2次，清理《公务用车管理办法》台账，整改12项。`;
    expect(
      computeFlags([{ ...item, id: "b", narrative: withFacts }])
        .get("b")
        ?.some((x) => x.kind === "stock"),
    ).not.toBe(true);
    expect(hasConcreteFacts("已在“公务用车管理系统”登记")).toBe(true);
    expect(hasConcreteFacts("认真落实，扎实推进")).toBe(false);
  });

  it("campaign phrases extend the list", () => {
    const text = "坚持以人民为中心，守正创新，笃行不怠，踔厉奋发，勇毅前行，继续努力把工作做好。";
    expect(
      computeFlags([{ ...item, id: "a", narrative: text }])
        .get("a")
        ?.some((f) => f.kind === "stock"),
    ).not.toBe(true);
    const extended = computeFlags([{ ...item, id: "a", narrative: text }], {
      stockPhrases: ["以人民为中心", "守正创新", "笃行不怠", "踔厉奋发", "勇毅前行"],
    });
    expect(extended.get("a")?.some((f) => f.kind === "stock")).toBe(true);
  });

  it("too short for the item (more checkpoints, more is expected)", () => {
    const flags = computeFlags([{ ...item, id: "a", narrative: "已自查，无问题。" }]);
    expect(flags.get("a")).toContainEqual({ kind: "short", chars: 6, min: DEFAULT_FLAG_OPTIONS.minChars });
  });

  it("no problems anywhere: every item of a unit says compliant", () => {
    const mk = (id: string, unitKey: string, itemKey: string, conclusion: FlagAnswer["conclusion"]) => ({
      id,
      campaignKey: "c",
      unitKey,
      itemKey,
      conclusion,
      narrative: `${id} 于2026年3月对照清单逐项检查了本单位第${itemKey}项的执行记录共${id.length}份`,
    });
    const flags = computeFlags([
      mk("a1", "ua", "1", "compliant"),
      mk("a2", "ua", "2", "compliant"),
      mk("a3", "ua", "3", "compliant"),
      mk("b1", "ub", "1", "compliant"),
      mk("b2", "ub", "2", "problems"),
      mk("b3", "ub", "3", "compliant"),
    ]);
    expect(flags.get("a1")).toContainEqual({ kind: "no_problems", items: 3 });
    expect(flags.get("b1")?.some((f) => f.kind === "no_problems")).not.toBe(true);
  });

  it("the prefilled return reason carries the evidence", () => {
    const reason = returnReasonFor([
      { kind: "stock", share: 0.6, phrases: ["高度重视", "认真落实"] },
      { kind: "short", chars: 6, min: 30 },
    ]);
    expect(reason).toContain("60%");
    expect(reason).toContain("6 字");
    const en = returnReasonFor([{ kind: "short", chars: 6, min: 30 }], "en");
    expect(en).toMatch(/^Please revise it/);
    expect(en).toContain("6 characters");
    expect(en).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it("bad input never throws", () => {
    expect(computeFlags([{ ...item, id: "e", narrative: "" }]).get("e")?.[0]?.kind).toBe("short");
    expect(() => computeFlags([{ ...item, id: "p", narrative: "。。。！！！   \n" }])).not.toThrow();
  });
});
