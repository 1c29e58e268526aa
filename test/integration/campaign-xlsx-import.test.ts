import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mongoose, { type Connection } from "mongoose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import YAML from "yaml";
import { campaignImport } from "../../src/cli/campaign";
import { createModels, ensureIndexes, type Models } from "../../src/repositories/models";
import { uniqueName } from "../helpers/services";
import { fillCampaign, templateWorkbook, toBuffer } from "../helpers/workbook";

/** `campaign import FILE.xlsx` against the real store: the same path as YAML; an error writes nothing. */
const ROOT = join(import.meta.dirname, "../..");
const BUREAU = YAML.parse(readFileSync(join(ROOT, "examples/bureau.yaml"), "utf8")) as Record<
  string,
  unknown
>;
const TODAY = "2026-12-01";

let conn: Connection;
let models: Models;
let dir: string;
beforeAll(async () => {
  conn = await mongoose
    .createConnection(inject("mongoUri"), { dbName: uniqueName("xlsx_import") })
    .asPromise();
  models = createModels(conn);
  await ensureIndexes(models);
  dir = mkdtempSync(join(tmpdir(), "xlsx-import-"));
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(file: string): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await campaignImport({ models, redisPrefix: "t", close: async () => undefined }, file, {
    today: TODAY,
    out: { print: (s) => lines.push(s), error: (s) => lines.push(s) },
  });
  return { code, lines };
}

async function snapshot() {
  return {
    campaigns: await models.Campaign.find({}, { _id: 0, __v: 0 }).lean(),
    units: await models.Unit.countDocuments({}),
    people: await models.Person.find({}, { _id: 0, key: 1, name: 1, unit: 1 }).sort({ key: 1 }).lean(),
    assignments: await models.Assignment.countDocuments({}),
  };
}

describe("campaign import FILE.xlsx", () => {
  it("imports the filled template like the YAML file; a workbook with errors changes nothing", async () => {
    const wb = await templateWorkbook();
    const { people } = fillCampaign(wb, BUREAU);
    const good = join(dir, "bureau.xlsx");
    writeFileSync(good, await toBuffer(wb));
    const first = await run(good);
    expect(first.lines.join("\n")).toContain("created; 7 units, 14 people");
    expect(first.code).toBe(0);
    const stored = await snapshot();
    expect(stored.people.map((p) => p.key)).toEqual(
      (BUREAU.people as { key: string }[]).map((p) => p.key).sort(),
    );
    expect(stored.campaigns[0]).toMatchObject({ key: "wlj-jgzf-2027" });

    // Break two cells and re-import: both named, nothing written.
    const ws = wb.getWorksheet("人员")!;
    ws.getCell(people[7], 3).value = "财务科2";
    ws.getCell(people[8], 1).value = "坏 编号";
    const bad = join(dir, "bureau-bad.xlsx");
    writeFileSync(bad, await toBuffer(wb));
    const second = await run(bad);
    expect(second.code).toBe(1);
    expect(second.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^${bad}: 人员!C${people[7]}: person "\\S+": .*unknown unit "财务科2"`),
        ),
        expect.stringMatching(new RegExp(`^${bad}: 人员!A${people[8]}: `)),
        expect.stringContaining("nothing was imported: fix them and import again"),
      ]),
    );
    expect(await snapshot()).toEqual(stored);
  });

  it("a text file named .xlsx gets a clear answer and changes nothing", async () => {
    const before = await snapshot();
    const file = join(dir, "notes.xlsx");
    writeFileSync(file, "这不是表格\n");
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toBe(
      `${file}: 不是 Excel 工作簿（.xlsx）：请用模板填写后导入 / not an .xlsx workbook`,
    );
    expect(await snapshot()).toEqual(before);
  });
});
