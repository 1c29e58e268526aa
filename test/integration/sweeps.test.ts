import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ESCALATION_ACTIONS } from "../../cards/escalation-card";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import { schedulerId, SWEEP_KINDS } from "../../jobs/sweeps";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";
import { silentLogger } from "../../src/logger";
import { startBot, type RunningBot } from "../../src/runtime";
import { computeSummary } from "../../src/services/summary";
import {
  runBroadcast,
  runEscalationSweep,
  runReminderSweep,
  type SweepDeps,
} from "../../src/services/sweeps";
import { startTestBot, type TestBot } from "../helpers/bot";
import { button, text } from "../helpers/cards";
import { cardMessage, importAndStart, loadSpec, openIdIn } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

/**
 * Reminders, escalation and broadcasts against real Redis, the store and the emulator, with a clock the
 * test moves (working hours, so nothing waits for quiet hours in real time).
 */
let nowMs = Date.parse("2027-01-06T02:00:00Z"); // Wed 10:00 Shanghai: the file's self-checks are due Fri 2027-01-08
const clock = () => new Date(nowMs);
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const openIdOf = (key: string) => openIdIn(spec, users, key);
const deps = (): SweepDeps => ({ ...t.bot.deps });

beforeAll(async () => {
  t = await startTestBot({ emulator: { now: () => nowMs }, settings: { now: clock } });
  spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  ({ users } = await importAndStart(t, spec));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const digestCount = async (personKey: string) =>
  t.bot.models.SentCard.countDocuments({ kind: "reminder", personKey });

describe("reminder sweep", () => {
  it("reminds each assignee once a day with one digest, even when the sweep runs twice or in two processes at once", async () => {
    // 2027-01-06 is 2 working days before 01-08: not a reminder day.
    expect((await runReminderSweep(deps(), spec.key)).sent).toBe(0);
    nowMs = Date.parse("2027-01-07T02:00:00Z"); // 1 working day before
    const second = await startBot(t.settings, silentLogger); // another bot process on the same Redis and database
    try {
      const [a, b] = await Promise.all([
        runReminderSweep(deps(), spec.key),
        runReminderSweep({ ...second.deps }, spec.key),
      ]);
      expect(a.sent + b.sent).toBeGreaterThan(0);
      await runReminderSweep(deps(), spec.key);
      // Due tomorrow: the unit heads' items (bai_lu's are due a week later).
      const dueTomorrow = [
        ...new Set(
          (await t.bot.models.Assignment.find({ campaignKey: spec.key, dueDate: "2027-01-08" }).lean()).map(
            (x) => x.assigneeKey,
          ),
        ),
      ];
      expect(dueTomorrow.sort()).toEqual(["gao_lei", "song_yu", "tan_min"]);
      await waitFor(
        async () => (await t.bot.models.SentCard.countDocuments({ kind: "reminder" })) >= dueTomorrow.length,
        8000,
        "reminders",
      );
      await new Promise((r) => setTimeout(r, 500));
      for (const k of dueTomorrow) expect(await digestCount(k), k).toBe(1);
      expect(await t.bot.models.SentCard.countDocuments({ kind: "reminder" })).toBe(dueTomorrow.length);
      expect(await digestCount("bai_lu")).toBe(0);
      const card = t.emu.messagesTo(openIdOf("tan_min")).at(-1)!.card;
      expect(text(card)).toContain("1 个工作日后到期");
    } finally {
      await second.stop();
    }
  });

  it("does not remind someone who answered, or someone on leave", async () => {
    nowMs = Date.parse("2027-01-08T02:00:00Z"); // the due date
    // song_yu answers all his items; bai_lu goes on leave.
    for (const a of await t.bot.models.Assignment.find({
      campaignKey: spec.key,
      assigneeKey: "song_yu",
    }).lean()) {
      const messageId = await cardMessage(t, {
        kind: "selfcheck",
        refId: String(a._id),
        personKey: "song_yu",
      });
      const b = button(t.emu.message(messageId)!.card, SELF_CHECK_ACTIONS.submit);
      const d = await t.emu.clickCard({
        operator: openIdOf("song_yu"),
        messageId,
        tag: "button",
        name: b.name,
        value: b.value,
        formValue: { conclusion: "compliant", narrative: "已自查" },
      });
      expect(d.toast?.type).toBe("success");
    }
    await t.bot.models.Person.updateOne(
      { campaignKey: spec.key, key: "bai_lu" },
      { $push: { leave: { from: "2027-01-08", to: "2027-01-12" } } },
    );
    const before = {
      song: await digestCount("song_yu"),
      bai: await digestCount("bai_lu"),
      tan: await digestCount("tan_min"),
    };
    await runReminderSweep(deps(), spec.key);
    await waitFor(async () => (await digestCount("tan_min")) === before.tan + 1, 5000, "tan_min reminded");
    await new Promise((r) => setTimeout(r, 300));
    expect(await digestCount("song_yu")).toBe(before.song);
    expect(await digestCount("bai_lu")).toBe(before.bai);
  });

  it("a sweep that dies in the middle and runs again reminds everyone exactly once", async () => {
    nowMs = Date.parse("2027-01-11T02:00:00Z"); // Mon: overdue, daily reminders
    let calls = 0;
    const dying: SweepDeps = {
      ...deps(),
      outbound: {
        enqueue: async (job, opts) => {
          if (++calls === 2) throw new Error("worker killed");
          await t.bot.outbound.enqueue(job, opts);
        },
      },
    };
    await expect(runReminderSweep(dying, spec.key)).rejects.toThrow("worker killed");
    await runReminderSweep(deps(), spec.key);
    const due = ["gao_lei", "tan_min"]; // song_yu answered, bai_lu is on leave
    await waitFor(
      async () =>
        (await t.bot.models.SentCard.countDocuments({ kind: "reminder", refId: "2027-01-11" })) >= due.length,
      5000,
      "reminders",
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const k of due)
      expect(
        await t.bot.models.SentCard.countDocuments({ kind: "reminder", refId: "2027-01-11", personKey: k }),
        k,
      ).toBe(1);
    expect(
      await t.bot.models.SentCard.countDocuments({
        kind: "reminder",
        refId: "2027-01-11",
        personKey: "song_yu",
      }),
    ).toBe(0);
    const card = t.emu.messagesTo(openIdOf("tan_min")).at(-1)!.card;
    expect(text(card)).toContain("逾期");
  });
});

describe("escalation sweep", () => {
  it("climbs the ladder one step at a time, each step once, and lets the head nudge once a day", async () => {
    nowMs = Date.parse("2027-01-11T03:00:00Z"); // 1 working day overdue → owner step
    await runEscalationSweep(deps(), spec.key);
    await runEscalationSweep(deps(), spec.key);
    await waitFor(
      async () => (await t.bot.models.SentCard.countDocuments({ kind: "escalation" })) > 0,
      5000,
      "owner escalations",
    );
    const owners = await t.bot.models.SentCard.find({ kind: "escalation" }).lean();
    expect(new Set(owners.map((o) => o.personKey)).size).toBe(owners.length); // one card each
    nowMs = Date.parse("2027-01-12T03:00:00Z"); // 2 working days: the heads' own items stay with them
    await runEscalationSweep(deps(), spec.key);
    nowMs = Date.parse("2027-01-19T03:00:00Z"); // bai_lu's items (due 01-15) 2 working days overdue → head song_yu
    await runEscalationSweep(deps(), spec.key);
    // The heads' own items (due 01-08) are 7 working days overdue by now → their leader.
    await waitFor(
      () => t.bot.models.SentCard.exists({ kind: "escalation", personKey: "director" }),
      5000,
      "leader escalation",
    );
    await waitFor(
      () => t.bot.models.SentCard.exists({ kind: "escalation", personKey: "song_yu" }),
      5000,
      "head escalation",
    );
    const msg = await cardMessage(t, { kind: "escalation", personKey: "song_yu" });
    const card = t.emu.message(msg)!.card;
    expect(text(card)).toContain("白露");
    const nudge = button(card, ESCALATION_ACTIONS.nudge);
    const before = t.emu.messagesTo(openIdOf("bai_lu")).length;
    const d1 = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId: msg,
      tag: "button",
      value: nudge.value,
    });
    expect(d1.toast?.type).toBe("success");
    const d2 = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId: msg,
      tag: "button",
      value: nudge.value,
    });
    expect(d2.toast?.content).toContain("已经催办");
    await waitFor(() => t.emu.messagesTo(openIdOf("bai_lu")).length === before + 1, 5000, "nudge delivered");
    // A member cannot nudge.
    const d3 = await t.emu.clickCard({
      operator: openIdOf("bai_lu"),
      messageId: msg,
      tag: "button",
      value: nudge.value,
    });
    expect(d3.toast?.type).toBe("error");
    const headCards = await t.bot.models.SentCard.countDocuments({
      kind: "escalation",
      personKey: "song_yu",
    });
    await runEscalationSweep(deps(), spec.key);
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.bot.models.SentCard.countDocuments({ kind: "escalation", personKey: "song_yu" })).toBe(
      headCards,
    );
  });
});

