import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import {
  formatFileError,
  parseCampaignFile,
  type FileError,
  type ParseResult,
} from "../../src/campaign/file";
import { BUILTIN_TEMPLATE } from "../../src/campaign/template";
import { readCampaignWorkbook } from "../../src/campaign/xlsx-reader";
import { buildCampaignTemplate, writeWorkbook } from "../../src/campaign/xlsx-template";
import type { CampaignSpec } from "../../src/domain/types";
import {
  clearRows,
  appendRows,
  columnOf,
  fillCampaign,
  setSetting,
  templateWorkbook,
  toBuffer,
} from "../helpers/workbook";

const TODAY = "2026-11-29";
const ROOT = join(import.meta.dirname, "../..");
const BUREAU_TEXT = readFileSync(join(ROOT, "examples/bureau.yaml"), "utf8");
const BUREAU = YAML.parse(BUREAU_TEXT) as Record<string, unknown>;
const SOFFICE = ["/usr/bin/soffice", "/usr/local/bin/soffice"].find((p) => existsSync(p));

async function check(wb: ExcelJS.Workbook | Buffer, file = "bureau.xlsx"): Promise<ParseResult> {
  const bytes = Buffer.isBuffer(wb) ? wb : await toBuffer(wb);
  const read = await readCampaignWorkbook(bytes, file);
  return read.ok ? read.check({ today: TODAY }) : read;
}

function spec(result: ParseResult): CampaignSpec {
  if (!result.ok) throw new Error(result.errors.map(formatFileError).join("\n"));
  return result.spec;
}

function errors(result: ParseResult): FileError[] {
  if (result.ok) throw new Error("expected errors, the workbook was accepted");
  return result.errors;
}

async function bureauWorkbook() {
  const wb = await templateWorkbook();
  const rows = fillCampaign(wb, BUREAU);
  return { wb, rows };
}

let yamlSpec: CampaignSpec;
beforeAll(() => {
  yamlSpec = spec(parseCampaignFile(BUREAU_TEXT, "examples/bureau.yaml", { today: TODAY }));
});

