/**
 * 同步通讯录 cards: the preview of what the address book changed (应用 / 取消), the result, the notice
 * to a head who receives the open measures of people who left, and the card that names a missing scope.
 */
import type { OrgDiff, Reassigned } from "../src/services/org-sync";
import { button, buttonRow, card, escLine, md, moreText, note, tr, type Card, type Locale } from "./kit";

/** Callback actions of the preview card (`value.action`). */
export const ORG_SYNC_ACTIONS = { apply: "org.apply", cancel: "org.cancel" } as const;

/** Lines listed per kind of change; past that "还有 N 项…". */
export const ORG_SYNC_MAX_LINES = 15;

function lines<T>(locale: Locale, list: T[], line: (x: T) => string): string {
  const shown = list.slice(0, ORG_SYNC_MAX_LINES).map((x) => `- ${line(x)}`);
  if (list.length > ORG_SYNC_MAX_LINES) shown.push(moreText(locale, list.length - ORG_SYNC_MAX_LINES));
  return shown.join("\n");
}

/** What the address book changed, before anything is written. */
export function orgSyncPreviewCard(diff: OrgDiff, locale: Locale, campaignTitle: string): Card {
  const unit = (k: string) => escLine(diff.unitNames[k] ?? k, 30);
  const person = (k: string) => escLine(diff.personNames[k] ?? k, 20);
  const el: object[] = [];
  const section = (zh: string, en: string, n: number, body: string) => {
    if (!n) return;
    el.push(md(`**${tr(locale, `${zh}（${n}）`, `${en} (${n})`)}**\n${body}`));
  };
  const empty =
    !diff.addedUnits.length &&
    !diff.added.length &&
    !diff.moved.length &&
    !diff.left.length &&
    !diff.heads.length;
  if (empty)
    el.push(
      md(
        tr(
          locale,
          "通讯录与本次活动的名单一致，无需同步。",
          "The address book matches the campaign: nothing to sync.",
        ),
      ),
    );
  section(
    "离职 · 不在通讯录中",
    "Left · no longer in the address book",
    diff.left.length,
    lines(locale, diff.left, (p) =>
      tr(
        locale,
        `${person(p.key)}（${unit(p.unitKey)}）：已填报 ${p.answers} 项保留；未完成措施 ${p.openMeasures} 项转单位负责人`,
        `${person(p.key)} (${unit(p.unitKey)}): ${p.answers} answer(s) kept; ${p.openMeasures} open measure(s) to the unit's head`,
      ),
    ),
  );
  section(
    "调动",
    "Moved",
    diff.moved.length,
    lines(locale, diff.moved, (p) => `${person(p.key)}：${unit(p.fromUnit)} → ${unit(p.toUnit)}`),
  );
  section(
    "负责人变更",
    "New heads",
    diff.heads.length,
    lines(
      locale,
      diff.heads,
      (h) =>
        `${unit(h.unitKey)}：${h.from ? person(h.from) : tr(locale, "（无）", "(none)")} → ${person(h.to)}`,
    ),
  );
  section(
    "新增单位",
    "New units",
    diff.addedUnits.length,
    lines(locale, diff.addedUnits, (u) => unit(u.key)),
  );
  section(
    "新增人员",
    "New people",
    diff.added.length,
    lines(
      locale,
      diff.added,
      (p) =>
        `${escLine(p.name, 20)}（${unit(p.unitKey)}）${p.returned ? tr(locale, " · 重新加入", " · back") : ""}`,
    ),
  );
  if (diff.addedUnits.length)
    el.push(
      note(
        tr(
          locale,
          "新增单位将获得各单位共有的自查事项（活动进行中时随即发送卡片）；其他事项请修改活动文件后重新导入。",
          "New units get the self-check items every unit has (their cards go out at once in a running campaign); other items: edit the campaign file and import it again.",
        ),
      ),
    );
  for (const n of diff.notes.slice(0, 5)) el.push(note(tr(locale, n.zh, n.en)));
  if (!empty)
    el.push(
      buttonRow([
        button(
          tr(locale, "应用", "Apply"),
          { action: ORG_SYNC_ACTIONS.apply, campaign: diff.campaignKey, hash: diff.hash },
          {
            type: "primary_filled",
            name: "org_apply",
            confirm: {
              title: tr(locale, "应用通讯录变更？", "Apply the address book's changes?"),
              text: tr(
                locale,
                `离职 ${diff.left.length} 人、调动 ${diff.moved.length} 人、新增 ${diff.added.length} 人。离职人员的填报保留，未完成措施转给单位负责人。`,
                `${diff.left.length} left, ${diff.moved.length} moved, ${diff.added.length} new. Answers of people who left are kept; their open measures go to their unit's head.`,
              ),
            },
          },
        ),
        button(
          tr(locale, "取消", "Cancel"),
          { action: ORG_SYNC_ACTIONS.cancel, campaign: diff.campaignKey },
          { name: "org_cancel" },
        ),
      ]),
    );
  return card({
    title: tr(locale, "同步通讯录 · 变更预览", "Address book sync · preview"),
    subtitle: escLine(campaignTitle, 40),
    template: empty ? "green" : "orange",
    elements: el,
  });
}

