import { formatFileError } from "../campaign/file";
import { openCampaignSource } from "../campaign/source";
import { OutboundQueue } from "../../jobs/outbound";
import { SweepQueue } from "../../jobs/sweeps";
import { isIsoDate } from "../campaign/schema";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { checkCampaignSource, endCampaign } from "../services/campaign-admin";
import { importCampaign } from "../services/campaign-import";
import { startCampaign } from "../services/campaign-start";
import { recordIntents } from "../repositories/sent-cards";
import { returnSelfCheck } from "../services/self-check";
import { followUpCounts, followUpDays } from "../services/follow-up";
import { todayIn } from "../time";
import type { CliServices } from "./connect";
import { nowOf } from "./connect";
import { applyWithNotices, orgDiffForImport, orgForImport, printOrgDiff } from "./org";
import { isEmptyDiff } from "../services/org-sync";
import { silentLogger } from "../logger";

export interface Out {
  print(s: string): void;
  error(s: string): void;
}

/** `campaign import <file>`: validate everything first; an invalid file changes nothing. */
export async function campaignImport(
  s: CliServices,
  file: string,
  o: { today: string; out: Out; logger?: Logger; applyOrg?: boolean },
): Promise<number> {
  const opened = await openCampaignSource(file);
  if (!opened.ok) {
    for (const e of opened.errors) o.out.error(formatFileError(e));
    o.out.error(NOTHING_IMPORTED(opened.errors.length));
    return 1;
  }
  const source = opened.source;
  // `org: from: feishu`: the address book is read first; a missing scope stops here, nothing written.
  const org = source.org ? await orgForImport(s, source.org, o.out) : undefined;
  if (source.org && !org) return 1;
  const parsed = await checkCampaignSource(s.models, source, o.today, org);
  if (!parsed.ok) {
    for (const e of parsed.errors) o.out.error(formatFileError(e));
    o.out.error(NOTHING_IMPORTED(parsed.errors.length));
    return 1;
  }
  for (const w of parsed.warnings) o.out.print(`warning: ${formatFileError(w)}`);
  // Re-import of a campaign from the address book: who left or moved is shown before it is applied.
  const orgDiff = org ? await orgDiffForImport(s, parsed.spec, org) : undefined;
  if (orgDiff && !isEmptyDiff(orgDiff)) {
    printOrgDiff(orgDiff, o.out);
    if (!o.applyOrg && (orgDiff.left.length || orgDiff.moved.length || orgDiff.heads.length)) {
      o.out.print(
        "通讯录有人员离职或调动：预览，什么都没有导入；确认后加 --apply 再运行 / people left or moved in the address book: preview only, nothing imported; run again with --apply",
      );
      return 0;
    }
  }
  const r = await importCampaign(s.models, parsed.spec, {
    lookupUsers: s.feishu ? (q) => s.feishu!.lookupUsers(q) : undefined,
    orgOpenIds: org ? new Set(org.people.map((p) => String(p.open_id))) : undefined,
  });
  if (orgDiff && !isEmptyDiff(orgDiff)) await applyWithNotices(s, orgDiff, o.logger ?? silentLogger, o.out);
  if (r.unchanged) o.out.print(`campaign ${r.campaignKey}: unchanged (this file was imported before)`);
  else
    o.out.print(
      `campaign ${r.campaignKey}: ${r.created ? "created" : "updated"}; ${r.units} units, ${r.people} people, ` +
        `${r.assignments.total} assignments (${r.assignments.created} new, ${r.assignments.updated} changed, ${r.assignments.withdrawn} withdrawn)`,
    );
  for (const u of r.unresolved)
    o.out.error(
      `未找到飞书账号 / unresolved: ${u.personKey} (${u.name}) ${u.tried.join(", ")}: ${u.reason}; ` +
        "在活动文件中补上 open_id、email 或 mobile 后重新导入 / add an open_id, email or mobile in the campaign file and import again",
    );
  if (!r.unchanged && o.logger) await syncSchedules(s, r.campaignKey, o.logger, o.out);
  return 0;
}

const NO_CAMPAIGN = (key: string) =>
  `没有活动 "${key}"（查看：npm run cli -- campaign list） / no campaign "${key}" (see: npm run cli -- campaign list)`;

