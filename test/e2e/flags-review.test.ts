import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorUser, SentMessage } from "@rectify-bot/feishu-emulator";
import { FLAG_ACTIONS, FLAG_FIELDS } from "../../cards/flags-review-card";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import { runFlagsJob } from "../../jobs/flags";
import type { CampaignSpec } from "../../src/domain/types";
import { returnReasonFor, type Flag } from "../../src/flags/index";
import type { TestBot } from "../helpers/bot";
import { buttons, hasButton, text } from "../helpers/cards";
import {
  cardMessage,
  importAndStart,
  loadSpec,
  openIdIn,
  pressCard,
  selfCheckOf,
  startClockedBot,
} from "../helpers/campaign";
import { answerTo, waitFor } from "../helpers/services";

/**
 * Issue 15 §1 through the real bot, the flags job on Redis and the emulator: two members of different
 * units answer an item with the same passage; the submit answers with its card at once, the job flags
 * both answers as recycled, each unit's head gets the 疑似敷衍 card with the passage, the members see
 * no flags; 疑似敷衍 in chat per role; 退回 with the prefilled evidence, audited, reaches the member.
 */
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const openIdOf = (key: string) => openIdIn(spec, users, key);
const GROUP = "oc_8d0fb6da367998b59b446a2000e39c04";
let seq = 0;

// Members answer item c2 themselves; their heads review it.
const MEMBER_FIN = "he_jing"; // 财务科, head 冯建华
const MEMBER_HR = "wang_chen"; // 人事科, head 郑海燕
const HEAD_FIN = "feng_jianhua";
const HEAD_HR = "zheng_haiyan";
const LEADER = "deputy_chen"; // 办公室, 人事科, 财务科
const OTHER_LEADER = "deputy_wu"; // 政策法规科, 文化艺术科, 旅游发展科
const ADMIN = "sun_zhiqiang";

const PASSAGE =
  "我们对窗口单位办事流程进行了梳理，将群众办事需要提交的材料从原来的八项精简为三项，并在服务大厅设置了帮办代办专窗";
const NARRATIVE: Record<string, string> = {
  [MEMBER_FIN]: `本科室对照检查要点逐条开展自查。${PASSAGE}。报销审核时限压缩到五个工作日。`,
  [MEMBER_HR]: `人事科组织全体人员逐条对照检查。${PASSAGE}，同时对来电投诉实行台账管理。`,
};

beforeAll(async () => {
  t = await startClockedBot();
  spec = await loadSpec("examples/bureau.yaml");
  spec.assignments.push({ item: "c2", units: [], people: [MEMBER_FIN, MEMBER_HR], due: "2027-01-15" });
  ({ users } = await importAndStart(t, spec));
  t.emu.addChat({
    chat_id: GROUP,
    name: "作风整治工作群",
    members: users.map((u) => u.open_id),
    botIsMember: true,
  });
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

const models = () => t.bot.models;
async function answerOf(personKey: string) {
  const a = (await models().Assignment.findOne({ campaignKey: spec.key, assigneeKey: personKey }).lean())!;
  const r = await models().Response.findOne({ assignmentId: a._id, version: a.responseVersion }).lean();
  return { a, r };
}
const flagsOf = async (personKey: string) => ((await answerOf(personKey)).r?.flags ?? []) as Flag[];

async function ask(personKey: string, question: string, group = false) {
  const chat = group ? GROUP : t.emu.p2pChatId(openIdOf(personKey));
  const messageId = `om_flags_${++seq}`;
  const d = await t.emu.sendUserMessage({
    from: openIdOf(personKey),
    chatId: group ? GROUP : undefined,
    chatType: group ? "group" : "p2p",
    messageId,
    text: group ? `@_user_1 ${question}` : question,
    mentions: group ? [{ key: "@_user_1", open_id: t.emu.botOpenId, name: t.emu.botName }] : undefined,
  });
  expect(d.status).toBe(200);
  const m: SentMessage = await answerTo(() => t.emu.messagesTo(chat), messageId, `answer to ${question}`);
  return { card: m.card, text: text(m.card) };
}

async function reviewCardOf(personKey: string, responseId: string) {
  const id = await waitFor(
    () => cardMessage(t, { kind: "flags", refId: responseId, personKey }).catch(() => ""),
    10_000,
    `flags card to ${personKey}`,
  );
  return { id, card: () => t.emu.message(id)!.card };
}

/** The prefilled value of the reason input, as the reviewer sees it. */
function prefilledReason(card: unknown): string {
  let found: string | undefined;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const n = v as Record<string, unknown>;
      if (n.name === FLAG_FIELDS.reason && typeof n.default_value === "string") found = n.default_value;
      Object.values(n).forEach(walk);
    }
  };
  walk(card);
  if (found === undefined) throw new Error("no prefilled reason");
  return found;
}

