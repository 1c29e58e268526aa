import {
  button,
  card,
  clip,
  daysUntil,
  dueLevel,
  dueMd,
  escLine,
  fitCard,
  md,
  note,
  tr,
  type Card,
  type Locale,
  type Template,
  lineWithButtons,
} from "./kit";
import type { DigestLine } from "./view-types";

/** Callback actions this card emits (`value.action`). */
export const DIGEST_ACTIONS = { open: "dg.open" } as const;

export interface DigestCardInput {
  title?: string;
  personName: string;
  campaignTitle: string;
  lines: DigestLine[];
  locale: Locale;
  today: string;
  kind: "start" | "reminder";
}

/**
 * Lines with an "打开" button each. A line costs 6 components (column_set, 2 columns, markdown,
 * button, button text), so 30 lines stay well under the 200-component limit.
 */
export const DIGEST_MAX_LINES = 30;

const LEVELS = [
  { lines: DIGEST_MAX_LINES, title: 80, note: 60 },
  { lines: 25, title: 50, note: 40 },
  { lines: 20, title: 30, note: 20 },
  { lines: 10, title: 20, note: 0 },
] as const;
type Level = (typeof LEVELS)[number];

/** Due dates first; lines without a valid date last; then assignments before measures, then title. */
export function sortDigestLines(lines: DigestLine[], today: string): DigestLine[] {
  const key = (d: DigestLine): number => daysUntil(today, d.dueDate) ?? Number.POSITIVE_INFINITY;
  return [...lines].sort((x, y) => {
    const a = key(x);
    const b = key(y);
    if (a !== b) return a < b ? -1 : 1;
    if (x.kind !== y.kind) return x.kind === "assignment" ? -1 : 1;
    return x.title < y.title ? -1 : x.title > y.title ? 1 : 0;
  });
}

/** A person's open self-checks and measures for one campaign (campaign start, or a reminder). */
export function digestCard(input: DigestCardInput): Card {
  const sorted = sortDigestLines(input.lines, input.today);
  return fitCard(LEVELS.length, (lv) => build(input, sorted, LEVELS[lv]));
}

function kindLabel(l: Locale, k: DigestLine["kind"]): string {
  if (k === "follow-up") return tr(l, "【回头看】", "[Follow-up] ");
  return k === "assignment" ? tr(l, "【自查】", "[Self-check] ") : tr(l, "【整改】", "[Measure] ");
}

function build(input: DigestCardInput, sorted: DigestLine[], L: Level): Card {
  const { locale: l, today } = input;
  const overdue = sorted.filter((d) => dueLevel(today, d.dueDate) === "overdue").length;
  const template: Template = overdue > 0 ? "red" : input.kind === "reminder" ? "orange" : "blue";
  const title =
    input.title ??
    (input.kind === "start"
      ? tr(l, "自查整改任务", "Self-inspection tasks")
      : tr(l, "待办提醒", "Reminder: open tasks"));
  const name = escLine(input.personName, 20);
  const elements: object[] = [];

  if (sorted.length === 0) {
    elements.push(md(tr(l, `${name}，你目前没有待办事项。`, `${name}, you have nothing open.`)));
  } else {
    const intro =
      input.kind === "start"
        ? tr(
            l,
            `${name}，请在截止日期前完成以下 ${sorted.length} 项：`,
            `${name}, please complete these ${sorted.length} item(s) by their due dates:`,
          )
        : tr(
            l,
            `${name}，你还有 ${sorted.length} 项待办：`,
            `${name}, you still have ${sorted.length} open item(s):`,
          );
    const od =
      overdue > 0
        ? tr(
            l,
            `<font color='red'>其中 ${overdue} 项已逾期。</font>`,
            ` <font color='red'>${overdue} overdue.</font>`,
          )
        : "";
    elements.push(md(intro + od));
    const shown = sorted.slice(0, L.lines);
    for (const line of shown) elements.push(lineRow(l, today, line, L));
    if (sorted.length > shown.length) {
      elements.push(
        md(
          tr(
            l,
            `另有 ${sorted.length - shown.length} 项未列出，可发送「我的待办」查看。`,
            `${sorted.length - shown.length} more not shown; send "my tasks" to see them.`,
          ),
        ),
      );
    }
  }
  elements.push(
    note(
      tr(
        l,
        "点「打开」填报自查或更新整改进展。",
        'Press "Open" to fill in a self-check or update a measure.',
      ),
    ),
  );

  return card({
    title: clip(title, 100),
    subtitle: clip(input.campaignTitle, 60),
    template,
    summary: clip(tr(l, `${title}：${sorted.length} 项待办`, `${title}: ${sorted.length} open`), 60),
    elements,
  });
}

function lineRow(l: Locale, today: string, line: DigestLine, L: Level): object {
  const text = [
    `${kindLabel(l, line.kind)}${escLine(line.title, L.title)}`,
    `${tr(l, "截止", "Due")} ${dueMd(l, today, line.dueDate)}${line.note && L.note > 0 ? ` · ${escLine(line.note, L.note)}` : ""}`,
  ];
  return lineWithButtons(text.join("\n"), [
    button(tr(l, "打开", "Open"), { action: DIGEST_ACTIONS.open, kind: line.kind, id: line.id }),
  ]);
}
