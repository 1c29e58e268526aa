import { MEASURE_ACTIONS, MEASURE_FIELDS } from "../cards/measure-card";
import { SELF_CHECK_ACTIONS } from "../cards/self-check-card";
import type { Out } from "./cli/campaign";
import { campaignStart } from "./cli/campaign";
import { connect, type CliServices } from "./cli/connect";
import type { Config } from "./config";
import { readLocalRuntime } from "./local-runtime";
import type { Delivery, SentMessage } from "@rectify-bot/feishu-emulator";
import type { Logger } from "./logger";
import { advanceClockTo } from "./sandbox-clock";
import { campaignChecklist } from "./services/views";
import { addDays, fromZoned, todayIn } from "./time";

/**
 * `npm run cli -- sandbox play <campaign>`: make the local sandbox look like a campaign three weeks in.
 * The demo people act only through the emulator's control API, so every step is a real signed card
 * callback handled by the running bot: they answer their self-check cards (some with problems, some
 * not at all), propose measures, report progress, ask for closure and an extension; reviewers close
 * some, send one back, grant the extension. Between the steps the sandbox clock moves forward
 * (src/sandbox-clock.ts), so the deadlines pass the way they would.
 */
export interface PlayContext {
  s: CliServices;
  /** The emulator's base URL (the sandbox `npm start` recorded it in runtime.json). */
  emulatorUrl: string;
  logger: Logger;
  out: Out;
}

type Obj = Record<string, unknown>;
interface ButtonRef {
  name?: string;
  value: Obj;
}

class Emulator {
  constructor(private readonly url: string) {}

  private async json<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`emulator ${path}: ${data.error ?? res.status}`);
    return data;
  }

  clock(): Promise<{ now: number }> {
    return this.json("/_emulator/clock");
  }

  message(id: string): Promise<SentMessage> {
    return this.json(`/_emulator/messages/${encodeURIComponent(id)}`);
  }

  click(opts: {
    operator: string;
    messageId: string;
    button: ButtonRef;
    formValue?: Obj;
  }): Promise<Delivery> {
    return this.json("/_emulator/click-card", {
      operator: opts.operator,
      messageId: opts.messageId,
      tag: "button",
      name: opts.button.name,
      value: opts.button.value,
      formValue: opts.formValue,
    });
  }
}

/** The callback button of a card with this action. */
function findButton(card: unknown, action: string): ButtonRef | undefined {
  let found: ButtonRef | undefined;
  const walk = (n: unknown): void => {
    if (found || typeof n !== "object" || n === null) return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as Obj;
    if (o.tag === "button" && Array.isArray(o.behaviors)) {
      const b = (o.behaviors as Obj[]).find(
        (x) => x.type === "callback" && (x.value as Obj)?.action === action,
      );
      if (b) found = { name: typeof o.name === "string" ? o.name : undefined, value: b.value as Obj };
    }
    Object.values(o).forEach(walk);
  };
  walk(card);
  return found;
}

