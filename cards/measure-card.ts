import {
  button,
  buttonRow,
  card,
  clip,
  datePicker,
  dueLevel,
  dueMd,
  escBlock,
  escLine,
  fitCard,
  lbl,
  sep,
  form,
  hr,
  md,
  note,
  panel,
  selectStatic,
  submitButton,
  textInput,
  tr,
  type Card,
  type Locale,
  type Template,
} from "./kit";
import { measureStateLabel } from "./labels";
import type { MeasureView } from "./view-types";

/** Callback actions this card emits (`value.action`). */
export const MEASURE_ACTIONS = {
  progress: "ms.progress",
  extend: "ms.extend",
  requestClose: "ms.close_req",
  accept: "rv.accept",
  sendBack: "rv.send_back",
  grantExt: "rv.ext_grant",
  refuseExt: "rv.ext_refuse",
} as const;

/** Form and field names (the contract with the handlers reading `form_value`). */
export const MEASURE_FIELDS = {
  progressForm: "ms_form",
  progressNote: "progress_note",
  progressPercent: "progress_percent",
  progressEvidence: "progress_evidence",
  progressSubmit: "ms_progress_submit",
  extForm: "ext_form",
  extDue: "ext_due",
  extReason: "ext_reason",
  extSubmit: "ms_extend_submit",
  reviewForm: "rv_form",
  sendBackReason: "sendback_reason",
  sendBackSubmit: "rv_sendback_submit",
} as const;

export type MeasureViewer = "owner" | "reviewer" | "other";

export interface MeasureCardInput {
  m: MeasureView;
  locale: Locale;
  today: string;
  viewer: MeasureViewer;
  /** A short line shown on top, e.g. "进展已记录". */
  notice?: string;
}

const HISTORY_SHOWN = 5;

/** `earlier`: how many older entries the "查看全部" panel holds at most (the card stays under 30 KB). */
const LEVELS = [
  { content: 500, problem: 300, item: 100, history: 200, earlier: 200, extReason: 300, sendBack: 300 },
  { content: 300, problem: 150, item: 60, history: 100, earlier: 120, extReason: 150, sendBack: 150 },
  { content: 150, problem: 80, item: 40, history: 50, earlier: 80, extReason: 80, sendBack: 80 },
  { content: 150, problem: 80, item: 40, history: 40, earlier: 40, extReason: 80, sendBack: 80 },
] as const;
type Level = (typeof LEVELS)[number];

function extStatusLabel(l: Locale, s: NonNullable<MeasureView["extension"]>["status"]): string {
  switch (s) {
    case "requested":
      return tr(l, "待审批", "awaiting decision");
    case "granted":
      return tr(l, "已同意", "granted");
    case "refused":
      return tr(l, "未同意", "refused");
  }
}

/** One rectification measure: details and history, with the actions the viewer may take. */
export function measureCard(input: MeasureCardInput): Card {
  return fitCard(LEVELS.length, (lv) => build(input, LEVELS[lv]));
}

