/**
 * Fills the campaign workbook template the way a clerk would: by column header, with unit and person
 * NAMES where the sheets ask for them, Chinese role words, real Excel dates. Used by the xlsx tests and
 * bench/import.ts.
 */
import ExcelJS from "exceljs";
import { buildCampaignTemplate, writeWorkbook } from "../../src/campaign/xlsx-template";

type Dict = Record<string, unknown>;
export type CellInput = string | number | Date | null;

export async function templateWorkbook(): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await writeWorkbook(buildCampaignTemplate())) as unknown as ExcelJS.Buffer);
  return wb;
}

export async function toBuffer(wb: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** 1-based column of a header in row 1 of a sheet. */
export function columnOf(ws: ExcelJS.Worksheet, header: string): number {
  let found = 0;
  ws.getRow(1).eachCell((cell, col) => {
    if (cell.value === header) found = col;
  });
  if (!found) throw new Error(`no column "${header}" in ${ws.name}`);
  return found;
}

/** Appends rows given as { header: value } to a list sheet; returns their row numbers. */
export function appendRows(ws: ExcelJS.Worksheet, rows: Record<string, CellInput>[]): number[] {
  const cols = new Map<string, number>();
  const out: number[] = [];
  for (const row of rows) {
    const r = ws.rowCount + 1;
    for (const [header, value] of Object.entries(row)) {
      if (!cols.has(header)) cols.set(header, columnOf(ws, header));
      ws.getCell(r, cols.get(header)!).value = value;
    }
    out.push(r);
  }
  return out;
}

/** Empties every row below the header (exceljs's spliceRows leaves this template's rows in place). */
export function clearRows(ws: ExcelJS.Worksheet): void {
  for (let r = 2; r <= ws.rowCount; r++) ws.getRow(r).eachCell((cell) => (cell.value = null));
}

/** Sets the value of a 活动 row by its label. */
export function setSetting(wb: ExcelJS.Workbook, label: string, value: CellInput): number {
  const ws = wb.getWorksheet("活动")!;
  for (let r = 1; r <= ws.rowCount; r++) {
    if (ws.getCell(r, 1).value === label) {
      ws.getCell(r, 2).value = value;
      return r;
    }
  }
  throw new Error(`no row "${label}" in 活动`);
}

const ROLE_ZH: Record<string, string> = {
  admin: "管理员",
  leader: "分管领导",
  head: "科室负责人",
  member: "成员",
};
const SECTION_CODE: Record<string, string> = { liucha: "六查", liuzheng: "六正", lianggaotigao: "两提高" };

function list(v: unknown): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

function asDate(iso: string): Date {
  return new Date(`${iso}T00:00:00Z`);
}

/**
 * Fills the template with a raw campaign (the YAML shape) on the built-in checklist. Row numbers of
 * what was written come back, for tests that then break a cell.
 */
export function fillCampaign(wb: ExcelJS.Workbook, raw: Dict): { people: number[]; assignments: number[] } {
  setSetting(wb, "活动编号", raw.key as string);
  setSetting(wb, "活动名称", raw.title as string);
  setSetting(wb, "开始日期", asDate(raw.start as string)); // a real date cell
  if (raw.end) setSetting(wb, "结束日期", raw.end as string); // text
  if (raw.timezone) setSetting(wb, "时区", raw.timezone as string);
  const chats = (raw.chats as (Dict | string)[] | undefined) ?? [];
  if (chats.length)
    setSetting(
      wb,
      "工作群",
      chats
        .map((c) => (typeof c === "string" ? c : `${String(c.chat_id)} ${String(c.name ?? "")}`.trim()))
        .join("\n"),
    );
  const schedules = (raw.schedules as Dict | undefined) ?? {};
  const scheduleRows: Record<string, string> = {
    reminder_sweep: "提醒时间",
    escalation_sweep: "督办时间",
    broadcast: "通报时间",
    leaders_digest: "领导周报时间",
  };
  for (const [k, label] of Object.entries(scheduleRows))
    if (schedules[k]) setSetting(wb, label, schedules[k] as string);
  if (raw.escalation) setSetting(wb, "逾期督办", list(raw.escalation).join("、"));
  if (raw.reviewer) setSetting(wb, "审核人", raw.reviewer === "leader" ? "分管领导" : "科室负责人");
  if (raw.remind_before !== undefined) setSetting(wb, "提前提醒天数", list(raw.remind_before).join("、"));
  const report = raw.report as Dict | undefined;
  if (report?.basis) setSetting(wb, "报告依据", report.basis as string);
  if (report?.organisation) setSetting(wb, "报告单位", report.organisation as string);

  const units = (raw.units as Dict[]) ?? [];
  const people = (raw.people as Dict[]) ?? [];
  const personName = new Map(people.map((p) => [p.key as string, p.name as string]));
  const unitName = new Map(units.map((u) => [u.key as string, u.name as string]));
  appendRows(
    wb.getWorksheet("单位")!,
    units.map((u) => ({
      单位编号: u.key as string,
      单位名称: u.name as string,
      负责人: u.head ? personName.get(u.head as string)! : null,
      分管领导: u.leader ? personName.get(u.leader as string)! : null,
    })),
  );
  const peopleRows = appendRows(
    wb.getWorksheet("人员")!,
    people.map((p) => ({
      人员编号: p.key as string,
      姓名: p.name as string,
      所在单位: unitName.get(p.unit as string)!,
      角色:
        list(p.roles)
          .map((r) => ROLE_ZH[r])
          .join("、") || null,
      手机: p.mobile ? Number(p.mobile) : null, // a number cell, as Excel keeps a typed mobile
      邮箱: (p.email as string) ?? null,
      open_id: (p.open_id as string) ?? null,
      语言: p.locale === "en" ? "英文" : p.locale === "zh" ? "中文" : null,
    })),
  );
  const assignmentRows = appendRows(
    wb.getWorksheet("分工")!,
    ((raw.assignments as Dict[]) ?? []).map((a) => ({
      事项: list(a.item)
        .map((i) => SECTION_CODE[i] ?? i)
        .join("、"),
      单位:
        list(a.units)
          .map((u) => (u === "all" ? "全部" : unitName.get(u)!))
          .join("、") || null,
      人员:
        list(a.people)
          .map((p) => personName.get(p)!)
          .join("、") || null,
      完成时限: asDate(a.due as string),
    })),
  );
  return { people: peopleRows, assignments: assignmentRows };
}
