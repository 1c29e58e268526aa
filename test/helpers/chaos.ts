/**
 * Submit-burst chaos: the whole bot (`src/main.ts`, as `npm start` runs it, with the embedded store
 * and its journal in a DATA_DIR) in a child process, the Feishu emulator in this process (it outlives
 * the bot, as Feishu does). Bursts of self-check submissions arrive as real signed card callbacks;
 * the bot is SIGKILLed at seeded random moments in the middle of them and started again. After every
 * restart, every submission answered 200 + 已提交 must be in the store exactly once: the assignment
 * submitted, one Response version, exactly the problems submitted.
 *
 * Used by test/integration/chaos-submit.test.ts (bounded) and bench/chaos.ts (longer, prints numbers).
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import mongoose, { Types } from "mongoose";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import { loadCampaignFile } from "../../src/campaign/file";
import { campaignImport, campaignStart, type Out } from "../../src/cli/campaign";
import { connect } from "../../src/cli/connect";
import { loadConfig } from "../../src/config";
import { FeishuEmulator } from "@rectify-bot/feishu-emulator";
import { silentLogger } from "../../src/logger";
import { createModels } from "../../src/repositories/models";
import { emulatorUsersFor } from "../../src/sandbox-users";
import { todayIn } from "../../src/time";
import { button, hasButton } from "./cards";
import { kill9 } from "./store-child";

export interface ChaosOptions {
  seed: number;
  /** SIGKILLs to do */
  kills: number;
  /**
   * Start no new round after this long (ms from the start): on a slow or loaded machine the run does
   * fewer kills instead of overrunning its caller's time limit; the result says how many it did.
   */
  budgetMs?: number;
  redisUrl: string;
  /** callbacks per burst: min..max */
  burst?: [number, number];
  /** units in the campaign (14 assignments each); default: enough for the kills */
  units?: number;
  /**
   * Fan-out too: every round imports a fresh campaign of this many units (14 self-check cards each)
   * and starts it while the burst runs, so the kill lands in a fan-out and a submit burst at once.
   * After each restart the round's start is re-run and the outbound left to drain. 0: submits only.
   */
  fanoutUnits?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  kills: number;
  bursts: number;
  callbacks: number;
  acknowledged: number;
  unanswered: number;
  /** answered 200 with "正在处理，请稍候" (the bot's deadline answer): not acknowledged as stored */
  deferred: number;
  /** acknowledged submissions missing (assignment not submitted, no Response) after a restart */
  lost: number;
  /** acknowledged submissions stored more than once (Responses or problems beyond what was sent) */
  doubled: number;
  /** acknowledged submissions with only part of their problems */
  partial: number;
  restartMs: number[];
  callbackMs: number[];
  /** fan-out campaigns started (one a round when fanoutUnits > 0) */
  fanouts: number;
  /** self-check cards the fan-outs had to deliver (one per assignment) */
  cardsExpected: number;
  /** expected cards not delivered after the bot converged */
  cardsMissing: number;
  /** cards delivered twice: same receiver and same uuid, or same receiver and same assignment */
  cardsDuplicate: number;
  /** ms from a fan-out's (re-)start after the last restart until all its cards were delivered */
  drainMs: number[];
  durationMs: number;
  problems: string[];
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APP = {
  appId: "cli_chaos",
  appSecret: "chaos-secret",
  encryptKey: "chaos-encrypt-key",
  verificationToken: "chaos-token",
};

interface Target {
  assignmentId: string;
  messageId: string;
  operator: string;
  name?: string;
  value: Record<string, unknown>;
}

interface Sent {
  target: Target;
  problems: string[];
}

/** A campaign file: `units` units, each answering all 14 items of the built-in checklist through its head. */
async function writeCampaign(dir: string, units: number, key = "chaos-1"): Promise<string> {
  // heads of the first campaign keep their old ids; a fan-out campaign's heads are its own people
  const tag = key === "chaos-1" ? "" : `${key}-`;
  const hex = (n: number | string) =>
    crypto.createHash("sha256").update(`chaos-${n}`).digest("hex").slice(0, 32);
  const lines = [
    `key: ${key}`,
    "title: 提交压力测试专项自查",
    "timezone: Asia/Shanghai",
    "start: 2026-12-01",
    "end: 2027-03-31",
    "template: jgzf-6-6-2",
    "units:",
  ];
  for (let u = 1; u <= units; u++)
    lines.push(`  - key: u${u}`, `    name: 科室${u}`, `    head: head${u}`, `    leader: boss`);
  lines.push("people:", "  - key: boss", "    name: 局长", "    unit: u1", "    roles: [leader]");
  lines.push(`    open_id: ou_${hex(0)}`);
  for (let u = 1; u <= units; u++)
    lines.push(
      `  - key: head${u}`,
      `    name: 负责人${u}`,
      `    unit: u${u}`,
      "    roles: [head]",
      `    open_id: ou_${hex(`${tag}${u}`)}`,
    );
  lines.push("assignments:", "  - item: all", "    units: all", "    due: 2027-01-15", "");
  const file = path.join(dir, `${key}.yaml`);
  await writeFile(file, lines.join("\n"));
  return file;
}

