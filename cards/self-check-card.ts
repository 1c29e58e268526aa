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
  moreText,
  note,
  panel,
  selectPerson,
  selectStatic,
  submitButton,
  textInput,
  tr,
  type Card,
  type Locale,
  type Template,
} from "./kit";
import { conclusionLabel, measureStateLabel } from "./labels";
import type { AssignmentView, ResponseView } from "./view-types";

/** Callback actions this card emits (`value.action`). */
export const SELF_CHECK_ACTIONS = {
  submit: "sc.submit",
  amend: "sc.amend",
  proposeMeasure: "pm.submit",
} as const;

/** Form and field names (the contract with the handlers reading `form_value`). */
export const SELF_CHECK_FIELDS = {
  form: "sc_form",
  conclusion: "conclusion",
  narrative: "narrative",
  evidence: "evidence",
  problems: "problems",
  submit: "sc_submit",
} as const;

export const PROPOSE_MEASURE_FIELDS = {
  form: "pm_form",
  problem: "problem",
  content: "measure_content",
  owner: "measure_owner",
  due: "measure_due",
  submit: "pm_submit",
} as const;

export interface SelfCheckCardInput {
  a: AssignmentView;
  response?: ResponseView;
  locale: Locale;
  today: string;
  mode: "edit" | "submitted";
  /** Shown in red at the top (re-showing the form after a validation error). */
  error?: string;
}

/** Detail levels: the builder tries them in order until the card fits 30 KB / 200 components. */
const LEVELS = [
  {
    cpText: 200,
    cpMax: 30,
    narrative: 1000,
    evidence: 500,
    problemText: 300,
    measureText: 120,
    measuresPer: 10,
    problemsMax: 30,
    options: 40,
  },
  {
    cpText: 120,
    cpMax: 20,
    narrative: 600,
    evidence: 300,
    problemText: 150,
    measureText: 60,
    measuresPer: 5,
    problemsMax: 20,
    options: 30,
  },
  {
    cpText: 80,
    cpMax: 15,
    narrative: 400,
    evidence: 200,
    problemText: 80,
    measureText: 40,
    measuresPer: 3,
    problemsMax: 12,
    options: 20,
  },
  {
    cpText: 50,
    cpMax: 10,
    narrative: 200,
    evidence: 100,
    problemText: 50,
    measureText: 30,
    measuresPer: 2,
    problemsMax: 8,
    options: 15,
  },
  {
    cpText: 30,
    cpMax: 6,
    narrative: 100,
    evidence: 60,
    problemText: 30,
    measureText: 20,
    measuresPer: 1,
    problemsMax: 5,
    options: 10,
  },
] as const;
type Level = (typeof LEVELS)[number];

/**
 * One self-check item for one unit/person: the form to answer it (edit), or what was answered
 * with the "修改" button and a form to propose a rectification measure (submitted).
 */
export function selfCheckCard(input: SelfCheckCardInput): Card {
  return fitCard(LEVELS.length, (lv) => build(input, LEVELS[lv]));
}

function build(input: SelfCheckCardInput, L: Level): Card {
  const { a, locale: l, today, mode } = input;
  const overdue = a.state === "pending" && dueLevel(today, a.dueDate) === "overdue";
  const template: Template = overdue ? "red" : mode === "submitted" ? "green" : "blue";
  const elements: object[] = [];

  if (input.error) {
    elements.push(
      md(
        `<font color='red'>**${tr(l, "提交未成功：", "Not submitted: ")}**${escLine(input.error, 300)}</font>`,
      ),
    );
  }
  if (a.returnReason) {
    elements.push(
      md(
        `<font color='red'>**${tr(l, "已退回，请修改后重新提交。", "Sent back: please revise and submit again.")}**</font>\n${tr(l, "退回原因：", "Reason: ")}${escBlock(a.returnReason, 500)}`,
      ),
    );
  }

  elements.push(md(`**${escLine(a.sectionTitle, 200)}**`));
  elements.push(
    md(
      [
        `${lbl(l, "截止日期", "Due")}${dueMd(l, today, a.dueDate, { done: a.state === "submitted" })}`,
        `${lbl(l, "科室", "Unit")}${escLine(a.unitName, 60)}${sep(l)}${lbl(l, "填报人", "Assignee")}${escLine(a.assigneeName, 40)}`,
      ].join("\n"),
    ),
  );
  elements.push(...checkpointElements(l, a.checkpoints, L));
  elements.push(hr());

  if (mode === "edit") {
    elements.push(selfCheckForm(input));
  } else {
    elements.push(...submittedElements(input, L));
  }

  const title = clip(a.itemTitle, 100);
  return card({
    title,
    subtitle: clip(`${a.sectionCode} · ${a.campaignTitle}`, 60),
    template,
    summary:
      mode === "edit"
        ? clip(tr(l, `请填报自查：${a.itemTitle}`, `Self-check to fill in: ${a.itemTitle}`), 60)
        : clip(tr(l, `自查已提交：${a.itemTitle}`, `Self-check submitted: ${a.itemTitle}`), 60),
    elements,
  });
}

