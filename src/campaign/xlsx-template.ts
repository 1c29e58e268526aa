/**
 * The campaign workbook (.xlsx): one sheet per part of a campaign file, for a clerk who fills it in
 * Excel or WPS instead of writing YAML. The layout below is shared by the template writer (here) and the
 * reader (xlsx-reader.ts), so a column cannot exist in one and not the other.
 *
 * `buildCampaignTemplate()` is pure (sheets, rows, validation lists as data); `writeWorkbook()` is the
 * thin exceljs writer. The format is documented in docs/campaign-file.md ("The workbook").
 */
import ExcelJS from "exceljs";
import type { ChecklistSpec } from "../domain/types";
import { BUILTIN_TEMPLATE } from "./template";

interface DataValidations {
  add(range: string, validation: ExcelJS.DataValidation): void;
}

export type CellValue = string | number | Date | undefined;

/** Kinds of cell content, for reading: text, a date, a list of values, a mobile number. */
export type FieldKind = "text" | "date" | "list" | "lines" | "mobile";

export interface ColumnDef {
  /** Header text in row 1 (Chinese). */
  header: string;
  /** The raw-campaign field it fills (the YAML name). */
  field: string;
  kind: FieldKind;
  required?: boolean;
  width: number;
  /** Other header texts accepted when reading (the YAML field name always is). */
  aliases?: string[];
}

export interface ListSheetDef {
  name: string;
  columns: ColumnDef[];
}

/** A row of the 活动 sheet: label → raw-campaign path. */
export interface SettingDef {
  label: string;
  path: readonly string[];
  kind: FieldKind;
  hint: string;
}

export const SHEET = {
  guide: "说明",
  campaign: "活动",
  checklist: "清单",
  units: "单位",
  people: "人员",
  assignments: "分工",
} as const;

/** Rows of the 活动 sheet (column A label, column B value, column C hint). */
export const SETTINGS: readonly SettingDef[] = [
  { label: "活动编号", path: ["key"], kind: "text", hint: "必填。字母、数字、- _ . 组成，如 wlj-jgzf-2027" },
  {
    label: "活动名称",
    path: ["title"],
    kind: "text",
    hint: "必填。如 市文化广电旅游局机关作风突出问题专项整治自查",
  },
  { label: "开始日期", path: ["start"], kind: "date", hint: "必填。如 2027-01-04" },
  { label: "结束日期", path: ["end"], kind: "date", hint: "可不填。各项完成时限不能晚于它" },
  { label: "时区", path: ["timezone"], kind: "text", hint: "一般不用改" },
  {
    label: "清单编号",
    path: ["checklist", "key"],
    kind: "text",
    hint: "“清单”表的编号；换成本单位清单时可改",
  },
  { label: "清单名称", path: ["checklist", "title"], kind: "text", hint: "必填" },
  { label: "工作群", path: ["chats"], kind: "lines", hint: "可不填。每行一个：群 ID（oc_ 开头）空格 群名" },
  { label: "报告依据", path: ["report", "basis"], kind: "text", hint: "可不填。自查报告开头的“根据……”" },
  { label: "报告单位", path: ["report", "organisation"], kind: "text", hint: "可不填。自查报告落款单位" },
  {
    label: "审核人",
    path: ["reviewer"],
    kind: "text",
    hint: "整改销号由谁审核：科室负责人（默认）或 分管领导",
  },
  {
    label: "提前提醒天数",
    path: ["remind_before"],
    kind: "list",
    hint: "到期前几个工作日提醒，如 3、1（默认）",
  },
  {
    label: "回头看天数",
    path: ["follow_up", "after_days"],
    kind: "text",
    hint: "整改措施销号后几个工作日回头看，默认 30；填 0 不开展回头看",
  },
  {
    label: "逾期督办",
    path: ["escalation"],
    kind: "list",
    hint: "逾期几个工作日告诉谁，默认 owner@0、head@2、leader@5、admins@10（本人、负责人、分管领导、管理员）",
  },
  { label: "提醒时间", path: ["schedules", "reminder_sweep"], kind: "text", hint: "高级，一般不填（cron）" },
  {
    label: "督办时间",
    path: ["schedules", "escalation_sweep"],
    kind: "text",
    hint: "高级，一般不填（cron）",
  },
  { label: "通报时间", path: ["schedules", "broadcast"], kind: "text", hint: "高级，一般不填（cron）" },
  {
    label: "领导周报时间",
    path: ["schedules", "leaders_digest"],
    kind: "text",
    hint: "高级，一般不填（cron）",
  },
];

