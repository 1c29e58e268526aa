import { DIGEST_ACTIONS } from "./digest-card";
import {
  button,
  card,
  CARD_SAFE_ELEMENTS,
  clip,
  escLine,
  fitCard,
  md,
  note,
  sep,
  tr,
  type Card,
  type Locale,
  lineWithButtons,
} from "./kit";
import type { EscalationItem, EscalationView } from "./view-types";

/** Callback actions this card emits (`value.action`); "打开" uses DIGEST_ACTIONS.open ("dg.open"). */
export const ESCALATION_ACTIONS = { nudge: "es.nudge" } as const;

export interface EscalationCardInput {
  e: EscalationView;
  locale: Locale;
  today: string;
}

/** Most lines listed; past that "另有 N 项". */
export const ESCALATION_MAX_LINES = 25;

const LEVELS = [
  { lines: ESCALATION_MAX_LINES, title: 80, name: 20 },
  { lines: 20, title: 50, name: 16 },
  { lines: 15, title: 30, name: 12 },
  { lines: 10, title: 20, name: 10 },
] as const;
type Level = (typeof LEVELS)[number];

/**
 * Components a line costs: column_set, 2 columns, markdown, and 2 per button (button + text).
 * With "催办" and "打开" a line costs 8, so at most (190 - 10) / 8 = 22 lines fit.
 */
function maxLines(withNudge: boolean, cap: number): number {
  const per = withNudge ? 8 : 6;
  return Math.min(cap, Math.floor((CARD_SAFE_ELEMENTS - 10) / per));
}

/** Most overdue first (stable). */
function sortItems(items: EscalationItem[]): EscalationItem[] {
  return items
    .map((it, i) => ({ it, i }))
    .sort((x, y) => y.it.daysOverdue - x.it.daysOverdue || x.i - y.i)
    .map((x) => x.it);
}

/** 逾期督办: overdue items sent to the owner, the unit head, the leader or the admins. */
export function escalationCard(input: EscalationCardInput): Card {
  const sorted = sortItems(input.e.items);
  return fitCard(LEVELS.length, (lv) => build(input, sorted, LEVELS[lv]));
}

function kindLabel(l: Locale, k: EscalationItem["kind"]): string {
  if (k === "follow-up") return tr(l, "【回头看】", "[Follow-up] ");
  return k === "assignment" ? tr(l, "【自查】", "[Self-check] ") : tr(l, "【整改】", "[Measure] ");
}

function workDays(l: Locale, n: number): string {
  return tr(l, `逾期 ${n} 个工作日`, `${n} working day${n === 1 ? "" : "s"} overdue`);
}

function build(input: EscalationCardInput, sorted: EscalationItem[], L: Level): Card {
  const { e, locale: l, today } = input;
  const owner = e.level === "owner";
  const name = escLine(e.recipientName, 20);
  const n = sorted.length;
  const after = e.afterWorkingDays;
  const title = owner
    ? tr(l, "您有事项已逾期", "You have overdue items")
    : tr(l, "逾期督办", "Overdue escalation");
  const elements: object[] = [];

  if (n === 0) {
    elements.push(md(tr(l, `${name}，目前没有需要督办的逾期事项。`, `${name}, nothing is overdue.`)));
  } else {
    const intro = owner
      ? tr(
          l,
          `${name}，您有 ${n} 项事项逾期已超过 ${after} 个工作日，请尽快处理：`,
          `${name}, ${n} of your item(s) are more than ${after} working day(s) overdue. Please deal with them:`,
        )
      : e.level === "head"
        ? tr(
            l,
            `${name}，本科室以下 ${n} 项事项逾期已超过 ${after} 个工作日，请督促办理：`,
            `${name}, these ${n} item(s) of your unit are more than ${after} working day(s) overdue; please follow up:`,
          )
        : e.level === "leader"
          ? tr(
              l,
              `${name}，您分管科室的以下 ${n} 项事项逾期已超过 ${after} 个工作日，请督促办理：`,
              `${name}, these ${n} item(s) in the units you oversee are more than ${after} working day(s) overdue; please follow up:`,
            )
          : tr(
              l,
              `${name}，以下 ${n} 项事项逾期已超过 ${after} 个工作日：`,
              `${name}, these ${n} item(s) are more than ${after} working day(s) overdue:`,
            );
    elements.push(md(intro));
    const shown = sorted.slice(0, maxLines(!owner, L.lines));
    for (const it of shown) elements.push(lineRow(l, it, L, !owner));
    if (n > shown.length) {
      elements.push(md(tr(l, `另有 ${n - shown.length} 项未列出。`, `${n - shown.length} more not shown.`)));
    }
    elements.push(
      note(
        owner
          ? tr(
              l,
              "点「打开」填报自查或更新整改进展。",
              'Press "Open" to fill in a self-check or update a measure.',
            )
          : tr(
              l,
              "点「催办」向责任人发送提醒，点「打开」查看详情。",
              'Press "Nudge" to remind the owner, "Open" for details.',
            ),
      ),
    );
  }

  return card({
    title: clip(title, 100),
    subtitle: clip(`${e.campaignTitle} · ${today}`, 60),
    template: "red",
    summary: clip(tr(l, `${title}：${n} 项`, `${title}: ${n}`), 60),
    elements,
  });
}

function lineRow(l: Locale, it: EscalationItem, L: Level, withNudge: boolean): object {
  const text = [
    `${kindLabel(l, it.kind)}${escLine(it.title, L.title)}`,
    `${escLine(it.ownerName, L.name)}${sep(l)}${escLine(it.unitName, L.name)}`,
    `${tr(l, "截止", "Due")} ${escLine(it.dueDate, 20)}${sep(l)}<font color='red'>${workDays(l, it.daysOverdue)}</font>`,
  ];
  const buttons: object[] = [];
  if (withNudge) {
    buttons.push(
      button(
        tr(l, "催办", "Nudge"),
        { action: ESCALATION_ACTIONS.nudge, kind: it.kind, id: it.id },
        { type: "primary" },
      ),
    );
  }
  buttons.push(button(tr(l, "打开", "Open"), { action: DIGEST_ACTIONS.open, kind: it.kind, id: it.id }));
  return lineWithButtons(text.join("\n"), buttons, { buttonSpacing: "4px" });
}
