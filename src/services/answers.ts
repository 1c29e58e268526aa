// Chat answers per intent (re-exported from their files) and where a question is answered from.
import type { Card } from "../../cards/kit";
import { card, md, note } from "../../cards/kit";
import { type Locale } from "../domain/types";
import { todayIn } from "../time";
import type { Answer } from "./answer-scope";
import type { Campaign, Person, ServiceDeps } from "./context";

export { notInCampaign, type Answer, type Asker } from "./answer-scope";
export { answerDueSoon, answerMeasureDetail, answerMyTodos, answerOverdue } from "./answers-measures";
export { answerItemStatus, answerPending, answerProgress } from "./answers-pending";
export { answerProblems } from "./answers-problems";

/** Where a question is answered from: the asker's campaign, or why there is none. */
export type AskerContext =
  | { kind: "campaign"; campaign: Campaign; person: Person | null }
  | { kind: "no_campaign" }
  | { kind: "not_campaign_chat" };

/**
 * The campaign a question is about. Ended campaigns stay askable (their final results): active ones
 * come first, then the newest. In a group only campaigns whose chats include that group count; in
 * private the newest campaign the asker is on, else the newest campaign.
 */
export async function askerContext(
  d: ServiceDeps,
  msg: { senderOpenId: string; chatType: "p2p" | "group"; chatId: string },
): Promise<AskerContext> {
  const group = msg.chatType === "group";
  const list = await d.models.Campaign.find({
    status: { $in: ["active", "ended"] },
    ...(group ? { "chats.chatId": msg.chatId } : {}),
  }).lean();
  if (!list.length) return group ? { kind: "not_campaign_chat" } : { kind: "no_campaign" };
  const time = (c: Campaign) => (c.startedAt ?? c.updatedAt ?? new Date(0)).getTime();
  list.sort((x, y) => Number(y.status === "active") - Number(x.status === "active") || time(y) - time(x));
  const people = await d.models.Person.find({
    openId: msg.senderOpenId,
    campaignKey: { $in: list.map((c) => c.key) },
  }).lean();
  const campaign = list.find((c) => people.some((p) => p.campaignKey === c.key)) ?? list[0];
  return { kind: "campaign", campaign, person: people.find((p) => p.campaignKey === campaign.key) ?? null };
}

/** A group that is none of a campaign's chats gets no campaign data: a short refusal. */
export function notCampaignChat(locale: Locale): Card {
  return card({
    title: locale === "en" ? "Not available in this chat" : "本群无法查询",
    template: "grey",
    elements: [
      md(
        locale === "en"
          ? "This group is not a chat of a self-check campaign, so I cannot answer about one here. If you take part in a campaign, ask me in a private chat."
          : "本群不是专项整治自查活动的工作群，不能在此查询活动情况。如您参加了活动，请私聊我查询。",
      ),
    ],
  });
}

/** An ended campaign's answers are its final results: said on every answer card. */
export function withCampaignState(answer: Answer, c: Campaign, locale: Locale): Answer {
  if (c.status !== "ended") return answer;
  const on = c.endedAt ? todayIn(c.timezone, c.endedAt) : c.endDate;
  const text =
    locale === "en"
      ? `This campaign ended${on ? ` on ${on}` : ""}: these are its final results.`
      : `本次活动已${on ? `于 ${on} ` : ""}结束，以上为最终结果。`;
  for (const x of [answer.card, answer.privateCard]) x?.body.elements.push(note(text));
  return answer;
}