export function orgSyncResultCard(
  locale: Locale,
  r: {
    added: number;
    moved: number;
    left: number;
    heads: number;
    reassigned: number;
    orphaned: number;
    addedUnits?: number;
    assigned?: number;
    /** Messages sent to the new units' heads (a running campaign); absent when it has not started. */
    cardsSent?: number;
  },
): Card {
  const el = [
    md(
      tr(
        locale,
        `已应用：新增 ${r.added} 人，调动 ${r.moved} 人，离职 ${r.left} 人，负责人变更 ${r.heads} 个单位。${r.reassigned} 项未完成措施已转给单位负责人，并已通知他们。`,
        `Applied: ${r.added} new, ${r.moved} moved, ${r.left} left, ${r.heads} new head(s). ${r.reassigned} open measure(s) went to the unit heads, who were told.`,
      ),
    ),
  ];
  if (r.addedUnits)
    el.push(
      md(
        r.assigned
          ? tr(
              locale,
              `新增单位 ${r.addedUnits} 个，按各单位共有的分工分配自查事项 ${r.assigned} 项${r.cardsSent === undefined ? "（卡片在活动启动时发送）" : r.cardsSent ? "，卡片已发给新单位的负责人" : ""}。其他事项如需分配，请修改活动文件后重新导入。`,
              `${r.addedUnits} new unit(s) got the ${r.assigned} self-check item(s) every unit has${r.cardsSent === undefined ? " (their cards go out when the campaign starts)" : r.cardsSent ? "; their cards went to the new units' heads" : ""}. To give them other items, edit the campaign file and import it again.`,
            )
          : tr(
              locale,
              `新增单位 ${r.addedUnits} 个，暂未分配自查事项（没有各单位共有的事项，或单位没有负责人）：请修改活动文件后重新导入。`,
              `${r.addedUnits} new unit(s), no self-check items given yet (no item every unit has, or no head): edit the campaign file and import it again.`,
            ),
      ),
    );
  if (r.orphaned)
    el.push(
      md(
        tr(
          locale,
          `**${r.orphaned} 项措施无人接手**（单位没有负责人或分管领导）：请在活动文件中设置负责人后重新导入。`,
          `**${r.orphaned} measure(s) have nobody to take them** (the unit has no head or leader): set a head in the campaign file and import again.`,
        ),
      ),
    );
  return card({ title: tr(locale, "通讯录已同步", "Address book synced"), template: "green", elements: el });
}

export function orgSyncCancelledCard(locale: Locale): Card {
  return card({
    title: tr(locale, "已取消同步", "Sync cancelled"),
    template: "grey",
    elements: [md(tr(locale, "没有做任何更改。", "Nothing was changed."))],
  });
}

/** The address book changed again since the preview: nothing applied, look again. */
export function orgSyncStaleCard(locale: Locale): Card {
  return card({
    title: tr(locale, "通讯录又有变化", "The address book changed again"),
    template: "yellow",
    elements: [
      md(
        tr(
          locale,
          "预览之后通讯录又有变化，没有应用。请重新发送“同步通讯录”查看最新变更。",
          "The address book changed after the preview; nothing was applied. Send 同步通讯录 again to see the latest changes.",
        ),
      ),
    ],
  });
}

/** To a head: open measures of people who left are now theirs, to reassign. */
export function orgReassignedCard(locale: Locale, measures: Reassigned[], leftNames: string[]): Card {
  const names = leftNames.map((n) => escLine(n, 20)).join("、");
  return card({
    title: tr(locale, "离职人员的整改措施转由您负责", "Measures of people who left are now yours"),
    template: "orange",
    elements: [
      md(
        tr(
          locale,
          `${names} 已不在通讯录中（离职或调出）。以下未完成的整改措施已转到您名下，请重新指定责任人或继续推进：`,
          `${names} left the address book. These open measures are now yours: reassign them or carry them on:`,
        ),
      ),
      md(
        lines(
          locale,
          measures,
          (x) => `${tr(locale, `措施${x.seq}`, `Measure ${x.seq}`)}：${escLine(x.content, 60)}`,
        ),
      ),
      note(tr(locale, "发送“措施N”查看并更新某项措施。", "Send “措施N” to see and update a measure.")),
    ],
  });
}

/** The app lacks a scope (or a department is unknown): what to do, and that nothing was written. */
export function orgProblemCard(
  locale: Locale,
  text: { zh: string; en: string },
  scopes: string[] = [],
): Card {
  const el: object[] = [md(escLine(tr(locale, text.zh, text.en), 400))];
  if (scopes.length)
    el.push(
      md(`${tr(locale, "需要开通的权限", "Scope to add")}：${scopes.map((s) => `\`${s}\``).join(" ")}`),
    );
  return card({
    title: tr(locale, "无法读取飞书通讯录", "Cannot read the address book"),
    template: "red",
    elements: el,
  });
}
