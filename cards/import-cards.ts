/**
 * The cards of a campaign file sent in chat (issue 13 §2): the errors by cell, the preview with
 * 确认导入 / 取消 (and, for a campaign that exists, what would change), and the short answers for a
 * file that cannot be read. Pure: no I/O.
 */
import { formatFileError, type FileError } from "../src/campaign/file";
import type { CampaignDiff, SectionDiff } from "../src/services/campaign-admin-diff";
import type { ImportPreview } from "../src/services/campaign-admin";
import { button, buttonRow, card, esc, escLine, hr, md, note, tr, type Card, type Locale } from "./kit";

export const IMPORT_ACTIONS = {
  confirm: "ci.confirm",
  cancel: "ci.cancel",
  /** 下载模板: the template workbook as a file. */
  template: "ci.template",
} as const;

/** Errors shown on the card; the rest are counted (and listed in full in the attached .txt). */
export const ERRORS_ON_CARD = 20;
/** Rows of each diff section shown on the card. */
const DIFF_ROWS = 8;

/** One error as a clerk reads it: the cell first (`人员!D12：…`), else the line, else the message. */
export function errorLine(e: FileError): string {
  if (e.cell) return `${e.cell}：${e.message}`;
  if (e.line > 0) return `第 ${e.line} 行：${e.message}`;
  return e.message;
}

/** The full list, for the attached text file. */
export function errorsText(errors: FileError[], fileName: string): string {
  return [
    `${fileName}：共 ${errors.length} 处错误，什么都没有导入 / ${errors.length} error(s); nothing was imported`,
    "",
    ...errors.map((e) => formatFileError(e)),
    "",
  ].join("\n");
}

export function templateButton(l: Locale): object {
  return button(tr(l, "下载模板", "Download the template"), { action: IMPORT_ACTIONS.template });
}

export function importErrorsCard(o: {
  fileName: string;
  errors: FileError[];
  locale: Locale;
  /** The full list follows as a .txt file. */
  attached: boolean;
}): Card {
  const l = o.locale;
  const shown = o.errors.slice(0, ERRORS_ON_CARD);
  const more = o.errors.length - shown.length;
  const lines = shown.map((e) => `- ${escLine(errorLine(e), 300)}`).join("\n");
  return card({
    title: tr(l, "文件有错误，未导入", "The file has errors: nothing imported"),
    template: "red",
    summary: tr(l, `${o.errors.length} 处错误`, `${o.errors.length} error(s)`),
    elements: [
      md(
        tr(
          l,
          `**${esc(o.fileName)}** 共有 **${o.errors.length}** 处错误，什么都没有导入。请改正后把文件重新发给我。`,
          `**${esc(o.fileName)}** has **${o.errors.length}** error(s); nothing was imported. Fix them and send me the file again.`,
        ),
      ),
      md(lines),
      ...(more > 0
        ? [
            md(
              tr(
                l,
                `另有 ${more} 处错误${o.attached ? "，完整列表见随后发送的文本文件。" : "。"}`,
                `${more} more error(s)${o.attached ? "; the full list follows as a text file." : "."}`,
              ),
            ),
          ]
        : []),
      hr(),
      buttonRow([templateButton(l)]),
    ],
  });
}

function section(l: Locale, zh: string, en: string, d: SectionDiff, removedNote: [string, string]): string[] {
  if (!d.added.length && !d.removed.length && !d.changed.length) return [];
  const rows = (list: { label: string; fields?: string[] }[]) => {
    const shown = list
      .slice(0, DIFF_ROWS)
      .map((r) => `  - ${escLine(r.label, 80)}${r.fields ? `（${escLine(r.fields.join("；"), 200)}）` : ""}`);
    if (list.length > DIFF_ROWS)
      shown.push(`  - ${tr(l, `还有 ${list.length - DIFF_ROWS} 项…`, `${list.length - DIFF_ROWS} more…`)}`);
    return shown;
  };
  const out = [`**${tr(l, zh, en)}**`];
  if (d.added.length)
    out.push(tr(l, `新增 ${d.added.length}：`, `added ${d.added.length}:`), ...rows(d.added));
  if (d.changed.length)
    out.push(tr(l, `修改 ${d.changed.length}：`, `changed ${d.changed.length}:`), ...rows(d.changed));
  if (d.removed.length)
    out.push(
      tr(
        l,
        `删除 ${d.removed.length}（${removedNote[0]}）：`,
        `removed ${d.removed.length} (${removedNote[1]}):`,
      ),
      ...rows(d.removed),
    );
  return [out.join("\n")];
}