function checkpointElements(l: Locale, checkpoints: string[], L: Level): object[] {
  if (checkpoints.length === 0) return [];
  const shown = checkpoints.slice(0, L.cpMax);
  const lines = shown.map((c, i) => `${i + 1}. ${escLine(c, L.cpText)}`);
  if (checkpoints.length > shown.length) lines.push(moreText(l, checkpoints.length - shown.length));
  const list = md(lines.join("\n"));
  if (checkpoints.length <= 4) {
    return [md(`**${tr(l, "对照要点", "Guidance points")}**`), list];
  }
  return [
    panel(`**${tr(l, `对照要点（${checkpoints.length} 条）`, `Guidance points (${checkpoints.length})`)}**`, [
      list,
    ]),
  ];
}

function selfCheckForm(input: SelfCheckCardInput): object {
  const { a, response: r, locale: l } = input;
  const F = SELF_CHECK_FIELDS;
  return form(F.form, [
    selectStatic({
      name: F.conclusion,
      placeholder: tr(l, "自查结论", "Conclusion"),
      required: true,
      options: (["compliant", "basically_compliant", "problems"] as const).map((c) => ({
        value: c,
        text: conclusionLabel(l, c),
      })),
      initial: r?.conclusion,
    }),
    textInput({
      name: F.narrative,
      label: tr(l, "自查情况", "Findings"),
      placeholder: tr(l, "自查情况", "What you checked and found"),
      multiline: true,
      rows: 4,
      maxLength: 1000,
      required: true,
      defaultValue: r?.narrative,
    }),
    textInput({
      name: F.evidence,
      label: tr(l, "佐证材料", "Evidence"),
      placeholder: tr(l, "佐证材料链接或说明（选填）", "Link to or description of evidence (optional)"),
      maxLength: 500,
      defaultValue: r?.evidence,
    }),
    textInput({
      name: F.problems,
      label: tr(l, "发现的问题", "Problems found"),
      placeholder: tr(
        l,
        "发现的问题，每行一条（结论为“存在问题”时必填）",
        'Problems found, one per line (required when the conclusion is "Problems found")',
      ),
      multiline: true,
      rows: 3,
      maxLength: 1000,
      defaultValue:
        r && r.problems.length
          ? r.problems.map((p) => p.text.replace(/\s*[\r\n]+\s*/g, " ")).join("\n")
          : undefined,
    }),
    submitButton(r ? tr(l, "重新提交", "Submit again") : tr(l, "提交", "Submit"), F.submit, {
      action: SELF_CHECK_ACTIONS.submit,
      a: a.id,
      rev: a.rev,
    }),
  ]);
}

