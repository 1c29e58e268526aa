import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignSpec } from "../../src/domain/types";
import { silentLogger } from "../../src/logger";
import { advanceClockTo, clockKey, SandboxClock } from "../../src/sandbox-clock";
import { sandboxPlay } from "../../src/sandbox-play";
import { emulatorUsersFor } from "../../src/sandbox-users";
import { importCampaign } from "../../src/services/campaign-import";
import { addDays, todayIn } from "../../src/time";
import { startTestBot, type TestBot } from "../helpers/bot";
import { loadSpec } from "../helpers/campaign";
import { redisUrl, uniqueName } from "../helpers/services";

/**
 * `sandbox play` against the whole bot: a bot and an emulator sharing one sandbox clock, the campaign
 * imported but not started; play starts it and acts only through the emulator's control API.
 */
let t: TestBot;
let clock: SandboxClock;
let spec: CampaignSpec;
const prefix = uniqueName("rb");
const printed: string[] = [];
const errors: string[] = [];
const out = { print: (s: string) => void printed.push(s), error: (s: string) => void errors.push(s) };
let code: number;
let startedAt: number;

beforeAll(async () => {
  clock = await SandboxClock.start(redisUrl(), prefix, silentLogger, 20);
  t = await startTestBot({
    emulator: { now: () => clock.now() },
    settings: { now: () => clock.date(), redisPrefix: prefix },
  });
  // The example campaign's dates hold from 2026-12-02 on (the clock only moves forward).
  await advanceClockTo(t.bot.redis, prefix, Date.parse("2026-12-02T01:00:00Z"));
  spec = await loadSpec("examples/bureau.yaml");
  for (const u of emulatorUsersFor(spec)) t.emu.addUser(u);
  for (const c of spec.chats)
    t.emu.addChat({
      chat_id: c.chatId,
      name: c.chatId,
      members: emulatorUsersFor(spec).map((u) => u.open_id),
      botIsMember: true,
    });
  await importCampaign(t.bot.models, spec, { lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q) });
  startedAt = clock.now();
  const s = { models: t.bot.models, redis: t.bot.redis, redisPrefix: prefix, close: async () => undefined };
  code = await sandboxPlay({ s, emulatorUrl: t.emu.url, logger: silentLogger, out }, spec.key);
}, 180_000);
afterAll(async () => {
  await t?.bot.redis.del(clockKey(prefix));
  await clock?.stop();
  await t?.stop();
});

describe("sandbox play", () => {
  it("moves the shared clock three weeks on: the bot and the emulator agree", () => {
    expect(code, errors.join("\n")).toBe(0);
    const now = t.bot.deps.now().getTime();
    expect(now - startedAt).toBeGreaterThan(20 * 86_400_000);
    expect(Math.abs(now - clock.now())).toBeLessThan(1000);
  });

  it("leaves self-checks answered (some with problems) and some not", async () => {
    const pending = await t.bot.models.Assignment.countDocuments({ campaignKey: spec.key, state: "pending" });
    const submitted = await t.bot.models.Assignment.countDocuments({
      campaignKey: spec.key,
      state: "submitted",
    });
    expect(pending).toBeGreaterThan(0);
    expect(submitted).toBeGreaterThan(pending);
    expect(await t.bot.models.Problem.countDocuments({ campaignKey: spec.key })).toBeGreaterThan(0);
  });

  it("leaves measures in every state: open, in progress, awaiting review, closed, overdue, extended, sent back", async () => {
    const ms = await t.bot.models.Measure.find({ campaignKey: spec.key }).lean();
    const today = todayIn(spec.timezone ?? "Asia/Shanghai", t.bot.deps.now());
    for (const state of ["open", "in_progress", "closure_requested", "closed"])
      expect(ms.filter((m) => m.state === state).length, state).toBeGreaterThan(0);
    expect(ms.filter((m) => m.state !== "closed" && m.dueDate < today).length).toBeGreaterThan(0);
    const extended = ms.filter((m) => m.extension?.status === "granted");
    expect(extended).toHaveLength(1);
    expect(extended[0].dueDate > extended[0].originalDueDate).toBe(true);
    expect(ms.filter((m) => m.sendBackReason && m.state === "in_progress")).toHaveLength(1);
    // Closed by the reviewer, on a sandbox day after the proposals.
    for (const m of ms.filter((x) => x.state === "closed")) {
      expect(m.closedByKey).toBe(m.reviewerKey);
      expect(
        todayIn("Asia/Shanghai", m.closedAt!) > addDays(todayIn("Asia/Shanghai", new Date(startedAt)), 4),
      ).toBe(true);
    }
  });

  it("did everything through signed card callbacks the bot accepted", () => {
    const callbacks = t.emu.deliveries().filter((d) => d.kind === "callback");
    expect(callbacks.length).toBeGreaterThan(50);
    expect(callbacks.filter((d) => d.error || d.status !== 200)).toEqual([]);
    expect(errors).toEqual([]);
    expect(printed.join("\n")).toMatch(/overdue [1-9]/);
  });

  it("refuses to play the same campaign twice", async () => {
    const again: string[] = [];
    const s = { models: t.bot.models, redis: t.bot.redis, redisPrefix: prefix, close: async () => undefined };
    const c = await sandboxPlay(
      {
        s,
        emulatorUrl: t.emu.url,
        logger: silentLogger,
        out: { print: () => undefined, error: (x) => void again.push(x) },
      },
      spec.key,
    );
    expect(c).toBe(1);
    expect(again.join("\n")).toContain("already has measures");
  });
});
