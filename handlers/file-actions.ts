import { campaignCard } from "../cards/campaign-card";
import { importNoticeCard } from "../cards/import-cards";
import { tr, type Locale } from "../cards/kit";
import type { CardAction, CardAnswer } from "../src/domain/events";
import { AppError } from "../src/errors";
import type { Logger } from "../src/logger";
import {
  cancelPendingImport,
  campaignCardData,
  confirmPendingImport,
  endCampaign,
  mayAdminister,
} from "../src/services/campaign-admin";
import type { ImportReport } from "../src/services/campaign-import";
import { startCampaign } from "../src/services/campaign-start";
import { manualSlot } from "../src/services/sweeps";
import { guarded, toast } from "./card-action-types";
import type { HandlerDeps } from "./deps";
import { sendTemplate } from "./file-receive";

/**
 * The admin's card actions (issue 13 §2): 确认导入 / 取消 on the preview; 启动, 发送进度通报, 结束 on
 * the campaign card; 下载模板 on any of them. Each checks that the operator may run the campaign (by
 * open_id, never by what the card says), and answers a stale or repeated press with a toast.
 */

async function campaignCardFor(deps: HandlerDeps, key: string, l: Locale, notice?: string) {
  const v = await campaignCardData(deps.models, key);
  return campaignCard({ ...v, notice }, l);
}

async function mustAdminister(deps: HandlerDeps, openId: string, key: string): Promise<void> {
  if (!key || !(await mayAdminister(deps, openId, key)))
    throw new AppError(
      "forbidden",
      "只有该活动的管理员可以操作。",
      "Only this campaign's admins can do this.",
    );
}

/** Schedules follow the campaign's state (what `campaign start/end` in the CLI does). */
async function syncSchedules(deps: HandlerDeps, key: string, log: Logger): Promise<void> {
  const c = await deps.models.Campaign.findOne(
    { key },
    { key: 1, status: 1, timezone: 1, schedules: 1 },
  ).lean();
  if (!c || !deps.sweeps.syncCampaign) return;
  try {
    await deps.sweeps.syncCampaign(c);
  } catch (e) {
    // The bot's start syncs every campaign again; the action itself is done.
    log.warn({ campaign: key, err: e instanceof Error ? e.message : String(e) }, "schedule sync failed");
  }
}

function importedNotice(r: ImportReport, l: Locale): string {
  const a = r.assignments;
  if (r.unchanged)
    return tr(l, "文件与已导入的内容相同，没有变化。", "Same as what was imported: nothing changed.");
  return r.created
    ? tr(
        l,
        `✅ 已导入：${r.units} 个单位、${r.people} 人、${a.total} 条分工。`,
        `✅ Imported: ${r.units} units, ${r.people} people, ${a.total} assignments.`,
      )
    : tr(
        l,
        `✅ 已更新：分工新增 ${a.created}、修改 ${a.updated}、撤回 ${a.withdrawn}；已填写的答复全部保留。`,
        `✅ Updated: assignments ${a.created} new, ${a.updated} changed, ${a.withdrawn} withdrawn; answers given are kept.`,
      );
}

const keep = async () => undefined;

export async function onImportConfirm(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const id = String(action.value.id ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const { report, spec } = await confirmPendingImport(deps, id, action.operatorOpenId);
      if (!report.unchanged) await syncSchedules(deps, spec.key, log);
      log.info(
        { campaign: spec.key, created: report.created, unchanged: report.unchanged },
        "campaign imported from chat",
      );
      return {
        toast: toast("success", "已导入", "Imported", l),
        card: await campaignCardFor(deps, spec.key, l, importedNotice(report, l)),
      };
    },
    keep,
  );
}

export async function onImportCancel(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const id = String(action.value.id ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      const key = await cancelPendingImport(deps, id, action.operatorOpenId);
      log.info({ campaign: key, pending: id }, "import cancelled");
      return {
        toast: toast("info", "已取消", "Cancelled", l),
        card: importNoticeCard({
          title: ["已取消导入", "Import cancelled"],
          text: [
            "没有导入任何内容。需要时请重新发送文件。",
            "Nothing was imported. Send the file again when you need to.",
          ],
          locale: l,
        }),
      };
    },
    keep,
  );
}

