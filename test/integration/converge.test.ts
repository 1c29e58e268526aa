import type { CommandStartedEvent } from "mongodb";
import type { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";
import { startMongoWire, type MongoWireServer } from "@rectify-bot/mongo-wire";
import type { ServiceDeps } from "../../src/services/context";
import {
  acceptClosure,
  decideExtension,
  proposeMeasure,
  reportProgress,
  requestClosure,
  requestExtension,
  sendBack,
} from "../../src/services/measures";
import { amendSelfCheck, returnSelfCheck, submitSelfCheck } from "../../src/services/self-check";
import type { FlagsQueue } from "../../jobs/flags";
import type { Measure } from "../../src/services/views";
import type { TestBot } from "../helpers/bot";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import {
  cardMessage,
  importAndStart,
  loadSpec,
  openIdIn,
  pressCard,
  startClockedBot,
} from "../helpers/campaign";
import { uniqueName, waitFor } from "../helpers/services";

/**
 * Issue 9, multi-step writes that converge: every service write that touches several documents is
 * failed at each of its write steps in turn (the store's fault injection), then retried as the user or
 * Feishu would (the same input again). The retry must complete exactly the intended outcome: no
 * duplicates, no half-done state, audit entries not doubled.
 */
let store: MongoWireServer;
let t: TestBot;
let d: ServiceDeps;
let spec: CampaignSpec;
let users: EmulatorUser[];
const openIdOf = (key: string) => openIdIn(spec, users, key);

/** Write commands to the domain collections, counted while armed; the `failAt`-th one fails. */
const WRITES = new Set(["insert", "update", "findAndModify", "delete"]);
const IGNORED = new Set(["sentcards", "notices", "chats"]);
let armed: { failAt: number; seen: number; failed?: string } | undefined;
function onCommand(e: CommandStartedEvent): void {
  if (!armed || !WRITES.has(e.commandName)) return;
  const coll = String((e.command as Record<string, unknown>)[e.commandName]);
  if (IGNORED.has(coll)) return;
  // The send worker's own state changes of an intent (sending, sent): they run beside the press, not
  // in it, and a failed one fails the job, which the queue retries.
  if (coll === "outboxes" && e.commandName === "update") return;
  armed.seen++;
  if (armed.seen === armed.failAt) {
    armed.failed = `${e.commandName} ${coll}`;
    store.faults.failNext(1, { commands: [e.commandName], errmsg: "injected fault" });
  }
}

/** Run `fn` with the n-th write failing; answers what failed (undefined: fewer than n writes). */
async function withFaultAt(n: number, fn: () => Promise<unknown>): Promise<string | undefined> {
  armed = { failAt: n, seen: 0 };
  try {
    await fn();
  } catch (e) {
    expect((e as Error).message).toContain("injected fault");
  } finally {
    const failed = armed.failed;
    armed = undefined;
    store.faults.clear();
    // eslint-disable-next-line no-unsafe-finally
    return failed;
  }
}

/** How many writes `fn` makes when nothing fails. */
async function countWrites(fn: () => Promise<unknown>): Promise<number> {
  armed = { failAt: 0, seen: 0 };
  try {
    await fn();
    return armed.seen;
  } finally {
    armed = undefined;
  }
}

beforeAll(async () => {
  store = await startMongoWire({});
  const uri = new URL(store.uri);
  uri.pathname = `/${uniqueName("converge")}`;
  uri.searchParams.set("monitorCommands", "true");
  t = await startClockedBot({ mongoUri: uri.toString() });
  t.bot.models.Campaign.db.getClient().on("commandStarted", onCommand);
  d = { models: t.bot.models, now: t.bot.deps.now };
  spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  // Enough fresh assignments for one per failure step.
  const section = spec.checklist.sections[0];
  for (let i = 5; i <= 24; i++) {
    section.items.push({ key: `s${i}`, title: `补充检查项${i}`, checkpoints: ["对照检查"] });
    spec.assignments.push({
      item: `s${i}`,
      units: spec.units.map((u) => u.key),
      people: [],
      due: "2027-01-08",
    });
  }
  ({ users } = await importAndStart(t, spec));
}, 90_000);
afterAll(async () => {
  await t?.stop();
  await store?.close();
});

/** A fresh pending assignment of a unit head, never answered. */
async function freshAssignment() {
  const list = await t.bot.models.Assignment.find({
    campaignKey: spec.key,
    target: "unit",
    state: "pending",
    responseVersion: 0,
  })
    .sort({ key: 1 })
    .lean();
  const a = list[0];
  if (!a) throw new Error("out of fresh assignments");
  return a;
}

const PROBLEMS = ["学习记录不完整", "台账更新不及时", "值班表未公示"];
const answer = (problems: string[]) => ({
  conclusion: "problems",
  narrative: "逐项对照检查。",
  evidence: "",
  problems: problems.join("\n"),
});

async function submit(a: { _id: unknown; assigneeKey: string }, rev: number, problems: string[]) {
  return submitSelfCheck(d, {
    assignmentId: String(a._id),
    rev,
    operatorOpenId: openIdOf(a.assigneeKey),
    form: answer(problems),
  });
}

async function liveProblems(assignmentId: Types.ObjectId) {
  return t.bot.models.Problem.find({ assignmentId, withdrawn: { $ne: true } })
    .sort({ index: 1 })
    .lean();
}

async function auditCount(entityId: unknown, action: string) {
  return t.bot.models.AuditEntry.countDocuments({ entityId: String(entityId), action });
}

describe("self-check submit converges after a failure at any step", () => {
  it("fails each write in turn; the same press again stores one answer with all its problems", async () => {
    const probe = await freshAssignment();
    const steps = await countWrites(() => submit(probe, probe.rev, PROBLEMS));
    expect(steps).toBeGreaterThanOrEqual(5);
    for (let k = 1; k <= steps; k++) {
      const a = await freshAssignment();
      const failed = await withFaultAt(k, () => submit(a, a.rev, PROBLEMS));
      expect(failed, `step ${k}`).toBeDefined();
      // The user presses again on the same card (same rev, same form).
      const r = await submit(a, a.rev, PROBLEMS);
      expect(r.problemIds, `step ${k} (${failed})`).toHaveLength(3);
      const after = (await t.bot.models.Assignment.findById(a._id).lean())!;
      expect(after, `step ${k} (${failed})`).toMatchObject({ state: "submitted", responseVersion: 1 });
      expect(await t.bot.models.Response.countDocuments({ assignmentId: a._id })).toBe(1);
      const problems = await liveProblems(a._id);
      expect(problems.map((p) => p.text)).toEqual(PROBLEMS);
      expect(new Set(problems.map((p) => p.seq)).size).toBe(3);
      expect(await auditCount(a._id, "submit"), `step ${k} (${failed})`).toBe(1);
      // A third press is a plain repeat: nothing more is written.
      await expect(submit(a, a.rev, PROBLEMS)).rejects.toThrow(/Already submitted/);
      expect(await t.bot.models.Problem.countDocuments({ assignmentId: a._id })).toBe(3);
    }
  }, 60_000);
});

/** An answered assignment with three problems and a measure on each of the last two. */
async function answeredWithMeasures() {
  const a = await freshAssignment();
  await submit(a, a.rev, PROBLEMS);
  const problems = await liveProblems(a._id);
  const measures: Measure[] = [];
  for (const p of problems.slice(1)) {
    const r = await proposeMeasure(d, {
      assignmentId: String(a._id),
      operatorOpenId: openIdOf(a.assigneeKey),
      form: { problem: String(p._id), measure_content: `整改：${p.text}`, measure_due: "2027-01-20 +0800" },
    });
    measures.push(r.measure);
  }
  const now = (await t.bot.models.Assignment.findById(a._id).lean())!;
  return { a: now, problems, measures };
}

describe("amend and resubmit converges, reconciling problems", () => {
  it("fails each write in turn; the retry carries the kept problem over and withdraws the others once", async () => {
    // The new answer: the first problem worded the same (whitespace aside), the others replaced by one.
    const next = ["学习记录 不完整 ", "新发现：制度未上墙"];
    const probe = await answeredWithMeasures();
    await amendSelfCheck(d, {
      assignmentId: String(probe.a._id),
      rev: probe.a.rev,
      operatorOpenId: openIdOf(probe.a.assigneeKey),
    });
    const steps = await countWrites(() => submit(probe.a, probe.a.rev, next));
    expect(steps).toBeGreaterThanOrEqual(8);
    for (let k = 1; k <= steps; k++) {
      const { a, problems, measures } = await answeredWithMeasures();
      const failed = await withFaultAt(k, () => submit(a, a.rev, next));
      expect(failed, `step ${k}`).toBeDefined();
      const r = await submit(a, a.rev, next);
      expect(r.problemIds, `step ${k} (${failed})`).toHaveLength(2);
      const after = (await t.bot.models.Assignment.findById(a._id).lean())!;
      expect(after).toMatchObject({ state: "submitted", responseVersion: 2 });
      const live = await liveProblems(a._id);
      expect(
        live.map((p) => p.text),
        `step ${k} (${failed})`,
      ).toEqual(["学习记录 不完整", next[1]]);
      // Same text → the same problem, with its number.
      expect(String(live[0]._id)).toBe(String(problems[0]._id));
      expect(live[0].seq).toBe(problems[0].seq);
      for (const p of problems.slice(1)) {
        expect((await t.bot.models.Problem.findById(p._id).lean())!.withdrawn).toBe(true);
        expect(await auditCount(p._id, "withdraw"), `step ${k} (${failed})`).toBe(1);
      }
      for (const m of measures) {
        expect((await t.bot.models.Measure.findById(m._id).lean())!.state, `step ${k} (${failed})`).toBe(
          "withdrawn",
        );
        expect(await auditCount(m._id, "withdraw"), `step ${k} (${failed})`).toBe(1);
      }
      expect(await auditCount(a._id, "resubmit")).toBe(1);
      expect(await auditCount(a._id, "submit")).toBe(1);
      expect(await t.bot.models.Problem.countDocuments({ assignmentId: a._id })).toBe(4);
    }
  }, 90_000);
});

describe("returning an answer converges", () => {
  it("fails each write in turn; the same return again completes it with one audit entry", async () => {
    const ret = (a: { _id: unknown }) =>
      returnSelfCheck(d, { assignmentId: String(a._id), reason: "请补充佐证", by: { admin: "cli" } });
    const probe = await freshAssignment();
    await submit(probe, probe.rev, PROBLEMS);
    const steps = await countWrites(() => ret(probe));
    expect(steps).toBeGreaterThanOrEqual(2);
    for (let k = 1; k <= steps; k++) {
      const a = await freshAssignment();
      await submit(a, a.rev, PROBLEMS);
      const failed = await withFaultAt(k, () => ret(a));
      expect(failed, `step ${k}`).toBeDefined();
      await ret(a);
      expect((await t.bot.models.Assignment.findById(a._id).lean())!).toMatchObject({
        state: "pending",
        returnReason: "请补充佐证",
      });
      expect(await auditCount(a._id, "return"), `step ${k} (${failed})`).toBe(1);
      await expect(ret(a)).rejects.toThrow(/Not submitted/);
    }
  }, 30_000);
});

describe("measure proposal converges", () => {
  it("fails each write in turn; the retry creates one measure, audited once, and reports it created", async () => {
    const a = await freshAssignment();
    await submit(a, a.rev, PROBLEMS);
    const [p] = await liveProblems(a._id);
    const propose = (content: string) =>
      proposeMeasure(d, {
        assignmentId: String(a._id),
        operatorOpenId: openIdOf(a.assigneeKey),
        form: { problem: String(p._id), measure_content: content, measure_due: "2027-01-20 +0800" },
      });
    const steps = await countWrites(() => propose("探测：步骤计数"));
    expect(steps).toBeGreaterThanOrEqual(3);
    const seqs: number[] = [];
    for (let k = 1; k <= steps; k++) {
      const content = `整改措施，第 ${k} 步失败后重试`;
      const failed = await withFaultAt(k, () => propose(content));
      expect(failed, `step ${k}`).toBeDefined();
      const r = await propose(content);
      expect(r.created, `step ${k} (${failed})`).toBe(true);
      const stored = await t.bot.models.Measure.find({ campaignKey: spec.key, content }).lean();
      expect(stored, `step ${k} (${failed})`).toHaveLength(1);
      expect(await auditCount(stored[0]._id, "create")).toBe(1);
      seqs.push(stored[0].seq);
      // Pressing once more is a repeat.
      expect((await propose(content)).created).toBe(false);
    }
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 60_000);

  it("20 identical concurrent proposals make one measure, and the next proposal takes the next number", async () => {
    const a = await freshAssignment();
    await submit(a, a.rev, PROBLEMS);
    const [p] = await liveProblems(a._id);
    const propose = (content: string) =>
      proposeMeasure(d, {
        assignmentId: String(a._id),
        operatorOpenId: openIdOf(a.assigneeKey),
        form: { problem: String(p._id), measure_content: content, measure_due: "2027-01-20 +0800" },
      });
    const rs = await Promise.all(Array.from({ length: 20 }, () => propose("并发提交的同一措施")));
    expect(new Set(rs.map((r) => String(r.measure._id))).size).toBe(1);
    expect(await t.bot.models.Measure.countDocuments({ content: "并发提交的同一措施" })).toBe(1);
    const next = await propose("紧接着的下一条措施");
    expect(next.measure.seq).toBe(rs[0].measure.seq + 1);
  }, 30_000);
});

describe("measure transitions converge", () => {
  /** A fresh measure (open), owned by the assignee, reviewed by the leader. */
  let n = 0;
  let host: { _id: Types.ObjectId; assigneeKey: string } | undefined;
  let hostProblem: string | undefined;
  async function freshMeasure(): Promise<Measure> {
    if (!host) {
      const a = await freshAssignment();
      await submit(a, a.rev, PROBLEMS);
      host = a;
      hostProblem = String((await liveProblems(a._id))[0]._id);
    }
    const r = await proposeMeasure(d, {
      assignmentId: String(host._id),
      operatorOpenId: openIdOf(host.assigneeKey),
      form: { problem: hostProblem, measure_content: `措施${++n}`, measure_due: "2027-01-20 +0800" },
    });
    return r.measure;
  }
  const asOwner = (m: Measure) => ({
    measureId: String(m._id),
    rev: m.rev,
    operatorOpenId: openIdOf(m.ownerKey),
  });
  const asReviewer = (m: Measure) => ({
    measureId: String(m._id),
    rev: m.rev,
    operatorOpenId: openIdOf(m.reviewerKey!),
  });
  const reload = async (m: Measure) => (await t.bot.models.Measure.findById(m._id).lean()) as Measure;
  const full = { progress_note: "全部完成", progress_percent: "100", progress_evidence: "归档台账" };
  const extensionRequested = async (m: Measure) => {
    await requestExtension(d, { ...asOwner(m), form: { ext_due: "2027-02-10 +0800", ext_reason: "需协调" } });
    return reload(m);
  };
  const closureRequested = async (m: Measure) => {
    await reportProgress(d, { ...asOwner(m), form: full });
    await requestClosure(d, asOwner(await reload(m)));
    return reload(m);
  };

  const cases: {
    name: string;
    setup(m: Measure): Promise<Measure>;
    run(m: Measure): Promise<unknown>;
    expectAfter(m: Measure): void;
    audits: string[];
    progressNotes?: number;
  }[] = [
    {
      name: "progress",
      setup: async (m) => m,
      run: (m) =>
        reportProgress(d, { ...asOwner(m), form: { progress_note: "已开始", progress_percent: "30%" } }),
      expectAfter: (m) => expect(m).toMatchObject({ state: "in_progress", percent: 30 }),
      audits: ["start", "progress"],
      progressNotes: 1,
    },
    {
      name: "extension request",
      setup: async (m) => m,
      run: (m) =>
        requestExtension(d, { ...asOwner(m), form: { ext_due: "2027-02-10 +0800", ext_reason: "需协调" } }),
      expectAfter: (m) =>
        expect(m.extension).toMatchObject({ status: "requested", requestedDue: "2027-02-10" }),
      audits: ["request_extension"],
    },
    {
      name: "extension grant",
      setup: extensionRequested,
      run: (m) => decideExtension(d, { ...asReviewer(m), grant: true }),
      expectAfter: (m) =>
        expect(m).toMatchObject({ dueDate: "2027-02-10", extension: { status: "granted" } }),
      audits: ["grant_extension"],
    },
    {
      name: "extension refusal",
      setup: extensionRequested,
      run: (m) => decideExtension(d, { ...asReviewer(m), grant: false }),
      expectAfter: (m) =>
        expect(m).toMatchObject({ dueDate: "2027-01-20", extension: { status: "refused" } }),
      audits: ["refuse_extension"],
    },
    {
      name: "closure request",
      setup: async (m) => {
        await reportProgress(d, { ...asOwner(m), form: full });
        return reload(m);
      },
      run: (m) => requestClosure(d, asOwner(m)),
      expectAfter: (m) => expect(m.state).toBe("closure_requested"),
      audits: ["request_closure"],
    },
    {
      name: "closure accepted (review)",
      setup: closureRequested,
      run: (m) => acceptClosure(d, asReviewer(m)),
      expectAfter: (m) => expect(m).toMatchObject({ state: "closed", percent: 100 }),
      audits: ["close"],
    },
    {
      name: "sent back (review)",
      setup: closureRequested,
      run: (m) => sendBack(d, { ...asReviewer(m), form: { sendback_reason: "佐证不足" } }),
      expectAfter: (m) => expect(m).toMatchObject({ state: "in_progress", sendBackReason: "佐证不足" }),
      audits: ["send_back"],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: fails each write in turn; the same press again completes it once`, async () => {
      const probe = await c.setup(await freshMeasure());
      const steps = await countWrites(() => c.run(probe));
      expect(steps).toBeGreaterThanOrEqual(2);
      for (let k = 1; k <= steps; k++) {
        const m = await c.setup(await freshMeasure());
        const trail = async () =>
          (await t.bot.models.AuditEntry.find({ entityId: String(m._id) }, { action: 1 }).lean()).map(
            (x) => x.action,
          );
        const notes = () => t.bot.models.ProgressUpdate.countDocuments({ measureId: m._id });
        const [trailBefore, notesBefore] = [await trail(), await notes()];
        const failed = await withFaultAt(k, () => c.run(m));
        expect(failed, `step ${k}`).toBeDefined();
        await c.run(m); // the same card again: its rev is the one before the failure
        const after = await reload(m);
        c.expectAfter(after);
        expect(after.rev, `step ${k} (${failed})`).toBe(m.rev + 1);
        expect((await trail()).slice(trailBefore.length), `step ${k} (${failed})`).toEqual(c.audits);
        expect(await notes()).toBe(notesBefore + (c.progressNotes ?? 0));
        // Once more: a repeat, nothing more written.
        await c.run(m).catch(() => undefined);
        expect((await reload(m)).rev).toBe(m.rev + 1);
      }
    }, 60_000);
  }
});

/** The flags job a submission queues (jobs/flags.ts) has run: no write of it is still to come. */
async function flagsSettled() {
  const q = (t.bot.deps.flags as FlagsQueue).queue;
  await waitFor(
    async () => {
      const c = await q.getJobCounts("active", "waiting", "delayed");
      return c.active + c.waiting + c.delayed === 0;
    },
    10_000,
    "flags job done",
  );
}

describe("through the card callbacks", () => {
  const press = (personKey: string, messageId: string, action: string, form: Record<string, unknown>) =>
    pressCard(t, openIdOf(personKey), messageId, action, form);

  it("a press that failed at any step of a proposal, pressed again, says added and sends the owner one card", async () => {
    const a = await freshAssignment();
    const messageId = await cardMessage(t, {
      kind: "selfcheck",
      refId: String(a._id),
      personKey: a.assigneeKey,
    });
    const submitted = await press(a.assigneeKey, messageId, SELF_CHECK_ACTIONS.submit, answer(PROBLEMS));
    expect(submitted.toast?.type).toBe("success");
    await flagsSettled(); // the flags job's writes must not be counted (or failed) as the proposal's
    const [p] = await liveProblems(a._id);
    const form = (content: string) => ({
      problem: String(p._id),
      measure_content: content,
      measure_owner: openIdOf("bai_lu"),
      measure_due: "2027-01-20 +0800",
    });
    const steps = await countWrites(() =>
      press(a.assigneeKey, messageId, SELF_CHECK_ACTIONS.proposeMeasure, form("探测")),
    );
    for (let k = 1; k <= steps; k++) {
      const content = `回调第 ${k} 步失败后重按`;
      armed = { failAt: k, seen: 0 };
      const first = await press(a.assigneeKey, messageId, SELF_CHECK_ACTIONS.proposeMeasure, form(content));
      const failed = armed.failed;
      armed = undefined;
      store.faults.clear();
      expect(failed, `step ${k}`).toBeDefined();
      expect(first.toast?.type, `step ${k} (${failed})`).not.toBe("success");
      const again = await press(a.assigneeKey, messageId, SELF_CHECK_ACTIONS.proposeMeasure, form(content));
      expect(again.toast?.type, `step ${k} (${failed}): ${JSON.stringify(again.toast)}`).toBe("success");
      const stored = await t.bot.models.Measure.find({ content }).lean();
      expect(stored).toHaveLength(1);
      const id = String(stored[0]._id);
      await waitFor(
        () => t.emu.messagesTo(openIdOf("bai_lu")).some((m) => JSON.stringify(m.card ?? {}).includes(id)),
        5000,
        "owner's card",
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(
        t.emu.messagesTo(openIdOf("bai_lu")).filter((m) => JSON.stringify(m.card ?? {}).includes(id)),
        `step ${k} (${failed})`,
      ).toHaveLength(1);
    }
  }, 60_000);
});
