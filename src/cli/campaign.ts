import { formatFileError } from "../campaign/file";
import { openCampaignSource } from "../campaign/source";
import { OutboundQueue } from "../../jobs/outbound";
import { SweepQueue } from "../../jobs/sweeps";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { importCampaign } from "../services/campaign-import";
import { startCampaign } from "../services/campaign-start";
import { returnSelfCheck } from "../services/self-check";
import { todayIn } from "../time";
import type { CliServices } from "./connect";

export interface Out {
  print(s: string): void;
  error(s: string): void;
}

/** `campaign import <file>`: validate everything first; an invalid file changes nothing. */
export async function campaignImport(
  s: CliServices,
  file: string,
  o: { today: string; out: Out; logger?: Logger },
): Promise<number> {
  const opened = await openCampaignSource(file);
  if (!opened.ok) {
    for (const e of opened.errors) o.out.error(formatFileError(e));
    o.out.error("nothing was imported.");
    return 1;
  }
  const source = opened.source;
  let parsed = source.check({ today: o.today });
  if (!parsed.ok) {
    // Re-importing a running campaign: due dates may have passed since it started; dates before the
    // campaign's start are still refused.
    const key = source.key;
    const existing = key ? await s.models.Campaign.findOne({ key }, { startDate: 1 }).lean() : null;
    if (existing && existing.startDate < o.today) parsed = source.check({ today: existing.startDate });
  }
  if (!parsed.ok) {
    for (const e of parsed.errors) o.out.error(formatFileError(e));
    o.out.error(`${parsed.errors.length} error(s); nothing was imported.`);
    return 1;
  }
  for (const w of parsed.warnings) o.out.print(`warning: ${formatFileError(w)}`);
  const r = await importCampaign(s.models, parsed.spec, {
    lookupUsers: s.feishu ? (q) => s.feishu!.lookupUsers(q) : undefined,
  });
  if (r.unchanged) o.out.print(`campaign ${r.campaignKey}: unchanged (this file was imported before)`);
  else
    o.out.print(
      `campaign ${r.campaignKey}: ${r.created ? "created" : "updated"}; ${r.units} units, ${r.people} people, ` +
        `${r.assignments.total} assignments (${r.assignments.created} new, ${r.assignments.updated} changed, ${r.assignments.withdrawn} withdrawn)`,
    );
  for (const u of r.unresolved)
    o.out.error(`unresolved: ${u.personKey} (${u.name}) ${u.tried.join(", ")}: ${u.reason}`);
  if (!r.unchanged && o.logger) await syncSchedules(s, r.campaignKey, o.logger, o.out);
  return 0;
}

export async function campaignList(s: CliServices, out: Out): Promise<number> {
  const list = await s.models.Campaign.find({}, { key: 1, title: 1, status: 1, startDate: 1, endDate: 1 })
    .sort({ createdAt: 1 })
    .lean();
  if (!list.length)
    out.print("no campaigns; import one with: npm run cli -- campaign import examples/bureau.yaml");
  for (const c of list)
    out.print(`${c.key}\t${c.status}\t${c.startDate}${c.endDate ? `..${c.endDate}` : ""}\t${c.title}`);
  return 0;
}

export async function campaignStart(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  if (!s.redis) throw new Error("Redis is needed to start a campaign");
  const outbound = new OutboundQueue({ connection: s.redis, prefix: `${s.redisPrefix}:bull`, logger });
  try {
    const r = await startCampaign({ models: s.models, now: () => new Date(), outbound }, key);
    await syncSchedules(s, key, logger, out);
    out.print(
      `campaign ${key}: active; ${r.people} people, ${r.assignments} pending assignments; ${r.enqueued} cards queued, ${r.alreadySent} already sent`,
    );
    for (const p of r.skipped) out.error(`skipped: ${p.personKey} (${p.name}) has no Feishu open_id`);
    return 0;
  } finally {
    await outbound.close();
  }
}

export async function campaignStatus(s: CliServices, key: string, out: Out): Promise<number> {
  const c = await s.models.Campaign.findOne({ key }).lean();
  if (!c) {
    out.error(`no campaign "${key}"`);
    return 1;
  }
  const today = todayIn(c.timezone);
  const [assignments, measures, people, units] = await Promise.all([
    s.models.Assignment.find(
      { campaignKey: key, withdrawn: false },
      { state: 1, unitKey: 1, sectionKey: 1, dueDate: 1 },
    ).lean(),
    s.models.Measure.find({ campaignKey: key }, { state: 1, dueDate: 1 }).lean(),
    s.models.Person.find({ campaignKey: key }).lean(),
    s.models.Unit.find({ campaignKey: key }).sort({ order: 1 }).lean(),
  ]);
  const done = assignments.filter((a) => a.state === "submitted").length;
  const overdueA = assignments.filter((a) => a.state === "pending" && a.dueDate < today).length;
  out.print(`${c.title} (${c.key}) — ${c.status}, ${c.startDate}${c.endDate ? ` to ${c.endDate}` : ""}`);
  out.print(`self-checks: ${done}/${assignments.length} submitted, ${overdueA} overdue`);
  for (const sec of c.sections) {
    const list = assignments.filter((a) => a.sectionKey === sec.key);
    out.print(`  ${sec.code}: ${list.filter((a) => a.state === "submitted").length}/${list.length}`);
  }
  for (const u of units) {
    const list = assignments.filter((a) => a.unitKey === u.key);
    if (list.length)
      out.print(`  ${u.name}: ${list.filter((a) => a.state === "submitted").length}/${list.length}`);
  }
  const by = (st: string) => measures.filter((m) => m.state === st).length;
  const overdueM = measures.filter((m) => m.state !== "closed" && m.dueDate < today).length;
  out.print(
    `measures: ${measures.length} (open ${by("open")}, in progress ${by("in_progress")}, closure requested ${by("closure_requested")}, closed ${by("closed")}), ${overdueM} overdue`,
  );
  for (const p of people.filter((x) => !x.openId)) out.print(`  not resolved: ${p.key} (${p.name})`);
  for (const p of people.filter((x) => x.undeliverable?.at))
    out.print(`  undeliverable: ${p.key} (${p.name}): ${p.undeliverable?.reason ?? ""}`);
  return 0;
}