const NOTHING_IMPORTED = (n: number) =>
  `共 ${n} 处错误，什么都没有导入；改正后重新导入 / ${n} error(s); nothing was imported: fix them and import again.`;

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
  const outbound = outboundFor(s, s.redis, logger);
  try {
    const r = await startCampaign({ models: s.models, now: nowOf(s), outbound }, key);
    await syncSchedules(s, key, logger, out);
    out.print(`campaign ${key}: active; ${r.people} people, ${r.assignments} pending assignments`);
    // Counts of the cards' records (the outbox), not of what this run meant to do.
    out.print(
      `已发送 ${r.alreadySent}（有记录），已排队 ${r.queuedBefore}（未发送，重新入队），本次新排队 ${r.enqueued}` +
        (r.unknown ? `，状态不明 ${r.unknown}（发送中断超过一小时，可能已送达，不再重发）` : "") +
        (r.failed ? `，发送失败 ${r.failed}` : ""),
    );
    out.print(
      `cards: ${r.alreadySent} sent (recorded), ${r.queuedBefore} queued earlier and not sent yet (queued again), ${r.enqueued} newly queued` +
        (r.unknown
          ? `, ${r.unknown} unknown (interrupted over an hour ago; perhaps delivered, not resent)`
          : "") +
        (r.failed ? `, ${r.failed} failed` : ""),
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
    out.error(NO_CAMPAIGN(key));
    return 1;
  }
  const today = todayIn(c.timezone, nowOf(s)());
  const [assignments, measures, people, units] = await Promise.all([
    s.models.Assignment.find(
      { campaignKey: key, withdrawn: false },
      { state: 1, unitKey: 1, sectionKey: 1, dueDate: 1 },
    ).lean(),
    s.models.Measure.find({ campaignKey: key, state: { $ne: "withdrawn" } }, { state: 1, dueDate: 1 }).lean(),
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
  const fu = await followUpCounts({ models: s.models, now: nowOf(s) }, c);
  if (fu)
    out.print(
      `follow-ups (回头看, ${followUpDays(c)} working days after closure): ${fu.due} due, ${fu.done} done (${fu.holds} holds, ${fu.relapsed} relapsed)`,
    );
  await printSuspectAnswers(s, key, units, out);
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
      { models: s.models, now: nowOf(s) },
      { assignmentId, reason, by: { admin: "cli" } },
    );
    out.print(`returned ${assignmentId} to ${a.assigneeKey}: ${reason}`);
    if (s.redis) {
      const { sendReturnedCard } = await import("../services/notices");
      const outbound = outboundFor(s, s.redis, logger);
      try {
        await sendReturnedCard({ models: s.models, now: nowOf(s), outbound }, a);
      } finally {
        await outbound.close();
      }
    } else
      out.error(
        "没有 Redis：已退回，但没有给填报人发卡片（先 npm start 或设置 REDIS_URL，再重新运行） / no Redis: returned, but the assignee was not sent the card (start the bot, or set REDIS_URL, and run it again)",
      );
    return 0;
  } catch (e) {
    if (e instanceof AppError) {
      out.error(`${e.zh} / ${e.en}`);
      return 1;
    }
    throw e;
  }
}

/** The outbound queue with its outbox: every send gets its intent record before it is queued. */
export function outboundFor(
  s: CliServices,
  redis: NonNullable<CliServices["redis"]>,
  logger: Logger,
): OutboundQueue {
  const record = (jobs: Parameters<typeof recordIntents>[1]) => recordIntents(s.models, jobs, nowOf(s)());
  return new OutboundQueue({ connection: redis, prefix: `${s.redisPrefix}:bull`, logger, record });
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
  if (!done)
    out.error(
      "没有 Redis：定时任务会在机器人启动时更新 / no Redis: schedules will be updated when the bot starts",
    );
}

/** `campaign end <key>`: no more reminders, escalations or broadcasts; answers stay. */
export async function campaignEnd(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  if (!(await endCampaign({ models: s.models, now: nowOf(s) }, key))) {
    out.error(
      `没有未结束的活动 "${key}"（查看：npm run cli -- campaign list） / no open campaign "${key}" (see: npm run cli -- campaign list)`,
    );
    return 1;
  }
  await syncSchedules(s, key, logger, out);
  out.print(`campaign ${key}: ended; schedules removed`);
  return 0;
}

/** `summary send <key>`: the progress broadcast now, to the campaign's group chats. */
export async function summarySend(s: CliServices, key: string, logger: Logger, out: Out): Promise<number> {
  const c = await s.models.Campaign.findOne({ key }, { key: 1, status: 1 }).lean();
  if (!c) {
    out.error(NO_CAMPAIGN(key));
    return 1;
  }
  if (c.status !== "active") {
    // After `campaign end` nothing is broadcast; the final results stay askable in chat.
    out.error(
      c.status === "ended"
        ? `campaign ${key} has ended: no more broadcasts (its final results stay askable in chat, e.g. 进度)`
        : `campaign ${key} has not started: run \`campaign start ${key}\` first`,
    );
    return 1;
  }
  const ok = await withSweeps(s, logger, (q) =>
    q
      .runNow({ kind: "broadcast", campaignKey: key, slot: `cli-${nowOf(s)().toISOString().slice(0, 16)}` })
      .then(() => true),
  );
  if (!ok) {
    out.error(
      "需要 Redis：请设置 REDIS_URL，或让 npm start 保持运行，然后重新运行 / Redis is needed: set REDIS_URL or keep `npm start` running, then run it again",
    );
    return 1;
  }
  out.print(`campaign ${key}: progress broadcast queued`);
  return 0;
}

const LEAVE_USAGE =
  "用法 / usage: leave set <campaign> <person: key or name> <from YYYY-MM-DD> <to YYYY-MM-DD> | leave clear <campaign> <person>";