export const CHECKLIST_SHEET: ListSheetDef = {
  name: SHEET.checklist,
  columns: [
    { header: "板块编号", field: "section_key", kind: "text", width: 14 },
    { header: "板块简称", field: "section_code", kind: "text", width: 10 },
    { header: "板块名称", field: "section_title", kind: "text", width: 30 },
    { header: "事项编号", field: "key", kind: "text", width: 10 },
    { header: "事项", field: "title", kind: "text", required: true, width: 22, aliases: ["事项名称"] },
    { header: "检查要点", field: "checkpoints", kind: "lines", width: 80, aliases: ["要点"] },
    { header: "完成时限", field: "due", kind: "date", width: 14, aliases: ["时限"] },
  ],
};

export const UNITS_SHEET: ListSheetDef = {
  name: SHEET.units,
  columns: [
    { header: "单位编号", field: "key", kind: "text", width: 14 },
    { header: "单位名称", field: "name", kind: "text", required: true, width: 20, aliases: ["单位", "科室"] },
    { header: "负责人", field: "head", kind: "text", width: 14, aliases: ["科室负责人"] },
    { header: "分管领导", field: "leader", kind: "text", width: 14 },
    // A Feishu department id (od-…): the unit, its head and its people come from the address book.
    {
      header: "飞书部门ID",
      field: "department",
      kind: "text",
      width: 26,
      aliases: ["部门ID", "open_department_id"],
    },
  ],
};

export const PEOPLE_SHEET: ListSheetDef = {
  name: SHEET.people,
  columns: [
    { header: "人员编号", field: "key", kind: "text", width: 14 },
    { header: "姓名", field: "name", kind: "text", required: true, width: 12 },
    { header: "所在单位", field: "unit", kind: "text", required: true, width: 20, aliases: ["单位", "科室"] },
    { header: "角色", field: "roles", kind: "list", width: 18 },
    { header: "手机", field: "mobile", kind: "mobile", width: 16, aliases: ["手机号"] },
    { header: "邮箱", field: "email", kind: "text", width: 26 },
    { header: "open_id", field: "open_id", kind: "text", width: 40, aliases: ["飞书ID"] },
    { header: "语言", field: "locale", kind: "text", width: 8 },
  ],
};

export const ASSIGNMENTS_SHEET: ListSheetDef = {
  name: SHEET.assignments,
  columns: [
    { header: "事项", field: "item", kind: "list", required: true, width: 24 },
    { header: "单位", field: "units", kind: "list", width: 20 },
    { header: "人员", field: "people", kind: "list", width: 16 },
    { header: "完成时限", field: "due", kind: "date", width: 14, aliases: ["时限"] },
  ],
};

export const LIST_SHEETS: readonly ListSheetDef[] = [
  CHECKLIST_SHEET,
  UNITS_SHEET,
  PEOPLE_SHEET,
  ASSIGNMENTS_SHEET,
];

/** Role words in the 角色 column (Chinese first; the English role names work too). */
export const ROLE_WORDS: Readonly<Record<string, string>> = {
  管理员: "admin",
  分管领导: "leader",
  领导: "leader",
  负责人: "head",
  科室负责人: "head",
  成员: "member",
  一般人员: "member",
};
/** Escalation and reviewer words (Chinese) → the file's English names. */
export const LADDER_WORDS: Readonly<Record<string, string>> = {
  本人: "owner",
  负责人: "head",
  科室负责人: "head",
  分管领导: "leader",
  管理员: "admins",
};
export const LOCALE_WORDS: Readonly<Record<string, string>> = { 中文: "zh", 英文: "en", English: "en" };
/** Written in 分工 for "every item" / in 单位 references for "every unit". */
export const ALL_WORDS = ["全部", "所有", "all"];

