import path from "node:path";
import type { Models } from "../../src/repositories/models";
import { loadSpec } from "../helpers/campaign";
import type { PlayedCampaign } from "../helpers/export-campaign";
import { uniqueName } from "../helpers/services";
import { playedDatabase, type PlayedDatabase } from "../helpers/export-db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { exportReport } from "../../src/exports/index";
import { importCampaign } from "../../src/services/campaign-import";
import { unzipText } from "../helpers/zip";

/**
 * The self-inspection report (自查报告) unzipped: page size, margins and grid in twips, East Asian fonts
 * and sizes per level, the headings in the seed's order, statistics equal to a direct count, the page
 * number fields in the odd and even footers; empty campaigns and hostile narratives.
 */
let db: PlayedDatabase;
let m: Models;
let dir: string;
let played: PlayedCampaign;
const d = () => db.deps();

beforeAll(async () => {
  db = await playedDatabase("report", (spec) => {
    spec.report = {
      basis: "根据区委《关于开展“四查四看”作风自查的通知》要求",
      organisation: "区市场监督管理所",
    };
  });
  ({ m, dir, played } = db);
}, 60_000);
afterAll(async () => {
  await db?.close();
});

async function report(campaignKey = played.spec.key, units?: string[]) {
  const out = path.join(dir, `${uniqueName("r")}.docx`);
  const res = await exportReport(d(), { campaignKey, lang: "zh", units }, out);
  const files = unzipText(out);
  const doc = files.get("word/document.xml")!;
  return { res, files, doc, paragraphs: paragraphsOf(doc) };
}

interface Para {
  text: string;
  xml: string;
}
function paragraphsOf(xml: string): Para[] {
  return [...xml.matchAll(/<w:p>.*?<\/w:p>|<w:p [^>]*>.*?<\/w:p>/gs)].map((x) => ({
    xml: x[0],
    text: [...x[0].matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((t) => decode(t[1])).join(""),
  }));
}
const decode = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
const fontOf = (p: Para) => /w:eastAsia="([^"]+)"/.exec(p.xml)?.[1];
const sizeOf = (p: Para) => Number(/<w:sz w:val="(\d+)"/.exec(p.xml)?.[1]) / 2;