describe("progress broadcast and schedules", () => {
  it("sends each chat a card whose numbers equal a direct count", async () => {
    t.emu.addChat({
      chat_id: spec.chats[0].chatId,
      name: "所务群",
      members: users.map((u) => u.open_id),
      botIsMember: true,
    });
    await runBroadcast(deps(), spec.key, "test-slot");
    const [m] = await waitFor(
      () => t.emu.messagesTo(spec.chats[0].chatId).length > 0 && t.emu.messagesTo(spec.chats[0].chatId),
      5000,
      "broadcast",
    );
    const submitted = await t.bot.models.Assignment.countDocuments({
      campaignKey: spec.key,
      state: "submitted",
      withdrawn: false,
    });
    const total = await t.bot.models.Assignment.countDocuments({ campaignKey: spec.key, withdrawn: false });
    expect(text(m.card)).toContain(`${submitted}/${total}`);
    const s = await computeSummary(deps(), spec.key);
    expect(s.assignments).toMatchObject({ done: submitted, total });
    expect(JSON.stringify(m.card)).toContain('"tag":"chart"');
  });

  it("creates a job scheduler per schedule in the campaign's zone, and removes them when it ends", async () => {
    const bot: RunningBot = t.bot;
    await bot.sweeps.syncAll(bot.models);
    for (const kind of SWEEP_KINDS) {
      const s = await bot.sweeps.queue.getJobScheduler(schedulerId(spec.key, kind));
      expect(s, kind).toBeTruthy();
      expect(s!.tz).toBe("Asia/Shanghai");
    }
    expect((await bot.sweeps.queue.getJobScheduler(schedulerId(spec.key, "reminder")))!.pattern).toBe(
      spec.schedules.reminderSweep,
    );
    await bot.models.Campaign.updateOne({ key: spec.key }, { $set: { status: "ended" } });
    await bot.sweeps.syncAll(bot.models);
    for (const kind of SWEEP_KINDS)
      expect(await bot.sweeps.queue.getJobScheduler(schedulerId(spec.key, kind))).toBeFalsy();
    expect((await runReminderSweep(deps(), spec.key)).sent).toBe(0);
  });
});
