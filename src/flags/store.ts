/**
 * Flags stored on the answers (issue 15 §1): compute them for a campaign's current answers (the latest
 * version of each submitted, not withdrawn assignment) and write them on the Response documents.
 * Earlier campaigns' answers of the same units count as sources ("recycled from last time").
 * Flagging never blocks a submission: callers run this after the answer is stored, and a failure
 * here is logged by the caller, not shown to the person who answered.
 */
import type { ServiceDeps } from "../services/context.js";
import { flagOptionsOf, type FlagsSpec } from "./config.js";
import type { Flag, FlagAnswer, FlagOptions } from "./engine.js";
import { computeFlagsOffThread } from "./off-thread.js";

export interface FlaggedAnswer {
  responseId: string;
  assignmentId: string;
  unitKey: string;
  itemKey: string;
  assigneeKey: string;
  flags: Flag[];
}

async function answersOf(d: ServiceDeps, campaignKey: string) {
  const c = await d.models.Campaign.findOne({ key: campaignKey }).lean();
  if (!c) return undefined;
  const items = new Map(c.items.map((i) => [i.key, i]));
  const assignments = await d.models.Assignment.find(
    { campaignKey, state: "submitted", withdrawn: false },
    { itemKey: 1, unitKey: 1, target: 1, assigneeKey: 1, responseVersion: 1 },
  ).lean();
  const byId = new Map(assignments.map((a) => [String(a._id), a]));
  const responses = await d.models.Response.find(
    { campaignKey },
    { assignmentId: 1, version: 1, narrative: 1, conclusion: 1, problems: 1 },
  ).lean();
  const out: { answer: FlagAnswer; assigneeKey: string; assignmentId: string }[] = [];
  for (const r of responses) {
    const a = byId.get(String(r.assignmentId));
    if (!a || a.responseVersion !== r.version) continue;
    const item = items.get(a.itemKey);
    out.push({
      assignmentId: String(a._id),
      assigneeKey: a.assigneeKey,
      answer: {
        id: String(r._id),
        campaignKey,
        unitKey: a.unitKey,
        personKey: a.target === "person" ? a.assigneeKey : undefined,
        itemKey: a.itemKey,
        narrative: r.narrative,
        conclusion: r.conclusion,
        problems: r.problems,
        itemTitle: item?.title,
        checkpoints: item?.checkpoints,
      },
    });
  }
  return { answers: out };
}

export interface FlagRefresh {
  flagged: FlaggedAnswer[];
  total: number;
  /** Answers whose stored flags changed in this run (with their new flags, possibly none). */
  changed: FlaggedAnswer[];
  /** False when the campaign file turned flags off (`flags.enabled: false`): every stored flag cleared. */
  enabled: boolean;
}

/**
 * Recompute the flags of every current answer of the campaign and store those that changed (so a run
 * after one submission writes the new answer and the answers it overlaps, and nothing else). Options
 * come from the campaign file's `flags:` section unless given. Returns the flagged answers, how many
 * were checked and which changed. Safe to run again: a second run changes nothing.
 * 10,000 answers take a few seconds (bench/flags.ts), so this runs off the callback path.
 */
export async function refreshCampaignFlags(
  d: ServiceDeps,
  campaignKey: string,
  options?: Partial<FlagOptions>,
): Promise<FlagRefresh> {
  const c = await d.models.Campaign.findOne({ key: campaignKey }, { flags: 1 }).lean();
  const config = flagOptionsOf(c?.flags as Partial<FlagsSpec> | undefined);
  const loaded = await answersOf(d, campaignKey);
  if (!loaded) return { flagged: [], total: 0, changed: [], enabled: config.enabled };
  const stored = await d.models.Response.find(
    { _id: { $in: loaded.answers.map((x) => x.answer.id) } },
    { flags: 1, flaggedAt: 1 },
  ).lean();
  const before = new Map(stored.map((r) => [String(r._id), r]));
  let flags = new Map<string, Flag[]>();
  if (config.enabled) {
    const units = new Set(loaded.answers.map((x) => x.answer.unitKey));
    const earlier = await earlierAnswers(d, campaignKey, units);
    flags = await computeFlagsOffThread(
      loaded.answers.map((x) => x.answer),
      options ?? config.options,
      earlier,
    );
  }
  const now = d.now();
  const out: FlagRefresh = {
    flagged: [],
    total: loaded.answers.length,
    changed: [],
    enabled: config.enabled,
  };
  for (const x of loaded.answers) {
    const list = flags.get(x.answer.id) ?? [];
    const row: FlaggedAnswer = {
      responseId: x.answer.id,
      assignmentId: x.assignmentId,
      unitKey: x.answer.unitKey,
      itemKey: x.answer.itemKey,
      assigneeKey: x.assigneeKey,
      flags: list,
    };
    const old = before.get(x.answer.id);
    if (!old?.flaggedAt || JSON.stringify(old.flags ?? []) !== JSON.stringify(list)) {
      await d.models.Response.updateOne({ _id: x.answer.id }, { $set: { flags: list, flaggedAt: now } });
      if (old?.flaggedAt || list.length) out.changed.push(row);
    }
    if (list.length) out.flagged.push(row);
  }
  return out;
}

/** The same units' latest answers in other campaigns that started earlier. */
async function earlierAnswers(
  d: ServiceDeps,
  campaignKey: string,
  units: Set<string>,
): Promise<FlagAnswer[]> {
  const me = await d.models.Campaign.findOne({ key: campaignKey }, { startDate: 1 }).lean();
  if (!me) return [];
  const before = await d.models.Campaign.find(
    { key: { $ne: campaignKey }, startDate: { $lt: me.startDate } },
    { key: 1 },
  ).lean();
  const out: FlagAnswer[] = [];
  for (const c of before) {
    const loaded = await answersOf(d, c.key);
    for (const x of loaded?.answers ?? []) if (units.has(x.answer.unitKey)) out.push(x.answer);
  }
  return out;
}