describe("flags computed on submit", () => {
  it("the submit answers with its card; the job flags both answers of a shared passage", async () => {
    for (const who of [MEMBER_FIN, MEMBER_HR]) {
      const sc = await selfCheckOf(t, spec.key, who);
      const started = performance.now();
      const d = await pressCard(t, openIdOf(who), sc.messageId, SELF_CHECK_ACTIONS.submit, {
        conclusion: "basically_compliant",
        narrative: NARRATIVE[who],
        evidence: "",
        problems: "",
      });
      expect(d.toast?.type).toBe("success");
      // The callback's own answer is the submitted card (the flags come later, from the job).
      const answered = (d.body as { card?: { data?: unknown } }).card?.data;
      expect(text(answered)).toContain(NARRATIVE[who].slice(0, 10));
      expect(text(answered)).not.toContain("疑似敷衍");
      expect(performance.now() - started).toBeLessThan(3000); // Feishu waits 3 s
    }
    const both = await waitFor(
      async () => {
        const [x, y] = [await flagsOf(MEMBER_FIN), await flagsOf(MEMBER_HR)];
        return x.some((f) => f.kind === "recycled") && y.some((f) => f.kind === "recycled") && [x, y];
      },
      15_000,
      "recycled flags on both answers",
    );
    const hr = (await answerOf(MEMBER_HR)).r!;
    const fin = (await answerOf(MEMBER_FIN)).r!;
    const finRecycled = both[0].find((f) => f.kind === "recycled") as Extract<Flag, { kind: "recycled" }>;
    expect(finRecycled).toMatchObject({
      otherId: String(hr._id),
      relation: "other_unit",
      otherUnitKey: "hr",
    });
    expect(finRecycled.passage.replace(/[，。]/g, "")).toContain(PASSAGE.replace(/[，。]/g, "").slice(0, 40));
    const hrRecycled = both[1].find((f) => f.kind === "recycled") as Extract<Flag, { kind: "recycled" }>;
    expect(hrRecycled.otherId).toBe(String(fin._id));
  });

  it("each unit's head gets the 疑似敷衍 card with the passage and whose answer it overlaps", async () => {
    const fin = (await answerOf(MEMBER_FIN)).r!;
    const hr = (await answerOf(MEMBER_HR)).r!;
    const finCard = (await reviewCardOf(HEAD_FIN, String(fin._id))).card();
    const s = text(finCard);
    expect(s).toContain("疑似敷衍");
    expect(s).toContain("疑似复制");
    expect(s).toContain(PASSAGE.slice(0, 20));
    expect(s).toContain("人事科"); // the answer it overlaps
    expect(s).toContain("何静");
    expect(hasButton(finCard, FLAG_ACTIONS.return)).toBe(true);
    expect(prefilledReason(finCard)).toBe(returnReasonFor(fin.flags as Flag[]));
    const hrCard = (await reviewCardOf(HEAD_HR, String(hr._id))).card();
    expect(text(hrCard)).toContain("财务科");
    // Nobody else got a review card of these answers.
    const to = await models().SentCard.find({ campaignKey: spec.key, kind: "flags" }).lean();
    expect(to.map((x) => x.personKey).sort()).toEqual([HEAD_FIN, HEAD_HR].sort());
  });

  it("the members who answered see no flags", async () => {
    for (const who of [MEMBER_FIN, MEMBER_HR]) {
      const cards = t.emu.messagesTo(openIdOf(who)).map((m) => text(m.card));
      expect(cards.some((c) => c.includes("疑似敷衍") || c.includes("疑似复制"))).toBe(false);
    }
  });

  it("a rerun of the job changes nothing and sends nothing", async () => {
    const before = await models().SentCard.countDocuments({ kind: "flags" });
    const r = await runFlagsJob(t.bot.deps, { campaignKey: spec.key });
    expect(r).toMatchObject({ changed: 0, sent: 0 });
    expect(await models().SentCard.countDocuments({ kind: "flags" })).toBe(before);
  });
});

