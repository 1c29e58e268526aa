/**
 * bench/import.ts (issue 13, the workbook part): a campaign workbook of 2,000 people, 200 units, 50
 * items and 10,000 assignments (one 分工 row each: one item to one unit), filled into the template the
 * way a clerk would (names, not keys; real date cells). Measures reading the .xlsx bytes into the raw
 * campaign and checking it; target: checked in under 3 s. (Importing into the store is not measured here.)
 *
 *   npx tsx bench/import.ts [--people 2000] [--units 200] [--items 50] [--assignments 10000] [--runs 3]
 */
import { readCampaignWorkbook } from "../src/campaign/xlsx-reader";
import { formatFileError } from "../src/campaign/file";
import { clearRows, setSetting, templateWorkbook, toBuffer } from "../test/helpers/workbook";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PEOPLE = arg("people", 2000);
const UNITS = arg("units", 200);
const ITEMS = arg("items", 50);
const ASSIGNMENTS = arg("assignments", 10_000);
const RUNS = arg("runs", 3);

async function workbook(): Promise<Buffer> {
  const wb = await templateWorkbook();
  const set = (label: string, value: string | Date) => setSetting(wb, label, value);
  set("活动编号", "bench-import");
  set("活动名称", "导入压力测试");
  set("开始日期", new Date("2027-01-04T00:00:00Z"));
  set("结束日期", "2027-06-30");

  const checklist = wb.getWorksheet("清单")!;
  clearRows(checklist);
  for (let i = 0; i < ITEMS; i++) {
    const section = Math.floor(i / 10);
    checklist.addRow([
      i % 10 === 0 ? `s${section}` : null,
      i % 10 === 0 ? `第${section + 1}部分` : null,
      i % 10 === 0 ? `第${section + 1}部分 检查事项` : null,
      `i${i}`,
      `检查事项${i + 1}`,
      "要点一\n要点二\n要点三",
      null,
    ]);
  }
  const units = wb.getWorksheet("单位")!;
  const perUnit = Math.ceil(PEOPLE / UNITS);
  for (let u = 0; u < UNITS; u++) units.addRow([null, `第${u + 1}科`, `人员${u * perUnit + 1}`, `人员1`]);
  const people = wb.getWorksheet("人员")!;
  for (let p = 0; p < PEOPLE; p++) {
    const unit = Math.floor(p / perUnit);
    people.addRow([
      null,
      `人员${p + 1}`,
      `第${unit + 1}科`,
      p === 0 ? "管理员、分管领导" : p % perUnit === 0 ? "科室负责人" : "成员",
      13900000000 + p,
      p % 3 === 0 ? `user${p}@bench.example.cn` : null,
      null,
      null,
    ]);
  }
  const assignments = wb.getWorksheet("分工")!;
  const due = new Date("2027-03-01T00:00:00Z");
  for (let a = 0; a < ASSIGNMENTS; a++) {
    assignments.addRow([
      `检查事项${(a % ITEMS) + 1}`,
      `第${(Math.floor(a / ITEMS) % UNITS) + 1}科`,
      null,
      due,
    ]);
  }
  return toBuffer(wb);
}

async function main() {
  const bytes = await workbook();
  console.log(
    `workbook: ${PEOPLE} people, ${UNITS} units, ${ITEMS} items, ${ASSIGNMENTS} 分工 rows; ${(bytes.length / 1024).toFixed(0)} KiB`,
  );
  const times: { read: number; check: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    const read = await readCampaignWorkbook(bytes, "bench.xlsx");
    const t1 = performance.now();
    if (!read.ok) throw new Error(read.errors.map(formatFileError).join("\n"));
    const result = read.check({ today: "2027-01-04" });
    const t2 = performance.now();
    if (!result.ok) throw new Error(result.errors.slice(0, 10).map(formatFileError).join("\n"));
    const { assignments, people, units, checklist } = result.spec;
    const items = checklist.sections.flatMap((s) => s.items).length;
    if (
      assignments.length !== ASSIGNMENTS ||
      people.length !== PEOPLE ||
      units.length !== UNITS ||
      items !== ITEMS
    )
      throw new Error(
        `expected ${ASSIGNMENTS} assignments, ${PEOPLE} people, ${UNITS} units, ${ITEMS} items`,
      );
    times.push({ read: t1 - t0, check: t2 - t1 });
    console.log(
      `run ${run + 1}: read ${(t1 - t0).toFixed(0)} ms + check ${(t2 - t1).toFixed(0)} ms = ${(t2 - t0).toFixed(0)} ms`,
    );
  }
  const totals = times.map((t) => t.read + t.check).sort((a, b) => a - b);
  const worst = totals[totals.length - 1];
  console.log(
    `checked in ${totals.map((t) => t.toFixed(0)).join(" / ")} ms; target 3000 ms: ${worst < 3000 ? "met" : "NOT met"}`,
  );
  process.exitCode = worst < 3000 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
