/**
 * The campaign card an admin runs a campaign from (issue 13 §2): what it holds, and 启动 (its confirm
 * dialog says how many people get how many cards), 发送进度通报, 结束 (confirmed). Pure: no I/O.
 */
import { button, buttonRow, card, hr, md, note, tr, type Card, type Locale } from "./kit";
import { templateButton } from "./import-cards";

export const CAMPAIGN_CARD_ACTIONS = {
  start: "cc.start",
  broadcast: "cc.broadcast",
  end: "cc.end",
} as const;

export interface CampaignCardView {
  key: string;
  title: string;
  status: string;
  startDate: string;
  endDate?: string | null;
  units: number;
  people: number;
  assignments: number;
  submitted: number;
  /** What 启动 would send now. */
  plan: { people: number; cards: number; unreachable: number };
  /** A line on top: what just happened (imported, started…). */
  notice?: string;
}

const STATUS: Record<string, [string, string]> = {
  draft: ["未启动", "not started"],
  active: ["进行中", "running"],
  ended: ["已结束", "ended"],
};

export function campaignCard(v: CampaignCardView, l: Locale): Card {
  const status = STATUS[v.status] ?? [v.status, v.status];
  const elements: object[] = [];
  if (v.notice) elements.push(md(v.notice), hr());
  elements.push(
    md(
      tr(
        l,
        `**状态：${status[0]}**\n时间：${v.startDate}${v.endDate ? ` 至 ${v.endDate}` : ""}\n单位 ${v.units} 个 · 人员 ${v.people} 人 · 分工 ${v.assignments} 条 · 已提交 ${v.submitted} 条`,
        `**Status: ${status[1]}**\nDates: ${v.startDate}${v.endDate ? ` to ${v.endDate}` : ""}\n${v.units} units · ${v.people} people · ${v.assignments} assignments · ${v.submitted} submitted`,
      ),
    ),
  );
  if (v.plan.unreachable)
    elements.push(
      note(
        tr(
          l,
          `${v.plan.unreachable} 人在飞书中没有找到，收不到卡片（补上手机、邮箱或 open_id 后重新发送文件）。`,
          `${v.plan.unreachable} people were not found in Feishu and receive nothing (add a mobile, email or open_id and send the file again).`,
        ),
      ),
    );
  const buttons: object[] = [];
  if (v.status !== "ended" && v.plan.cards > 0)
    buttons.push(
      button(
        v.status === "active" ? tr(l, "补发卡片", "Send the new cards") : tr(l, "启动", "Start"),
        { action: CAMPAIGN_CARD_ACTIONS.start, campaign: v.key },
        {
          type: "primary_filled",
          confirm: {
            title: tr(l, "启动活动", "Start the campaign"),
            text: tr(
              l,
              `将向 ${v.plan.people} 人发送 ${v.plan.cards} 张卡片（每人一张任务清单和每项分工一张自查卡片）。确定启动吗？`,
              `${v.plan.cards} cards will go to ${v.plan.people} people (a task list each and a self-check card per assignment). Start now?`,
            ),
          },
        },
      ),
    );
  if (v.status === "active")
    buttons.push(
      button(tr(l, "发送进度通报", "Send the progress broadcast"), {
        action: CAMPAIGN_CARD_ACTIONS.broadcast,
        campaign: v.key,
      }),
    );
  if (v.status !== "ended")
    buttons.push(
      button(
        tr(l, "结束", "End"),
        { action: CAMPAIGN_CARD_ACTIONS.end, campaign: v.key },
        {
          type: "danger",
          confirm: {
            title: tr(l, "结束活动", "End the campaign"),
            text: tr(
              l,
              "结束后不再发送提醒、督办和进度通报；已填写的内容全部保留，仍可查询和导出。确定结束吗？",
              "After the end no more reminders, escalations or broadcasts go out; everything given is kept and can still be asked for and exported. End now?",
            ),
          },
        },
      ),
    );
  buttons.push(templateButton(l));
  elements.push(hr(), buttonRow(buttons));
  return card({
    title: v.title || v.key,
    subtitle: v.key,
    template: v.status === "active" ? "green" : v.status === "ended" ? "grey" : "blue",
    elements,
  });
}
