/**
 * A bot process for crash tests: starts the bot with the settings in BOT_SETTINGS (JSON) and, when
 * CAMPAIGN_KEY is set, starts that campaign; then runs until it is killed. Prints "ready" and
 * "queued <n>" on stdout.
 */
import { silentLogger } from "../../src/logger";
import { startBot, type BotSettings } from "../../src/runtime";
import { startCampaign } from "../../src/services/campaign-start";

const settings = JSON.parse(process.env.BOT_SETTINGS ?? "{}") as BotSettings;
const bot = await startBot(settings, silentLogger);
process.stdout.write("ready\n");
const key = process.env.CAMPAIGN_KEY;
if (key) {
  const r = await startCampaign({ models: bot.models, now: bot.deps.now, outbound: bot.outbound }, key);
  process.stdout.write(`queued ${r.enqueued}\n`);
}
setInterval(() => undefined, 60_000);
