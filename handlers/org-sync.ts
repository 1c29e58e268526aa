/**
 * 同步通讯录 in chat (admins only): the preview card of what Feishu's address book changed, and its
 * 应用 / 取消 buttons. Applying reads the address book again and applies only when it still says what
 * the preview showed.
 */
import {
  orgProblemCard,
  orgReassignedCard,
  orgSyncCancelledCard,
  orgSyncPreviewCard,
  orgSyncResultCard,
  orgSyncStaleCard,
} from "../cards/org-sync-card";
import { card, md, tr, type Card } from "../cards/kit";
import { orgProblemText, type OrgProblem } from "../src/campaign/org-feishu";
import type { CardAction, CardAnswer } from "../src/domain/events";
import type { Locale } from "../src/domain/types";
import { forbidden } from "../src/errors";
import type { Logger } from "../src/logger";
import type { Answer, Asker } from "../src/services/answers";
import { operatorIn, type Person } from "../src/services/context";
import { applyOrgDiff, planOrgSync, sendAssignedCards, type SyncPlan } from "../src/services/org-sync";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { sendCardToPerson } from "./notify";

function notAllowed(locale: Locale): Card {
  return card({
    title: tr(locale, "无法同步", "Not allowed"),
    template: "grey",
    elements: [
      md(
        tr(
          locale,
          "只有牵头科室（管理员）可以同步通讯录。",
          "Only the organising office (admins) can sync the address book.",
        ),
      ),
    ],
  });
}

function problemCard(locale: Locale, p: OrgProblem | { kind: "not_org" }): Card {
  if (p.kind === "not_org")
    return card({
      title: tr(locale, "本活动的人员不来自通讯录", "This campaign's people are not from the address book"),
      template: "grey",
      elements: [
        md(
          tr(
            locale,
            "活动文件没有写 org: from: feishu，人员是在文件里逐个填写的：请修改活动文件后重新导入。",
            "The campaign file has no `org: from: feishu`; its people are typed in the file: edit the file and import it again.",
          ),
        ),
      ],
    });
  return orgProblemCard(locale, orgProblemText(p), p.kind === "scope" ? p.scopes : []);
}

async function plan(deps: HandlerDeps, campaignKey: string, log: Logger): Promise<SyncPlan> {
  const r = await planOrgSync(deps, deps.feishu.contact, campaignKey);
  if (r.ok)
    log.info(
      {
        campaign: campaignKey,
        left: r.diff.left.length,
        moved: r.diff.moved.length,
        added: r.diff.added.length,
        heads: r.diff.heads.length,
        calls: r.org.stats.calls,
        ms: r.org.stats.ms,
      },
      "address book read for sync",
    );
  else log.warn({ campaign: campaignKey, problem: r.problem }, "address book sync refused");
  return r;
}

/** The chat command: a preview card, or why not. */
export async function answerOrgSync(deps: HandlerDeps, a: Asker, log: Logger): Promise<Answer> {
  if (!a.person?.roles.includes("admin")) return { card: notAllowed(a.locale) };
  // Who left and who moved is not for a group chat.
  if (a.group)
    return {
      card: card({
        title: tr(a.locale, "请私聊发送", "Ask in private"),
        template: "grey",
        elements: [
          md(
            tr(
              a.locale,
              "同步通讯录会列出离职、调动人员，请在与机器人的私聊中发送“同步通讯录”。",
              "The sync lists who left and moved: send “同步通讯录” to the bot in private.",
            ),
          ),
        ],
      }),
    };
  const r = await plan(deps, a.campaign.key, log);
  if (!r.ok) return { card: problemCard(a.locale, r.problem) };
  return { card: orgSyncPreviewCard(r.diff, a.locale, a.campaign.title) };
}

/** A button of the preview card, pressed by an admin of its campaign (else refused). */
function asAdmin(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
  run: (l: Locale, op: Person, campaignKey: string) => Promise<CardAnswer>,
): Promise<CardAnswer> {
  const campaignKey = String(action.value.campaign ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const op = await operatorIn(deps, campaignKey, action.operatorOpenId);
      if (!op.roles.includes("admin")) throw forbidden();
      return run(l, op, campaignKey);
    },
    async () => undefined,
  );
}

/** 应用: re-read, check it is the diff the admin saw, apply, tell the heads. */
export async function onOrgSyncApply(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  return asAdmin(action, deps, log, async (l, op, campaignKey) => {
    const r = await plan(deps, campaignKey, log);
    if (!r.ok) return { card: problemCard(l, r.problem) };
    if (r.diff.hash !== action.value.hash) {
      const c = await deps.models.Campaign.findOne({ key: campaignKey }, { title: 1 }).lean();
      return {
        toast: toast(
          "warning",
          "通讯录又有变化，请查看新的预览。",
          "The address book changed again: see the new preview.",
          l,
        ),
        card:
          r.diff.left.length +
          r.diff.moved.length +
          r.diff.added.length +
          r.diff.heads.length +
          r.diff.addedUnits.length
            ? orgSyncPreviewCard(r.diff, l, c?.title ?? campaignKey)
            : orgSyncStaleCard(l),
      };
    }
    const res = await applyOrgDiff(
      {
        ...deps,
        notifyHead: async (head, measures, leftNames) => {
          const locale = head.locale === "en" ? "en" : "zh";
          await sendCardToPerson(
            deps,
            head,
            orgReassignedCard(locale, measures, leftNames),
            ["org-reassign", r.diff.hash, head.key],
            { kind: "notice" },
          );
        },
      },
      r.diff,
      op,
    );
    // A running campaign: the new units' heads get their cards now.
    const cards = await sendAssignedCards(deps, campaignKey, res.assigned);
    const sent = cards.sent ?? 0;
    log.info(
      {
        campaign: campaignKey,
        ...res,
        reassigned: res.reassigned.length,
        orphaned: res.orphaned.length,
        cardsSent: sent,
      },
      "address book sync applied",
    );
    return {
      toast: toast("success", "已应用。", "Applied.", l),
      card: orgSyncResultCard(l, {
        ...res,
        reassigned: res.reassigned.length,
        orphaned: res.orphaned.length,
        cardsSent: cards.running ? sent : undefined,
      }),
    };
  });
}

export async function onOrgSyncCancel(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  return asAdmin(action, deps, log, async (l) => ({ card: orgSyncCancelledCard(l) }));
}
