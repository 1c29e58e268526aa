import { helpCard } from "../cards/help-card";
import { card, md } from "../cards/kit";
import type { InboundMessage } from "../src/domain/events";
import { buildDictionary, parseIntent, type IntentDictionary } from "../src/intent/index";
import type { Logger } from "../src/logger";
import {
  answerDueSoon,
  answerItemStatus,
  answerMeasureDetail,
  answerMyTodos,
  answerOverdue,
  answerPending,
  answerProblems,
  answerProgress,
  askerContext,
  notCampaignChat,
  notInCampaign,
  withCampaignState,
  type Answer,
  type Asker,
} from "../src/services/answers";
import { answerSuspects } from "../src/flags/suspects";
import type { Campaign } from "../src/services/context";
import { manualSlot } from "../src/services/sweeps";
import { campaignChecklist } from "../src/services/views";
import type { HandlerDeps } from "./deps";
import { answerExport } from "./export-request";
import { answerOrgSync } from "./org-sync";
import { onFileMessage, onTemplateRequest, TEMPLATE_REQUEST } from "./file-receive";
import { sendCardToPerson } from "./notify";
import { answerMessage } from "./respond";

/** Mention keys (`@_user_1`) are placeholders, not words of the question. */
export function questionText(msg: InboundMessage): string {
  return msg.text
    .replace(/@_user_\d+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** English when the question has Latin letters and no CJK characters. */
export function questionLocale(text: string): "zh" | "en" {
  return /[a-zA-Z]/.test(text) && !/[\u3400-\u9fff]/.test(text) ? "en" : "zh";
}

const dictionaries = new Map<string, IntentDictionary>();

/** The campaign's own units, sections and items; cached until the campaign changes. */
async function dictionaryFor(deps: HandlerDeps, c: Campaign): Promise<IntentDictionary> {
  const key = `${c.key}@${c.updatedAt?.getTime() ?? 0}`;
  const hit = dictionaries.get(key);
  if (hit) return hit;
  const units = await deps.models.Unit.find({ campaignKey: c.key }, { name: 1 }).lean();
  const dict = buildDictionary({ units: units.map((u) => u.name), checklist: campaignChecklist(c) });
  if (dictionaries.size > 50) dictionaries.clear();
  dictionaries.set(key, dict);
  return dict;
}

/**
 * In a group the bot may receive every message (with the group-message scope); only those that
 * @mention the bot itself (its open_id, not just any mention) are questions to it.
 */
async function addressedToBot(msg: InboundMessage, deps: HandlerDeps): Promise<boolean> {
  if (msg.chatType !== "group") return true;
  if (!msg.mentions.length) return false;
  const bot = await deps.feishu.botInfo();
  return msg.mentions.some((m) => m.openId === bot.openId);
}

/** `im.message.receive_v1`: a question to the bot, in p2p or with an @mention of the bot in a group. */
export async function onMessageReceive(msg: InboundMessage, deps: HandlerDeps, log: Logger): Promise<void> {
  if (!(await addressedToBot(msg, deps))) {
    log.debug({ chat_id: msg.chatId }, "group message not addressed to the bot: no answer");
    return;
  }
  // In private: a campaign file from an admin, or 下载模板 (handlers/file-receive.ts).
  if (msg.chatType === "p2p" && msg.messageType === "file") return onFileMessage(msg, deps, log);
  if (msg.chatType === "p2p" && TEMPLATE_REQUEST.test(questionText(msg)))
    return onTemplateRequest(msg, deps, log);
  const text = questionText(msg);
  const locale = questionLocale(text);
  const found = await askerContext(deps, msg);
  const ctx = found.kind === "campaign" ? found : undefined;
  const dict = ctx
    ? await dictionaryFor(deps, ctx.campaign)
    : buildDictionary({ units: [], checklist: { key: "", title: "", sections: [] } });
  const q =
    msg.messageType === "text" || msg.messageType === "post"
      ? parseIntent(text, dict, { mentions: msg.mentions.map((m) => ({ key: m.key, openId: m.openId })) })
      : { intent: "unknown" as const, slots: {} };
  const started = performance.now();
  let answer: Answer;
  if (found.kind === "not_campaign_chat" && q.intent !== "help") {
    // A group that is no campaign's chat: its members may not be on any campaign (DESIGN.md §5).
    answer = { card: notCampaignChat(locale) };
  } else if (q.intent === "help" || q.intent === "unknown") {
    answer = { card: helpCard({ locale, notUnderstood: q.intent === "unknown" ? text : undefined }) };
  } else if (!ctx) {
    answer = {
      card: card({
        title: locale === "en" ? "No campaign running" : "暂无进行中的自查活动",
        template: "grey",
        elements: [
          md(
            locale === "en"
              ? "There is no active campaign at the moment."
              : "目前没有进行中的专项整治自查活动。",
          ),
        ],
      }),
    };
  } else {
    const a: Asker = { person: ctx.person, campaign: ctx.campaign, group: msg.chatType === "group", locale };
    // In private, campaign data is for the people on the campaign.
    answer = !a.group && !a.person ? { card: notInCampaign(a) } : await route(q, a, deps, msg, log);
    answer = withCampaignState(answer, ctx.campaign, locale);
  }
  await answerMessage(msg, { card: answer.card }, deps);
  if (answer.privateCard && ctx?.person)
    await sendCardToPerson(deps, ctx.person, answer.privateCard, ["private-answer", msg.messageId], {
      kind: "answer",
    });
  log.info(
    {
      intent: q.intent,
      slots: q.slots,
      campaign: ctx?.campaign.key,
      context: found.kind,
      ms: Math.round(performance.now() - started),
    },
    "answered question",
  );
}

async function route(
  q: ReturnType<typeof parseIntent>,
  a: Asker,
  deps: HandlerDeps,
  msg: InboundMessage,
  log: Logger,
): Promise<Answer> {
  switch (q.intent) {
    case "export_ledger":
    case "export_report":
      return answerExport(deps, a, q, msg, log);
    case "sync_org":
      return answerOrgSync(deps, a, log);
    case "overdue_measures":
      return answerOverdue(deps, a, q);
    case "my_todos":
      return a.person ? answerMyTodos(deps, a) : { card: notInCampaign(a) };
    case "pending_items":
      return answerPending(deps, a, q);
    case "progress":
      return answerProgress(deps, a, q);
    case "due_soon":
      return answerDueSoon(deps, a, q);
    case "item_status":
      return answerItemStatus(deps, a, q);
    case "measure_detail":
      return answerMeasureDetail(deps, a, q);
    case "problem_list":
      return answerProblems(deps, a, q);
    case "suspect_answers":
      return answerSuspects(deps, a, q);
    case "send_summary": {
      const en = a.locale === "en";
      if (!a.person?.roles.includes("admin")) {
        return {
          card: card({
            title: en ? "Not allowed" : "无法发送",
            template: "grey",
            elements: [
              md(
                en
                  ? "Only the organising office (admins) can send the progress broadcast."
                  : "只有牵头科室（管理员）可以发送进度通报。",
              ),
            ],
          }),
        };
      }
      if (a.campaign.status !== "active") {
        return {
          card: card({
            title: en ? "Campaign ended" : "活动已结束",
            template: "grey",
            elements: [
              md(
                en
                  ? "This campaign has ended: no more progress broadcasts. Its final results can still be asked for here (e.g. 进度)."
                  : "本次活动已结束，不再发送进度通报。最终结果仍可在此查询（如“进度”）。",
              ),
            ],
          }),
        };
      }
      await deps.sweeps.runNow({
        kind: "broadcast",
        campaignKey: a.campaign.key,
        slot: manualSlot(deps, a.campaign.timezone),
      });
      const chats = a.campaign.chats.length;
      return {
        card: card({
          title: en ? "Progress broadcast sent" : "进度通报已发送",
          template: "green",
          elements: [md(en ? `Sent to ${chats} group chat(s).` : `已发送到 ${chats} 个工作群。`)],
        }),
      };
    }
    default:
      return { card: helpCard({ locale: a.locale }) };
  }
}
