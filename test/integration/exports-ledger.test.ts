import path from "node:path";
import ExcelJS from "exceljs";
import type { Models } from "../../src/repositories/models";
import { loadSpec } from "../helpers/campaign";
import type { PlayedCampaign } from "../helpers/export-campaign";
import { playedDatabase, type PlayedDatabase } from "../helpers/export-db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../src/errors";
import { exportLedger, type ExportRequest } from "../../src/exports/index";
import { unzipText } from "../helpers/zip";

/**
 * The ledger (整改台账) made from a campaign played through the real services on the embedded store,
 * read back with exceljs's reader: every measure a row with its values, real dates, red overdue rows,
 * filters and role scoping, and the statistics equal to a direct count.
 */
let db: PlayedDatabase;
let m: Models;
let dir: string;
let played: PlayedCampaign;
const d = () => db.deps();
const TODAY = "2026-12-28";
let seq = 0;

beforeAll(async () => {
  db = await playedDatabase("ledger");
  ({ m, dir, played } = db);
}, 60_000);
afterAll(async () => {
  await db?.close();
});

async function ledger(req: Partial<ExportRequest> = {}, name = `l${++seq}`) {
  const out = path.join(dir, `${name}.xlsx`);
  const res = await exportLedger(d(), { campaignKey: played.spec.key, lang: "zh", ...req }, out);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(out);
  const ws = wb.getWorksheet(req.lang === "en" ? "Ledger" : "整改台账")!;
  const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
  const rows: Record<string, unknown>[] = [];
  const fills: (string | undefined)[] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const rec: Record<string, unknown> = {};
    header.forEach((h, i) => (rec[h] = row.getCell(i + 1).value ?? undefined));
    rows.push(rec);
    const f = row.getCell(1).fill;
    fills.push(f && f.type === "pattern" ? (f.fgColor?.argb ?? undefined) : undefined);
  });
  return { res, wb, ws, header, rows, fills, out };
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : v);

