import { parse as parseYaml } from "yaml";
import { readFile } from "node:fs/promises";
import { formatFileError, parseCampaignFile } from "../campaign/file";
import { OutboundQueue } from "../../jobs/outbound";
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
export async function campaignImport(s: CliServices, file: string, o: { today: string; out: Out }): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    o.out.error(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
    return 1;
  }
  let parsed = parseCampaignFile(text, file, { today: o.today });
  if (!parsed.ok) {
    // Re-importing a running campaign: due dates may have passed since it started; dates before the
    // campaign's start are still refused.
    const key = keyOf(text);
    const existing = key ? await s.models.Campaign.findOne({ key }, { startDate: 1 }).lean() : null;
    if (existing && existing.startDate < o.today) parsed = parseCampaignFile(text, file, { today: existing.startDate });
  }
  if (!parsed.ok) {
    for (const e of parsed.errors) o.out.error(formatFileError(e));
    o.out.error(`${parsed.errors.length} error(s); nothing was imported.`);
    return 1;
  }
  for (const w of parsed.warnings) o.out.print(`warning: ${formatFileError(w)}`);
  const r = await importCampaign(s.models, parsed.spec, { lookupUsers: s.feishu ? (q) => s.feishu!.lookupUsers(q) : undefined });
  if (r.unchanged) o.out.print(`campaign ${r.campaignKey}: unchanged (this file was imported before)`);
  else
    o.out.print(
      `campaign ${r.campaignKey}: ${r.created ? "created" : "updated"}; ${r.units} units, ${r.people} people, ` +
        `${r.assignments.total} assignments (${r.assignments.created} new, ${r.assignments.updated} changed, ${r.assignments.withdrawn} withdrawn)`,
    );
  for (const u of r.unresolved) o.out.error(`unresolved: ${u.personKey} (${u.name}) ${u.tried.join(", ")}: ${u.reason}`);
  return 0;
}

function keyOf(text: string): string | undefined {
  try {
    const doc = parseYaml(text) as { key?: unknown } | null;
    return typeof doc?.key === "string" ? doc.key : undefined;
  } catch {
    return undefined;
  }
}

export async function campaignList(s: CliServices, out: Out): Promise<number> {
  const list = await s.models.Campaign.find({}, { key: 1, title: 1, status: 1, startDate: 1, endDate: 1 }).sort({ createdAt: 1 }).lean();
  if (!list.length) out.print("no campaigns; import one with: npm run cli -- campaign import examples/bureau.yaml");
  for (const c of list) out.print(`${c.key}\t${c.status}\t${c.startDate}${c.endDate ? `..${c.endDate}` : ""}\t${c.title}`);
  return 0;
}

export async function campaignStart(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  if (!s.redis) throw new Error("Redis is needed to start a campaign");
  const outbound = new OutboundQueue({ connection: s.redis, prefix: `${s.redisPrefix}:bull`, logger });
  try {
    const r = await startCampaign({ models: s.models, now: () => new Date(), outbound }, key);
    out.print(`campaign ${key}: active; ${r.people} people, ${r.assignments} pending assignments; ${r.enqueued} cards queued, ${r.alreadySent} already sent`);
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
    s.models.Assignment.find({ campaignKey: key, withdrawn: false }, { state: 1, unitKey: 1, sectionKey: 1, dueDate: 1 }).lean(),
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
    if (list.length) out.print(`  ${u.name}: ${list.filter((a) => a.state === "submitted").length}/${list.length}`);
  }
  const by = (st: string) => measures.filter((m) => m.state === st).length;
  const overdueM = measures.filter((m) => m.state !== "closed" && m.dueDate < today).length;
  out.print(`measures: ${measures.length} (open ${by("open")}, in progress ${by("in_progress")}, closure requested ${by("closure_requested")}, closed ${by("closed")}), ${overdueM} overdue`);
  for (const p of people.filter((x) => !x.openId)) out.print(`  not resolved: ${p.key} (${p.name})`);
  for (const p of people.filter((x) => x.undeliverable?.at)) out.print(`  undeliverable: ${p.key} (${p.name}): ${p.undeliverable?.reason ?? ""}`);
  return 0;
}

export async function campaignReturn(s: CliServices, assignmentId: string, reason: string, logger: Logger, out: Out): Promise<number> {
  try {
    const a = await returnSelfCheck({ models: s.models, now: () => new Date() }, { assignmentId, reason, by: { admin: "cli" } });
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