describe("疑似敷衍 in chat, per role", () => {
  it("a member gets counts by unit only", async () => {
    const { text: s, card } = await ask(MEMBER_FIN, "哪些回答疑似敷衍");
    expect(s).toMatch(/财务科：已提交 \d+ 份，疑似敷衍 1 份/);
    expect(s).not.toContain(PASSAGE.slice(0, 10));
    expect(hasButton(card, FLAG_ACTIONS.return)).toBe(false);
  });

  it("a head sees their unit's flagged answers with the evidence and a 退回 button", async () => {
    const { text: s, card } = await ask(HEAD_FIN, "疑似敷衍");
    expect(s).toContain("何静");
    expect(s).toContain("疑似复制");
    expect(s).toContain(PASSAGE.slice(0, 10));
    expect(s).not.toContain("王晨"); // 人事科's answer is not theirs to see
    const returns = buttons(card).filter((b) => b.value.action === FLAG_ACTIONS.return);
    expect(returns.map((b) => b.value.r)).toEqual([String((await answerOf(MEMBER_FIN)).r!._id)]);
  });

  it("the leader in charge and an admin see both units' answers", async () => {
    for (const who of [LEADER, ADMIN]) {
      const { text: s, card } = await ask(who, "形式主义的回答");
      expect(s).toContain("何静");
      expect(s).toContain("王晨");
      expect(buttons(card).filter((b) => b.value.action === FLAG_ACTIONS.return)).toHaveLength(2);
    }
    const other = await ask(OTHER_LEADER, "which answers look boilerplate");
    expect(other.text).not.toContain("何静");
    expect(other.text).not.toContain("He Jing");
  });

  it("in a group: counts by unit, no names and no passages", async () => {
    const { text: s, card } = await ask(ADMIN, "哪些回答疑似敷衍", true);
    expect(s).toMatch(/财务科：已提交 \d+ 份，疑似敷衍 1 份/);
    expect(s).toMatch(/人事科：已提交 \d+ 份，疑似敷衍 1 份/);
    expect(s).not.toContain("何静");
    expect(s).not.toContain(PASSAGE.slice(0, 10));
    expect(hasButton(card, FLAG_ACTIONS.return)).toBe(false);
  });
});