describe("campaign template workbook", () => {
  it("has the six sheets, the built-in checklist prefilled and validation lists from other sheets", async () => {
    const model = buildCampaignTemplate();
    expect(model.sheets.map((s) => s.name)).toEqual(["说明", "活动", "清单", "单位", "人员", "分工"]);

    const wb = await templateWorkbook();
    const checklist = wb.getWorksheet("清单")!;
    const titles = BUILTIN_TEMPLATE.sections.flatMap((s) => s.items.map((i) => i.title));
    const col = columnOf(checklist, "事项");
    expect(Array.from({ length: titles.length }, (_, i) => checklist.getCell(i + 2, col).value)).toEqual(
      titles,
    );

    const people = wb.getWorksheet("人员")! as unknown as {
      dataValidations: { model: Record<string, ExcelJS.DataValidation> };
    };
    expect(people.dataValidations.model.C2).toMatchObject({
      type: "list",
      formulae: ["'单位'!$B$2:$B$20000"],
    });
    expect(people.dataValidations.model.D9?.formulae[0]).toContain("管理员");
    const assignments = wb.getWorksheet("分工")! as unknown as typeof people;
    expect(assignments.dataValidations.model.A2.formulae).toEqual(["'清单'!$E$2:$E$20000"]);
    expect(assignments.dataValidations.model.B100.formulae).toEqual(["'单位'!$B$2:$B$20000"]);
    expect(String(wb.getWorksheet("说明")!.getCell(1, 1).value)).toContain("填写说明");
  });

  it("round-trips: the template filled for the bureau gives the same campaign as examples/bureau.yaml", async () => {
    const { wb } = await bureauWorkbook();
    expect(spec(await check(wb))).toEqual(yamlSpec);
  });

  it("reads real dates, text dates, Excel serials, numbers as text, merged and blank rows alike", async () => {
    const { wb, rows } = await bureauWorkbook();
    const assignments = wb.getWorksheet("分工")!;
    const due = columnOf(assignments, "完成时限");
    assignments.getCell(rows.assignments[0], due).value = "２０２７－０１－１５"; // text, full-width
    assignments.getCell(rows.assignments[1], due).value = "2027/1/22"; // text, Excel's way
    assignments.getCell(rows.assignments[2], due).value = 46409; // serial of 2027-01-22, format lost
    assignments.getCell(rows.assignments[3], due).value = "2027年2月26日";
    const people = wb.getWorksheet("人员")!;
    people.getCell(rows.people[4], columnOf(people, "手机")).value = "13800010001"; // text this time
    people.spliceRows(rows.people[3], 0, [], []); // two blank rows in the middle
    const checklist = wb.getWorksheet("清单")!;
    checklist.mergeCells("A2:A7");
    checklist.mergeCells("B2:B7");
    checklist.mergeCells("C2:C7");
    setSetting(wb, "开始日期", "2026-12-01");
    wb.getWorksheet("单位")!.spliceRows(1, 0, ["市文化广电旅游局 科室一览"], []); // a title above the header
    expect(spec(await check(wb))).toEqual(yamlSpec);
  });

  // What an office application writes back (shared strings, its own date formats, styles) reads the same.
  it.skipIf(!SOFFICE)(
    "reads the filled template after LibreOffice has saved it",
    async () => {
      const { wb } = await bureauWorkbook();
      const dir = mkdtempSync(join(tmpdir(), "xlsx-lo-"));
      try {
        writeFileSync(join(dir, "in.xlsx"), await toBuffer(wb));
        execFileSync(
          SOFFICE!,
          [
            "--headless",
            `-env:UserInstallation=file://${dir}/profile`,
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            join(dir, "out"),
            join(dir, "in.xlsx"),
          ],
          { stdio: "ignore", timeout: 120_000 },
        );
        expect(spec(await check(readFileSync(join(dir, "out", "in.xlsx"))))).toEqual(yamlSpec);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    150_000,
  );

  it("reads 回头看天数 as follow_up.after_days, a number or text; a bad one is an error on its row", async () => {
    const { wb } = await bureauWorkbook();
    setSetting(wb, "回头看天数", 0);
    expect(spec(await check(wb)).followUp).toEqual({ afterDays: 0 });
    setSetting(wb, "回头看天数", "20");
    expect(spec(await check(wb)).followUp).toEqual({ afterDays: 20 });
    const row = setSetting(wb, "回头看天数", "三十");
    const e = errors(await check(wb));
    expect(e).toHaveLength(1);
    expect(e[0]!.line).toBe(row);
  });

  it("reads a 清单 whose sections are heading rows above their items", async () => {
    const { wb } = await bureauWorkbook();
    const checklist = wb.getWorksheet("清单")!;
    clearRows(checklist);
    for (const section of BUILTIN_TEMPLATE.sections) {
      appendRows(checklist, [{ 板块编号: section.key, 板块简称: section.code, 板块名称: section.title }]);
      appendRows(
        checklist,
        section.items.map((i) => ({ 事项编号: i.key, 事项: i.title, 检查要点: i.checkpoints.join("\n") })),
      );
    }
    expect(spec(await check(wb))).toEqual(yamlSpec);
  });

  it("takes a due date from 清单 when the 分工 row has none", async () => {
    const { wb } = await bureauWorkbook();
    const checklist = wb.getWorksheet("清单")!;
    checklist.getCell(2, columnOf(checklist, "完成时限")).value = new Date("2027-03-01T00:00:00Z");
    appendRows(wb.getWorksheet("分工")!, [{ 事项: "查立场是否坚定", 人员: "孙志强" }]);
    const s = spec(await check(wb));
    expect(s.assignments.at(-1)).toEqual({
      item: "c1",
      units: [],
      people: ["sun_zhiqiang"],
      due: "2027-03-01",
    });
  });

  it("names each error by sheet and cell, all at once, and suggests nothing is loaded", async () => {
    const { wb, rows } = await bureauWorkbook();
    const people = wb.getWorksheet("人员")!;
    // unknown unit in 人员
    people.getCell(rows.people[7], columnOf(people, "所在单位")).value = "财务科2";
    // duplicate key
    const keyCol = columnOf(people, "人员编号");
    people.getCell(rows.people[2], keyCol).value = people.getCell(rows.people[1], keyCol).value;
    // bad date in 清单 (used by a 分工 row without a date), unknown person in 分工
    const checklist = wb.getWorksheet("清单")!;
    checklist.getCell(3, columnOf(checklist, "完成时限")).value = "2027-02-30";
    const [noDate, stranger] = appendRows(wb.getWorksheet("分工")!, [
      { 事项: "查政令是否畅通", 人员: "孙志强" },
      { 事项: "正学风", 人员: "张三", 完成时限: "2027-01-20" },
    ]);
    const result = await check(wb);
    const found = errors(result);
    const byCell = found.map((e) => `${e.cell}: ${e.message}`);
    const p = (row: number, header: string) =>
      `人员!${String.fromCharCode(64 + columnOf(people, header))}${row}`;
    expect(byCell).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${p(rows.people[7], "所在单位")}: .*unknown unit "财务科2"`)),
        expect.stringMatching(
          new RegExp(`^${p(rows.people[2], "人员编号")}: .*duplicate person key "deputy_chen"`),
        ),
        expect.stringMatching(/^清单!G3: assignment \d+: "due" .*is not a real date: 2027-02-30/),
        expect.stringMatching(new RegExp(`^分工!C${stranger}: assignment \\d+: .*unknown person "张三"`)),
      ]),
    );
    expect(noDate).toBeGreaterThan(0);
    // Sorted by sheet in template order, then by row.
    const sheets = found.map((e) => e.cell!.split("!")[0]);
    expect(sheets.indexOf("清单")).toBeLessThan(sheets.indexOf("人员"));
    expect(sheets.lastIndexOf("人员")).toBeLessThan(sheets.indexOf("分工"));
    expect(formatFileError(found[0])).toMatch(/^bureau\.xlsx: \S+![A-Z]+\d+: /);
  });

  it("a name two people share is an error where it is used; their 人员编号 resolves it", async () => {
    const { wb } = await bureauWorkbook();
    appendRows(wb.getWorksheet("人员")!, [
      { 人员编号: "wang_chen2", 姓名: "王晨", 所在单位: "财务科", 手机: "13800019999" },
    ]);
    const [row] = appendRows(wb.getWorksheet("分工")!, [
      { 事项: "正学风", 人员: "王晨", 完成时限: "2027-01-20" },
    ]);
    expect(errors(await check(wb)).map((e) => `${e.cell}: ${e.message}`)).toEqual([
      `分工!C${row}: 有几个人叫“王晨”，请在人员表填“人员编号”并在这里写编号 / several people are named "王晨"; use their key`,
    ]);
    wb.getWorksheet("分工")!.getCell(row, 3).value = "wang_chen2";
    expect(spec(await check(wb)).assignments.at(-1)).toMatchObject({ item: "z1", people: ["wang_chen2"] });
  });

  it("reports a missing required column once, at the header, not once per row", async () => {
    const { wb } = await bureauWorkbook();
    const people = wb.getWorksheet("人员")!;
    people.getCell(1, columnOf(people, "姓名")).value = "名字";
    const found = errors(await check(wb));
    const mine = found.filter((e) => e.cell?.startsWith("人员!"));
    expect(mine[0].message).toContain("表头的列名不要改动");
    expect(mine.map((e) => `${e.cell}: ${e.message}`)).toEqual([
      expect.stringMatching(/^人员!I1: 缺少“姓名”列.*missing column "姓名"/),
    ]);
    // The rest still checks; what follows from it is named where it shows (names no longer match).
    expect(found.filter((e) => !e.cell?.startsWith("人员!")).length).toBeGreaterThan(0);
    expect(found.every((e) => /missing column|is not in people|unknown person/.test(e.message))).toBe(true);
  });

  it("a missing value is named by its own cell", async () => {
    const { wb, rows } = await bureauWorkbook();
    const people = wb.getWorksheet("人员")!;
    for (const h of ["手机", "邮箱", "open_id"])
      people.getCell(rows.people[5], columnOf(people, h)).value = null;
    setSetting(wb, "活动名称", null);
    const cells = errors(await check(wb)).map((e) => `${e.cell}: ${e.message}`);
    expect(cells).toEqual([
      '活动!B3: 缺少必填字段 "title" / missing "title" (required)',
      `人员!A${rows.people[5]}: person "zheng_haiyan": 至少需要一种身份：open_id、email 或 mobile / needs at least one identity: open_id, email or mobile`,
    ]);
  });

  it("a reference that is not shaped like a key is an unknown unit or person, in YAML as in the workbook", () => {
    const text = BUREAU_TEXT.replace("    unit: finance\n", "    unit: 财务科2\n").replace(
      "people: [director, deputy_chen, deputy_wu]",
      "people: [director, 张三, deputy_wu]",
    );
    const messages = errors(parseCampaignFile(text, "b.yaml", { today: TODAY })).map((e) => e.message);
    expect(messages).toEqual([
      'person "feng_jianhua": 未知单位 "财务科2"：须是 units 中某个单位的 key / unknown unit "财务科2"',
      'assignment 2: 未知人员 "张三"：须是 people 中某个人员的 key / unknown person "张三"',
    ]);
  });

  it("refuses broken files with a clear answer instead of throwing", async () => {
    const txt = await check(Buffer.from("key: not a workbook\n"), "renamed.xlsx");
    expect(errors(txt)).toEqual([
      { file: "renamed.xlsx", line: 0, message: expect.stringContaining("不是 Excel 工作簿") },
    ]);

    const zip = new JSZip();
    zip.file("readme.txt", "hello");
    const notXlsx = await check(await zip.generateAsync({ type: "nodebuffer" }), "other.zip");
    expect(errors(notXlsx)[0].message).toContain("不是 Excel 工作簿");

    const empty = new ExcelJS.Workbook();
    empty.addWorksheet("Sheet1");
    expect(errors(await check(empty, "empty.xlsx"))[0].message).toContain("工作簿里没有");

    const ole = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(512),
    ]);
    expect(errors(await check(ole, "locked.xlsx"))[0].message).toContain("设了密码");

    // A zip bomb: the directory declares 3 GB unpacked; refused before anything is unpacked.
    const bomb = Buffer.from(await zip.generateAsync({ type: "nodebuffer" }));
    const central = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(3_000_000_000, central + 24);
    expect(errors(await check(bomb, "bomb.xlsx"))[0].message).toContain("解压后超过 200 MB");

    const truncated = (await writeWorkbook(buildCampaignTemplate())).subarray(0, 3000);
    expect(errors(await check(truncated, "cut.xlsx"))[0].message).toContain("无法打开");
  });

  it("names a missing sheet and still checks the others", async () => {
    const { wb } = await bureauWorkbook();
    wb.removeWorksheet(wb.getWorksheet("分工")!.id);
    const found = errors(await check(wb));
    expect(found.map((e) => e.cell)).toContain("分工");
    expect(formatFileError(found.find((e) => e.cell === "分工")!)).toBe(
      'bureau.xlsx: 分工: 缺少“分工”表 / missing sheet "分工"',
    );
  });
});
