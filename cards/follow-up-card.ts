import {
  buttonRow,
  card,
  clip,
  escBlock,
  escLine,
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
  type Template,
} from "./kit";

/** Callback actions this card emits (`value.action`). */
export const FOLLOW_UP_ACTIONS = { holds: "fu.holds", relapsed: "fu.relapsed" } as const;

/** Form and field names (the contract with handlers/follow-up-answer.ts). */
export const FOLLOW_UP_FIELDS = {
  form: "fu_form",
  note: "fu_note",
  holdsSubmit: "fu_holds_submit",
  relapsedSubmit: "fu_relapsed_submit",
} as const;

export interface FollowUpView {
  id: string;
  seq: number;
  content: string;
  problemText: string;
  itemTitle: string;
  unitName: string;
  ownerName: string;
  reviewerName?: string;
  /** The day it was closed (销号). */
  closedOn: string;
  closedByName?: string;
  /** The follow-up's own due day: it names the round, and card buttons carry it. */
  dueDate: string;
  /** Answer by this day, or it is escalated. */
  answerBy: string;
  result?: "holds" | "relapsed";
  answeredByName?: string;
  answeredAt?: string;
  note?: string;
  /** The measure reopening the problem (反弹). */
  relapseSeq?: number;
}

/** `party`: the owner, the reviewer or an admin (may answer); `other`: read only. */
export type FollowUpViewer = "party" | "other";

export interface FollowUpCardInput {
  f: FollowUpView;
  locale: Locale;
  today: string;
  viewer: FollowUpViewer;
  notice?: string;
}

/** 回头看: is the result of a closed measure holding? 巩固 / 反弹 with a note (required for 反弹). */
export function followUpCard(input: FollowUpCardInput): Card {
  const { f, locale: l, today, viewer } = input;
  const answered = Boolean(f.result);
  const late = !answered && f.answerBy !== "" && f.answerBy < today;
  const template: Template = answered ? (f.result === "holds" ? "green" : "red") : late ? "red" : "orange";
  const elements: object[] = [];
  if (input.notice) elements.push(md(`**${escLine(input.notice, 200)}**`));
  elements.push(
    md(
      tr(
        l,
        `整改措施#${f.seq} 已于 ${escLine(f.closedOn, 20)} 销号${f.closedByName ? `（${escLine(f.closedByName, 20)}审核）` : ""}。现开展**回头看**：整改成效是否巩固？`,
        `Measure #${f.seq} was closed on ${escLine(f.closedOn, 20)}${f.closedByName ? ` (by ${escLine(f.closedByName, 20)})` : ""}. **Follow-up**: is the result holding?`,
      ),
    ),
  );
  elements.push(md(`**${tr(l, "整改措施", "Measure")}**\n${escBlock(f.content, 300)}`));
  const facts = [
    `${lbl(l, "问题", "Problem")}${escLine(f.problemText, 200)}`,
    `${lbl(l, "检查项", "Item")}${escLine(f.itemTitle, 60)}`,
    `${lbl(l, "科室", "Unit")}${escLine(f.unitName, 40)}${sep(l)}${lbl(l, "责任人", "Owner")}${escLine(f.ownerName, 20)}${f.reviewerName ? `${sep(l)}${lbl(l, "审核人", "Reviewer")}${escLine(f.reviewerName, 20)}` : ""}`,
  ];
  if (!answered && f.answerBy) {
    const by = late ? `<font color='red'>${escLine(f.answerBy, 20)}</font>` : escLine(f.answerBy, 20);
    facts.push(tr(l, `请于 ${by} 前回复`, `Answer by: ${by}`));
  }
  elements.push(md(facts.join("\n")));

  if (answered) {
    const word = f.result === "holds" ? tr(l, "巩固", "holds") : tr(l, "反弹", "relapsed");
    const lines = [
      `${lbl(l, "回头看结果", "Result")}**${word}**${sep(l)}${escLine(f.answeredByName ?? "", 20)} ${escLine(f.answeredAt ?? "", 20)}`,
    ];
    if (f.note) lines.push(`${lbl(l, "说明", "Note")}${escBlock(f.note, 300)}`);
    if (f.relapseSeq !== undefined)
      lines.push(
        tr(
          l,
          `已重新整改：整改措施#${f.relapseSeq}（原措施保持已销号，结果记为反弹）`,
          `Reopened as measure #${f.relapseSeq} (this one stays closed, recorded as relapsed)`,
        ),
      );
    elements.push(hr(), md(lines.join("\n")));
  } else if (viewer === "party") {
    const ids = { m: f.id, fu: f.dueDate };
    elements.push(
      hr(),
      form(FOLLOW_UP_FIELDS.form, [
        textInput({
          name: FOLLOW_UP_FIELDS.note,
          placeholder: tr(
            l,
            "说明（选“反弹”时必填：哪些问题又出现了）",
            "Note (required for relapsed: what has come back)",
          ),
          multiline: true,
          rows: 3,
          maxLength: 500,
        }),
        buttonRow([
          submitButton(
            tr(l, "巩固", "Holds"),
            FOLLOW_UP_FIELDS.holdsSubmit,
            { action: FOLLOW_UP_ACTIONS.holds, ...ids },
            { type: "primary_filled" },
          ),
          submitButton(
            tr(l, "反弹", "Relapsed"),
            FOLLOW_UP_FIELDS.relapsedSubmit,
            { action: FOLLOW_UP_ACTIONS.relapsed, ...ids },
            {
              type: "danger",
              confirm: {
                title: tr(l, "确认反弹？", "Relapsed?"),
                text: tr(
                  l,
                  "将以您的说明新建一条整改措施，由原责任人重新整改。",
                  "A new measure is created from your note, for the same owner.",
                ),
              },
            },
          ),
        ]),
      ]),
      note(
        tr(
          l,
          "责任人或审核人任一方回复即可；反弹将重新整改，计入统计。",
          "Either the owner or the reviewer answers; a relapse reopens the work and is counted.",
        ),
      ),
    );
  }

  const title = tr(l, `回头看 · 整改措施#${f.seq}`, `Follow-up · Measure #${f.seq}`);
  const summary = !f.result
    ? tr(l, `回头看：措施#${f.seq} 整改成效是否巩固？`, `Follow-up: does measure #${f.seq} hold?`)
    : f.result === "holds"
      ? tr(l, `回头看：措施#${f.seq} 巩固`, `Follow-up: measure #${f.seq} holds`)
      : tr(l, `回头看：措施#${f.seq} 反弹`, `Follow-up: measure #${f.seq} relapsed`);
  return card({
    title: clip(title, 100),
    subtitle: clip(`${f.unitName} · ${f.itemTitle}`, 60),
    template,
    summary: clip(summary, 60),
    elements,
  });
}
