/**
 * The reviewer's card of a flagged answer (issue 15 §1, 疑似敷衍): the answer, each flag in words with
 * its evidence, and a 退回 form whose reason is prefilled from the evidence. Sent to the unit's reviewer
 * (head or leader in charge, never the person who answered); pure, no I/O.
 */
import { conclusionLabel, type ConclusionValue } from "./labels";
import {
  card,
  clip,
  escBlock,
  escLine,
  fitCard,
  form,
  hr,
  lbl,
  md,
  note,
  sep,
  submitButton,
  textInput,
  tr,
  type Card,
  type Locale,
} from "./kit";

export const FLAG_ACTIONS = {
  /** Return the answer to its assignee with a reason (the flags' evidence, prefilled). */
  return: "flags.return",
} as const;

export const FLAG_FIELDS = {
  form: "flags_return_form",
  reason: "flags_return_reason",
  submit: "flags_return_submit",
} as const;

/** Where the answer stands now: still to review, returned, answered again, or no longer flagged. */
export type FlagReviewState = "open" | "returned" | "superseded" | "cleared";

export interface FlagReviewView {
  responseId: string;
  campaignTitle: string;
  unitName: string;
  itemTitle: string;
  answererName: string;
  version: number;
  conclusion?: ConclusionValue;
  narrative: string;
  /** Each flag in words with its evidence (plain text; escaped here). */
  lines: string[];
  /** The return reason prefilled from the evidence. */
  reason: string;
  state: FlagReviewState;
  returnReason?: string;
}

const LEVELS = [
  { narrative: 600, line: 200, reason: 500 },
  { narrative: 300, line: 120, reason: 300 },
  { narrative: 120, line: 80, reason: 200 },
] as const;

export function flagReviewCard(input: { v: FlagReviewView; locale: Locale; notice?: string }): Card {
  return fitCard(LEVELS.length, (lv) => build(input, LEVELS[lv]));
}

function build(
  input: { v: FlagReviewView; locale: Locale; notice?: string },
  L: (typeof LEVELS)[number],
): Card {
  const { v, locale: l } = input;
  const elements: object[] = [];
  if (input.notice) elements.push(md(`**${escLine(input.notice, 200)}**`));
  elements.push(
    md(
      [
        `${lbl(l, "单位", "Unit")}${escLine(v.unitName, 40)}${sep(l)}${lbl(l, "填报人", "Answered by")}${escLine(v.answererName, 30)}${sep(l)}${tr(l, `第 ${v.version} 版`, `version ${v.version}`)}`,
        ...(v.conclusion ? [`${lbl(l, "自查结论", "Conclusion")}${conclusionLabel(l, v.conclusion)}`] : []),
        `**${tr(l, "自查情况", "Narrative")}**`,
        escBlock(v.narrative, L.narrative),
      ].join("\n"),
    ),
  );
  elements.push(hr());
  elements.push(
    md(
      [
        `<font color='orange'>**${tr(l, "疑似敷衍", "Suspect answer")}**</font>`,
        ...v.lines.map((x) => `- ${escLine(x, L.line)}`),
      ].join("\n"),
    ),
  );
  if (v.state === "open") {
    elements.push(
      form(FLAG_FIELDS.form, [
        textInput({
          name: FLAG_FIELDS.reason,
          label: tr(
            l,
            "退回原因（已按上述证据预填，可修改）",
            "Reason (prefilled from the evidence; edit if you like)",
          ),
          placeholder: tr(l, "退回原因", "Reason for returning it"),
          maxLength: 500,
          multiline: true,
          rows: 3,
          defaultValue: v.reason,
        }),
        submitButton(
          tr(l, "退回修改", "Return for revision"),
          FLAG_FIELDS.submit,
          { action: FLAG_ACTIONS.return, r: v.responseId },
          {
            type: "danger",
            confirm: {
              title: tr(l, "退回这份自查回答？", "Return this answer?"),
              text: tr(
                l,
                `退回后，${v.answererName} 将收到可编辑的自查卡片和退回原因，修改后重新提交。`,
                `${v.answererName} gets the editable self-check card back with the reason, to revise and submit again.`,
              ),
            },
          },
        ),
      ]),
    );
  } else {
    const said =
      v.state === "returned"
        ? tr(l, "已退回修改。", "Returned for revision.") +
          (v.returnReason ? `${tr(l, "退回原因：", "Reason: ")}${escLine(v.returnReason, L.reason)}` : "")
        : v.state === "superseded"
          ? tr(l, "已有新版本的回答，请以新版本为准。", "A newer answer has been submitted since.")
          : tr(l, "重新计算后，此回答已不再疑似敷衍。", "Recomputed: this answer is no longer flagged.");
    elements.push(md(said));
  }
  elements.push(
    note(
      tr(
        l,
        "标记由系统按文字比对自动生成，仅供审阅参考，不影响提交。",
        "Flags are computed from the text for the reviewer's attention; they never block a submission.",
      ),
    ),
  );
  return card({
    title: `${tr(l, "疑似敷衍", "Suspect answer")} · ${clip(v.itemTitle, 60)}`,
    subtitle: clip(v.campaignTitle, 60),
    template: v.state === "open" ? "orange" : "grey",
    elements,
  });
}