function build(input: MeasureCardInput, L: Level): Card {
  const { m, locale: l, today, viewer } = input;
  const closed = m.state === "closed" || m.state === "withdrawn";
  const overdue = !closed && dueLevel(today, m.dueDate) === "overdue";
  const template: Template = closed
    ? m.state === "withdrawn"
      ? "grey"
      : "green"
    : overdue
      ? "red"
      : m.state === "closure_requested"
        ? "orange"
        : "blue";
  const ids = { m: m.id, rev: m.rev };
  const elements: object[] = [];

  if (input.notice) elements.push(md(`**${escLine(input.notice, 200)}**`));

  elements.push(md(`**${tr(l, "整改措施", "Measure")}**\n${escBlock(m.content, L.content)}`));

  const due = dueMd(l, today, m.dueDate, { done: closed });
  const extended =
    m.originalDueDate && m.originalDueDate !== m.dueDate
      ? tr(l, `（原定 ${escLine(m.originalDueDate, 20)}）`, ` (originally ${escLine(m.originalDueDate, 20)})`)
      : "";
  const facts = [
    `${lbl(l, "问题", "Problem")}${escLine(m.problemText, L.problem)}`,
    `${lbl(l, "检查项", "Item")}${escLine(m.itemTitle, L.item)}`,
    `${lbl(l, "科室", "Unit")}${escLine(m.unitName, 60)}${sep(l)}${lbl(l, "责任人", "Owner")}${escLine(m.ownerName, 40)}${m.reviewerName ? `${sep(l)}${lbl(l, "审核人", "Reviewer")}${escLine(m.reviewerName, 40)}` : ""}`,
    `${lbl(l, "完成时限", "Due")}${due}${extended}`,
    `${lbl(l, "状态", "State")}**${measureStateLabel(l, m.state)}**${sep(l)}${lbl(l, "进度", "Progress")}${clampPercent(m.percent)}%`,
  ];
  if (m.extension) {
    const e = m.extension;
    facts.push(
      `${lbl(l, "延期申请", "Extension")}${tr(l, `申请延至 ${escLine(e.requestedDue, 20)}`, `to ${escLine(e.requestedDue, 20)}`)}${tr(l, `（${extStatusLabel(l, e.status)}）`, ` (${extStatusLabel(l, e.status)})`)}`,
    );
    facts.push(`${lbl(l, "延期理由", "Reason")}${escLine(e.reason, L.extReason)}`);
  }
  elements.push(md(facts.join("\n")));

  if (m.state === "withdrawn")
    elements.push(
      note(
        tr(
          l,
          "所针对的问题已在重新提交的自查中撤回，本措施随之撤回，无需继续整改。",
          "Its problem was withdrawn in a resubmitted answer, and so was this measure: nothing more to do.",
        ),
      ),
    );

  if (m.sendBackReason && !closed) {
    elements.push(
      md(
        `<font color='red'>**${tr(l, "销号申请被退回", "Closure sent back")}**</font>\n${tr(l, "原因：", "Reason: ")}${escBlock(m.sendBackReason, L.sendBack)}`,
      ),
    );
  }

  if (m.history.length) {
    // Oldest first; the latest entries shown, every earlier one in a collapsed "查看全部" panel.
    const line = (h: MeasureView["history"][number]) =>
      `- ${escLine(h.at, 20)} ${escLine(h.byName, 20)}${tr(l, "：", ": ")}${escLine(h.text, L.history)}`;
    const cut = Math.max(0, m.history.length - HISTORY_SHOWN);
    const shown = m.history.slice(cut);
    const earlier = m.history.slice(Math.max(0, cut - L.earlier), cut);
    const head =
      cut > 0
        ? tr(
            l,
            `**进展记录**（共 ${m.history.length} 条，显示最近 ${shown.length} 条）`,
            `**History** (${m.history.length} in all, latest ${shown.length} shown)`,
          )
        : tr(l, `**进展记录**（共 ${m.history.length} 条）`, `**History** (${m.history.length})`);
    elements.push(md(head));
    if (cut > 0) {
      const dropped = cut - earlier.length;
      const lines = earlier.map(line);
      if (dropped > 0)
        lines.unshift(
          tr(
            l,
            `（最早的 ${dropped} 条未在卡片中列出）`,
            `(the ${dropped} oldest are not listed on the card)`,
          ),
        );
      elements.push(
        panel(tr(l, `查看全部（更早的 ${cut} 条）`, `Show all (${cut} earlier)`), [md(lines.join("\n"))]),
      );
    }
    elements.push(md(shown.map(line).join("\n")));
  }

  const actions: object[] = [];
  if (viewer === "owner" && (m.state === "open" || m.state === "in_progress")) {
    actions.push(...ownerActions(input, ids));
  } else if (viewer === "owner" && m.state === "closure_requested") {
    actions.push(note(tr(l, "已申请销号，等待审核。", "Closure requested; waiting for the reviewer.")));
  }
  if (viewer === "reviewer" && m.extension?.status === "requested" && !closed) {
    actions.push(
      md(
        tr(
          l,
          `**延期申请**：申请延至 **${escLine(m.extension.requestedDue, 20)}**\n理由：${escBlock(m.extension.reason, L.extReason)}`,
          `**Extension requested** to **${escLine(m.extension.requestedDue, 20)}**\nReason: ${escBlock(m.extension.reason, L.extReason)}`,
        ),
      ),
      buttonRow([
        button(
          tr(l, "同意延期", "Grant extension"),
          { action: MEASURE_ACTIONS.grantExt, ...ids },
          { type: "primary" },
        ),
        button(
          tr(l, "不同意延期", "Refuse extension"),
          { action: MEASURE_ACTIONS.refuseExt, ...ids },
          { type: "danger" },
        ),
      ]),
    );
  }
  if (viewer === "reviewer" && m.state === "closure_requested") {
    actions.push(...reviewerCloseActions(input, ids));
  }
  if (actions.length) elements.push(hr(), ...actions);

  return card({
    title: clip(tr(l, `整改措施#${m.seq}`, `Measure #${m.seq}`) + ` · ${measureStateLabel(l, m.state)}`, 100),
    subtitle: clip(`${m.unitName} · ${m.itemTitle}`, 60),
    template,
    summary: clip(tr(l, `措施#${m.seq}：${m.content}`, `Measure #${m.seq}: ${m.content}`), 60),
    elements,
  });
}

