import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEASURE_ACTIONS } from "../../cards/measure-card";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import { campaignImport } from "../../src/cli/campaign";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";
import { importCampaign } from "../../src/services/campaign-import";
import { startCampaign } from "../../src/services/campaign-start";
import { returnSelfCheck } from "../../src/services/self-check";
import { sendReturnedCard } from "../../src/services/notices";
import { botIdle, type TestBot } from "../helpers/bot";
import { button, hasButton, text } from "../helpers/cards";
import { cardMessage, importAndStart, loadSpec, openIdIn, startClockedBot } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

/**
 * Every refusal of the campaign loop: wrong operator, stale card, invalid form, double submit, a past
 * date, an invalid campaign file; plus returning an answer, re-import, English cards, a restarted start.
 */
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const openIdOf = (key: string) => openIdIn(spec, users, key);

beforeAll(async () => {
  t = await startClockedBot();
  spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  spec.people = spec.people.map((p) => (p.key === "bai_lu" ? { ...p, locale: "en" } : p));
  ({ users } = await importAndStart(t, spec));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

async function selfCheck(personKey: string, nth = 0) {
  const a = (
    await t.bot.models.Assignment.find({ campaignKey: spec.key, assigneeKey: personKey })
      .sort({ key: 1 })
      .lean()
  )[nth];
  const messageId = await cardMessage(t, { kind: "selfcheck", refId: String(a._id), personKey });
  return { a, messageId, card: () => t.emu.message(messageId)!.card };
}

const good = { conclusion: "compliant", narrative: "逐项对照，未发现问题。", evidence: "", problems: "" };

describe("self-check refusals", () => {
  it("someone else's press gets an error toast and changes nothing", async () => {
    const { a, messageId, card } = await selfCheck("tan_min");
    const b = button(card(), SELF_CHECK_ACTIONS.submit);
    const d = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: good,
    });
    expect(d.toast?.type).toBe("error");
    expect(d.toast?.content).toContain("不是您的事项");
    expect((await t.bot.models.Assignment.findById(a._id).lean())!.state).toBe("pending");
    expect(await t.bot.models.Response.countDocuments({ assignmentId: a._id })).toBe(0);
    // Someone outside the campaign altogether.
    t.emu.addUser({ open_id: "ou_stranger", name: "Stranger" });
    const d2 = await t.emu.clickCard({
      operator: "ou_stranger",
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: good,
    });
    expect(d2.toast?.type).toBe("error");
    expect(await t.bot.models.Response.countDocuments({ assignmentId: a._id })).toBe(0);
  });

  it("an invalid form is refused with what to fix, nothing stored, the form shown again as typed", async () => {
    const { a, messageId, card } = await selfCheck("tan_min");
    const b = button(card(), SELF_CHECK_ACTIONS.submit);
    const d = await t.emu.clickCard({
      operator: openIdOf("tan_min"),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: { conclusion: "problems", narrative: "", problems: "" },
    });
    expect(d.toast?.type).toBe("error");
    expect(d.toast?.content).toMatch(/请填写自查情况.*至少填写一条问题/);
    expect(await t.bot.models.Response.countDocuments({ assignmentId: a._id })).toBe(0);
    expect(hasButton(card(), SELF_CHECK_ACTIONS.submit)).toBe(true);
    const long = await t.emu.clickCard({
      operator: openIdOf("tan_min"),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: { ...good, narrative: "长".repeat(1001) },
    });
    expect(long.toast?.content).toContain("不超过 1000 字");
    const bad = await t.emu.clickCard({
      operator: openIdOf("tan_min"),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: { ...good, conclusion: "whatever" },
    });
    expect(bad.toast?.content).toContain("请选择自查结论");
    expect(await t.bot.models.Response.countDocuments({ assignmentId: a._id })).toBe(0);
  });

  it("a double click stores one answer", async () => {
    const { a, messageId, card } = await selfCheck("tan_min");
    const b = button(card(), SELF_CHECK_ACTIONS.submit);
    const click = () =>
      t.emu.clickCard({
        operator: openIdOf("tan_min"),
        messageId,
        tag: "button",
        name: b.name,
        value: b.value,
        formValue: good,
      });
    const [d1, d2] = await Promise.all([click(), click()]);
    expect([d1.toast?.type, d2.toast?.type].sort()).toEqual(["error", "success"]);
    expect([d1, d2].find((d) => d.toast?.type === "error")!.toast!.content).toContain("已提交");
    expect(await t.bot.models.Response.countDocuments({ assignmentId: a._id })).toBe(1);
    expect((await t.bot.models.Assignment.findById(a._id).lean())!).toMatchObject({
      state: "submitted",
      responseVersion: 1,
    });
  });

  it("a stale card (older than the record) is refused and re-shows the current truth", async () => {
    const { a, messageId, card } = await selfCheck("tan_min");
    const amend = button(card(), SELF_CHECK_ACTIONS.amend);
    // An old copy of the card: its submit button still carries rev 0.
    const oldValue = { action: SELF_CHECK_ACTIONS.submit, a: String(a._id), rev: 0 };
    const d = await t.emu.clickCard({
      operator: openIdOf("tan_min"),
      messageId,
      tag: "button",
      value: oldValue,
      formValue: good,
    });
    expect(d.toast?.type).toBe("error");
    expect(hasButton(card(), SELF_CHECK_ACTIONS.amend)).toBe(true);
    // Amend, then resubmit: version 2.
    await t.emu.clickCard({ operator: openIdOf("tan_min"), messageId, tag: "button", value: amend.value });
    const b = button(card(), SELF_CHECK_ACTIONS.submit);
    const d2 = await t.emu.clickCard({
      operator: openIdOf("tan_min"),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: { ...good, narrative: "修改后的自查情况" },
    });
    expect(d2.toast?.type).toBe("success");
    expect((await t.bot.models.Assignment.findById(a._id).lean())!.responseVersion).toBe(2);
    expect(text(card())).toContain("修改后的自查情况");
  });

  it("an unknown record or a card action the bot does not know answers with a toast", async () => {
    const { messageId } = await selfCheck("song_yu");
    const d = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId,
      tag: "button",
      value: { action: SELF_CHECK_ACTIONS.submit, a: "64b000000000000000000000", rev: 0 },
      formValue: good,
    });
    expect(d.toast?.content).toContain("已不存在");
    const d2 = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId,
      tag: "button",
      value: { action: "no.such.action" },
    });
    expect(d2.toast?.type).toBe("error");
    const d3 = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId,
      tag: "button",
      value: { action: SELF_CHECK_ACTIONS.submit, a: { $ne: null }, rev: 0 },
      formValue: good,
    });
    expect(d3.toast?.type).toBe("error");
  });
});