class BotProcess {
  child!: ChildProcess;
  port = 0;
  output = "";
  constructor(
    private readonly env: Record<string, string>,
    private readonly emu: FeishuEmulator,
  ) {}

  async start(): Promise<number> {
    const t0 = Date.now();
    this.output = "";
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stderr.on("data", collect);
    this.port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        collect(d);
        const m = /bot on port (\d+)/.exec(this.output);
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", (code, sig) =>
        reject(new Error(`bot exited during start (${code ?? sig}):\n${this.output.slice(-4000)}`)),
      );
    });
    this.emu.configureDelivery({
      url: `http://127.0.0.1:${this.port}/feishu/events`,
      encryptKey: APP.encryptKey,
      verificationToken: APP.verificationToken,
    });
    return Date.now() - t0;
  }

  kill(): Promise<void> {
    return kill9(this.child);
  }

  stop(): Promise<void> {
    const child = this.child;
    return new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}

export async function runSubmitChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const random = rng(o.seed);
  const [bMin, bMax] = o.burst ?? [6, 16];
  const dir = await mkdtemp(path.join(os.tmpdir(), "chaos-submit-"));
  const dataDir = path.join(dir, "data");
  const prefix = `chaos${process.pid}x${o.seed}`;
  const emu = new FeishuEmulator({ appId: APP.appId, appSecret: APP.appSecret });
  const emuUrl = await emu.start();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    FEISHU_APP_ID: APP.appId,
    FEISHU_APP_SECRET: APP.appSecret,
    FEISHU_ENCRYPT_KEY: APP.encryptKey,
    FEISHU_VERIFICATION_TOKEN: APP.verificationToken,
    FEISHU_DOMAIN: emuUrl,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "warn",
  };
  const bot = new BotProcess(env, emu);
  const result: ChaosResult = {
    seed: o.seed,
    kills: 0,
    bursts: 0,
    callbacks: 0,
    acknowledged: 0,
    unanswered: 0,
    deferred: 0,
    lost: 0,
    doubled: 0,
    partial: 0,
    restartMs: [],
    callbackMs: [],
    fanouts: 0,
    cardsExpected: 0,
    cardsMissing: 0,
    cardsDuplicate: 0,
    drainMs: [],
    durationMs: 0,
    problems: [],
  };
  const acked: Sent[] = [];
  /** fan-out starts cut off by a kill: settled before the end */
  const pending: Promise<number>[] = [];
  const config = loadConfig({ DATA_DIR: dataDir, REDIS_PREFIX: prefix });
  const out: Out = { print: () => undefined, error: (s) => log(`cli: ${s}`) };
  const importCampaign = async (file: string) => {
    const spec = await loadCampaignFile(file, { today: "1970-01-01" });
    if (!spec.ok) throw new Error(`campaign file: ${JSON.stringify(spec.errors)}`);
    for (const u of emulatorUsersFor(spec.spec)) emu.addUser(u);
    const s = await connect(config, silentLogger, { redis: true });
    try {
      if (
        (await campaignImport(s, file, { today: todayIn("Asia/Shanghai"), out, logger: silentLogger })) !== 0
      )
        throw new Error(`campaign import failed: ${file}`);
    } finally {
      await s.close();
    }
    return spec.spec;
  };
  /** Self-check cards delivered to a fan-out campaign's heads (they are named after the campaign). */
  const countSent = (key: string) => {
    let n = 0;
    for (const [, to] of cardsByAssignment(emu)) n += to.filter((r) => fanHeads.get(r) === key).length;
    return n;
  };
  const fanHeads = new Map<string, string>();
  /** Waits until every assignment of the campaign has its self-check card delivered. */
  const drained = async (key: string) => {
    const ids = await withStore(dataDir, async (m) =>
      (await m.Assignment.find({ campaignKey: key }, { _id: 1 }).lean()).map((a) => String(a._id)),
    );
    let seen = 0;
    await waitFor(() => {
      const got = cardsByAssignment(emu);
      seen = ids.filter((id) => got.has(id)).length;
      return seen === ids.length ? true : undefined;
    }, 60_000).catch((err: Error) => {
      result.problems.push(`${err.message}: ${seen} of ${ids.length} cards for ${key}`);
    });
  };
  try {
    result.restartMs.push(await bot.start());
    const targets: Target[] = [];
    {
      const n = 1;
      const file = await writeCampaign(
        dir,
        o.units ?? Math.ceil((o.kills * (bMax + bMin)) / 2 / 0.8 / 14) + 1,
      );
      const spec = await importCampaign(file);
      // the CLI's own path: it finds the running bot through DATA_DIR/runtime.json
      const s = await connect(config, silentLogger, { redis: true });
      try {
        if ((await campaignStart(s, `chaos-${n}`, silentLogger, out)) !== 0)
          throw new Error("campaign start failed");
        const expected = await s.models.Assignment.countDocuments({ campaignKey: `chaos-${n}` });
        const users = emulatorUsersFor(spec);
        let seen = 0;
        const found = await waitFor(() => {
          const cards: Target[] = [];
          for (const u of users)
            for (const m of emu.messagesTo(u.open_id)) {
              if (!hasButton(m.card, SELF_CHECK_ACTIONS.submit)) continue;
              const b = button(m.card, SELF_CHECK_ACTIONS.submit);
              if (!b.value.a) continue;
              cards.push({
                assignmentId: String(b.value.a),
                messageId: m.message_id,
                operator: u.open_id,
                name: b.name,
                value: b.value,
              });
            }
          const mine = cards.filter((c) => !targets.some((t) => t.assignmentId === c.assignmentId));
          seen = mine.length;
          return mine.length >= expected ? mine : undefined;
        }, 60_000).catch((err: Error) => {
          throw new Error(`${err.message}: ${seen} of ${expected} for chaos-${n}`);
        });
        targets.push(...found);
        log(`campaign chaos-${n}: ${found.length} self-check cards delivered`);
      } finally {
        await s.close();
      }
    }

    let next = 0;
    let typical = 400;
    let fanMs = 1500;
    const fanUnits = o.fanoutUnits ?? 0;
    const fanKeys: string[] = [];
    const inBudget = () => o.budgetMs === undefined || Date.now() - t0 < o.budgetMs;
    while (result.kills < o.kills && next < targets.length && inBudget()) {
      const size = bMin + Math.floor(random() * (bMax - bMin + 1));
      const burst = targets.slice(next, next + size);
      next += burst.length;
      result.bursts++;
      // The round's fan-out: a fresh campaign imported, then started (cards queued and sent by the
      // bot's outbound worker) while the burst's callbacks arrive.
      let fanout: { key: string; started: number; done: Promise<number> } | undefined;
      if (fanUnits > 0) {
        const key = `chaos-f${result.bursts}`;
        const spec = await importCampaign(await writeCampaign(dir, fanUnits, key));
        for (const p of spec.people) if (p.roles.includes("head") && p.openId) fanHeads.set(p.openId, key);
        fanKeys.push(key);
        result.fanouts++;
        const s = await connect(config, silentLogger, { redis: true });
        const started = Date.now();
        const done = campaignStart(s, key, silentLogger, out)
          .catch((err: unknown) => (log(`start ${key} interrupted: ${String(err)}`), -1))
          .finally(() => s.close().catch(() => undefined));
        pending.push(done);
        fanout = { key, started, done };
      }
      // kill during most rounds, at a random moment after the first callback left
      // A moment inside the burst: callbacks leave ~25 ms apart and take about `typical` ms each (it
      // depends on the machine's load, so it is measured as we go); with a fan-out, a moment inside
      // it (it takes about `fanMs`, measured too).
      const span = Math.max(size * 25 + 2 * typical, fanout ? fanMs : 0);
      const killAt =
        random() < 0.85 && !process.env.CHAOS_NOKILL ? 20 + Math.floor(random() * span) : undefined;
      const sends: Sent[] = burst.map((target, i) => ({
        target,
        problems:
          i % 3 === 0 ? [`问题${target.assignmentId.slice(-6)}-一：台账不全`, `问题-二：整改不及时`] : [],
      }));
      let atKill = 0;
      const killed =
        killAt === undefined
          ? undefined
          : new Promise<void>((r) =>
              setTimeout(() => {
                atKill = fanout ? countSent(fanout.key) : 0;
                void bot.kill().then(r);
              }, killAt),
            );
      const answers = await Promise.all(
        sends.map(async (s, i) => {
          await new Promise((r) => setTimeout(r, i * 25 + Math.floor(random() * 30)));
          const started = Date.now();
          const d = await emu
            .clickCard({
              operator: s.target.operator,
              messageId: s.target.messageId,
              tag: "button",
              name: s.target.name,
              value: s.target.value,
              formValue: {
                conclusion: s.problems.length ? "problems" : "compliant",
                narrative: `自查情况：逐条对照检查（${s.target.assignmentId}）。`,
                evidence: "",
                problems: s.problems.join("\n"),
              },
            })
            .catch((err: unknown) => ({ status: 0, error: String(err), toast: undefined }));
          result.callbackMs.push(Date.now() - started);
          return d;
        }),
      );
      result.callbacks += sends.length;
      const answered = answers.filter((d) => d.status === 200).map((d) => (d as { ms: number }).ms);
      if (answered.length)
        typical = Math.round((typical + answered.sort((a, b) => a - b)[answered.length >> 1]) / 2);
      if (process.env.CHAOS_DEBUG)
        log(
          `burst ${result.bursts}: ${answers.map((d) => `${d.status}/${(d as { ms?: number }).ms ?? "-"}`).join(" ")}`,
        );
      answers.forEach((d, i) => {
        const toastText = d.toast?.content ?? "";
        if (d.status === 200 && d.toast?.type === "success" && toastText.includes("已提交")) {
          if (toastText.includes("无需重复"))
            result.problems.push(`a first submission answered as a repeat: ${sends[i].target.assignmentId}`);
          else acked.push(sends[i]);
        } else if (d.status === 0) result.unanswered++;
        else if (d.status === 200 && d.toast?.type === "info")
          result.deferred++; // 正在处理: not acknowledged yet
        else
          result.problems.push(
            `unexpected answer for ${sends[i].target.assignmentId}: ${d.status} ${d.error ?? ""} ${JSON.stringify(d.toast)}`,
          );
      });
      if (killed) {
        await killed;
        result.kills++;
        const ms = await bot.start();
        result.restartMs.push(ms);
        log(
          `kill ${result.kills}/${o.kills} at +${killAt} ms: ${acked.length} acknowledged so far, ` +
            `${fanout ? `fan-out ${fanout.key} ${atKill} of ${fanUnits * 14} cards sent, ` : ""}restart ${ms} ms`,
        );
        await verify(dataDir, acked, result);
        if (fanout) {
          // converge: the operator runs the start again; the outbound drains what is left
          const t = Date.now();
          const s = await connect(config, silentLogger, { redis: true });
          try {
            if ((await campaignStart(s, fanout.key, silentLogger, out)) !== 0)
              result.problems.push(`re-run of start ${fanout.key} failed`);
          } finally {
            await s.close();
          }
          await drained(fanout.key);
          result.drainMs.push(Date.now() - t);
        }
      } else if (fanout) {
        if ((await fanout.done) !== 0) result.problems.push(`start ${fanout.key} failed without a kill`);
        await drained(fanout.key);
        const ms = Date.now() - fanout.started;
        result.drainMs.push(ms);
        fanMs = Math.round((fanMs + ms) / 2);
      }
    }
    await verify(dataDir, acked, result);
    if (fanKeys.length) await verifyCards(dataDir, emu, fanKeys, result);
    result.acknowledged = acked.length;
  } finally {
    await Promise.allSettled(pending);
    await bot.stop();
    await emu.close();
    await cleanRedis(o.redisUrl, prefix);
    result.durationMs = Date.now() - t0;
    if (!result.problems.length) await rm(dir, { recursive: true, force: true });
    else log(`data kept in ${dir}`);
  }
  return result;
}