describe("退回 with the evidence prefilled", () => {
  it("only the unit's head, leader or an admin may return; others get a toast and nothing changes", async () => {
    const fin = await answerOf(MEMBER_FIN);
    const { id } = await reviewCardOf(HEAD_FIN, String(fin.r!._id));
    for (const who of [MEMBER_FIN, OTHER_LEADER, MEMBER_HR]) {
      const d = await pressCard(t, openIdOf(who), id, FLAG_ACTIONS.return, {
        [FLAG_FIELDS.reason]: "x",
      });
      expect(d.toast?.type, who).toBe("error");
    }
    expect((await answerOf(MEMBER_FIN)).a).toMatchObject({ state: "submitted" });
  });

  it("the head presses 退回: the member gets the answer back with the evidence as the reason, audited", async () => {
    const fin = await answerOf(MEMBER_FIN);
    const { id, card } = await reviewCardOf(HEAD_FIN, String(fin.r!._id));
    const reason = prefilledReason(card());
    expect(reason).toContain("疑似复制");
    const before = t.emu.messagesTo(openIdOf(MEMBER_FIN)).length;
    const pressed = buttons(card()).find((b) => b.value.action === FLAG_ACTIONS.return)!;
    const d = await pressCard(t, openIdOf(HEAD_FIN), id, FLAG_ACTIONS.return, {
      [FLAG_FIELDS.reason]: reason,
    });
    expect(d.toast?.type, JSON.stringify(d.toast)).toBe("success");
    const answered = (d.body as { card?: { data?: unknown } }).card?.data;
    expect(text(answered)).toContain("已退回");
    expect(hasButton(answered, FLAG_ACTIONS.return)).toBe(false);

    expect((await models().Assignment.findById(fin.a._id).lean())!).toMatchObject({
      state: "pending",
      returnReason: reason,
    });
    expect(
      await models().AuditEntry.countDocuments({
        entity: "assignment",
        entityId: String(fin.a._id),
        action: "return",
        reason,
        byKey: HEAD_FIN,
      }),
    ).toBe(1);
    const msgs = await waitFor(
      () => t.emu.messagesTo(openIdOf(MEMBER_FIN)).length > before && t.emu.messagesTo(openIdOf(MEMBER_FIN)),
      5000,
      "returned card",
    );
    const back = msgs[msgs.length - 1].card;
    expect(hasButton(back, SELF_CHECK_ACTIONS.submit)).toBe(true);
    expect(text(back)).toContain("已退回");
    expect(text(back)).toContain(PASSAGE.slice(0, 10));

    // Pressed again (a second click on an old copy): refused, no second return.
    const again = await t.emu.clickCard({
      operator: openIdOf(HEAD_FIN),
      messageId: id,
      tag: "button",
      value: pressed.value,
      formValue: { [FLAG_FIELDS.reason]: reason },
    });
    expect(again.toast?.type).toBe("error");
    expect(await models().AuditEntry.countDocuments({ entityId: String(fin.a._id), action: "return" })).toBe(
      1,
    );
  });

  it("from the chat list: the leader returns the other answer with the evidence as the reason", async () => {
    const hr = await answerOf(MEMBER_HR);
    const { card } = await ask(LEADER, "疑似敷衍");
    const b = buttons(card).find(
      (x) => x.value.action === FLAG_ACTIONS.return && x.value.r === String(hr.r!._id),
    )!;
    const list = t.emu.messagesTo(openIdOf(LEADER)).at(-1)!;
    const d = await t.emu.clickCard({
      operator: openIdOf(LEADER),
      messageId: list.message_id,
      tag: "button",
      name: b.name,
      value: b.value,
    });
    expect(d.toast?.type, JSON.stringify(d.toast)).toBe("success");
    expect((await models().Assignment.findById(hr.a._id).lean())!).toMatchObject({
      state: "pending",
      returnReason: returnReasonFor(hr.r!.flags as Flag[]),
    });
    // The head's review card of it is updated in place: returned, no button.
    const { card: headCard } = await reviewCardOf(HEAD_HR, String(hr.r!._id));
    await waitFor(() => !hasButton(headCard(), FLAG_ACTIONS.return), 10_000, "head's card patched");
    expect(text(headCard())).toContain("已退回");
  });

  it("the member answers again in own words: no flags, the old card says a newer answer exists", async () => {
    const v1 = await answerOf(MEMBER_FIN);
    const { card: oldCard } = await reviewCardOf(HEAD_FIN, String(v1.r!._id));
    const messageId = await cardMessage(t, {
      kind: "selfcheck",
      refId: String(v1.a._id),
      personKey: MEMBER_FIN,
    });
    const d = await pressCard(t, openIdOf(MEMBER_FIN), messageId, SELF_CHECK_ACTIONS.submit, {
      conclusion: "problems",
      narrative: "财务科逐笔核对了2026年1至11月的报销单据共计368笔，发现3笔超期未审，已于12月1日前全部办结。",
      evidence: "",
      problems: "报销审核超期",
    });
    expect(d.toast?.type, JSON.stringify(d.toast)).toBe("success");
    await waitFor(
      async () => (await answerOf(MEMBER_FIN)).r?.version === 2 && (await answerOf(MEMBER_FIN)).r?.flaggedAt,
      15_000,
      "version 2 checked",
    );
    expect(await flagsOf(MEMBER_FIN)).toEqual([]);
    await waitFor(() => text(oldCard()).includes("已有新版本"), 10_000, "old card patched");
    expect(hasButton(oldCard(), FLAG_ACTIONS.return)).toBe(false);
    const cards = await models().SentCard.countDocuments({ kind: "flags", personKey: HEAD_FIN });
    expect(cards).toBe(1);
  });
});
