import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import ExcelJS from "exceljs";
import type { PlayedCampaign } from "../helpers/export-campaign";
import { playedDatabase, type PlayedDatabase } from "../helpers/export-db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** `npm run cli -- export …` as a person runs it: a real process on the same database. */
const run = promisify(execFile);
let db: PlayedDatabase;
let dir: string;
let played: PlayedCampaign;
let uri: string;

beforeAll(async () => {
  db = await playedDatabase("export-cli");
  ({ dir, played, uri } = db);
}, 60_000);
afterAll(async () => {
  await db?.close();
});

async function cli(...args: string[]) {
  try {
    const r = await run("npx", ["tsx", "src/cli/index.ts", ...args], {
      env: { ...process.env, MONGODB_URI: uri, DATA_DIR: dir, LOG_LEVEL: "silent" },
      cwd: process.cwd(),
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

describe("npm run cli -- export", () => {
  it("writes a filtered ledger and says where and how many rows", async () => {
    const out = path.join(dir, "food.xlsx");
    const r = await cli(
      "export",
      "ledger",
      played.spec.key,
      "--out",
      out,
      "--unit",
      "食品安全监管组",
      "--state",
      "逾期,整改中",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [where, summary] = r.stdout.trim().split("\n");
    expect(where).toMatch(
      new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(\\d+ bytes\\)$`),
    );
    expect(summary).toMatch(/^整改台账：\d+ 行（整改措施 \d+ 项，3 个工作表）$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.getWorksheet("整改台账")!;
    const n = Number(/：(\d+) 行/.exec(summary)![1]);
    expect(ws.rowCount).toBe(n + 1);
    for (let i = 2; i <= ws.rowCount; i++) {
      expect(ws.getRow(i).getCell(7).value).toBe("食品安全监管组");
      expect(["逾期", "整改中"]).toContain(ws.getRow(i).getCell(11).value);
    }
  }, 90_000);

  it("writes the report; a bad filter or an unknown campaign is a clear error in both languages and exit 1", async () => {
    const out = path.join(dir, "report.docx");
    const ok = await cli("export", "report", played.spec.key, "--out", out);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/自查报告：1 个检查部分，问题 \d+ 个，整改措施 \d+ 项/);
    expect((await stat(out)).size).toBeGreaterThan(1000);

    const badUnit = await cli(
      "export",
      "ledger",
      played.spec.key,
      "--unit",
      "财务科",
      "--out",
      path.join(dir, "x.xlsx"),
    );
    expect(badUnit.code).toBe(1);
    expect(badUnit.stderr).toContain("没有名为“财务科”的科室");
    expect(badUnit.stderr).toContain('No unit "财务科"');
    await expect(stat(path.join(dir, "x.xlsx"))).rejects.toThrow();

    const noCampaign = await cli("export", "report", "nope");
    expect(noCampaign.code).toBe(1);
    expect(noCampaign.stderr).toContain("活动不存在");

    const usage = await cli("export", "ledger", played.spec.key, "--colour", "red");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown argument --colour");
  }, 120_000);
});