describe("measures refusals", () => {
  it("a past due date, a stranger's review and a double proposal are refused", async () => {
    const { a, messageId, card } = await selfCheck("song_yu");
    const b = button(card(), SELF_CHECK_ACTIONS.submit);
    await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: { conclusion: "problems", narrative: "发现问题", problems: "案卷归档不及时" },
    });
    const pm = button(card(), SELF_CHECK_ACTIONS.proposeMeasure);
    const form = { measure_content: "每周清理案卷", measure_owner: "", measure_due: "2026-11-01 +0800" };
    const past = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId,
      tag: "button",
      name: pm.name,
      value: pm.value,
      formValue: form,
    });
    expect(past.toast?.content).toContain("不能早于今天");
    expect(await t.bot.models.Measure.countDocuments({ campaignKey: spec.key })).toBe(0);
    const ok = { ...form, measure_due: "2027-01-31 +0800" };
    const [p1, p2] = await Promise.all([
      t.emu.clickCard({
        operator: openIdOf("song_yu"),
        messageId,
        tag: "button",
        name: pm.name,
        value: pm.value,
        formValue: ok,
      }),
      t.emu.clickCard({
        operator: openIdOf("song_yu"),
        messageId,
        tag: "button",
        name: pm.name,
        value: pm.value,
        formValue: ok,
      }),
    ]);
    expect([p1.toast?.type, p2.toast?.type]).toContain("success");
    const measures = await t.bot.models.Measure.find({ campaignKey: spec.key }).lean();
    expect(measures).toHaveLength(1);
    // The reviewer here is the leader (the file says reviewer: leader).
    expect(measures[0].reviewerKey).toBe("director");
    const id = String(measures[0]._id);
    const ownerMsg = await waitFor(
      () => t.bot.models.SentCard.findOne({ kind: "measure", refId: id, personKey: "song_yu" }).lean(),
      5000,
      "measure card",
    );
    // The owner cannot accept their own closure; a member cannot either.
    const acceptValue = { action: MEASURE_ACTIONS.accept, m: id, rev: measures[0].rev };
    const d = await t.emu.clickCard({
      operator: openIdOf("song_yu"),
      messageId: ownerMsg.messageId,
      tag: "button",
      value: acceptValue,
    });
    expect(d.toast?.type).toBe("error");
    const d2 = await t.emu.clickCard({
      operator: openIdOf("bai_lu"),
      messageId: ownerMsg.messageId,
      tag: "button",
      value: acceptValue,
    });
    expect(d2.toast?.type).toBe("error");
    expect((await t.bot.models.Measure.findById(id).lean())!.state).toBe("open");
    expect(a.campaignKey).toBe(spec.key);
  });
});