export async function onCampaignStart(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const key = String(action.value.campaign ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      await mustAdminister(deps, action.operatorOpenId, key);
      const enqueueMany = deps.outbound.enqueueMany?.bind(deps.outbound);
      if (!enqueueMany)
        throw new AppError(
          "invalid",
          "暂时无法启动，请稍后再试。",
          "Cannot start right now; try again later.",
        );
      const r = await startCampaign({ models: deps.models, now: deps.now, outbound: { enqueueMany } }, key);
      await syncSchedules(deps, key, log);
      log.info({ campaign: key, enqueued: r.enqueued, people: r.people }, "campaign started from chat");
      const skipped = r.skipped.length
        ? tr(
            l,
            `；${r.skipped.length} 人在飞书中没有找到，未发送`,
            `; ${r.skipped.length} people not found in Feishu, not sent`,
          )
        : "";
      return {
        toast: toast("success", "已启动", "Started", l),
        card: await campaignCardFor(
          deps,
          key,
          l,
          tr(
            l,
            `🚀 已启动：本次发出 ${r.enqueued} 张卡片（之前已发 ${r.alreadySent} 张）${skipped}。`,
            `🚀 Started: ${r.enqueued} cards going out now (${r.alreadySent} sent before)${skipped}.`,
          ),
        ),
      };
    },
    async (_e, l) => campaignCardFor(deps, key, l).catch(() => undefined),
  );
}

export async function onCampaignBroadcast(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  const key = String(action.value.campaign ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      await mustAdminister(deps, action.operatorOpenId, key);
      const c = await campaignCardData(deps.models, key);
      if (c.status !== "active")
        throw new AppError(
          "closed",
          c.status === "ended" ? "活动已结束，不再发送进度通报。" : "活动还没有启动，请先点“启动”。",
          c.status === "ended"
            ? "The campaign has ended: no more broadcasts."
            : "The campaign has not started: press Start first.",
        );
      await deps.sweeps.runNow({ kind: "broadcast", campaignKey: key, slot: manualSlot(deps, c.timezone) });
      log.info({ campaign: key }, "progress broadcast from the campaign card");
      return {
        toast: toast("success", "进度通报已发送到工作群", "Progress broadcast sent to the group chats", l),
      };
    },
    async (_e, l) => campaignCardFor(deps, key, l).catch(() => undefined),
  );
}

export async function onCampaignEnd(action: CardAction, deps: HandlerDeps, log: Logger): Promise<CardAnswer> {
  const key = String(action.value.campaign ?? "");
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      await mustAdminister(deps, action.operatorOpenId, key);
      if (!(await endCampaign(deps, key, { openId: action.operatorOpenId })))
        throw new AppError("closed", "活动已经结束。", "The campaign has already ended.");
      await syncSchedules(deps, key, log);
      log.info({ campaign: key }, "campaign ended from chat");
      return {
        toast: toast("success", "活动已结束", "Campaign ended", l),
        card: await campaignCardFor(
          deps,
          key,
          l,
          tr(
            l,
            "活动已结束：不再发送提醒和通报，已填写的内容全部保留。",
            "Ended: no more reminders or broadcasts; everything given is kept.",
          ),
        ),
      };
    },
    async (_e, l) => campaignCardFor(deps, key, l).catch(() => undefined),
  );
}

export async function onTemplateDownload(
  action: CardAction,
  deps: HandlerDeps,
  log: Logger,
): Promise<CardAnswer> {
  return guarded(
    action,
    deps,
    log,
    async (l) => {
      await sendTemplate(deps, { type: "open_id", id: action.operatorOpenId }, action.eventId);
      return { toast: toast("success", "模板已发送给您", "The template has been sent to you", l) };
    },
    keep,
  );
}
