import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEASURE_ACTIONS, MEASURE_FIELDS } from "../../cards/measure-card";
import { PROPOSE_MEASURE_FIELDS, SELF_CHECK_ACTIONS, SELF_CHECK_FIELDS } from "../../cards/self-check-card";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";
import type { TestBot } from "../helpers/bot";
import { button, fieldNames, hasButton, options, text } from "../helpers/cards";
import { cardMessage, importAndStart, loadSpec, openIdIn, startClockedBot } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

/**
 * A whole campaign, from the outside: the example bureau's file imported (people resolved through the
 * contact API), started, every assignee answering on their cards through the emulator, problems turned
 * into measures, progress, a closure sent back and then accepted, an extension granted.
 */
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const openIdOf = (key: string) => openIdIn(spec, users, key);

beforeAll(async () => {
  t = await startClockedBot();
  spec = await loadSpec("examples/bureau.yaml");
  ({ users } = await importAndStart(t, spec));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe("a campaign end to end (examples/bureau.yaml)", () => {
  it("covers the brief: ≥ 3 units, ≥ 10 people, all 14 items assigned", async () => {
    expect(spec.units.length).toBeGreaterThanOrEqual(3);
    expect(spec.people.length).toBeGreaterThanOrEqual(10);
    const items = new Set(spec.assignments.map((a) => a.item));
    expect(items.size).toBe(14);
    // Everyone given by email or mobile was resolved through the contact API.
    expect(
      await t.bot.models.Person.countDocuments({ campaignKey: spec.key, openId: { $exists: false } }),
    ).toBe(0);
  });

  it("sends every assignee one digest and one self-check card per assignment, and nothing else", async () => {
    const assignments = await t.bot.models.Assignment.find({ campaignKey: spec.key }).lean();
    const assignees = new Set(assignments.map((a) => a.assigneeKey));
    for (const key of assignees) {
      const mine = assignments.filter((a) => a.assigneeKey === key);
      const got = t.emu.messagesTo(openIdOf(key));
      const digests = got.filter(
        (m) => text(m.card).includes("打开") || JSON.stringify(m.card).includes("dg.open"),
      );
      expect(digests, `digest for ${key}`).toHaveLength(1);
      for (const a of mine) expect(JSON.stringify(digests[0].card)).toContain(String(a._id));
      const selfChecks = got.filter((m) => JSON.stringify(m.card).includes(SELF_CHECK_ACTIONS.submit));
      expect(selfChecks.map((m) => button(m.card, SELF_CHECK_ACTIONS.submit).value.a).sort()).toEqual(
        mine.map((a) => String(a._id)).sort(),
      );
      expect(got).toHaveLength(1 + mine.length);
    }
    // People without assignments received nothing.
    for (const p of spec.people.filter((x) => !assignees.has(x.key)))
      expect(t.emu.messagesTo(openIdOf(p.key))).toHaveLength(0);
    // A self-check card by what it is, not by its place: the digest and the cards go out in any order.
    const card = t.emu
      .messagesTo(openIdOf([...assignees][0]))
      .find((m) => JSON.stringify(m.card).includes(SELF_CHECK_ACTIONS.submit))!.card;
    expect(fieldNames(card)).toEqual(
      expect.arrayContaining(
        Object.values({
          c: SELF_CHECK_FIELDS.conclusion,
          n: SELF_CHECK_FIELDS.narrative,
          e: SELF_CHECK_FIELDS.evidence,
          p: SELF_CHECK_FIELDS.problems,
        }),
      ),
    );
  });

  it("every assignee answers; answers with problems create problems; cards turn to their submitted state", async () => {
    const assignments = await t.bot.models.Assignment.find({ campaignKey: spec.key }).sort({ key: 1 }).lean();
    let withProblems = 0;
    for (const [i, a] of assignments.entries()) {
      const id = String(a._id);
      const messageId = await cardMessage(t, { kind: "selfcheck", refId: id, personKey: a.assigneeKey });
      const card = t.emu.message(messageId)!.card;
      const b = button(card, SELF_CHECK_ACTIONS.submit);
      const problems = i % 4 === 0 ? `问题${i}-一：会议材料审核把关不严\n问题${i}-二：调研走访次数偏少` : "";
      if (problems) withProblems++;
      const d = await t.emu.clickCard({
        operator: openIdOf(a.assigneeKey),
        messageId,
        tag: "button",
        name: b.name,
        value: b.value,
        formValue: {
          conclusion: problems ? "problems" : i % 3 === 0 ? "basically_compliant" : "compliant",
          narrative: `第${i}项自查情况：对照要点逐条检查。`,
          evidence: i % 2 ? "https://docs.example.cn/evidence" : "",
          problems,
        },
      });
      expect(d.status).toBe(200);
      expect(d.toast?.type).toBe("success");
      const after = t.emu.message(messageId)!.card;
      expect(hasButton(after, SELF_CHECK_ACTIONS.amend)).toBe(true);
      expect(hasButton(after, SELF_CHECK_ACTIONS.submit)).toBe(false);
      expect(text(after)).toContain(`第${i}项自查情况`);
    }
    expect(await t.bot.models.Assignment.countDocuments({ campaignKey: spec.key, state: "submitted" })).toBe(
      assignments.length,
    );
    expect(await t.bot.models.Response.countDocuments({ campaignKey: spec.key })).toBe(assignments.length);
    expect(await t.bot.models.Problem.countDocuments({ campaignKey: spec.key })).toBe(withProblems * 2);
    expect(
      await t.bot.models.AuditEntry.countDocuments({
        campaignKey: spec.key,
        entity: "assignment",
        action: "submit",
      }),
    ).toBe(assignments.length);
  });

  let measureIds: string[] = [];
  it("reporters propose measures; each owner receives the measure card", async () => {
    const problems = await t.bot.models.Problem.find({ campaignKey: spec.key })
      .sort({ seq: 1 })
      .limit(3)
      .lean();
    const member = spec.people.find((p) => p.roles.length === 1 && p.roles[0] === "member")!;
    for (const [i, p] of problems.entries()) {
      const a = (await t.bot.models.Assignment.findById(p.assignmentId).lean())!;
      const messageId = await cardMessage(t, {
        kind: "selfcheck",
        refId: String(a._id),
        personKey: a.assigneeKey,
      });
      const card = t.emu.message(messageId)!.card;
      expect(options(card, PROPOSE_MEASURE_FIELDS.problem)).toContain(String(p._id));
      const b = button(card, SELF_CHECK_ACTIONS.proposeMeasure);
      // The first measure goes to a member of another unit, the others to the reporter.
      const owner = i === 0 ? openIdOf(member.key) : "";
      const d = await t.emu.clickCard({
        operator: openIdOf(a.assigneeKey),
        messageId,
        tag: "button",
        name: b.name,
        value: b.value,
        formValue: {
          problem: String(p._id),
          measure_content: `整改措施${i}：建立台账，按月复核`,
          measure_owner: owner,
          measure_due: "2027-01-20 +0800",
        },
      });
      expect(d.toast?.type, JSON.stringify(d.toast)).toBe("success");
    }
    const measures = await t.bot.models.Measure.find({ campaignKey: spec.key }).sort({ seq: 1 }).lean();
    expect(measures.map((m) => m.seq)).toEqual([1, 2, 3]);
    measureIds = measures.map((m) => String(m._id));
    for (const m of measures) {
      const owner = openIdOf(m.ownerKey);
      const cards = await waitFor(
        () =>
          t.emu.messagesTo(owner).filter((x) => JSON.stringify(x.card).includes(String(m._id))).length > 0 &&
          true,
        5000,
        "measure card",
      );
      expect(cards).toBe(true);
      expect(m.state).toBe("open");
      expect(m.dueDate).toBe("2027-01-20");
      expect(m.reviewerKey).toBeTruthy();
    }
  });

  async function press(
    measureId: string,
    personKey: string,
    action: string,
    formValue?: Record<string, unknown>,
  ) {
    const messageId = await cardMessage(t, { kind: "measure", refId: measureId, personKey });
    const card = t.emu.message(messageId)!.card;
    const b = button(card, action);
    return t.emu.clickCard({
      operator: openIdOf(personKey),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue,
    });
  }

  it("owner reports progress, requests closure; reviewer sends it back; owner asks again; reviewer closes it (销号)", async () => {
    const id = measureIds[0];
    const m0 = (await t.bot.models.Measure.findById(id).lean())!;
    let d = await press(id, m0.ownerKey, MEASURE_ACTIONS.progress, {
      [MEASURE_FIELDS.progressNote]: "已建立台账并完成首轮复核",
      [MEASURE_FIELDS.progressPercent]: "60",
      [MEASURE_FIELDS.progressEvidence]: "台账链接",
    });
    expect(d.toast?.type).toBe("success");
    expect((await t.bot.models.Measure.findById(id).lean())!).toMatchObject({
      state: "in_progress",
      percent: 60,
    });
    // Closure is for finished work: at 60 % it is refused with what to do.
    d = await press(id, m0.ownerKey, MEASURE_ACTIONS.requestClose);
    expect(d.toast?.type).toBe("error");
    expect(d.toast?.content).toContain("完成进度 100%");
    expect((await t.bot.models.Measure.findById(id).lean())!.state).toBe("in_progress");
    d = await press(id, m0.ownerKey, MEASURE_ACTIONS.progress, {
      [MEASURE_FIELDS.progressNote]: "两轮复核完成，台账归档",
      [MEASURE_FIELDS.progressPercent]: "100",
    });
    expect(d.toast?.type).toBe("success");
    d = await press(id, m0.ownerKey, MEASURE_ACTIONS.requestClose);
    expect(d.toast?.type).toBe("success");
    const reviewerKey = m0.reviewerKey!;
    await waitFor(
      () => t.bot.models.SentCard.exists({ kind: "measure", refId: id, personKey: reviewerKey }),
      5000,
      "review card",
    );
    d = await press(id, reviewerKey, MEASURE_ACTIONS.sendBack, {
      [MEASURE_FIELDS.sendBackReason]: "佐证材料不全，请补充复核记录",
    });
    expect(d.toast?.type).toBe("success");
    expect((await t.bot.models.Measure.findById(id).lean())!).toMatchObject({
      state: "in_progress",
      sendBackReason: "佐证材料不全，请补充复核记录",
    });
    // The owner's one card is updated in place, not sent again.
    const ownerMessage = await cardMessage(t, { kind: "measure", refId: id, personKey: m0.ownerKey });
    await waitFor(
      () => text(t.emu.message(ownerMessage)!.card).includes("佐证材料不全"),
      5000,
      "owner's card updated",
    );
    expect(
      await t.bot.models.SentCard.countDocuments({ kind: "measure", refId: id, personKey: m0.ownerKey }),
    ).toBe(1);
    d = await press(id, m0.ownerKey, MEASURE_ACTIONS.requestClose);
    expect(d.toast?.type).toBe("success");
    const reviewMessage = await cardMessage(t, { kind: "measure", refId: id, personKey: reviewerKey });
    await waitFor(
      () => hasButton(t.emu.message(reviewMessage)!.card, MEASURE_ACTIONS.accept),
      5000,
      "review card updated for the second request",
    );
    expect(
      await t.bot.models.SentCard.countDocuments({ kind: "measure", refId: id, personKey: reviewerKey }),
    ).toBe(1);
    d = await press(id, reviewerKey, MEASURE_ACTIONS.accept);
    expect(d.toast?.type).toBe("success");
    const closed = (await t.bot.models.Measure.findById(id).lean())!;
    expect(closed.state).toBe("closed");
    expect(closed.closedByKey).toBe(reviewerKey);
    expect((await t.bot.models.Problem.findById(closed.problemId).lean())!.resolved).toBe(true);
    const trail = await t.bot.models.AuditEntry.find({ entity: "measure", entityId: id })
      .sort({ at: 1 })
      .lean();
    expect(trail.map((x) => x.action)).toEqual([
      "create",
      "start",
      "progress",
      "progress",
      "request_closure",
      "send_back",
      "request_closure",
      "close",
    ]);
  });

  it("owner requests an extension; reviewer grants it; the due date moves", async () => {
    const id = measureIds[1];
    const m = (await t.bot.models.Measure.findById(id).lean())!;
    let d = await press(id, m.ownerKey, MEASURE_ACTIONS.extend, {
      [MEASURE_FIELDS.extDue]: "2027-02-28 +0800",
      [MEASURE_FIELDS.extReason]: "需协调市级部门联合检查",
    });
    expect(d.toast?.type).toBe("success");
    await waitFor(
      () => t.bot.models.SentCard.exists({ kind: "measure", refId: id, personKey: m.reviewerKey! }),
      5000,
      "review card",
    );
    d = await press(id, m.reviewerKey!, MEASURE_ACTIONS.grantExt);
    expect(d.toast?.type).toBe("success");
    expect((await t.bot.models.Measure.findById(id).lean())!).toMatchObject({
      dueDate: "2027-02-28",
      originalDueDate: "2027-01-20",
      extension: { status: "granted" },
    });
  });
});
