/** `flags recompute <key>`: the flags of every current answer of a campaign, computed and stored now. */
import { refreshFlagCards } from "../flags/review";
import { refreshCampaignFlags } from "../flags/store";
import type { Logger } from "../logger";
import { outboundFor, type Out } from "./campaign";
import type { CliServices } from "./connect";
import { nowOf } from "./connect";

/**
 * Recompute and store the campaign's flags (after a change of its `flags:` section, or to catch up
 * answers whose job was lost). With Redis, the reviewers' cards of the answers that changed are
 * updated and newly flagged answers sent to their reviewer, as the submit job does.
 */
export async function flagsRecompute(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  const exists = await s.models.Campaign.exists({ key });
  if (!exists) {
    out.error(`活动不存在：${key} / no such campaign: ${key}`);
    return 1;
  }
  const d = { models: s.models, now: nowOf(s) };
  const r = await refreshCampaignFlags(d, key);
  out.print(
    r.enabled
      ? `疑似敷衍 / suspect answers: ${r.flagged.length} of ${r.total} answers flagged, ${r.changed.length} changed`
      : `flags are off for ${key} (flags.enabled: false): ${r.changed.length} answers' flags cleared`,
  );
  if (!s.redis) {
    if (r.changed.length)
      out.error(
        "没有 Redis：已保存，但审核人的卡片未更新（先 npm start 或设置 REDIS_URL，再重新运行） / no Redis: stored, but the reviewers' cards were not updated (start the bot, or set REDIS_URL, and run it again)",
      );
    return 0;
  }
  const outbound = outboundFor(s, s.redis, logger);
  try {
    let sent = 0;
    for (const x of r.changed) sent += (await refreshFlagCards({ ...d, outbound }, x.responseId)).sent;
    out.print(`reviewer cards: ${sent} sent`);
  } finally {
    await outbound.close();
  }
  return 0;
}
