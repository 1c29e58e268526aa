/** Cards for "who has not filled in yet": the named list by unit, and the counts-only version. */
import { card, clip, escLine, fitCard, md, note, tr, type Card, type Locale } from "./kit";
import { blocks, COUNT_LEVELS, moreUnits } from "./answer-shared";
import type { PendingView } from "./view-types";

// 谁还没填报

export interface PendingCardInput {
  v: PendingView;
  locale: Locale;
}

const PENDING_LEVELS = [
  { units: 40, people: 30, items: 5, title: 40, name: 20 },
  { units: 30, people: 20, items: 3, title: 24, name: 16 },
  { units: 20, people: 15, items: 2, title: 16, name: 12 },
  { units: 15, people: 10, items: 1, title: 12, name: 10 },
  { units: 10, people: 8, items: 0, title: 0, name: 8 },
] as const;
type PendingLevel = (typeof PENDING_LEVELS)[number];

/** Who has not filled in their self-checks yet, grouped by unit, with the pending item titles. */
export function pendingCard(input: PendingCardInput): Card {
  return fitCard(PENDING_LEVELS.length, (lv) => buildPending(input, PENDING_LEVELS[lv]));
}

function buildPending(input: PendingCardInput, L: PendingLevel): Card {
  const { v, locale: l } = input;
  const units = v.byUnit.filter((u) => u.people.length > 0);
  const people = units.reduce((n, u) => n + u.people.length, 0);
  const title = tr(l, "未填报名单", "Not yet filled in");
  const elements: object[] = [];

  if (people === 0) {
    elements.push(md(tr(l, "所有自查事项均已填报。", "Every self-check has been filled in.")));
  } else {
    elements.push(
      md(
        tr(
          l,
          `共 **${v.total}** 项自查未填报，涉及 **${units.length}** 个科室 **${people}** 人：`,
          `**${v.total}** self-check(s) not filled in, by **${people}** people in **${units.length}** unit(s):`,
        ),
      ),
    );
    const shownUnits = units.slice(0, L.units);
    for (const u of shownUnits) {
      const shownPeople = u.people.slice(0, L.people);
      const lines = shownPeople.map((p) => {
        const name = escLine(p.name, L.name);
        if (L.items === 0 || p.items.length === 0)
          return `- ${name}${tr(l, `（${p.items.length} 项）`, ` (${p.items.length})`)}`;
        const items = p.items.slice(0, L.items).map((t) => escLine(t, L.title));
        const more = p.items.length - items.length;
        const tail = more > 0 ? tr(l, ` 等 ${p.items.length} 项`, ` and ${more} more`) : "";
        return `- ${name}${tr(l, "：", ": ")}${items.join(tr(l, "；", "; "))}${tail}`;
      });
      if (u.people.length > shownPeople.length) {
        lines.push(
          tr(
            l,
            `另有 ${u.people.length - shownPeople.length} 人`,
            `${u.people.length - shownPeople.length} more people`,
          ),
        );
      }
      const head = `**${escLine(u.unitName, 30)}**${tr(l, `（${u.people.length} 人）`, ` (${u.people.length})`)}`;
      elements.push(md(`${head}\n${lines.join("\n")}`));
    }
    if (units.length > shownUnits.length) {
      const rest = units.slice(shownUnits.length);
      const restPeople = rest.reduce((n, u) => n + u.people.length, 0);
      elements.push(
        md(
          tr(
            l,
            `另有 ${rest.length} 个科室（${restPeople} 人）未列出。`,
            `${rest.length} more unit(s) (${restPeople} people) not shown.`,
          ),
        ),
      );
    }
  }

  return card({
    title: clip(`${title} · ${v.campaignTitle}`, 100),
    template: people > 0 ? "orange" : "green",
    summary: clip(
      tr(l, `${title}：${people} 人，${v.total} 项`, `${title}: ${people} people, ${v.total} item(s)`),
      60,
    ),
    elements,
  });
}

// ---------------------------------------------------------------------------------------------
// 未填报情况（只有数字）: for a group chat and for members, who do not get the named list.

export interface PendingCountsCardInput {
  v: {
    campaignTitle: string;
    units: { unitName: string; pending: number; total: number }[];
    /** The asker's own pending item titles (in private). */
    own?: string[];
  };
  locale: Locale;
}

export function pendingCountsCard(input: PendingCountsCardInput): Card {
  return fitCard(COUNT_LEVELS.length, (lv) => buildPendingCounts(input, COUNT_LEVELS[lv].units));
}

function buildPendingCounts(input: PendingCountsCardInput, maxUnits: number): Card {
  const { v, locale: l } = input;
  const pending = v.units.reduce((n, u) => n + u.pending, 0);
  const total = v.units.reduce((n, u) => n + u.total, 0);
  const title = tr(l, "未填报情况", "Not yet filled in");
  const elements: object[] = [];
  if (v.own) {
    elements.push(
      md(
        v.own.length
          ? tr(
              l,
              `您本人还有 **${v.own.length}** 项未填报：`,
              `You have **${v.own.length}** not filled in:`,
            ) +
              "\n" +
              v.own
                .slice(0, 20)
                .map((t) => `- ${escLine(t, 40)}`)
                .join("\n")
          : tr(l, "您本人没有未填报的自查事项。", "You have nothing left to fill in."),
      ),
    );
  }
  if (v.units.length) {
    elements.push(
      md(
        tr(
          l,
          `共 **${pending}** 项未填报（已填报 ${total - pending}/${total}）：`,
          `**${pending}** not filled in (${total - pending}/${total} done):`,
        ),
      ),
    );
    const shown = v.units.slice(0, maxUnits);
    elements.push(
      ...blocks(
        shown.map((u) =>
          tr(
            l,
            `- ${escLine(u.unitName, 30)}：已填报 ${u.total - u.pending}/${u.total}，未填报 ${u.pending} 项`,
            `- ${escLine(u.unitName, 30)}: ${u.total - u.pending}/${u.total} filled in, ${u.pending} not yet`,
          ),
        ),
      ),
    );
    if (v.units.length > shown.length) elements.push(moreUnits(l, v.units.length - shown.length));
  }
  elements.push(
    note(
      tr(
        l,
        "未填报人员名单只私信发给科室负责人、分管领导和管理员。",
        "The named list goes only to heads, leaders and admins, in private.",
      ),
    ),
  );
  return card({
    title: clip(`${title} · ${v.campaignTitle}`, 100),
    template: pending > 0 || (v.own?.length ?? 0) > 0 ? "orange" : "green",
    summary: clip(tr(l, `${title}：${pending} 项`, `${title}: ${pending}`), 60),
    elements,
  });
}