/** Runs `fn` on the running bot's store (found through DATA_DIR/runtime.json). */
async function withStore<T>(
  dataDir: string,
  fn: (m: ReturnType<typeof createModels>) => Promise<T>,
): Promise<T> {
  const rt = JSON.parse(await readFile(path.join(dataDir, "runtime.json"), "utf8")) as { mongoUri: string };
  const conn = await mongoose.createConnection(rt.mongoUri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    return await fn(createModels(conn));
  } finally {
    await conn.close();
  }
}

/** Self-check cards in the emulator's log, by assignment: the receivers (one entry a delivery). */
function cardsByAssignment(emu: FeishuEmulator): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const m of emu.messages()) {
    if (!m.card || !hasButton(m.card, SELF_CHECK_ACTIONS.submit)) continue;
    const a = button(m.card, SELF_CHECK_ACTIONS.submit).value.a;
    if (!a) continue;
    by.set(String(a), [...(by.get(String(a)) ?? []), m.receive_id]);
  }
  return by;
}

/**
 * The emulator's whole message log against the fan-out campaigns' assignments: every assignment's
 * card delivered, none twice (same receiver and uuid, or same receiver and assignment).
 */
async function verifyCards(
  dataDir: string,
  emu: FeishuEmulator,
  keys: string[],
  r: ChaosResult,
): Promise<void> {
  const ids = await withStore(dataDir, async (m) =>
    (await m.Assignment.find({ campaignKey: { $in: keys } }, { _id: 1 }).lean()).map((a) => String(a._id)),
  );
  r.cardsExpected = ids.length;
  const by = cardsByAssignment(emu);
  let missing = 0;
  let dup = 0;
  for (const id of ids) {
    const to = by.get(id) ?? [];
    if (!to.length) {
      missing++;
      r.problems.push(`card not delivered: assignment ${id}`);
    } else if (new Set(to).size !== to.length) {
      dup++;
      r.problems.push(`card delivered twice: assignment ${id} to ${to.join(", ")}`);
    }
  }
  const uuids = new Map<string, number>();
  for (const m of emu.messages())
    if (m.uuid) uuids.set(`${m.receive_id} ${m.uuid}`, (uuids.get(`${m.receive_id} ${m.uuid}`) ?? 0) + 1);
  for (const [k, n] of uuids)
    if (n > 1) {
      dup++;
      r.problems.push(`uuid delivered ${n} times: ${k}`);
    }
  r.cardsMissing = missing;
  r.cardsDuplicate = dup;
}