/** Rows that validation lists cover (and that the reader reads at most). */
export const MAX_ROWS = 20_000;

const GUIDE = [
  "自查整改活动模板 · 填写说明",
  "",
  "这个工作簿就是一次自查整改活动。按下面的顺序填好后，把文件发给机器人（或交给管理员导入）。",
  "导入前会逐格检查；有问题时会告诉您是哪张表、哪个格子（例如“人员!C12”），改好后重新导入即可。有错时什么也不会导入。",
  "",
  "1. 活动：填活动编号、名称、开始日期（结束日期可不填）。日期写成 2027-01-15，或直接用 Excel 的日期格式。",
  "2. 清单：已预先填好“六查·六正·两提高”14 个事项和检查要点。上级下发了别的清单时，可整张替换；同一板块的行，板块几列可只填第一行。",
  "   “完成时限”列可不填；填了的，在“分工”里没写时限的行就用这里的时限。",
  "3. 单位：每行一个科室或单位。“负责人”负责本单位的自查答复，“分管领导”是分管该单位的局领导；两者都写“人员”表里的姓名（或人员编号）。",
  "4. 人员：每行一个人。“所在单位”从下拉里选。手机、邮箱、open_id 至少填一个，机器人据此在飞书里找到本人。",
  "   角色：管理员 / 分管领导 / 科室负责人 / 成员（默认成员），可写多个，用顿号隔开。被写成单位负责人、分管领导的人自动有相应角色。",
  "   有同名的人时，请填“人员编号”，并在其他表里用编号称呼他。",
  "5. 分工：每行写一个事项交给谁、何时完成。“事项”可以是事项名称、板块简称（如 六查，表示整个板块）或“全部”；",
  "   “单位”和“人员”至少填一个，可写多个（用顿号隔开），“单位”写“全部”表示所有单位。交给单位的事项由该单位负责人答复。",
  "",
  "",
  "从飞书通讯录导入组织架构：在“单位”表的“飞书部门ID”列填部门 ID（od- 开头，在飞书管理后台“组织架构”里可复制），",
  "   该部门及其下级部门都成为单位，部门负责人成为单位负责人，部门成员自动成为人员（姓名、手机、邮箱取自通讯录，",
  "   应用需开通通讯录读取权限）。这样的行，单位名称、负责人可不填；“分管领导”仍在这里填写，分管领导本人和管理员仍写在“人员”表里。",
  "   之后人员有调动或离职，管理员在机器人里发“同步通讯录”，确认后更新；离职人员的填报保留，未完成的整改措施转给单位负责人。",
  "",
  "编号列（单位编号、人员编号、事项编号、板块编号）可以不填，系统会自动生成；以后重新导入时请保留已有的编号。",
  "空行会被跳过。不要改动表名和第一行的列名。",
];

export interface SheetModel {
  name: string;
  /** Column widths (characters). */
  widths: number[];
  /** Rows from row 1; the first is the header for list sheets. */
  rows: CellValue[][];
  /** List validations: a range (e.g. "C2:C5000") and either a formula range or literal values. */
  validations: { range: string; source: string | string[] }[];
  /** The first row is a header (bold, frozen). */
  header: boolean;
}

export interface WorkbookModel {
  sheets: SheetModel[];
}

export interface TemplateOptions {
  /** The checklist to prefill (default: the built-in 六查 · 六正 · 两提高). */
  checklist?: ChecklistSpec;
}

/** Column letter of a 0-based column index (A, B, …, Z, AA, …). */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

function colOf(sheet: ListSheetDef, field: string): string {
  return columnLetter(sheet.columns.findIndex((c) => c.field === field));
}

function listSheet(
  def: ListSheetDef,
  rows: CellValue[][],
  validations: SheetModel["validations"],
): SheetModel {
  return {
    name: def.name,
    widths: def.columns.map((c) => c.width),
    rows: [def.columns.map((c) => c.header), ...rows],
    validations,
    header: true,
  };
}