function clampPercent(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(100, Math.round(p)));
}

function ownerActions(input: MeasureCardInput, ids: { m: string; rev: number }): object[] {
  const { m, locale: l } = input;
  const F = MEASURE_FIELDS;
  const out: object[] = [];
  const percents = Array.from({ length: 11 }, (_, i) => String(i * 10));
  out.push(
    form(F.progressForm, [
      md(`**${tr(l, "填报进展", "Report progress")}**`),
      textInput({
        name: F.progressNote,
        placeholder: tr(l, "整改进展", "What has been done"),
        multiline: true,
        rows: 3,
        maxLength: 1000,
      }),
      selectStatic({
        name: F.progressPercent,
        placeholder: tr(l, "完成进度", "Percent done"),
        options: percents.map((v) => ({ value: v, text: `${v}%` })),
        initial: String(Math.round(clampPercent(m.percent) / 10) * 10),
      }),
      textInput({
        name: F.progressEvidence,
        placeholder: tr(l, "佐证材料链接或说明（选填）", "Link to or description of evidence (optional)"),
        maxLength: 500,
      }),
      submitButton(
        tr(l, "提交进展", "Submit progress"),
        F.progressSubmit,
        { action: MEASURE_ACTIONS.progress, ...ids },
        { type: "primary" },
      ),
    ]),
  );
  if (m.extension?.status === "requested") {
    out.push(note(tr(l, "延期申请待审批。", "The extension request is awaiting a decision.")));
  } else {
    out.push(
      form(F.extForm, [
        md(`**${tr(l, "申请延期", "Request an extension")}**`),
        datePicker({ name: F.extDue, placeholder: tr(l, "延至日期", "New due date"), required: true }),
        textInput({
          name: F.extReason,
          placeholder: tr(l, "延期理由", "Reason"),
          maxLength: 500,
          required: true,
        }),
        submitButton(
          tr(l, "申请延期", "Request extension"),
          F.extSubmit,
          { action: MEASURE_ACTIONS.extend, ...ids },
          { type: "default" },
        ),
      ]),
    );
  }
  out.push(
    buttonRow([
      button(
        tr(l, "申请销号", "Request closure"),
        { action: MEASURE_ACTIONS.requestClose, ...ids },
        {
          type: "primary_filled",
          confirm: {
            title: tr(l, "申请销号？", "Request closure?"),
            text: tr(
              l,
              "确认整改已完成，提交后由审核人确认销号。",
              "Confirm the measure is done; the reviewer will then close it.",
            ),
          },
        },
      ),
    ]),
  );
  return out;
}

function reviewerCloseActions(input: MeasureCardInput, ids: { m: string; rev: number }): object[] {
  const { locale: l } = input;
  const F = MEASURE_FIELDS;
  return [
    md(`**${tr(l, "销号审核", "Closure review")}**`),
    buttonRow([
      button(
        tr(l, "同意销号", "Accept and close"),
        { action: MEASURE_ACTIONS.accept, ...ids },
        { type: "primary" },
      ),
    ]),
    form(F.reviewForm, [
      textInput({
        name: F.sendBackReason,
        placeholder: tr(l, "退回原因", "Why it is sent back"),
        maxLength: 500,
        required: true,
      }),
      submitButton(
        tr(l, "退回整改", "Send back"),
        F.sendBackSubmit,
        { action: MEASURE_ACTIONS.sendBack, ...ids },
        { type: "danger" },
      ),
    ]),
  ];
}