export async function campaignReturn(
  s: CliServices,
  assignmentId: string,
  reason: string,
  logger: Logger,
  out: Out,
): Promise<number> {
  try {
    const a = await returnSelfCheck(
      { models: s.models, now: () => new Date() },
      { assignmentId, reason, by: { admin: "cli" } },
    );
    out.print(`returned ${assignmentId} to ${a.assigneeKey}: ${reason}`);
    if (s.redis) {
      const { sendReturnedCard } = await import("../services/notices");
      const outbound = new OutboundQueue({ connection: s.redis, prefix: `${s.redisPrefix}:bull`, logger });
      try {
        await sendReturnedCard({ models: s.models, now: () => new Date(), outbound }, a);
      } finally {
        await outbound.close();
      }
    } else out.error("no Redis: the assignee was not sent the card (start the bot, or set REDIS_URL)");
    return 0;
  } catch (e) {
    if (e instanceof AppError) {
      out.error(e.en);
      return 1;
    }
    throw e;
  }
}

async function withSweeps<T>(
  s: CliServices,
  logger: Logger,
  fn: (q: SweepQueue) => Promise<T>,
): Promise<T | undefined> {
  if (!s.redis) return undefined;
  const q = new SweepQueue(s.redis, `${s.redisPrefix}:bull`, logger);
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

/** Bring the campaign's job schedulers in line with its state and schedules (after import/start/end). */
export async function syncSchedules(s: CliServices, key: string, logger: Logger, out: Out): Promise<void> {
  const c = await s.models.Campaign.findOne({ key }, { key: 1, status: 1, timezone: 1, schedules: 1 }).lean();
  if (!c) return;
  const done = await withSweeps(s, logger, (q) => q.syncCampaign(c).then(() => true));
  if (!done) out.error("no Redis: schedules will be updated when the bot starts");
}

/** `campaign end <key>`: no more reminders, escalations or broadcasts; answers stay. */
export async function campaignEnd(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  const r = await s.models.Campaign.updateOne(
    { key, status: { $ne: "ended" } },
    { $set: { status: "ended", endedAt: new Date() } },
  );
  if (!r.matchedCount) {
    out.error(`no open campaign "${key}"`);
    return 1;
  }
  await syncSchedules(s, key, logger, out);
  out.print(`campaign ${key}: ended; schedules removed`);
  return 0;
}

/** `summary send <key>`: the progress broadcast now, to the campaign's group chats. */
export async function summarySend(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  const c = await s.models.Campaign.findOne({ key }, { key: 1 }).lean();
  if (!c) {
    out.error(`no campaign "${key}"`);
    return 1;
  }
  const ok = await withSweeps(s, logger, (q) =>
    q
      .runNow({ kind: "broadcast", campaignKey: key, slot: `cli-${new Date().toISOString().slice(0, 16)}` })
      .then(() => true),
  );
  if (!ok) {
    out.error("Redis is needed: set REDIS_URL or keep `npm start` running");
    return 1;
  }
  out.print(`campaign ${key}: progress broadcast queued`);
  return 0;
}

/** `leave set <key> <person> <from> <to>` / `leave clear <key> <person>`: no reminders while away. */
export async function leave(s: CliServices, args: string[], out: Out): Promise<number> {
  const [op, key, person, from, to] = args;
  const isDate = (d: string | undefined) => Boolean(d && /^\d{4}-\d{2}-\d{2}$/.test(d));
  if (op === "set" && (!isDate(from) || !isDate(to) || (from as string) > (to as string))) {
    out.error("usage: leave set <campaign> <person-key> <YYYY-MM-DD> <YYYY-MM-DD> (from ≤ to)");
    return 2;
  }
  const update =
    op === "set" ? { $push: { leave: { from, to } } } : op === "clear" ? { $set: { leave: [] } } : undefined;
  if (!update || !key || !person) {
    out.error("usage: leave set|clear <campaign> <person-key> [from to]");
    return 2;
  }
  const r = await s.models.Person.updateOne({ campaignKey: key, key: person }, update);
  if (!r.matchedCount) {
    out.error(`no person "${person}" in campaign "${key}"`);
    return 1;
  }
  out.print(op === "set" ? `${person}: on leave ${from} to ${to}` : `${person}: leave cleared`);
  return 0;
}
