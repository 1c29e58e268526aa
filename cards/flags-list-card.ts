/**
 * 疑似敷衍 in chat (intent `suspect_answers`): the flagged answers the asker may review, one line each
 * (unit · item · who · flags, then the evidence) with a 退回 button for those allowed to return it; in
 * a group, and for those who review no unit, only counts by unit. Pure, no I/O.
 */
import { blocks, moreUnits, subtitleOf } from "./answer-shared";
import { FLAG_ACTIONS } from "./flags-review-card";
import {
  button,
  card,
  clip,
  escLine,
  fitCard,
  lineWithButtons,
  md,
  note,
  sep,
  trimmedText,
  tr,
  type Card,
  type Locale,
} from "./kit";

export interface SuspectLine {
  responseId: string;
  unitName: string;
  itemTitle: string;
  answererName: string;
  /** Short names of the flags (疑似复制、套话为主). */
  kinds: string[];
  /** The first flag's evidence (plain text). */
  evidence: string;
  /** The reason a 退回 would carry (shown in its confirm dialog). */
  reason: string;
  canReturn: boolean;
}

export interface SuspectListView {
  campaignTitle: string;
  scope?: string;
  lines: SuspectLine[];
  /** Answers checked in that scope (for "N of M"). */
  checked: number;
  /** Counts of units asked about that the asker does not see in detail. */
  hidden: { unitName: string; n: number }[];
}

const LEVELS = [
  { lines: 30, evidence: 90, item: 24, name: 12 },
  { lines: 20, evidence: 60, item: 16, name: 10 },
  { lines: 12, evidence: 40, item: 12, name: 8 },
  { lines: 6, evidence: 30, item: 10, name: 8 },
] as const;

export function suspectListCard(input: { v: SuspectListView; locale: Locale; emptyText?: string }): Card {
  return fitCard(LEVELS.length, (lv) => build(input, LEVELS[lv]));
}

function build(
  input: { v: SuspectListView; locale: Locale; emptyText?: string },
  L: (typeof LEVELS)[number],
): Card {
  const { v, locale: l } = input;
  const elements: object[] = [];
  if (v.lines.length === 0) {
    elements.push(
      md(
        input.emptyText
          ? escLine(input.emptyText, 200)
          : tr(l, "目前没有疑似敷衍的回答。", "No answer is flagged at the moment."),
      ),
    );
  } else {
    elements.push(
      md(
        tr(
          l,
          `已提交的 ${v.checked} 份回答中，疑似敷衍 **${v.lines.length}** 份：`,
          `**${v.lines.length}** of ${v.checked} submitted answers look like going through the motions:`,
        ),
      ),
    );
    for (const x of v.lines.slice(0, L.lines)) {
      const text =
        `**${escLine(x.unitName, L.name + 8)}** · ${escLine(x.itemTitle, L.item)} · ${escLine(x.answererName, L.name)}` +
        `${sep(l)}<font color='orange'>${escLine(x.kinds.join(tr(l, "、", ", ")), 40)}</font>\n` +
        escLine(x.evidence, L.evidence);
      elements.push(
        x.canReturn
          ? lineWithButtons(text, [
              button(
                tr(l, "退回", "Return"),
                { action: FLAG_ACTIONS.return, r: x.responseId, list: 1 },
                {
                  type: "danger",
                  confirm: {
                    title: tr(l, "退回这份回答？", "Return this answer?"),
                    text: clip(tr(l, `退回原因：${x.reason}`, `Reason: ${x.reason}`), 300),
                  },
                },
              ),
            ])
          : md(text),
      );
    }
    if (v.lines.length > L.lines) elements.push(md(trimmedText(l, v.lines.length - L.lines)));
  }
  if (v.hidden.length)
    elements.push(
      note(
        v.hidden
          .map((h) =>
            tr(l, `${clip(h.unitName, 30)}：疑似敷衍 ${h.n} 份`, `${clip(h.unitName, 30)}: ${h.n} flagged`),
          )
          .join("\n"),
      ),
    );
  elements.push(
    note(
      tr(
        l,
        "标记由系统按文字比对自动生成，仅供审阅参考；退回后填报人将收到修改通知。",
        "Flags are computed from the text for the reviewer's attention; a returned answer goes back to its author to revise.",
      ),
    ),
  );
  return card({
    title: `${tr(l, "疑似敷衍", "Suspect answers")} · ${clip(v.campaignTitle, 60)}`,
    subtitle: subtitleOf(v.scope),
    template: "orange",
    elements,
  });
}

/** The group's (and a member's) answer: how many answers are flagged, by unit; no texts, no names. */
export function suspectCountsCard(input: {
  v: { campaignTitle: string; scope?: string; units: { unitName: string; n: number; checked: number }[] };
  locale: Locale;
  footer?: string;
}): Card {
  const { v, locale: l } = input;
  const COUNTS = [100, 60, 30, 15];
  return fitCard(COUNTS.length, (lv) => {
    const shown = v.units.slice(0, COUNTS[lv]);
    const elements: object[] = shown.length
      ? blocks(
          shown.map((u) =>
            tr(
              l,
              `- ${escLine(u.unitName, 30)}：已提交 ${u.checked} 份，疑似敷衍 ${u.n} 份`,
              `- ${escLine(u.unitName, 30)}: ${u.checked} submitted, ${u.n} flagged`,
            ),
          ),
        )
      : [md(tr(l, "目前没有疑似敷衍的回答。", "No answer is flagged at the moment."))];
    if (v.units.length > shown.length) elements.push(moreUnits(l, v.units.length - shown.length));
    elements.push(
      note(
        input.footer ??
          tr(
            l,
            "详情由各单位负责人、分管领导和牵头科室私聊查询。",
            "Heads, leaders in charge and the organising office can ask me for the details in private.",
          ),
      ),
    );
    return card({
      title: `${tr(l, "疑似敷衍", "Suspect answers")} · ${clip(v.campaignTitle, 60)}`,
      subtitle: subtitleOf(v.scope),
      template: "orange",
      elements,
    });
  });
}
