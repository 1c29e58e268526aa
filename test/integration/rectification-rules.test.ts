import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEASURE_ACTIONS, MEASURE_FIELDS } from "../../cards/measure-card";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";
import { sendCardToPerson } from "../../handlers/notify";
import { digestLinesFor, measureCardFor } from "../../src/services/cards";
import { returnSelfCheck } from "../../src/services/self-check";
import { sendReturnedCard } from "../../src/services/notices";
import { computeSummary } from "../../src/services/summary";
import type { TestBot } from "../helpers/bot";
import { button, text } from "../helpers/cards";
import {
  cardMessage,
  importAndStart,
  loadSpec,
  openIdIn,
  pressCard,
  selfCheckOf,
  startClockedBot,
} from "../helpers/campaign";
import { waitFor } from "../helpers/services";

/**
 * Issue 10's wrong-data items of self-checks and measures, through the real bot and the emulator:
 * resubmission reconciles problems, extensions stop at the campaign's end, progress is a plain number,
 * limits count characters, one live measure card per person, closure needs finished work with evidence,
 * the proposer who owns the measure is not "notified", the history is chronological.
 */
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const openIdOf = (key: string) => openIdIn(spec, users, key);

beforeAll(async () => {
  t = await startClockedBot();
  spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  ({ users } = await importAndStart(t, spec));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const selfCheck = (personKey: string, nth = 0) => selfCheckOf(t, spec.key, personKey, nth);
const click = (personKey: string, messageId: string, action: string, formValue?: Record<string, unknown>) =>
  pressCard(t, openIdOf(personKey), messageId, action, formValue);

const answer = (problems: string[]) => ({
  conclusion: problems.length ? "problems" : "compliant",
  narrative: "逐项对照检查。",
  evidence: "",
  problems: problems.join("\n"),
});

/** `who` answers their nth item with a problem and proposes a measure on it, owned by `owner`. */
async function measureOn(nth: number, owner?: string, who = "tan_min") {
  const sc = await selfCheck(who, nth);
  const d = await click(who, sc.messageId, SELF_CHECK_ACTIONS.submit, answer([`问题${who}${nth}`]));
  expect(d.toast?.type).toBe("success");
  const content = `措施${who}${nth}`;
  const pm = await click(who, sc.messageId, SELF_CHECK_ACTIONS.proposeMeasure, {
    measure_content: content,
    measure_owner: owner ? openIdOf(owner) : "",
    measure_due: "2027-01-20 +0800",
  });
  expect(pm.toast?.type, JSON.stringify(pm.toast)).toBe("success");
  const m = (await t.bot.models.Measure.findOne({ campaignKey: spec.key, content }).lean())!;
  const ownerKey = owner ?? who;
  const messageId = await waitFor(
    () => cardMessage(t, { kind: "measure", refId: String(m._id), personKey: ownerKey }).catch(() => ""),
    5000,
    "measure card",
  );
  return { m, messageId, ownerKey, toast: pm.toast };
}

describe("resubmitting after a return", () => {
  it("keeps the problem worded the same, withdraws the removed one with its measure, and counts neither twice", async () => {
    const sc = await selfCheck("song_yu");
    let d = await click(
      "song_yu",
      sc.messageId,
      SELF_CHECK_ACTIONS.submit,
      answer(["案卷归档不及时", "投诉回访记录缺失"]),
    );
    expect(d.toast?.type).toBe("success");
    const [p1, p2] = await t.bot.models.Problem.find({ assignmentId: sc.a._id }).sort({ index: 1 }).lean();
    d = await click("song_yu", sc.messageId, SELF_CHECK_ACTIONS.proposeMeasure, {
      problem: String(p2._id),
      measure_content: "补齐回访记录",
      measure_owner: openIdOf("bai_lu"),
      measure_due: "2027-01-20 +0800",
    });
    expect(d.toast?.type).toBe("success");
    const measure = (await t.bot.models.Measure.findOne({ problemId: p2._id }).lean())!;
    expect((await digestLinesFor(t.bot.deps, spec.key, "bai_lu")).map((l) => l.id)).toContain(
      String(measure._id),
    );
    const before = await computeSummary(t.bot.deps, spec.key);

    const returned = await returnSelfCheck(t.bot.deps, {
      assignmentId: String(sc.a._id),
      reason: "请核实问题",
      by: { admin: "cli" },
    });
    await sendReturnedCard(t.bot.deps, returned);
    const returnedCard = await waitFor(
      async () => {
        const id = await cardMessage(t, { kind: "selfcheck", refId: String(sc.a._id), personKey: "song_yu" });
        return id !== sc.messageId && id;
      },
      5000,
      "returned card",
    );
    d = await click("song_yu", returnedCard, SELF_CHECK_ACTIONS.submit, answer([" 案卷归档  不及时"]));
    expect(d.toast?.type).toBe("success");

    const all = await t.bot.models.Problem.find({ assignmentId: sc.a._id }).lean();
    expect(all).toHaveLength(2); // no third problem
    const live = all.filter((p) => !p.withdrawn);
    expect(live.map((p) => String(p._id))).toEqual([String(p1._id)]);
    expect(live[0].seq).toBe(p1.seq);
    expect((await t.bot.models.Problem.findById(p2._id).lean())!.withdrawn).toBe(true);
    expect((await t.bot.models.Measure.findById(measure._id).lean())!.state).toBe("withdrawn");
    // The owner's card of it says so, updated in place.
    const ownerCard = await cardMessage(t, {
      kind: "measure",
      refId: String(measure._id),
      personKey: "bai_lu",
    });
    await waitFor(
      () => text(t.emu.message(ownerCard)!.card).includes("已撤回"),
      5000,
      "owner's card shows the withdrawal",
    );
    // Off the owner's to-do list, out of every count.
    expect((await digestLinesFor(t.bot.deps, spec.key, "bai_lu")).map((l) => l.id)).not.toContain(
      String(measure._id),
    );
    const after = await computeSummary(t.bot.deps, spec.key);
    expect(after.measures.total).toBe(before.measures.total - 1);
    // The answer card lists the kept problem only.
    const card = t.emu.message(returnedCard)!.card;
    expect(text(card)).toContain("案卷归档");
    expect(text(card)).not.toContain("投诉回访记录缺失");
    // All of it in the audit trail, once.
    const trail = await t.bot.models.AuditEntry.find({
      entityId: { $in: [String(sc.a._id), String(p2._id), String(measure._id)] },
    })
      .sort({ at: 1 })
      .lean();
    expect(trail.map((x) => `${x.entity}:${x.action}`)).toEqual([
      "assignment:submit",
      "measure:create",
      "assignment:return",
      "measure:withdraw",
      "problem:withdraw",
      "assignment:resubmit",
    ]);
  });
});

describe("measure rules", () => {
  it("an extension past the campaign's end is refused, naming the end date; so is granting one", async () => {
    const { m, messageId } = await measureOn(1);
    const d = await click("tan_min", messageId, MEASURE_ACTIONS.extend, {
      [MEASURE_FIELDS.extDue]: "2099-12-31 +0800",
      [MEASURE_FIELDS.extReason]: "需要更多时间",
    });
    expect(d.toast?.type).toBe("error");
    expect(d.toast?.content).toContain(`活动结束日 ${spec.endDate}`);
    expect((await t.bot.models.Measure.findById(m._id).lean())!.extension?.status).toBeUndefined();
    // A request made before the campaign's end moved earlier (a re-import) cannot be granted past it.
    const ok = await click("tan_min", messageId, MEASURE_ACTIONS.extend, {
      [MEASURE_FIELDS.extDue]: "2027-02-20 +0800",
      [MEASURE_FIELDS.extReason]: "需要更多时间",
    });
    expect(ok.toast?.type).toBe("success");
    await t.bot.models.Campaign.updateOne({ key: spec.key }, { $set: { endDate: "2027-02-10" } });
    try {
      const reviewerKey = m.reviewerKey!;
      const reviewCard = await waitFor(
        () =>
          cardMessage(t, { kind: "measure", refId: String(m._id), personKey: reviewerKey }).catch(() => ""),
        5000,
        "review card",
      );
      const g = await click(reviewerKey, reviewCard, MEASURE_ACTIONS.grantExt);
      expect(g.toast?.type).toBe("error");
      expect(g.toast?.content).toContain("2027-02-10");
      expect((await t.bot.models.Measure.findById(m._id).lean())!.dueDate).toBe("2027-01-20");
    } finally {
      await t.bot.models.Campaign.updateOne({ key: spec.key }, { $set: { endDate: spec.endDate } });
    }
  });

  it("progress takes only a plain whole number 0–100 (a trailing % is fine)", async () => {
    const { m, messageId } = await measureOn(2);
    for (const bad of ["0x10", "1e2", "12.5", "-5", "101", "五十", "0b11", " 1_0"]) {
      const d = await click("tan_min", messageId, MEASURE_ACTIONS.progress, {
        [MEASURE_FIELDS.progressNote]: "进行中",
        [MEASURE_FIELDS.progressPercent]: bad,
      });
      expect(d.toast?.type, bad).toBe("error");
      expect(d.toast?.content, bad).toContain("0–100 的整数");
    }
    const stored = (await t.bot.models.Measure.findById(m._id).lean())!;
    expect(stored).toMatchObject({ state: "open", percent: 0 });
    expect(await t.bot.models.ProgressUpdate.countDocuments({ measureId: m._id })).toBe(0);
    const d = await click("tan_min", messageId, MEASURE_ACTIONS.progress, {
      [MEASURE_FIELDS.progressNote]: "进行中",
      [MEASURE_FIELDS.progressPercent]: "40%",
    });
    expect(d.toast?.type).toBe("success");
    expect((await t.bot.models.Measure.findById(m._id).lean())!.percent).toBe(40);
    // The history is chronological: the start comes before the progress it began with.
    const card = text(t.emu.message(messageId)!.card);
    expect(card.indexOf("开始整改")).toBeGreaterThan(-1);
    expect(card.indexOf("开始整改")).toBeLessThan(card.indexOf("进展 40%"));
  });

  it("closure needs 100 % with evidence: at 50 % or without evidence it is refused with what to do", async () => {
    const { m, messageId } = await measureOn(3);
    const progress = (percent: string, evidence = "") =>
      click("tan_min", messageId, MEASURE_ACTIONS.progress, {
        [MEASURE_FIELDS.progressNote]: "推进中",
        [MEASURE_FIELDS.progressPercent]: percent,
        [MEASURE_FIELDS.progressEvidence]: evidence,
      });
    expect((await progress("50")).toast?.type).toBe("success");
    let d = await click("tan_min", messageId, MEASURE_ACTIONS.requestClose);
    expect(d.toast?.type).toBe("error");
    expect(d.toast?.content).toContain("完成进度 100%，并附佐证材料");
    expect((await progress("100")).toast?.type).toBe("success");
    d = await click("tan_min", messageId, MEASURE_ACTIONS.requestClose);
    expect(d.toast?.type).toBe("error");
    expect((await t.bot.models.Measure.findById(m._id).lean())!.state).toBe("in_progress");
    expect((await progress("100", "整改台账及照片")).toast?.type).toBe("success");
    d = await click("tan_min", messageId, MEASURE_ACTIONS.requestClose);
    expect(d.toast?.type).toBe("success");
    expect((await t.bot.models.Measure.findById(m._id).lean())!.state).toBe("closure_requested");
  });

  it("the proposer who owns the measure is not told that the owner was notified", async () => {
    const self = await measureOn(0);
    expect(self.toast?.content).not.toContain("已通知责任人");
    expect(self.toast?.content).toContain("您是责任人");
  });
});

describe("text limits count characters", () => {
  it("600 characters outside the BMP fit in a 1000-character narrative; 1001 do not", async () => {
    const { a, messageId } = await selfCheck("gao_lei");
    const wide = "𠀀"; // U+20000: two UTF-16 units, one character
    let d = await click("gao_lei", messageId, SELF_CHECK_ACTIONS.submit, {
      ...answer([]),
      narrative: wide.repeat(1001),
    });
    expect(d.toast?.type).toBe("error");
    expect(d.toast?.content).toContain("不超过 1000 字");
    d = await click("gao_lei", messageId, SELF_CHECK_ACTIONS.submit, {
      ...answer([]),
      narrative: wide.repeat(600),
    });
    expect(d.toast?.type, d.toast?.content).toBe("success");
    const r = (await t.bot.models.Response.findOne({ assignmentId: a._id }).lean())!;
    expect(Array.from(r.narrative)).toHaveLength(600);
  });
});

describe("one live measure card per person", () => {
  it("a reviewer's action updates the owner's card in place; past 14 days a new card is sent", async () => {
    const { m, messageId, ownerKey } = await measureOn(1, "bai_lu", "song_yu");
    const reviewerKey = m.reviewerKey!;
    const owner = () =>
      t.bot.models.SentCard.countDocuments({ kind: "measure", refId: String(m._id), personKey: ownerKey });
    const request = async () => {
      const d = await click(ownerKey, messageId, MEASURE_ACTIONS.extend, {
        [MEASURE_FIELDS.extDue]: "2027-01-25 +0800",
        [MEASURE_FIELDS.extReason]: "需协调",
      });
      expect(d.toast?.type, d.toast?.content).toBe("success");
      return waitFor(
        () =>
          cardMessage(t, { kind: "measure", refId: String(m._id), personKey: reviewerKey }).catch(() => ""),
        5000,
        "review card",
      );
    };
    const reviewCard = await request();
    // A second copy, as opening the measure from a digest sends one.
    const person = (await t.bot.models.Person.findOne({ campaignKey: spec.key, key: ownerKey }).lean())!;
    const copyCard = await measureCardFor(t.bot.deps, String(m._id), person);
    await sendCardToPerson(t.bot.deps, person, copyCard, ["copy"], { kind: "measure", refId: String(m._id) });
    await waitFor(async () => (await owner()) === 2, 5000, "the second copy");
    const copy = await cardMessage(t, { kind: "measure", refId: String(m._id), personKey: ownerKey });
    expect(copy).not.toBe(messageId);
    let d = await click(reviewerKey, reviewCard, MEASURE_ACTIONS.refuseExt);
    expect(d.toast?.type).toBe("success");
    // Both copies show the decision; no third one was sent.
    for (const id of [messageId, copy])
      await waitFor(() => text(t.emu.message(id)!.card).includes("未同意"), 5000, "owner's card updated");
    expect(await owner()).toBe(2);
    await t.bot.models.SentCard.deleteOne({ messageId: copy });
    // Feishu updates a message for 14 days only: an older card is replaced by a new one.
    const again = await request();
    // The reviewer's one live card is patched with the new request: wait until it offers the grant.
    await waitFor(
      () => {
        try {
          return Boolean(button(t.emu.message(again)!.card, MEASURE_ACTIONS.grantExt));
        } catch {
          return false;
        }
      },
      5000,
      "the review card showing the new request",
    );
    // 15 days pass for the owner's card, at Feishu and in the bot's record of it.
    t.emu.ageMessage(messageId, 15 * 86_400_000);
    const sent = (await t.bot.models.SentCard.findOne({ messageId }).lean())!;
    await t.bot.models.SentCard.updateOne(
      { messageId },
      { $set: { sentAt: new Date(sent.sentAt.getTime() - 15 * 86_400_000) } },
    );
    d = await click(reviewerKey, again, MEASURE_ACTIONS.grantExt);
    expect(d.toast?.type).toBe("success");
    await waitFor(async () => (await owner()) === 2, 5000, "a new owner card");
    const newest = await cardMessage(t, { kind: "measure", refId: String(m._id), personKey: ownerKey });
    expect(text(t.emu.message(newest)!.card)).toContain("已同意");
  });
});
