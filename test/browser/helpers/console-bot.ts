import { loadSpec } from "../../helpers/campaign";
import { startTestBot, type TestBot } from "../../helpers/bot";
import { playCampaign, type PlayedCampaign } from "../../helpers/export-campaign";

/**
 * The whole bot (emulator, Redis, store) with the "四查四看" campaign played three weeks in through the
 * real services: answers, problems, measures in every state, some overdue. Its people are the
 * emulator's users, so the emulator's login page lists them. The bot and the emulator share the clock.
 */
export async function startPlayedBot(): Promise<{ t: TestBot; played: PlayedCampaign }> {
  let nowMs = Date.parse("2026-12-07T02:00:00Z");
  const clock = { set: (ms: number) => void (nowMs = ms), now: () => new Date(nowMs) };
  const t = await startTestBot({ emulator: { now: () => nowMs }, settings: { now: clock.now } });
  const spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  const played = await playCampaign(t.bot.models, { spec, start: "2026-12-07", clock });
  for (const p of played.spec.people) t.emu.addUser({ open_id: p.openId!, name: p.name });
  return { t, played };
}