describe("report (自查报告)", () => {
  it("is laid out per GB/T 9704: A4, margins 37/35/28/26 mm, 22 lines × 28 characters on a grid", async () => {
    const { doc, files } = await report();
    expect(doc).toMatch(/<w:pgSz w:w="11906" w:h="16838"/);
    const mar = /<w:pgMar ([^>]*)\/>/.exec(doc)![1];
    const attr = (n: string) => Number(new RegExp(`w:${n}="(\\d+)"`).exec(mar)![1]);
    expect([attr("top"), attr("bottom"), attr("left"), attr("right")]).toEqual([2098, 1984, 1587, 1474]);
    // Exact line spacing of 28.95 pt: 22 lines fill the 225 mm text height.
    expect(doc).toContain('<w:docGrid w:type="lines" w:linePitch="579"/>');
    expect(doc).toContain('w:line="579" w:lineRule="exact"');
    // 28 characters of 16 pt less a quarter point each fit the 156 mm (8845 twips) text width.
    const body = paragraphsOf(doc).find((p) => p.text.startsWith("查思想看站位方面"))!;
    const spacing = Number(/<w:spacing w:val="(-?\d+)"\/>/.exec(body.xml)![1]);
    expect(spacing).toBe(-5);
    expect(28 * (320 + spacing)).toBeLessThanOrEqual(11906 - 1587 - 1474);
    expect(29 * (320 + spacing)).toBeGreaterThan(11906 - 1587 - 1474);
    const styles = files.get("word/styles.xml")!;
    expect(styles).toMatch(/w:eastAsia="仿宋_GB2312"/);
    expect(styles).toContain('<w:sz w:val="32"/>');
    expect(files.get("word/settings.xml")).toContain("<w:evenAndOddHeaders/>");
  });

  it("has the seed's structure, with the fonts and sizes of each level", async () => {
    const { paragraphs, res } = await report();
    const [title, , opening] = paragraphs;
    expect(title.text).toBe("关于区市场监管所“四查四看”作风自查情况的报告");
    expect([fontOf(title), sizeOf(title)]).toEqual(["方正小标宋简体", 22]);
    expect(opening.text).toMatch(
      /^根据区委《关于开展“四查四看”作风自查的通知》要求，区市场监督管理所对照“四查四看”清单内容/,
    );
    expect(opening.text.endsWith("现将工作开展情况、存在的问题及整改措施等情况报告如下：")).toBe(true);
    const h1 = paragraphs.filter((p) => /^[一二三四五六七八九十]+、/.test(p.text));
    expect(h1.map((p) => p.text)).toEqual(["一、工作开展情况", "二、存在的问题", "三、整改措施"]);
    for (const p of h1) expect([fontOf(p), sizeOf(p)]).toEqual(["黑体", 16]);
    const h2 = paragraphs.filter((p) => /^（[一二三四五六七八九十]+）/.test(p.text));
    expect(h2.map((p) => p.text)).toEqual(["（一）“四查四看”"]);
    for (const p of h2) expect([fontOf(p), sizeOf(p)]).toEqual(["楷体_GB2312", 16]);
    const order = paragraphs.map((p) => p.text);
    expect(order.indexOf("一、工作开展情况")).toBeLessThan(order.indexOf("（一）“四查四看”"));
    expect(order.indexOf("（一）“四查四看”")).toBeLessThan(order.indexOf("二、存在的问题"));
    expect(order.indexOf("二、存在的问题")).toBeLessThan(order.indexOf("三、整改措施"));
    // Per item one paragraph; several units answered, so each point names its unit.
    const item = paragraphs.find((p) => p.text.startsWith("查思想看站位方面。"))!;
    expect(item.text).toMatch(/^查思想看站位方面。1、(综合办公室|食品安全监管组|市场秩序监管组|[^：]+)：/);
    expect([fontOf(item), sizeOf(item)]).toEqual(["仿宋_GB2312", 16]);
    // Problems and measures are numbered 1、2、3、 in the body font.
    const problems = paragraphs.slice(order.indexOf("二、存在的问题") + 1, order.indexOf("三、整改措施"));
    expect(problems.map((p) => p.text.split("、")[0])).toEqual(problems.map((_, i) => String(i + 1)));
    expect(problems.length).toBe(await m.Problem.countDocuments({ campaignKey: played.spec.key }));
    const measures = paragraphs.slice(order.indexOf("三、整改措施") + 1).filter((p) => /^\d+、/.test(p.text));
    expect(measures.length).toBe(await m.Measure.countDocuments({ campaignKey: played.spec.key }));
    expect(measures[0].text).toMatch(
      /责任单位：[^；]+；整改时限：\d{4}年\d{1,2}月\d{1,2}日.*；当前状态：(未开始|整改中|待审核|已销号|逾期)。$/,
    );
    expect(measures.some((p) => p.text.includes("已批准延期"))).toBe(true);
    expect(res.summary).toMatch(/^自查报告：1 个检查部分，问题 \d+ 个，整改措施 \d+ 项（已完成 \d+ 项）$/);
  });

  it("states statistics equal to a direct count, then the organisation and the date in Chinese numerals", async () => {
    const { paragraphs } = await report();
    const key = played.spec.key;
    const problems = await m.Problem.countDocuments({ campaignKey: key });
    const measures = await m.Measure.countDocuments({ campaignKey: key });
    const closed = await m.Measure.countDocuments({ campaignKey: key, state: "closed" });
    const rate = Math.round((closed / measures) * 1000) / 10;
    const stats = paragraphs.find((p) => p.text.includes("共查找问题"))!;
    expect(stats.text).toBe(
      `截至2026年12月28日，共查找问题${problems}个，制定整改措施${measures}项，已完成${closed}项，完成率${rate}%。`,
    );
    const last = paragraphs.filter((p) => p.text).slice(-2);
    expect(last.map((p) => p.text)).toEqual(["区市场监督管理所", "二〇二六年十二月二十八日"]);
    expect(last[1].xml).toContain('<w:jc w:val="right"/>');
  });

  it("numbers pages “— N —” in 4号宋体, odd pages right and even pages left", async () => {
    const { files, doc } = await report();
    const rels = files.get("word/_rels/document.xml.rels")!;
    const footerOf = (type: string) => {
      const id = new RegExp(`<w:footerReference w:type="${type}" r:id="(\\w+)"`).exec(doc)![1];
      const target =
        new RegExp(`Id="${id}"[^>]*Target="([^"]+)"`).exec(rels)?.[1] ??
        new RegExp(`Target="([^"]+)"[^>]*Id="${id}"`).exec(rels)![1];
      return files.get(`word/${target}`)!;
    };
    const odd = footerOf("default");
    const even = footerOf("even");
    for (const f of [odd, even]) {
      expect(f).toMatch(/<w:instrText[^>]*>\s*PAGE\s*<\/w:instrText>/);
      expect(f).toContain("— ");
      expect(f).toContain(" —");
      expect(f).toContain('w:eastAsia="宋体"');
      expect(f).toContain('<w:sz w:val="28"/>');
    }
    expect(odd).toContain('<w:jc w:val="right"/>');
    expect(even).toContain('<w:jc w:val="left"/>');
  });

  it("writes a 20,000-character narrative with markdown and HTML as plain text", async () => {
    const a = await m.Assignment.findOne({ campaignKey: played.spec.key, state: "submitted" }).lean();
    const long = "整改落实".repeat(5000);
    const hostile = `## 标题\n**加粗**的内容 <b>HTML</b> <script>alert(1)</script> [链接](http://x.example) &amp; \`代码\`\n- 列表一\n- 列表二\n${long}`;
    const r = await m.Response.findOne({ assignmentId: a!._id, version: a!.responseVersion });
    const before = r!.narrative;
    await m.Response.updateOne({ _id: r!._id }, { $set: { narrative: hostile } });
    try {
      const { paragraphs, doc } = await report();
      const p = paragraphs.find((x) => x.text.includes("整改落实整改落实"))!;
      expect(p.text).toContain("标题；加粗的内容 HTML alert(1) 链接 & 代码；列表一；列表二；");
      expect(p.text).toContain(long);
      expect(p.text).not.toMatch(/\*\*|<b>|<script|##|\]\(/);
      expect(doc).not.toContain("<b>");
    } finally {
      await m.Response.updateOne({ _id: r!._id }, { $set: { narrative: before } });
    }
  });

  it("a campaign with nothing found yet: each empty section says 无, statistics are zero", async () => {
    const spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
    spec.key = "empty-report";
    await importCampaign(m, spec, {});
    const { paragraphs } = await report("empty-report");
    const order = paragraphs.map((p) => p.text);
    expect(order[order.indexOf("二、存在的问题") + 1]).toBe("无。");
    expect(order[order.indexOf("三、整改措施") + 1]).toBe("无。");
    expect(order).toContain("查思想看站位方面。无。");
    expect(order.find((t) => t.includes("共查找问题"))).toContain(
      "共查找问题0个，制定整改措施0项，已完成0项，完成率0%。",
    );
  });

  it("a head's report covers only their units; an unknown campaign is a clear error", async () => {
    const { paragraphs } = await report(played.spec.key, ["food"]);
    const text = paragraphs.map((p) => p.text).join("\n");
    expect(text).not.toContain("市场秩序监管组");
    expect(text).not.toContain("综合办公室");
    await expect(report("no-such-campaign")).rejects.toBeInstanceOf(AppError);
  });
});