async function until<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`sandbox play: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PROBLEMS = [
  "会议材料审核把关不严，个别文件未经集体研究即印发",
  "调研走访次数偏少，对基层情况掌握不够",
  "公文流转环节多，办理时限偏长",
  "个别同志考勤纪律松弛，迟到早退时有发生",
  "报销审核不够严格，票据附件不全",
  "窗口服务一次性告知落实不到位",
  "学习记录不完整，专题研讨流于形式",
];
const MEASURES = [
  "建立审核台账，明确责任人，按月复核",
  "制定调研计划，每季度深入基层不少于两次",
  "精简流转环节，限时办结并公开办理进度",
  "严格考勤管理，每周通报，纳入年度考核",
  "完善报销审核清单，逐项核对票据附件",
  "修订服务指南，推行一次性告知承诺",
  "规范学习记录，每月开展一次专题研讨",
];

export async function sandboxPlay(ctx: PlayContext, campaignKey: string): Promise<number> {
  const { s, out } = ctx;
  const emu = new Emulator(ctx.emulatorUrl);
  if (!s.redis) throw new Error("sandbox play needs the sandbox's Redis");
  const redis = s.redis;
  let c = await s.models.Campaign.findOne({ key: campaignKey }).lean();
  if (!c) {
    out.error(
      `no campaign "${campaignKey}"; import it first: npm run cli -- campaign import examples/bureau.yaml`,
    );
    return 1;
  }
  if (c.status === "ended") {
    out.error(`campaign ${campaignKey} has ended; sandbox play needs a campaign that runs`);
    return 1;
  }
  if (await s.models.Measure.exists({ campaignKey })) {
    out.error(
      `campaign ${campaignKey} already has measures: sandbox play works on a campaign that has just started`,
    );
    return 1;
  }
  const tz = c.timezone;
  const clockNow = (await emu.clock()).now;
  const start = fromZoned(c.startDate, 9, tz).getTime();
  const baseDay = todayIn(tz, new Date(Math.max(clockNow, start)));
  const at = (day: number, hour = 10) => fromZoned(addDays(baseDay, day), hour, tz).getTime();
  const dayOf = (day: number) => {
    const d = addDays(baseDay, day);
    return c!.endDate && d > c!.endDate ? c!.endDate : d;
  };
  /**
   * Move the sandbox clock and wait until the bot's process has seen it (the emulator shares it).
   * First the cards already due go out: a send still in flight when the clock jumps a day would be
   * retried after Feishu's uuid window (in sandbox time) and be left of unknown fate, never shown.
   */
  const moveTo = async (day: number, hour = 10) => {
    const target = at(day, hour);
    const now = new Date((await emu.clock()).now);
    await until(
      async () =>
        !(await s.models.Outbox.exists({
          campaignKey,
          state: { $in: ["queued", "sending"] },
          $or: [{ notBefore: { $exists: false } }, { notBefore: { $lte: now } }],
        })),
      "the cards already queued to go out",
      60_000,
    );
    await advanceClockTo(redis, s.redisPrefix, target);
    await until(async () => (await emu.clock()).now >= target, "the sandbox clock", 5000);
    out.print(`— sandbox clock: ${addDays(baseDay, day)} ${String(hour).padStart(2, "0")}:00 (day ${day})`);
  };
  const warnings: string[] = [];
  const click = async (operator: string, messageId: string, action: string, formValue?: Obj) => {
    const m = await emu.message(messageId);
    const button = findButton(m.card, action);
    if (!button) {
      warnings.push(`no ${action} button on message ${messageId}`);
      return false;
    }
    const d = await emu.click({ operator, messageId, button, formValue });
    if (d.error || d.toast?.type === "error") {
      warnings.push(`${action} by ${operator}: ${d.error ?? d.toast?.content}`);
      return false;
    }
    return true;
  };
  const people = new Map((await s.models.Person.find({ campaignKey }).lean()).map((p) => [p.key, p]));
  const openId = (key: string) => people.get(key)?.openId ?? undefined;
  const latestCard = async (kind: string, refId: string, personKey: string, atLeast = 1) => {
    const q = { kind, refId, personKey };
    await until(
      async () => (await s.models.SentCard.countDocuments(q)) >= atLeast,
      `${kind} card for ${personKey}`,
    );
    const sc = await s.models.SentCard.findOne(q).sort({ sentAt: -1, _id: -1 }).lean();
    return sc!.messageId;
  };
  /** A person presses a button on their newest card of a measure (the `atLeast`-th one sent to them). */
  const onMeasure = async (
    m: { _id: unknown },
    personKey: string | null | undefined,
    action: string,
    formValue?: Obj,
    atLeast = 1,
  ) => {
    const who = personKey ? openId(personKey) : undefined;
    if (!personKey || !who) return false;
    return click(who, await latestCard("measure", String(m._id), personKey, atLeast), action, formValue);
  };

  // Day 0: the campaign starts (its cards go out at sandbox time).
  await moveTo(0, 9);
  if (c.status !== "active") {
    const code = await campaignStart(s, campaignKey, ctx.logger, out);
    if (code !== 0) return code;
    c = (await s.models.Campaign.findOne({ key: campaignKey }).lean())!;
  }
  const assignments = await s.models.Assignment.find({ campaignKey, withdrawn: false })
    .sort({ key: 1 })
    .lean();
  const titles = new Map(
    campaignChecklist(c).sections.flatMap((sec) => sec.items.map((it) => [it.key, it.title])),
  );

  // Days 1–3: most people answer; about one in four finds problems; about one in eight does not answer.
  let answered = 0;
  let withProblems = 0;
  for (const [i, a] of assignments.entries()) {
    if (a.state !== "pending" || i % 8 === 5) continue;
    if (i === 0) await moveTo(1);
    if (i === Math.floor(assignments.length / 2)) await moveTo(3, 15);
    const who = openId(a.assigneeKey);
    if (!who) continue;
    const messageId = await latestCard("selfcheck", String(a._id), a.assigneeKey);
    const title = titles.get(a.itemKey) ?? a.itemKey;
    const problems =
      i % 4 === 0
        ? [PROBLEMS[i % PROBLEMS.length], ...(i % 8 === 0 ? [PROBLEMS[(i + 3) % PROBLEMS.length]] : [])].join(
            "\n",
          )
        : "";
    const ok = await click(who, messageId, SELF_CHECK_ACTIONS.submit, {
      conclusion: problems ? "problems" : i % 3 === 0 ? "basically_compliant" : "compliant",
      narrative: `对照“${title}”的要点逐条开展自查，查阅了近一年的会议记录、工作台账和相关文件，并召开科室会议听取意见。${problems ? "发现问题如下，已逐条登记。" : "总体情况良好，未发现突出问题。"}`,
      evidence: i % 2 ? "https://docs.example.cn/evidence/" + a.key.replace(/[^a-z0-9]/gi, "-") : "",
      problems,
    });
    if (ok) {
      answered++;
      if (problems) withProblems++;
    }
  }
  out.print(
    `  ${answered} self-checks answered (${withProblems} with problems), ${assignments.length - answered} left open`,
  );

  // Day 4: a measure for every problem, by the one who reported it; deadlines spread out.
  await moveTo(4);
  const problems = await s.models.Problem.find({ campaignKey }).sort({ seq: 1 }).lean();
  const dues = [dayOf(10), dayOf(14), dayOf(28), dayOf(45)];
  for (const [i, p] of problems.entries()) {
    const a = assignments.find((x) => String(x._id) === String(p.assignmentId));
    const who = a && openId(a.assigneeKey);
    if (!a || !who) continue;
    const messageId = await latestCard("selfcheck", String(a._id), a.assigneeKey);
    await click(who, messageId, SELF_CHECK_ACTIONS.proposeMeasure, {
      problem: String(p._id),
      measure_content: MEASURES[i % MEASURES.length],
      measure_owner: "",
      measure_due: `${dues[i % dues.length]} +0800`,
    });
  }
  const measures = await s.models.Measure.find({ campaignKey }).sort({ seq: 1 }).lean();
  out.print(`  ${measures.length} measures proposed`);

  // Day 7: progress on most measures (one in four is not started).
  await moveTo(7);
  const started = measures.filter((_, i) => i % 4 !== 3);
  for (const [i, m] of started.entries()) {
    await onMeasure(m, m.ownerKey, MEASURE_ACTIONS.progress, {
      [MEASURE_FIELDS.progressNote]: i % 2 ? "已制定工作方案，正在逐项落实" : "已完成首轮排查，台账已建立",
      [MEASURE_FIELDS.progressPercent]: String(30 + (i % 3) * 20),
      [MEASURE_FIELDS.progressEvidence]: i % 2 ? "" : "https://docs.example.cn/progress",
    });
  }

  // Day 9: some owners finish (100 % with evidence) and ask for closure, one asks for more time.
  await moveTo(9);
  const closing = started.filter((m, i) => i % 2 === 0 && m.reviewerKey);
  const reviewed: { m: (typeof measures)[number]; reviews: number }[] = [];
  for (const m of closing) {
    const done = await onMeasure(m, m.ownerKey, MEASURE_ACTIONS.progress, {
      [MEASURE_FIELDS.progressNote]: "各项整改任务已完成，相关制度已修订印发",
      [MEASURE_FIELDS.progressPercent]: "100",
      [MEASURE_FIELDS.progressEvidence]: "https://docs.example.cn/rectified",
    });
    if (!done) continue;
    const q = { kind: "measure", refId: String(m._id), personKey: m.reviewerKey };
    const reviews = (await s.models.SentCard.countDocuments(q)) + 1;
    if (await onMeasure(m, m.ownerKey, MEASURE_ACTIONS.requestClose)) reviewed.push({ m, reviews });
  }
  const extend = started.find((m) => !closing.includes(m) && m.dueDate === dues[0] && m.reviewerKey);
  if (extend)
    await onMeasure(extend, extend.ownerKey, MEASURE_ACTIONS.extend, {
      [MEASURE_FIELDS.extDue]: `${dayOf(30)} +0800`,
      [MEASURE_FIELDS.extReason]: "需协调相关部门联合检查，原定时限内难以完成",
    });

  // Day 10: reviewers close most, send one back, leave the last one waiting; the extension is granted.
  await moveTo(10, 15);
  for (const [i, { m, reviews }] of reviewed.entries()) {
    if (i === reviewed.length - 1 && reviewed.length > 2) continue; // still waiting for review
    if (i === 1)
      await onMeasure(
        m,
        m.reviewerKey,
        MEASURE_ACTIONS.sendBack,
        { [MEASURE_FIELDS.sendBackReason]: "佐证材料不全，请补充复核记录后再申请销号" },
        reviews,
      );
    else await onMeasure(m, m.reviewerKey, MEASURE_ACTIONS.accept, undefined, reviews);
  }
  if (extend) await onMeasure(extend, extend.reviewerKey, MEASURE_ACTIONS.grantExt);

  // Three weeks in: the early deadlines have passed.
  await moveTo(21);
  const today = addDays(baseDay, 21);
  const now = await s.models.Measure.find({ campaignKey }).lean();
  const count = (f: (m: (typeof now)[number]) => boolean) => now.filter(f).length;
  out.print(
    [
      `campaign ${campaignKey}, sandbox day ${today}:`,
      `  measures: ${now.length} — open ${count((m) => m.state === "open")}, in progress ${count((m) => m.state === "in_progress")}, ` +
        `awaiting review ${count((m) => m.state === "closure_requested")}, closed ${count((m) => m.state === "closed")}`,
      `  overdue ${count((m) => m.state !== "closed" && m.dueDate < today)}, extended ${count((m) => m.extension?.status === "granted")}, ` +
        `sent back ${count((m) => !!m.sendBackReason && m.state !== "closed")}`,
      `  self-checks: ${assignments.length - answered} of ${assignments.length} still unanswered`,
      `Try in the sandbox chat: 导出台账 · 生成自查报告 · 哪些措施逾期了 · 谁还没填报 · 发送进度通报`,
    ].join("\n"),
  );
  for (const w of warnings) out.error(`warning: ${w}`);
  return 0;
}

/** The CLI entry: only against a running local sandbox, never a real Feishu app. */
export async function runSandboxPlay(
  config: Config,
  logger: Logger,
  campaignKey: string,
  out: Out,
): Promise<number> {
  if (!config.sandbox) {
    out.error(
      "sandbox play runs only in the local sandbox: FEISHU_APP_ID is set, so this is a real Feishu app. Nothing was done.",
    );
    return 2;
  }
  const local = readLocalRuntime(config.dataDir);
  if (!local?.sandbox) {
    out.error(
      "no local sandbox is running: start it with `npm start` (without Feishu credentials), then try again.",
    );
    return 2;
  }
  const s = await connect(config, logger, { redis: true });
  try {
    return await sandboxPlay({ s, emulatorUrl: local.feishu.domain, logger, out }, campaignKey);
  } finally {
    await s.close();
  }
}