/** What is wrong with a leave date, or undefined when it is a real YYYY-MM-DD date. */
function leaveDateProblem(label: string, value: string | undefined): string | undefined {
  if (value === undefined)
    return `缺少${label === "from" ? "开始" : "结束"}日期 / missing the "${label}" date`;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    return `"${value}" 不是 YYYY-MM-DD 格式的日期（如 2026-12-01） / "${label}" must be a date written YYYY-MM-DD (e.g. 2026-12-01), got "${value}"`;
  if (!isIsoDate(value)) return `"${value}" 不是有效日期 / "${label}" ${value} is not a real date`;
  return undefined;
}

/**
 * A person of the campaign by key, or else by name when exactly one person has it. Ambiguous names
 * and unknown people are answered with the candidates.
 */
async function findPerson(
  s: CliServices,
  campaignKey: string,
  ref: string,
): Promise<{ key: string; name: string } | { problem: string }> {
  const byKey = await s.models.Person.findOne({ campaignKey, key: ref }, { key: 1, name: 1 }).lean();
  if (byKey) return byKey;
  const byName = await s.models.Person.find({ campaignKey, name: ref }, { key: 1, name: 1, unitKey: 1 })
    .sort({ key: 1 })
    .lean();
  if (byName.length === 1) return byName[0];
  const list = (ps: { key: string; name: string; unitKey: string }[]) =>
    ps.map((p) => `${p.key}（${p.name}，${p.unitKey}）`).join("、");
  if (byName.length > 1)
    return {
      problem: `"${ref}" 有 ${byName.length} 人同名，请用人员 key：${list(byName)} / ${byName.length} people are named "${ref}"; give the person key: ${byName.map((p) => p.key).join(", ")}`,
    };
  if (!(await s.models.Campaign.exists({ key: campaignKey }))) return { problem: NO_CAMPAIGN(campaignKey) };
  const needle = ref.toLowerCase();
  const near = (
    await s.models.Person.find({ campaignKey }, { key: 1, name: 1, unitKey: 1 }).sort({ key: 1 }).lean()
  )
    .filter((p) => p.name.includes(ref) || p.key.toLowerCase().includes(needle))
    .slice(0, 10);
  const hint = near.length ? `；相近的有：${list(near)}` : "";
  const hintEn = near.length ? `; close matches: ${near.map((p) => p.key).join(", ")}` : "";
  return {
    problem: `活动 "${campaignKey}" 中没有人员 "${ref}"（按 key 或姓名查找）${hint} / no person with key or name "${ref}" in campaign "${campaignKey}"${hintEn}`,
  };
}

/**
 * `leave set <key> <person> <from> <to>` / `leave clear <key> <person>`: no reminders while away. The
 * person is a person key, or a name that exactly one person of the campaign has. Setting the same
 * leave twice records it once.
 */
export async function leave(s: CliServices, args: string[], out: Out): Promise<number> {
  const [op, key, person, from, to] = args;
  if ((op !== "set" && op !== "clear") || !key || !person) {
    out.error(LEAVE_USAGE);
    return 2;
  }
  if (op === "set") {
    const problems = [leaveDateProblem("from", from), leaveDateProblem("to", to)].filter(
      (p): p is string => p !== undefined,
    );
    if (!problems.length && (from as string) > (to as string))
      problems.push(
        `开始日期 ${from} 晚于结束日期 ${to} / "from" ${from} is after "to" ${to}: the leave must end on or after its first day`,
      );
    if (problems.length) {
      for (const p of problems) out.error(p);
      out.error(LEAVE_USAGE);
      return 2;
    }
  }
  const found = await findPerson(s, key, person);
  if ("problem" in found) {
    out.error(found.problem);
    return 1;
  }
  const update = op === "set" ? { $addToSet: { leave: { from, to } } } : { $set: { leave: [] } };
  await s.models.Person.updateOne({ campaignKey: key, key: found.key }, update);
  const who = `${found.key} (${found.name})`;
  out.print(
    op === "set"
      ? `${who}: 休假 ${from} 至 ${to}，期间不发提醒 / on leave ${from} to ${to}: no reminders meanwhile`
      : `${who}: 已清除休假 / leave cleared`,
  );
  return 0;
}

/** 疑似敷衍 in `campaign status` (issue 15): recomputes and stores the flags, lists the flagged answers. */
async function printSuspectAnswers(
  s: CliServices,
  key: string,
  units: { key: string; name: string }[],
  out: Out,
): Promise<void> {
  const { refreshCampaignFlags, describeFlag } = await import("../flags/index.js");
  const { flagged, total } = await refreshCampaignFlags({ models: s.models, now: nowOf(s) }, key);
  out.print(`疑似敷衍 / suspect answers: ${flagged.length} of ${total} answers flagged`);
  const unitName = new Map(units.map((u) => [u.key, u.name]));
  for (const f of flagged) {
    out.print(`  ${unitName.get(f.unitKey) ?? f.unitKey} · ${f.itemKey} (assignment ${f.assignmentId}):`);
    for (const x of f.flags) out.print(`    ${describeFlag(x)}`);
  }
}