describe("ledger (整改台账)", () => {
  it("has every measure as a row with the right values, real dates, office words and red overdue rows", async () => {
    const { res, header, rows, fills, ws } = await ledger();
    expect(header).toEqual([
      "序号",
      "问题来源",
      "问题类别",
      "问题描述",
      "整改措施",
      "责任领导",
      "责任部门",
      "责任人",
      "整改时限",
      "整改进展",
      "完成情况",
      "佐证材料",
      "销号情况",
      "备注",
    ]);
    const measures = await m.Measure.find({ campaignKey: played.spec.key }).lean();
    const problems = await m.Problem.find({ campaignKey: played.spec.key }).lean();
    const units = await m.Unit.find({ campaignKey: played.spec.key }).lean();
    const people = await m.Person.find({ campaignKey: played.spec.key }).lean();
    const unitName = new Map(units.map((u) => [u.key, u.name]));
    const personName = new Map(people.map((p) => [p.key, p.name]));
    expect(measures.length).toBeGreaterThan(5);
    // One row per measure, plus the one problem that has no measure yet.
    expect(rows.length).toBe(measures.length + 1);
    expect(res.summary).toBe(`整改台账：${rows.length} 行（整改措施 ${measures.length} 项，3 个工作表）`);
    expect(rows.map((r) => r["序号"])).toEqual(rows.map((_, i) => i + 1));
    const words: Record<string, string> = {
      open: "未开始",
      in_progress: "整改中",
      closure_requested: "待审核",
      closed: "已销号",
    };
    for (const x of measures) {
      const p = problems.find((q) => String(q._id) === String(x.problemId))!;
      const row = rows.find(
        (r) =>
          r["整改措施"] === x.content &&
          r["问题描述"] === p.text &&
          r["责任人"] === personName.get(x.ownerKey) &&
          iso(r["整改时限"]) === x.dueDate,
      );
      expect(row, `measure ${x.seq}`).toBeDefined();
      expect(row!["整改时限"]).toBeInstanceOf(Date);
      expect(iso(row!["整改时限"])).toBe(x.dueDate);
      expect(row!["责任部门"]).toBe(unitName.get(x.unitKey));
      expect(row!["责任人"]).toBe(personName.get(x.ownerKey));
      expect(row!["责任领导"]).toBe("韩所长");
      const overdue = x.state !== "closed" && x.dueDate < TODAY;
      expect(row!["完成情况"]).toBe(overdue ? "逾期" : words[x.state]);
      const i = rows.indexOf(row!);
      if (overdue) expect(fills[i]).toBe("FFFFC7CE");
      else expect(fills[i]).not.toBe("FFFFC7CE");
      if (x.state === "closed") expect(String(row!["销号情况"])).toMatch(/韩所长 \d{4}-\d{2}-\d{2} 审核销号/);
      if (x.originalDueDate !== x.dueDate) {
        expect(String(row!["备注"])).toContain(`原整改时限 ${x.originalDueDate}，经批准延期至 ${x.dueDate}`);
        expect(String(row!["备注"])).toContain("需协调外单位配合");
      }
      if (x.sendBackReason) expect(String(row!["备注"])).toContain(`销号申请被退回：${x.sendBackReason}`);
    }
    expect(rows.some((r) => r["完成情况"] === "逾期")).toBe(true);
    expect(rows.some((r) => String(r["备注"] ?? "").includes("经批准延期"))).toBe(true);
    expect(rows.some((r) => String(r["备注"] ?? "").includes("被退回"))).toBe(true);
    expect(rows.filter((r) => r["整改措施"] === "（尚未制定整改措施）")).toHaveLength(1);
    expect(ws.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
  });

  it("prints on A4 landscape fitted to width with the header repeated; autofilter and a list on 完成情况", async () => {
    const { ws, out, rows } = await ledger();
    expect(ws.pageSetup).toMatchObject({
      paperSize: 9,
      orientation: "landscape",
      fitToWidth: 1,
      fitToHeight: 0,
    });
    const files = unzipText(out);
    const sheet = files.get("xl/worksheets/sheet1.xml")!;
    expect(sheet).toContain('<autoFilter ref="A1:N1"');
    expect(sheet).toMatch(/<dataValidation type="list"[^>]*sqref="K2:K\d+"/);
    expect(sheet).toContain("<formula1>&quot;未开始,整改中,待审核,已销号,逾期&quot;</formula1>");
    expect(sheet).toContain('<pageSetUpPr fitToPage="1"');
    expect(files.get("xl/workbook.xml")).toContain(
      '<definedName name="_xlnm.Print_Titles" localSheetId="0">&apos;整改台账&apos;!$1:$1</definedName>',
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it("counts on 统计 equal a direct count, and 自查情况 shows answered / problems / not answered per unit", async () => {
    const { wb } = await ledger();
    const st = wb.getWorksheet("统计")!;
    const table: unknown[][] = [];
    st.eachRow((r) => table.push((r.values as unknown[]).slice(1)));
    const total = table.find((r) => r[0] === "合计")!;
    const key = played.spec.key;
    const measures = await m.Measure.countDocuments({ campaignKey: key });
    const closed = await m.Measure.countDocuments({ campaignKey: key, state: "closed" });
    const overdue = await m.Measure.countDocuments({
      campaignKey: key,
      state: { $ne: "closed" },
      dueDate: { $lt: TODAY },
    });
    const problems = await m.Problem.countDocuments({ campaignKey: key });
    expect(total.slice(1, 5)).toEqual([problems, measures, closed, overdue]);
    expect(total[5]).toBeCloseTo(closed / measures, 10);
    const food = table.find((r) => r[0] === "食品安全监管组")!;
    expect(food[2]).toBe(await m.Measure.countDocuments({ campaignKey: key, unitKey: "food" }));

    const cov = wb.getWorksheet("自查情况")!;
    const header = (cov.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 5)).toEqual([
      "科室",
      "查思想看站位",
      "查作风看担当",
      "查纪律看规矩",
      "查效能看实绩",
    ]);
    const cells: string[] = [];
    cov.eachRow(
      (r, n) => n > 1 && (r.values as unknown[]).slice(2, -1).forEach((v) => cells.push(String(v))),
    );
    expect(cells.some((c) => c.startsWith("发现问题"))).toBe(true);
    expect(cells.some((c) => c.startsWith("已报告"))).toBe(true);
    expect(cells.some((c) => c.startsWith("未报告"))).toBe(true);
  });

  it("filters by unit, state, overdue and due dates; a head's export lacks other units' rows", async () => {
    const food = await ledger({ units: ["food"] });
    expect(food.rows.length).toBeGreaterThan(0);
    expect(new Set(food.rows.map((r) => r["责任部门"]))).toEqual(new Set(["食品安全监管组"]));
    const byName = await ledger({ filters: { units: ["食品安全监管组"] } });
    expect(byName.rows.length).toBe(food.rows.length);

    const overdue = await ledger({ filters: { overdue: true } });
    expect(overdue.rows.length).toBeGreaterThan(0);
    expect(overdue.rows.every((r) => r["完成情况"] === "逾期")).toBe(true);
    const byWord = await ledger({ filters: { states: ["逾期"] } });
    expect(byWord.rows.length).toBe(overdue.rows.length);
    const closed = await ledger({ filters: { states: ["closed"] } });
    expect(closed.rows.every((r) => r["完成情况"] === "已销号")).toBe(true);
    expect(closed.rows.length).toBe(
      await m.Measure.countDocuments({ campaignKey: played.spec.key, state: "closed" }),
    );

    const window = await ledger({ filters: { dueFrom: "2026-12-15", dueTo: "2026-12-25" } });
    expect(window.rows.length).toBeGreaterThan(0);
    for (const r of window.rows) expect(String(iso(r["整改时限"]))).toMatch(/^2026-12-(1[5-9]|2[0-5])$/);

    const sections = await ledger({ filters: { sections: ["四查四看"] } });
    expect(sections.rows.length).toBe((await ledger()).rows.length);
  });

  it("refuses bad input with a clear error in both languages and writes nothing", async () => {
    const out = path.join(dir, "bad.xlsx");
    const fail = (req: Partial<ExportRequest>) =>
      exportLedger(d(), { campaignKey: played.spec.key, lang: "zh", ...req }, out).then(
        () => undefined,
        (e: unknown) => e,
      );
    const unknownCampaign = await fail({ campaignKey: "nope" });
    expect(unknownCampaign).toBeInstanceOf(AppError);
    expect((unknownCampaign as AppError).kind).toBe("not_found");
    const unit = (await fail({ filters: { units: ["财务科"] } })) as AppError;
    expect(unit.kind).toBe("invalid");
    expect(unit.zh).toContain("没有名为“财务科”的科室");
    expect(unit.en).toContain('No unit "财务科"');
    expect(((await fail({ filters: { states: ["done-ish"] } })) as AppError).zh).toContain(
      "没有“done-ish”这种完成情况",
    );
    expect(((await fail({ filters: { sections: ["六查"] } })) as AppError).kind).toBe("invalid");
    expect(((await fail({ filters: { dueFrom: "2026-13-01" } })) as AppError).en).toContain("Bad date");
    expect(((await fail({ filters: { dueFrom: "2026-12-20", dueTo: "2026-12-01" } })) as AppError).kind).toBe(
      "invalid",
    );
    // Outside the asker's units: refused, not silently empty.
    expect(((await fail({ units: ["food"], filters: { units: ["market"] } })) as AppError).kind).toBe(
      "forbidden",
    );
    await expect(import("node:fs/promises").then((fs) => fs.stat(out))).rejects.toThrow();
  });

  it("writes English headers and state words for an English asker", async () => {
    const { header, rows, wb } = await ledger({ lang: "en" });
    expect(header.slice(0, 5)).toEqual(["No.", "Source", "Category", "Problem", "Measure"]);
    expect(new Set(rows.map((r) => r["Status"]))).toContain("Overdue");
    expect(wb.worksheets.map((w) => w.name)).toEqual(["Ledger", "Self-check", "Statistics"]);
  });

  it("never shows a withdrawn measure, and a state it does not know is not counted as open", async () => {
    const key = played.spec.key;
    const victim = await m.Measure.findOne({ campaignKey: key, state: "in_progress" }).lean();
    await m.Measure.collection.updateOne({ _id: victim!._id }, { $set: { state: "withdrawn" } });
    try {
      const { rows, wb } = await ledger();
      expect(
        rows.find((r) => r["整改措施"] === victim!.content && r["责任部门"] === undefined),
      ).toBeUndefined();
      // Its problem is back on the ledger as one still without a measure.
      expect(rows.length).toBe(
        (await m.Measure.collection.countDocuments({ campaignKey: key, state: { $ne: "withdrawn" } })) + 2,
      );
      const total = (() => {
        let t: unknown[] = [];
        wb.getWorksheet("统计")!.eachRow((r) => {
          if ((r.values as unknown[])[1] === "合计") t = (r.values as unknown[]).slice(1);
        });
        return t;
      })();
      expect(total[2]).toBe(
        await m.Measure.collection.countDocuments({ campaignKey: key, state: { $ne: "withdrawn" } }),
      );
    } finally {
      await m.Measure.collection.updateOne({ _id: victim!._id }, { $set: { state: "in_progress" } });
    }
  });

  it("follows ledger.columns from the campaign file: the authority's order and titles", async () => {
    const key = played.spec.key;
    await m.Campaign.updateOne(
      { key },
      {
        $set: {
          ledgerColumns: [
            { key: "seq", title: "编号" },
            { key: "unit" },
            { key: "measure" },
            { key: "due", title: "完成时限" },
            { key: "state" },
          ],
        },
      },
    );
    try {
      const { header, rows, out } = await ledger();
      expect(header).toEqual(["编号", "责任部门", "整改措施", "完成时限", "完成情况"]);
      expect(rows[0]["完成时限"]).toBeInstanceOf(Date);
      expect(unzipText(out).get("xl/worksheets/sheet1.xml")).toMatch(/sqref="E2:E\d+"/);
    } finally {
      await m.Campaign.updateOne({ key }, { $set: { ledgerColumns: [] } });
    }
  });

  it("a campaign with no measures yet: the header and one row saying 暂无", async () => {
    const spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
    spec.key = "empty-campaign";
    const { importCampaign } = await import("../../src/services/campaign-import");
    await importCampaign(m, spec, {});
    const out = path.join(dir, "empty.xlsx");
    const res = await exportLedger(d(), { campaignKey: "empty-campaign", lang: "zh" }, out);
    expect(res.summary).toBe("整改台账：0 行（整改措施 0 项，3 个工作表）");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.getWorksheet("整改台账")!;
    expect(ws.rowCount).toBe(2);
    expect(ws.getRow(2).getCell(1).value).toBe("暂无");
    expect(ws.getRow(2).getCell(4).value).toBe("暂无");
  });
});