function diffElements(l: Locale, d: CampaignDiff): object[] {
  const kept: [string, string] = ["保留原有记录和已填答复", "their records and answers are kept"];
  const parts = [
    ...section(l, "单位", "Units", d.units, kept),
    ...section(l, "人员", "People", d.people, kept),
    ...section(l, "检查事项", "Items", d.items, ["不再下发", "no longer assigned"]),
    ...section(l, "分工", "Assignments", d.assignments, [
      "撤回，已填答复保留",
      "withdrawn; answers given are kept",
    ]),
  ];
  return parts.map((p) => md(p));
}

export function importPreviewCard(o: { fileName: string; preview: ImportPreview; locale: Locale }): Card {
  const l = o.locale;
  const p = o.preview;
  const s = p.spec;
  const items = s.checklist.sections.reduce((n, sec) => n + sec.items.length, 0);
  const existing = p.diff.existing;
  const elements: object[] = [
    md(
      tr(
        l,
        `**${esc(s.title)}**（${esc(s.key)}）\n${s.startDate}${s.endDate ? ` 至 ${s.endDate}` : ""}\n单位 **${s.units.length}** 个 · 人员 **${s.people.length}** 人 · 检查事项 **${items}** 项 · 分工 **${p.assignments}** 条`,
        `**${esc(s.title)}** (${esc(s.key)})\n${s.startDate}${s.endDate ? ` to ${s.endDate}` : ""}\n**${s.units.length}** units · **${s.people.length}** people · **${items}** items · **${p.assignments}** assignments`,
      ),
    ),
  ];
  if (existing) {
    elements.push(hr());
    if (p.unchanged)
      elements.push(
        md(
          tr(
            l,
            "与已导入的内容完全相同，导入不会改变任何内容。",
            "Same as what was imported: importing changes nothing.",
          ),
        ),
      );
    else {
      elements.push(
        md(
          tr(
            l,
            "**与现有活动相比将发生以下变化：**",
            "**Compared with the campaign now, this would change:**",
          ),
        ),
      );
      const d = diffElements(l, p.diff);
      elements.push(
        ...(d.length ? d : [md(tr(l, "（只有活动设置有变化）", "(only the campaign's settings change)"))]),
      );
      elements.push(
        note(
          tr(
            l,
            "已填写的自查答复、问题和整改措施不会因重新导入而丢失。",
            "Answers, problems and measures already given are never lost by a re-import.",
          ),
        ),
      );
    }
  }
  if (p.unresolved.length) {
    const shown = p.unresolved
      .slice(0, 20)
      .map(
        (u) =>
          `- ${escLine(u.name, 40)}（${escLine(u.tried.join("、") || tr(l, "未填手机或邮箱", "no mobile or email"), 80)}）`,
      );
    if (p.unresolved.length > 20)
      shown.push(`- ${tr(l, `还有 ${p.unresolved.length - 20} 人…`, `${p.unresolved.length - 20} more…`)}`);
    elements.push(hr());
    elements.push(
      md(
        tr(
          l,
          `**以下 ${p.unresolved.length} 人在飞书中按手机或邮箱没有找到**，导入后收不到卡片（可补上 open_id、手机或邮箱后重新发送文件）：\n${shown.join("\n")}`,
          `**${p.unresolved.length} people were not found in Feishu by mobile or email**; they will receive nothing (add an open_id, mobile or email and send the file again):\n${shown.join("\n")}`,
        ),
      ),
    );
  }
  elements.push(hr());
  elements.push(
    buttonRow([
      button(
        tr(l, "确认导入", "Import"),
        { action: IMPORT_ACTIONS.confirm, id: p.id },
        { type: "primary_filled" },
      ),
      button(tr(l, "取消", "Cancel"), { action: IMPORT_ACTIONS.cancel, id: p.id }),
    ]),
  );
  elements.push(
    note(
      tr(
        l,
        "确认导入后不会立即发送任何卡片；启动活动需在下一张卡片上点“启动”。",
        "Importing sends nothing yet; start the campaign from the next card.",
      ),
    ),
  );
  return card({
    title: existing
      ? tr(l, "重新导入预览：请确认变化", "Re-import preview: check the changes")
      : tr(l, "导入预览：请确认", "Import preview: please check"),
    template: "blue",
    subtitle: o.fileName,
    elements,
  });
}

/** A short grey answer: a refusal, an unreadable file, a cancelled import. */
export function importNoticeCard(o: {
  title: [string, string];
  text: [string, string];
  locale: Locale;
  template?: boolean;
}): Card {
  const l = o.locale;
  return card({
    title: tr(l, o.title[0], o.title[1]),
    template: "grey",
    elements: [md(tr(l, o.text[0], o.text[1])), ...(o.template ? [buttonRow([templateButton(l)])] : [])],
  });
}
