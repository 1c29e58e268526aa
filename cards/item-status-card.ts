/** The card of one checklist item across units (a table of assignee, state, conclusion, problems, due). */
import {
  card,
  clip,
  dueLevel,
  dueMd,
  fitCard,
  md,
  note,
  sep,
  table,
  tr,
  type Card,
  type Locale,
} from "./kit";
import { conclusionLabel, type ConclusionValue } from "./labels";
import type { ItemStatusView } from "./view-types";

// 一个检查项在各科室的填报情况

export interface ItemStatusCardInput {
  v: ItemStatusView;
  locale: Locale;
  today: string;
}

const ITEM_LEVELS = [{ rows: 100 }, { rows: 60 }, { rows: 40 }, { rows: 20 }, { rows: 10 }] as const;

const CONCLUSIONS = new Set<string>(["compliant", "basically_compliant", "problems"]);

function conclusionText(l: Locale, c: string | undefined): string {
  if (!c) return "";
  return CONCLUSIONS.has(c) ? conclusionLabel(l, c as ConclusionValue) : clip(c, 20);
}

/** One checklist item across units: a table 科室/填报人/状态/结论/问题数/时限. */
export function itemStatusCard(input: ItemStatusCardInput): Card {
  return fitCard(ITEM_LEVELS.length, (lv) => buildItemStatus(input, ITEM_LEVELS[lv].rows));
}

function buildItemStatus(input: ItemStatusCardInput, maxRows: number): Card {
  const { v, locale: l, today } = input;
  const rows = v.rows;
  const submitted = rows.filter((r) => r.state === "submitted").length;
  const problems = rows.reduce((n, r) => n + (Number.isFinite(r.problems) ? r.problems : 0), 0);
  const late = rows.filter((r) => r.state === "pending" && dueLevel(today, r.dueDate) === "overdue").length;
  const elements: object[] = [];

  if (rows.length === 0) {
    elements.push(md(tr(l, "该检查项尚未分派到科室。", "This item has not been assigned to any unit.")));
  } else {
    elements.push(
      md(
        tr(
          l,
          `已填报 **${submitted}/${rows.length}**${sep(l)}发现问题 **${problems}** 个${late > 0 ? `${sep(l)}<font color='red'>逾期未填报 **${late}**</font>` : ""}`,
          `Filled in **${submitted}/${rows.length}**${sep(l)}problems found **${problems}**${late > 0 ? `${sep(l)}<font color='red'>overdue **${late}**</font>` : ""}`,
        ),
      ),
    );
    const shown = rows.slice(0, maxRows);
    elements.push(
      table(
        [
          { name: "unit", display_name: tr(l, "科室", "Unit"), data_type: "text", width: "auto" },
          { name: "who", display_name: tr(l, "填报人", "Assignee"), data_type: "text" },
          { name: "state", display_name: tr(l, "状态", "State"), data_type: "options" },
          { name: "concl", display_name: tr(l, "结论", "Conclusion"), data_type: "text" },
          {
            name: "probs",
            display_name: tr(l, "问题数", "Problems"),
            data_type: "number",
            horizontal_align: "right",
          },
          { name: "due", display_name: tr(l, "时限", "Due"), data_type: "markdown" },
        ],
        shown.map((r) => {
          const done = r.state === "submitted";
          const overdue = !done && dueLevel(today, r.dueDate) === "overdue";
          return {
            unit: clip(r.unitName, 30),
            who: clip(r.assigneeName, 20),
            state: [
              done
                ? { text: tr(l, "已填报", "Submitted"), color: "green" }
                : { text: tr(l, "未填报", "Pending"), color: overdue ? "red" : "orange" },
            ],
            concl: conclusionText(l, r.conclusion),
            probs: Number.isFinite(r.problems) ? r.problems : 0,
            due: dueMd(l, today, r.dueDate, { done }),
          };
        }),
      ),
    );
    if (rows.length > shown.length) {
      elements.push(
        note(
          tr(
            l,
            `另有 ${rows.length - shown.length} 个科室未列出。`,
            `${rows.length - shown.length} more units not shown.`,
          ),
        ),
      );
    }
  }

  const head = `${v.sectionCode} · ${v.itemTitle}`;
  return card({
    title: clip(tr(l, `填报情况 · ${head}`, `Status · ${head}`), 100),
    subtitle: clip(v.campaignTitle, 60),
    template: late > 0 ? "orange" : rows.length > 0 && submitted === rows.length ? "green" : "blue",
    summary: clip(
      tr(
        l,
        `${v.itemTitle}：已填报 ${submitted}/${rows.length}`,
        `${v.itemTitle}: ${submitted}/${rows.length} filled in`,
      ),
      60,
    ),
    elements,
  });
}