/** The template workbook as data: sheets, prefilled rows and validation lists. Pure. */
export function buildCampaignTemplate(opts: TemplateOptions = {}): WorkbookModel {
  const checklist = opts.checklist ?? BUILTIN_TEMPLATE;
  const last = MAX_ROWS;
  const range = (sheet: ListSheetDef, field: string): string =>
    `${colOf(sheet, field)}2:${colOf(sheet, field)}${last}`;
  const source = (sheet: ListSheetDef, field: string): string =>
    `'${sheet.name}'!$${colOf(sheet, field)}$2:$${colOf(sheet, field)}$${last}`;

  const settings: CellValue[][] = [["项目", "内容", "说明"]];
  for (const s of SETTINGS) {
    const value =
      s.path[0] === "timezone"
        ? "Asia/Shanghai"
        : s.path.join(".") === "checklist.key"
          ? checklist.key
          : s.path.join(".") === "checklist.title"
            ? checklist.title
            : undefined;
    settings.push([s.label, value, s.hint]);
  }

  const checklistRows: CellValue[][] = [];
  for (const section of checklist.sections) {
    section.items.forEach((item, i) => {
      checklistRows.push([
        i === 0 ? section.key : undefined,
        i === 0 ? section.code : undefined,
        i === 0 ? section.title : undefined,
        item.key,
        item.title,
        item.checkpoints.join("\n"),
        undefined,
      ]);
    });
  }

  const unitNames = source(UNITS_SHEET, "name");
  const itemTitles = source(CHECKLIST_SHEET, "title");
  return {
    sheets: [
      { name: SHEET.guide, widths: [120], rows: GUIDE.map((line) => [line]), validations: [], header: false },
      { name: SHEET.campaign, widths: [16, 50, 70], rows: settings, validations: [], header: true },
      listSheet(CHECKLIST_SHEET, checklistRows, []),
      listSheet(UNITS_SHEET, [], []),
      listSheet(
        PEOPLE_SHEET,
        [],
        [
          { range: range(PEOPLE_SHEET, "unit"), source: unitNames },
          { range: range(PEOPLE_SHEET, "roles"), source: ["管理员", "分管领导", "科室负责人", "成员"] },
          { range: range(PEOPLE_SHEET, "locale"), source: ["中文", "英文"] },
        ],
      ),
      listSheet(
        ASSIGNMENTS_SHEET,
        [],
        [
          { range: range(ASSIGNMENTS_SHEET, "item"), source: itemTitles },
          { range: range(ASSIGNMENTS_SHEET, "units"), source: unitNames },
          { range: range(ASSIGNMENTS_SHEET, "people"), source: source(PEOPLE_SHEET, "name") },
        ],
      ),
    ],
  };
}

/** Writes a workbook model as .xlsx bytes (exceljs). */
export async function writeWorkbook(model: WorkbookModel): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "rectify-bot";
  for (const sheet of model.sheets) {
    const ws = wb.addWorksheet(sheet.name, sheet.header ? { views: [{ state: "frozen", ySplit: 1 }] } : {});
    sheet.widths.forEach((w, i) => (ws.getColumn(i + 1).width = w));
    for (const row of sheet.rows) {
      const r = ws.addRow(row.map((v) => (v === undefined ? null : v)));
      r.alignment = { vertical: "top", wrapText: true };
    }
    if (sheet.header) ws.getRow(1).font = { bold: true };
    for (const v of sheet.validations) {
      // exceljs writes `dataValidations` but leaves it out of its type definitions.
      (ws as unknown as { dataValidations: DataValidations }).dataValidations.add(v.range, {
        type: "list",
        allowBlank: true,
        // A warning, not a stop: several values separated by 、 are allowed in these cells.
        errorStyle: "warning",
        showErrorMessage: true,
        error: "不在下拉列表里；多个值请用顿号隔开 / not in the list",
        formulae: [typeof v.source === "string" ? v.source : `"${v.source.join(",")}"`],
      });
    }
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