describe("admin return, English cards, re-import, restart", () => {
  it("an admin returns an answer with a reason; the assignee gets the editable card back", async () => {
    const { a } = await selfCheck("tan_min");
    const before = t.emu.messagesTo(openIdOf("tan_min")).length;
    const returned = await returnSelfCheck(t.bot.deps, {
      assignmentId: String(a._id),
      reason: "请补充佐证材料",
      by: { admin: "cli" },
    });
    await sendReturnedCard({ ...t.bot.deps }, returned);
    const msgs = await waitFor(
      () => t.emu.messagesTo(openIdOf("tan_min")).length > before && t.emu.messagesTo(openIdOf("tan_min")),
      5000,
      "returned card",
    );
    const card = msgs[msgs.length - 1].card;
    expect(text(card)).toContain("请补充佐证材料");
    expect(hasButton(card, SELF_CHECK_ACTIONS.submit)).toBe(true);
    expect((await t.bot.models.Assignment.findById(a._id).lean())!).toMatchObject({
      state: "pending",
      returnReason: "请补充佐证材料",
    });
    expect(
      await t.bot.models.AuditEntry.countDocuments({
        entity: "assignment",
        entityId: String(a._id),
        action: "return",
        reason: "请补充佐证材料",
      }),
    ).toBe(1);
    // A member is not an admin.
    const member = (await t.bot.models.Person.findOne({ campaignKey: spec.key, key: "bai_lu" }).lean())!;
    await expect(
      returnSelfCheck(t.bot.deps, { assignmentId: String(a._id), reason: "x", by: member }),
    ).rejects.toThrow();
  });

  it("a person whose locale is English gets English cards", async () => {
    const { card } = await selfCheck("bai_lu");
    expect(text(card())).toMatch(/Due|Submit|Conclusion/);
  });

  it("importing an edited file updates in place and keeps the answers given", async () => {
    const answered = await t.bot.models.Response.countDocuments({ campaignKey: spec.key });
    expect(answered).toBeGreaterThan(0);
    const same = await importCampaign(t.bot.models, spec, {
      lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q),
    });
    expect(same.unchanged).toBe(true);
    const edited: CampaignSpec = {
      ...spec,
      title: `${spec.title}（修订）`,
      assignments: spec.assignments.map((x) => ({ ...x, due: "2027-01-20" })),
    };
    const r = await importCampaign(t.bot.models, edited, {
      lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q),
    });
    expect(r.unchanged).toBe(false);
    expect(r.assignments.created).toBe(0);
    expect(await t.bot.models.Response.countDocuments({ campaignKey: spec.key })).toBe(answered);
    expect(
      await t.bot.models.Assignment.countDocuments({ campaignKey: spec.key, dueDate: "2027-01-20" }),
    ).toBe(r.assignments.total);
    expect(
      (await t.bot.models.Assignment.countDocuments({ campaignKey: spec.key, state: "submitted" })) > 0,
    ).toBe(true);
  });

  it("starting again sends nothing twice and skips no one", async () => {
    // What earlier steps set going (flags cards to reviewers, returned cards) is not this step's.
    await botIdle(t);
    const sends = () =>
      t.emu.calls.filter((c) => c.method === "POST" && c.path === "/open-apis/im/v1/messages");
    const before = sends().length;
    const again = await startCampaign(
      { models: t.bot.models, now: t.bot.deps.now, outbound: t.bot.outbound },
      spec.key,
    );
    expect(again.enqueued).toBe(0);
    await botIdle(t);
    expect(sends().slice(before)).toEqual([]);
    // Skips no one: every assignment has its card.
    const assignments = await t.bot.models.Assignment.find({ campaignKey: spec.key }).lean();
    for (const a of assignments) {
      expect(
        await t.bot.models.SentCard.countDocuments({ kind: "selfcheck", refId: String(a._id) }),
      ).toBeGreaterThan(0);
    }
  });

  it("an invalid campaign file changes nothing and names file and line", async () => {
    const lines: string[] = [];
    const code = await campaignImport(
      { models: t.bot.models, redisPrefix: t.prefix, close: async () => undefined },
      "test/fixtures/campaigns/invalid-unknown-unit.yaml",
      {
        today: "2026-12-02",
        out: { print: (s) => lines.push(s), error: (s) => lines.push(s) },
      },
    );
    expect(code).toBe(1);
    expect(lines.join("\n")).toMatch(/invalid-unknown-unit\.yaml:\d+:\d+: .*unknown unit/);
    expect(lines.join("\n")).toContain("nothing was imported");
    expect(await t.bot.models.Campaign.countDocuments({})).toBe(1);
  });

  it("learns a group chat and its name when the bot is added", async () => {
    t.emu.addChat({
      chat_id: "oc_newgroup",
      name: "整改工作群",
      members: [openIdOf("director")],
      botIsMember: true,
    });
    const d = await t.emu.addBotToChat("oc_newgroup", openIdOf("director"));
    expect(d.status).toBe(200);
    expect(await t.bot.models.Chat.findOne({ chatId: "oc_newgroup" }).lean()).toMatchObject({
      name: "整改工作群",
      active: true,
    });
  });
});
