import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser, SentMessage } from "@rectify-bot/feishu-emulator";
import { proposeMeasure } from "../../src/services/measures";
import { submitSelfCheck } from "../../src/services/self-check";
import { startTestBot, type TestBot } from "../helpers/bot";
import { hasButton, text } from "../helpers/cards";
import { importAndStart, loadSpec, openIdIn } from "../helpers/campaign";
import { answerTo, waitFor } from "../helpers/services";

/**
 * Asking the bot in chat, through the emulator: every intent, answered from the database and scoped to
 * who asks (member, head, leader, admin) and where (p2p, group).
 */
// The clock runs (rate windows need it to), from a day the test chooses.
let offset = Date.parse("2026-12-02T02:00:00Z") - Date.now();
const nowMs = () => Date.now() + offset;
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const GROUP = "oc_8d0fb6da367998b59b446a2000e39c04";
const openIdOf = (key: string) => openIdIn(spec, users, key);
let seq = 0;

beforeAll(async () => {
  t = await startTestBot({ emulator: { now: nowMs }, settings: { now: () => new Date(nowMs()) } });
  spec = await loadSpec("examples/bureau.yaml");
  ({ users } = await importAndStart(t, spec));
  t.emu.addChat({
    chat_id: GROUP,
    name: "作风整治工作群",
    members: users.map((u) => u.open_id),
    botIsMember: true,
  });
  const d = t.bot.deps;
  const answer = async (personKey: string, unitKey: string, problems: string) => {
    const a = (await t.bot.models.Assignment.findOne({
      campaignKey: spec.key,
      assigneeKey: personKey,
      unitKey,
      itemKey: "c1",
    }).lean())!;
    await submitSelfCheck(d, {
      assignmentId: String(a._id),
      rev: a.rev,
      operatorOpenId: openIdOf(personKey),
      form: { conclusion: "problems", narrative: "自查情况", problems },
    });
    return String(a._id);
  };
  const office = await answer("sun_zhiqiang", "office", "公文流转环节多");
  const finance = await answer("feng_jianhua", "finance", "报销审核慢\n预算执行偏慢");
  const propose = async (
    aid: string,
    by: string,
    owner: string,
    content: string,
    due: string,
    problemIndex = 0,
  ) => {
    const problems = await t.bot.models.Problem.find({ assignmentId: aid }).sort({ index: 1 }).lean();
    await proposeMeasure(d, {
      assignmentId: aid,
      operatorOpenId: openIdOf(by),
      form: {
        problem: String(problems[problemIndex]._id),
        measure_content: content,
        measure_owner: openIdOf(owner),
        measure_due: `${due} +0800`,
      },
    });
  };
  await propose(office, "sun_zhiqiang", "li_xinran", "精简公文流转环节", "2027-01-20");
  await propose(finance, "feng_jianhua", "he_jing", "报销审核限时办结", "2027-01-20");
  await propose(finance, "feng_jianhua", "feng_jianhua", "预算执行月度通报", "2027-02-10", 1);
  offset = Date.parse("2027-02-01T02:00:00Z") - Date.now(); // Mon 10:00: measures 1 and 2 are overdue, 3 is due in 9 days
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

/** Ask in p2p (or in the group with an @mention) and return the bot's answer message. */
async function ask(
  personKey: string,
  question: string,
  where: "p2p" | "group" = "p2p",
): Promise<SentMessage> {
  const messageId = `om_question_${++seq}`;
  const chat = where === "group" ? GROUP : t.emu.p2pChatId(openIdOf(personKey));
  const d = await t.emu.sendUserMessage({
    from: openIdOf(personKey),
    chatId: where === "group" ? GROUP : undefined,
    chatType: where,
    messageId,
    text: where === "group" ? `@_user_1 ${question}` : question,
    mentions:
      where === "group" ? [{ key: "@_user_1", open_id: t.emu.botOpenId, name: t.emu.botName }] : undefined,
  });
  expect(d.status).toBe(200);
  const m = await answerTo(() => t.emu.messagesTo(chat), messageId, `answer to ${question}`);
  if (where === "group") expect(m.parent_id ?? m.root_id).toBe(messageId); // in the thread of the question
  return m;
}

describe("哪些措施逾期了 — scoped to who asks", () => {
  it("a member sees their own overdue measures and their unit's count, nothing of other units", async () => {
    const c = text((await ask("he_jing", "哪些措施逾期了")).card);
    expect(c).toContain("报销审核限时办结");
    expect(c).not.toContain("精简公文流转环节");
    expect(c).toContain("本科室共有逾期措施 1 项");
  });
  it("a head sees their unit", async () => {
    const c = text((await ask("feng_jianhua", "逾期")).card);
    expect(c).toContain("报销审核限时办结");
    expect(c).not.toContain("精简公文流转环节");
  });
  it("a leader sees the units in their charge; another leader sees none", async () => {
    const chen = text((await ask("deputy_chen", "哪些整改措施已经超期？")).card);
    expect(chen).toContain("报销审核限时办结");
    expect(chen).toContain("精简公文流转环节");
    expect(text((await ask("deputy_wu", "逾期")).card)).toContain("目前没有逾期");
  });
  it("an admin sees all, in English when asked in English", async () => {
    const m = await ask("sun_zhiqiang", "which measures are overdue");
    expect(text(m.card)).toContain("报销审核限时办结");
    expect(text(m.card)).toContain("精简公文流转环节");
    expect(JSON.stringify(m.card)).toContain("Overdue");
  });
  it("in a group: the overdue list, in the question's thread, without open buttons", async () => {
    const m = await ask("he_jing", "逾期", "group");
    expect(text(m.card)).toContain("精简公文流转环节");
    expect(hasButton(m.card, "dg.open")).toBe(false);
  });
});

describe("other intents", () => {
  it("我的待办: in p2p the asker's own list; in a group a notice, the list sent privately", async () => {
    const m = await ask("he_jing", "我的待办");
    expect(text(m.card)).toContain("报销审核限时办结");
    const before = t.emu.messagesTo(openIdOf("he_jing")).length;
    const g = await ask("he_jing", "我的待办", "group");
    expect(text(g.card)).toContain("私信");
    expect(text(g.card)).not.toContain("报销审核限时办结");
    await waitFor(() => t.emu.messagesTo(openIdOf("he_jing")).length > before, 5000, "private to-dos");
  });
  it("问题清单: texts in p2p for an admin, only counts in a group", async () => {
    expect(text((await ask("sun_zhiqiang", "问题清单")).card)).toContain("报销审核慢");
    const g = text((await ask("sun_zhiqiang", "问题清单", "group")).card);
    expect(g).not.toContain("报销审核慢");
    expect(g).toContain("问题 2 个");
  });
  it("措施1: the owner gets the measure card with its history; another member only where it stands", async () => {
    const own = await ask("li_xinran", "措施1");
    expect(hasButton(own.card, "ms.progress")).toBe(true);
    const other = await ask("he_jing", "措施1");
    expect(text(other.card)).toContain("精简公文流转环节");
    expect(hasButton(other.card, "ms.progress")).toBe(false);
    expect(text(await ask("he_jing", "措施99").then((x) => x.card))).toContain("#99");
  });
  it("财务科进度: the numbers equal a direct count", async () => {
    const total = await t.bot.models.Assignment.countDocuments({
      campaignKey: spec.key,
      unitKey: "finance",
      withdrawn: false,
    });
    const done = await t.bot.models.Assignment.countDocuments({
      campaignKey: spec.key,
      unitKey: "finance",
      withdrawn: false,
      state: "submitted",
    });
    const c = text((await ask("sun_zhiqiang", "财务科进度")).card);
    expect(c).toContain(`${done}/${total}`);
    // Where things stand, not a broadcast: no "closed since the last report" section.
    expect(c).not.toContain("本期新销号");
    expect(c).not.toContain("本期无新销号");
  });
  it("谁还没填报 and 六正还有谁没填", async () => {
    expect(text((await ask("sun_zhiqiang", "谁还没填报")).card)).toContain("郑海燕");
    const liuzheng = text((await ask("sun_zhiqiang", "六正还有谁没填")).card);
    expect(liuzheng).toContain("周文远");
    expect(liuzheng).not.toContain("郑海燕"); // heads are not assigned 六正 items in this file
  });
  it("快到期: by days", async () => {
    expect(text((await ask("feng_jianhua", "本周到期的措施")).card)).not.toContain("预算执行月度通报");
    expect(text((await ask("feng_jianhua", "十天内到期的措施")).card)).toContain("预算执行月度通报");
  });
  it("正会风的情况: one item across units", async () => {
    const c = JSON.stringify((await ask("sun_zhiqiang", "正会风的情况")).card);
    expect(c).toContain("正会风");
    expect(c).toContain("办公室");
  });
  it("发送进度通报: an admin sends the broadcast to the group; a member cannot", async () => {
    const refused = await ask("he_jing", "发送进度通报");
    expect(text(refused.card)).toContain("只有牵头科室");
    const before = t.emu.messagesTo(GROUP).length;
    const ok = await ask("sun_zhiqiang", "发送进度通报");
    expect(text(ok.card)).toContain("已发送");
    const [broadcast] = await waitFor(
      () => {
        const sent = t.emu
          .messagesTo(GROUP)
          .filter((m, i) => i >= before && JSON.stringify(m.card).includes("进度通报"));
        return sent.length > 0 && sent;
      },
      8000,
      "broadcast",
    );
    // A broadcast does report what was closed since the last one.
    expect(JSON.stringify(broadcast.card)).toContain("本期新销号");
  });
  it("待我审核的: a reviewer's to-dos list the closures and extensions waiting for their decision", async () => {
    const second = (await t.bot.models.Measure.findOne({ campaignKey: spec.key, seq: 2 }).lean())!;
    const reviewer = second.reviewerKey!;
    expect(reviewer).toBeTruthy();
    expect(reviewer).not.toBe(second.ownerKey);
    const line = `&#35;${second.seq} ${second.content}`;
    expect(text((await ask(reviewer, "待我审核的")).card)).not.toContain(line);
    const set = (s: Record<string, unknown>) => t.bot.models.Measure.updateOne({ _id: second._id }, s);
    try {
      await set({
        $set: { extension: { status: "requested", requestedDue: "2027-03-01", reason: "等待批复" } },
      });
      const ext = text((await ask(reviewer, "待我审核的")).card);
      expect(ext).toContain(line);
      expect(ext).toContain("申请延期至 2027-03-01，待你审批");
      await set({ $set: { state: "closure_requested" }, $unset: { extension: 1 } });
      const c = text((await ask(reviewer, "待我审核的")).card);
      expect(c).toContain(line);
      expect(c).toContain("申请销号，待你审核");
      // The owner's own list still says where it stands, not that it is theirs to review.
      const owner = text((await ask(second.ownerKey, "我的待办")).card);
      expect(owner).toContain("待审核销号");
      expect(owner).not.toContain("待你审核");
      expect(text((await ask(reviewer, "what needs my review")).card)).toContain(
        "closure asked: your review",
      );
    } finally {
      await set({ $set: { state: second.state }, $unset: { extension: 1 } });
    }
  });

  it("a question sent as rich text (a post, as a formatted message is) is answered like a text one", async () => {
    const messageId = `om_question_${++seq}`;
    const from = openIdOf("he_jing");
    const d = await t.emu.sendUserMessage({ from, messageId, text: "我的待办", post: { title: "" } });
    expect(d.status).toBe(200);
    const m = await answerTo(() => t.emu.messagesTo(t.emu.p2pChatId(from)), messageId, "answer to a post");
    expect(text(m.card)).toContain("报销审核限时办结");
    const inGroup = `om_question_${++seq}`;
    await t.emu.sendUserMessage({
      from,
      chatId: GROUP,
      chatType: "group",
      messageId: inGroup,
      text: "六正进度",
      post: {},
    });
    const g = await answerTo(() => t.emu.messagesTo(GROUP), inGroup, "answer to a post in the group");
    expect(text(g.card)).not.toContain("没有理解");
    expect(text(g.card)).toContain("六正");
  });

  it("help and questions it does not understand get the help card, nothing else", async () => {
    expect(text((await ask("he_jing", "帮助")).card)).toContain("我的待办");
    const c = text((await ask("he_jing", "今天天气怎么样")).card);
    expect(c).toContain("没有理解");
    expect(c).not.toContain("报销审核");
  });
});