/** Every acknowledged submission, checked against the running bot's store. */
async function verify(dataDir: string, acked: Sent[], r: ChaosResult): Promise<void> {
  await withStore(dataDir, async (m) => {
    const ids = acked.map((a) => new Types.ObjectId(a.target.assignmentId));
    const [assignments, responses, problems] = await Promise.all([
      m.Assignment.find({ _id: { $in: ids } }, { state: 1 }).lean(),
      m.Response.find({ assignmentId: { $in: ids } }, { assignmentId: 1 }).lean(),
      m.Problem.find({ assignmentId: { $in: ids } }, { assignmentId: 1 }).lean(),
    ]);
    const state = new Map(assignments.map((a) => [String(a._id), a.state as string]));
    const count = (rows: { assignmentId: unknown }[]) => {
      const c = new Map<string, number>();
      for (const x of rows) c.set(String(x.assignmentId), (c.get(String(x.assignmentId)) ?? 0) + 1);
      return c;
    };
    const nResp = count(responses);
    const nProb = count(problems);
    let lost = 0;
    let doubled = 0;
    let partial = 0;
    for (const a of acked) {
      const id = a.target.assignmentId;
      const resp = nResp.get(id) ?? 0;
      const prob = nProb.get(id) ?? 0;
      if (resp === 0 || state.get(id) === "pending") {
        lost++;
        r.problems.push(`lost: ${id} (state ${state.get(id)}, ${resp} responses)`);
      } else if (resp > 1 || prob > a.problems.length) {
        doubled++;
        r.problems.push(`doubled: ${id} (${resp} responses, ${prob}/${a.problems.length} problems)`);
      } else if (prob < a.problems.length) {
        partial++;
        r.problems.push(`partial: ${id} (${prob}/${a.problems.length} problems)`);
      }
    }
    r.lost = Math.max(r.lost, lost);
    r.doubled = Math.max(r.doubled, doubled);
    r.partial = Math.max(r.partial, partial);
  });
}

async function cleanRedis(url: string, prefix: string): Promise<void> {
  const { createRedis } = await import("../../src/redis");
  const redis = createRedis(url, silentLogger);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

async function waitFor<T>(fn: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out waiting for the self-check cards");
    await new Promise((r) => setTimeout(r, 200));
  }
}