function submittedElements(input: SelfCheckCardInput, L: Level): object[] {
  const { a, response: r, locale: l, today } = input;
  const out: object[] = [];
  if (!r) {
    out.push(md(tr(l, "已提交。", "Submitted.")));
  } else {
    const head = [
      `**${tr(l, "自查结论", "Conclusion")}**${tr(l, "：", ": ")}${conclusionLabel(l, r.conclusion)}`,
      `**${tr(l, "自查情况", "Findings")}**${tr(l, "：", ": ")}`,
      escBlock(r.narrative, L.narrative),
    ];
    if (r.evidence)
      head.push(
        `**${tr(l, "佐证材料", "Evidence")}**${tr(l, "：", ": ")}${escBlock(r.evidence, L.evidence)}`,
      );
    out.push(md(head.join("\n")));

    if (r.problems.length) {
      out.push(
        md(`**${tr(l, `发现的问题（${r.problems.length} 个）`, `Problems found (${r.problems.length})`)}**`),
      );
      const shown = r.problems.slice(0, L.problemsMax);
      for (const p of shown) {
        const lines = [`**${tr(l, "问题", "Problem ")}#${p.seq}** ${escBlock(p.text, L.problemText)}`];
        const ms = p.measures.slice(0, L.measuresPer);
        for (const m of ms) {
          const closed = m.state === "closed";
          lines.push(
            `- ${tr(l, "措施", "Measure ")}#${m.seq} ${escLine(m.content, L.measureText)} — ${escLine(m.ownerName, 20)}, ${dueMd(l, today, m.dueDate, { done: closed })}, ${escLine(measureStateLabel(l, m.state), 20)}`,
          );
        }
        if (p.measures.length > ms.length) lines.push(`- ${moreText(l, p.measures.length - ms.length)}`);
        if (p.measures.length === 0)
          lines.push(`<font color='grey'>${tr(l, "尚无整改措施", "No measure yet")}</font>`);
        out.push(md(lines.join("\n")));
      }
      if (r.problems.length > shown.length) out.push(md(moreText(l, r.problems.length - shown.length)));
    }

    out.push(
      note(
        tr(
          l,
          `${clip(r.byName, 20)} 于 ${clip(r.at, 20)} 提交 · 第 ${r.version} 版`,
          `Submitted by ${clip(r.byName, 20)} at ${clip(r.at, 20)} · version ${r.version}`,
        ),
      ),
    );
  }

  if (a.closed) {
    out.push(
      note(
        tr(l, "本次自查已结束，不能再修改。", "This campaign has ended; answers can no longer be changed."),
      ),
    );
  } else {
    out.push(
      buttonRow([button(tr(l, "修改", "Amend"), { action: SELF_CHECK_ACTIONS.amend, a: a.id, rev: a.rev })]),
    );
  }

  if (r) {
    out.push(hr());
    out.push(proposeMeasureForm(input, r, L));
  }
  return out;
}

function proposeMeasureForm(input: SelfCheckCardInput, r: ResponseView, L: Level): object {
  const { a, locale: l } = input;
  const F = PROPOSE_MEASURE_FIELDS;
  const elements: object[] = [md(`**${tr(l, "提出整改措施", "Propose a rectification measure")}**`)];
  if (r.problems.length) {
    const options = r.problems
      .slice(0, L.options)
      .map((p) => ({ value: p.id, text: clip(`#${p.seq} ${p.text.replace(/\s+/g, " ").trim()}`, 40) }));
    const firstWithout = r.problems.find((p) => p.measures.length === 0);
    elements.push(
      selectStatic({
        name: F.problem,
        placeholder: tr(l, "针对的问题", "Problem"),
        required: true,
        options,
        initial: firstWithout?.id ?? (r.problems.length === 1 ? r.problems[0].id : undefined),
      }),
    );
  }
  elements.push(
    textInput({
      name: F.content,
      placeholder: tr(l, "整改措施", "What will be done"),
      multiline: true,
      rows: 2,
      maxLength: 500,
      required: true,
    }),
    selectPerson({ name: F.owner, placeholder: tr(l, "责任人（默认本人）", "Owner (default: you)") }),
    datePicker({ name: F.due, placeholder: tr(l, "完成时限", "Due date") }),
    submitButton(
      tr(l, "提交措施", "Add measure"),
      F.submit,
      { action: SELF_CHECK_ACTIONS.proposeMeasure, a: a.id, rev: a.rev },
      { type: "primary" },
    ),
  );
  return form(F.form, elements);
}
