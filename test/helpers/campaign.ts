import { loadCampaignFile } from "../../src/campaign/file";
import type { CampaignSpec } from "../../src/domain/types";
import { emulatorUsersFor } from "../../src/sandbox-users";
import { importCampaign } from "../../src/services/campaign-import";
import { startCampaign } from "../../src/services/campaign-start";
import type { BotSettings } from "../../src/runtime";
import { startTestBot, type TestBot } from "./bot";
import { button } from "./cards";
import { waitFor } from "./services";

/** The bot's clock in campaign tests: real time moved to a fixed day, so dates in files stay valid. */
export const CAMPAIGN_NOW = Date.parse("2026-12-02T02:00:00Z"); // 10:00 in Shanghai
export const clockOffset = () => CAMPAIGN_NOW - Date.now();

/** A test bot whose emulator and services both run on the campaign clock (CAMPAIGN_NOW, moving on). */
export function startClockedBot(settings: Partial<BotSettings> = {}): Promise<TestBot> {
  const offset = clockOffset();
  return startTestBot({
    emulator: { now: () => Date.now() + offset },
    settings: { now: () => new Date(Date.now() + offset), ...settings },
  });
}

export async function loadSpec(file: string): Promise<CampaignSpec> {
  const r = await loadCampaignFile(file, { today: "2026-12-02" });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join("\n"));
  return r.spec;
}

/** Put the campaign's people into the emulator, import the campaign through the contact lookup, start it. */
export async function importAndStart(t: TestBot, spec: CampaignSpec) {
  const users = emulatorUsersFor(spec);
  for (const u of users) t.emu.addUser(u);
  const report = await importCampaign(t.bot.models, spec, {
    lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q),
  });
  const start = await startCampaign(
    { models: t.bot.models, now: t.bot.deps.now, outbound: t.bot.outbound },
    spec.key,
  );
  await waitFor(
    async () => (await t.bot.models.SentCard.countDocuments({ campaignKey: spec.key })) >= start.enqueued,
    30_000,
    "start cards",
  );
  return { users, report, start };
}

/** A person of the campaign file, by key, as the emulator knows them (their open_id). */
export function openIdIn(spec: CampaignSpec, users: { open_id: string }[], key: string): string {
  const i = spec.people.findIndex((p) => p.key === key);
  if (i < 0 || !users[i]) throw new Error(`no person "${key}" in campaign ${spec.key}`);
  return users[i].open_id;
}

/** The message id of the newest card of a kind about a record, sent to a person. */
export async function cardMessage(
  t: TestBot,
  q: { kind: string; refId?: string; personKey: string },
): Promise<string> {
  const s = await t.bot.models.SentCard.findOne(q).sort({ sentAt: -1, _id: -1 }).lean();
  if (!s) throw new Error(`no ${q.kind} card for ${q.personKey} (${q.refId ?? ""})`);
  return s.messageId;
}

/** A person's nth assignment (by key) in a campaign, with the message id of its newest card. */
export async function selfCheckOf(t: TestBot, campaignKey: string, personKey: string, nth = 0) {
  const a = (
    await t.bot.models.Assignment.find({ campaignKey, assigneeKey: personKey }).sort({ key: 1 }).lean()
  )[nth];
  if (!a) throw new Error(`no assignment #${nth} of ${personKey}`);
  const messageId = await cardMessage(t, { kind: "selfcheck", refId: String(a._id), personKey });
  return { a, messageId, card: () => t.emu.message(messageId)!.card };
}

/** Press the button of `action` on a card the bot sent, as the person with this open_id. */
export async function pressCard(
  t: TestBot,
  operator: string,
  messageId: string,
  action: string,
  formValue?: Record<string, unknown>,
) {
  const b = button(t.emu.message(messageId)!.card, action);
  return t.emu.clickCard({ operator, messageId, tag: "button", name: b.name, value: b.value, formValue });
}
