import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarySend } from "../../src/cli/campaign";
import type { CliServices } from "../../src/cli/connect";
import type { CampaignSpec } from "../../src/domain/types";
import type { EmulatorUser, SentMessage } from "@rectify-bot/feishu-emulator";
import { proposeMeasure } from "../../src/services/measures";
import { submitSelfCheck } from "../../src/services/self-check";
import { runBroadcast } from "../../src/services/sweeps";
import { addDays } from "../../src/time";
import { startTestBot, type TestBot } from "../helpers/bot";
import { hasButton, text } from "../helpers/cards";
import { importAndStart, loadSpec, openIdIn } from "../helpers/campaign";
import { answerTo, waitFor } from "../helpers/services";

/**
 * Every answer compared with a direct count over the database, per intent and per role (member, head,
 * leader, admin), in private and in groups: what each may see (DESIGN.md §5), nothing of a campaign in a
 * group that is none of its chats, and the final results after the campaign ended.
 *
 * The member is 何静 (财务科): she owns measure #2, due today, and #4 in 办公室 (another unit), and
 * #5, overdue; her unit has pending self-checks.
 */
let offset = Date.parse("2026-12-02T02:00:00Z") - Date.now();
const nowMs = () => Date.now() + offset;
const TODAY = "2027-01-20";
let t: TestBot;
let spec: CampaignSpec;
let users: EmulatorUser[];
const GROUP = "oc_8d0fb6da367998b59b446a2000e39c04"; // one of the campaign's chats
const OUTSIDE = "oc_99999999999999999999999999999999"; // a group that is not
const OUTSIDER: EmulatorUser = { open_id: "ou_0a1b2c3d4e5f60718293a4b5c6d7e8f9", name: "路人甲" };
const openIdOf = (key: string) => (key === "outsider" ? OUTSIDER.open_id : openIdIn(spec, users, key));
let seq = 0;

const MEMBER = "he_jing";
const HEAD = "feng_jianhua"; // 财务科
const LEADER = "deputy_chen"; // 办公室, 人事科, 财务科
const ADMIN = "sun_zhiqiang";
const ROLES = [
  ["member", MEMBER],
  ["head", HEAD],
  ["leader", LEADER],
  ["admin", ADMIN],
] as const;

beforeAll(async () => {
  t = await startTestBot({ emulator: { now: nowMs }, settings: { now: () => new Date(nowMs()) } });
  spec = await loadSpec("examples/bureau.yaml");
  ({ users } = await importAndStart(t, spec));
  t.emu.addUser(OUTSIDER);
  t.emu.addChat({
    chat_id: GROUP,
    name: "作风整治工作群",
    members: users.map((u) => u.open_id),
    botIsMember: true,
  });
  t.emu.addChat({ chat_id: OUTSIDE, name: "周末羽毛球", members: [OUTSIDER.open_id], botIsMember: true });
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
  const office = await answer(ADMIN, "office", "公文流转环节多");
  const finance = await answer(HEAD, "finance", "报销审核慢\n预算执行偏慢");
  const propose = async (aid: string, by: string, owner: string, content: string, due: string, i = 0) => {
    const problems = await t.bot.models.Problem.find({ assignmentId: aid }).sort({ index: 1 }).lean();
    await proposeMeasure(d, {
      assignmentId: aid,
      operatorOpenId: openIdOf(by),
      form: {
        problem: String(problems[i]._id),
        measure_content: content,
        measure_owner: openIdOf(owner),
        measure_due: `${due} +0800`,
      },
    });
  };
  await propose(office, ADMIN, "li_xinran", "精简公文流转环节", TODAY); // #1
  await propose(finance, HEAD, MEMBER, "报销审核限时办结", TODAY); // #2: hers, due today
  await propose(finance, HEAD, HEAD, "预算执行月度通报", "2027-02-10", 1); // #3
  await propose(office, ADMIN, MEMBER, "公文流转电子化", "2027-01-22"); // #4: hers, in 办公室
  await propose(finance, HEAD, MEMBER, "预算执行情况复盘", "2027-01-10", 1); // #5: hers, overdue
  offset = Date.parse(`${TODAY}T02:00:00Z`) - Date.now(); // Wed 10:00 in Shanghai
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

async function ask(personKey: string, question: string, where: "p2p" | "group" | "outside" = "p2p") {
  const messageId = `om_scope_${++seq}`;
  const chatId = where === "group" ? GROUP : where === "outside" ? OUTSIDE : undefined;
  const chat = chatId ?? t.emu.p2pChatId(openIdOf(personKey));
  const d = await t.emu.sendUserMessage({
    from: openIdOf(personKey),
    chatId,
    chatType: chatId ? "group" : "p2p",
    messageId,
    text: chatId ? `@_user_1 ${question}` : question,
    mentions: chatId ? [{ key: "@_user_1", open_id: t.emu.botOpenId, name: t.emu.botName }] : undefined,
  });
  expect(d.status).toBe(200);
  const m: SentMessage = await answerTo(() => t.emu.messagesTo(chat), messageId, `answer to ${question}`);
  return { m, text: text(m.card) };
}

// --- direct counts over the database ---------------------------------------------------------

const models = () => t.bot.models;
async function visibleUnits(personKey: string): Promise<string[] | undefined> {
  const p = (await models().Person.findOne({ campaignKey: spec.key, key: personKey }).lean())!;
  if (p.roles.includes("admin")) return undefined;
  const units = await models()
    .Unit.find({ campaignKey: spec.key, $or: [{ headKey: personKey }, { leaderKey: personKey }] })
    .lean();
  return units.map((u) => u.key);
}
/** Seqs of open measures in a due-date range the person may see: their units, or owned / reviewed by them. */
async function measureSeqs(personKey: string, due: Record<string, string>): Promise<number[]> {
  const units = await visibleUnits(personKey);
  const list = await models()
    .Measure.find({ campaignKey: spec.key, state: { $ne: "closed" }, dueDate: due })
    .lean();
  return list
    .filter(
      (m) => !units || units.includes(m.unitKey) || m.ownerKey === personKey || m.reviewerKey === personKey,
    )
    .map((m) => m.seq)
    .sort((a, b) => a - b);
}
const seqsIn = (s: string) =>
  [...new Set([...s.matchAll(/措施#(\d+)/g)].map((x) => Number(x[1])))].sort((a, b) => a - b);
async function assignmentCounts(filter: Record<string, unknown>) {
  const base = { campaignKey: spec.key, withdrawn: false, ...filter };
  const [total, done] = await Promise.all([
    models().Assignment.countDocuments(base),
    models().Assignment.countDocuments({ ...base, state: "submitted" }),
  ]);
  return { total, done, pending: total - done };
}
async function unitOf(personKey: string) {
  return (await models().Person.findOne({ campaignKey: spec.key, key: personKey }).lean())!.unitKey;
}

describe("本周到期的措施 / 逾期: lists equal a direct count, today included", () => {
  it.each(ROLES)("%s (%s)", async (_role, key) => {
    const week = await measureSeqs(key, { $gte: TODAY, $lte: addDays(TODAY, 7) });
    const due = await ask(key, "本周到期的措施");
    expect(seqsIn(due.text)).toEqual(week);
    const late = await measureSeqs(key, { $lt: TODAY });
    expect(seqsIn((await ask(key, "哪些措施逾期了")).text)).toEqual(late);
  });
  it("the member's own measures are there: due today (#2), in another unit (#4), overdue (#5)", async () => {
    expect(seqsIn((await ask(MEMBER, "本周到期的措施")).text)).toEqual([2, 4]);
    expect(seqsIn((await ask(MEMBER, "今天到期的措施")).text)).toEqual([2]);
    expect(seqsIn((await ask(MEMBER, "我的逾期措施")).text)).toEqual([5]);
  });
});

describe("a section or item in the question narrows every list", () => {
  it("逾期 / 到期 / 问题清单 of 六查 and of 六正 equal a direct count", async () => {
    const itemsOf = async (section: string) =>
      (await models().Campaign.findOne({ key: spec.key }).lean())!.items
        .filter((i) => i.sectionKey === section)
        .map((i) => i.key);
    for (const [code, key] of [
      ["六查", "liucha"],
      ["六正", "liuzheng"],
    ]) {
      const items = await itemsOf(key);
      const late = await models()
        .Measure.find({
          campaignKey: spec.key,
          itemKey: { $in: items },
          state: { $ne: "closed" },
          dueDate: { $lt: TODAY },
        })
        .lean();
      expect(seqsIn((await ask(ADMIN, `${code}逾期的措施`)).text)).toEqual(late.map((m) => m.seq).sort());
      const problems = await models().Problem.countDocuments({
        campaignKey: spec.key,
        itemKey: { $in: items },
      });
      const p = await ask(ADMIN, `${code}查摆了哪些问题`);
      if (problems) expect(p.text).toContain(`共 **${problems}** 个问题`);
      else expect(p.text).toContain("目前没有查摆出的问题");
    }
    const week = await measureSeqs(ADMIN, { $gte: TODAY, $lte: addDays(TODAY, 7) });
    expect(seqsIn((await ask(ADMIN, "查立场是否坚定本周到期的措施")).text)).toEqual(week); // all are c1's
    expect(seqsIn((await ask(ADMIN, "正会风本周到期的措施")).text)).toEqual([]);
  });
});

describe("谁还没填报: named lists only for heads, leaders, admins in private", () => {
  it("member: her unit's numbers, her own items, nobody's name", async () => {
    const unit = await unitOf(MEMBER);
    const c = await assignmentCounts({ unitKey: unit });
    expect(c.pending).toBeGreaterThan(0);
    const a = await ask(MEMBER, "谁还没填报");
    expect(a.text).toContain(`已填报 ${c.done}/${c.total}，未填报 ${c.pending} 项`);
    expect(a.text).not.toContain("所有自查事项均已填报");
    expect(a.text).not.toContain("冯建华");
    expect(a.text).not.toContain("郑海燕");
  });
  it.each(ROLES.slice(1))("%s (%s): the named list of their units, total as counted", async (_role, key) => {
    const units = await visibleUnits(key);
    // Their units' pending items, and their own wherever they are (a leader's 六正 items).
    const c = await assignmentCounts(
      units ? { $or: [{ unitKey: { $in: units } }, { assigneeKey: key }] } : {},
    );
    const a = await ask(key, "谁还没填报");
    expect(a.text).toContain(`共 **${c.pending}** 项自查未填报`);
    if (units && !units.includes("hr")) expect(a.text).not.toContain("郑海燕");
    else expect(a.text).toContain("郑海燕");
  });
  it("in the campaign's group: counts by unit, no names; the admin gets the names in private", async () => {
    const before = t.emu.messagesTo(openIdOf(ADMIN)).length;
    const g = await ask(ADMIN, "谁还没填报", "group");
    const hr = await assignmentCounts({ unitKey: "hr" });
    expect(g.text).toContain(`人事科：已填报 ${hr.done}/${hr.total}，未填报 ${hr.pending} 项`);
    for (const name of ["郑海燕", "冯建华", "周文远"]) expect(g.text).not.toContain(name);
    const priv = await waitFor(
      () => t.emu.messagesTo(openIdOf(ADMIN)).length > before && t.emu.messagesTo(openIdOf(ADMIN)),
      5000,
      "private named list",
    );
    expect(text(priv[priv.length - 1].card)).toContain("郑海燕");
    const m = await ask(MEMBER, "谁还没填报", "group");
    expect(m.text).not.toContain("郑海燕");
  });
});

describe("进度: numbers of the units the asker sees, and of the section asked about", () => {
  it.each(ROLES)("%s (%s)", async (_role, key) => {
    const units = await visibleUnits(key);
    const own = await unitOf(key);
    const scope = units === undefined ? {} : { unitKey: { $in: units.length ? units : [own] } };
    const c = await assignmentCounts(scope);
    expect((await ask(key, "进度")).text).toContain(`自查填报：**${c.done}/${c.total}`);
    const sec = await assignmentCounts({ ...scope, sectionKey: "liucha" });
    expect((await ask(key, "六查进度")).text).toContain(`自查填报：**${sec.done}/${sec.total}`);
    expect((await ask(key, "progress of section 1")).text).toContain(`**${sec.done}/${sec.total}`);
    const z = await assignmentCounts({ ...scope, sectionKey: "liuzheng" });
    expect((await ask(key, "第二部分完成情况")).text).toContain(`${z.done}/${z.total}`);
  });
  it("a unit's 完成情况", async () => {
    const c = await assignmentCounts({ unitKey: "finance" });
    expect((await ask(ADMIN, "财务科完成情况")).text).toContain(`自查填报：**${c.done}/${c.total}`);
  });
});

describe("正会风的情况: every assignment of the item, for every role", () => {
  it.each(ROLES)("%s (%s)", async (_role, key) => {
    const c = await assignmentCounts({ itemKey: "z4" });
    expect(c.total).toBe(4); // 办公室 and the three leaders
    const a = await ask(key, "正会风的情况");
    // The same item by its position.
    expect(text((await ask(key, "六正第四项")).m.card)).toContain(`已填报 **${c.done}/${c.total}**`);
    expect(a.text).toContain(`已填报 **${c.done}/${c.total}**`);
    expect(JSON.stringify(a.m.card)).toContain("办公室");
    expect(a.text).not.toContain("尚未分派");
  });
});

describe("正会风的情况 in the campaign's group: states by unit, no names", () => {
  it("shows the four assignments' states without who they are", async () => {
    const c = await assignmentCounts({ itemKey: "z4" });
    const g = await ask(MEMBER, "正会风的情况", "group");
    expect(g.text).toContain(`已填报 **${c.done}/${c.total}**`);
    for (const name of ["周文远", "陈立新", "吴晓梅", "孙志强"])
      expect(JSON.stringify(g.m.card)).not.toContain(name);
  });
});

describe("问题清单: what each may read, and the rest as counts", () => {
  it.each(ROLES)("%s (%s)", async (_role, key) => {
    const units = await visibleUnits(key);
    const owned = await models().Measure.find({ campaignKey: spec.key, ownerKey: key }).lean();
    const list = await models().Problem.find({ campaignKey: spec.key }).lean();
    const mine = list.filter(
      (p) =>
        !units ||
        units.includes(p.unitKey) ||
        p.reportedByKey === key ||
        owned.some((m) => String(m.problemId) === String(p._id)),
    );
    const a = await ask(key, "问题清单");
    expect(a.text).toContain(`共 **${mine.length}** 个问题`);
    for (const p of list) {
      if (mine.includes(p)) expect(a.text).toContain(p.text);
      else expect(a.text).not.toContain(p.text);
    }
  });
  it("the member also sees her unit's count", async () => {
    const n = await models().Problem.countDocuments({ campaignKey: spec.key, unitKey: "finance" });
    expect((await ask(MEMBER, "问题清单")).text).toContain(`财务科共查摆问题 ${n} 个`);
  });
});

describe("措施N: the full card where the asker may see details, the row elsewhere", () => {
  it.each([
    [MEMBER, 4, true], // hers, in another unit
    [MEMBER, 1, false],
    [HEAD, 4, false], // 办公室 is not his
    [HEAD, 2, true],
    [LEADER, 1, true],
    [ADMIN, 3, true],
  ] as const)("%s asks 措施%i", async (key, n, full) => {
    const a = await ask(key, `措施${n}`);
    expect(
      hasButton(a.m.card, "ms.progress") || a.text.includes("整改历程") || a.text.includes("提出措施"),
    ).toBe(full);
    expect(a.text).toContain(`#${n}`);
  });
});

describe("本周到期的措施 in the campaign's group", () => {
  it("counts by unit, no contents or owners; the asker's own view in private", async () => {
    const week = await models()
      .Measure.find({
        campaignKey: spec.key,
        state: { $ne: "closed" },
        dueDate: { $gte: TODAY, $lte: addDays(TODAY, 7) },
      })
      .lean();
    const before = t.emu.messagesTo(openIdOf(MEMBER)).length;
    const g = await ask(MEMBER, "本周到期的措施", "group");
    expect(g.text).toContain(`共 **${week.length}** 项`);
    const office = week.filter((m) => m.unitKey === "office").length;
    expect(g.text).toContain(`办公室：${office} 项`);
    for (const leak of ["精简公文流转环节", "报销审核限时办结", "何静", "李欣然"])
      expect(JSON.stringify(g.m.card)).not.toContain(leak);
    const priv = await waitFor(
      () => t.emu.messagesTo(openIdOf(MEMBER)).length > before && t.emu.messagesTo(openIdOf(MEMBER)),
      5000,
      "private due-soon list",
    );
    expect(seqsIn(text(priv[priv.length - 1].card))).toEqual(
      await measureSeqs(MEMBER, { $gte: TODAY, $lte: addDays(TODAY, 7) }),
    );
  });
});

describe("措施N in the campaign's group", () => {
  it("an overdue measure is shown (the overdue list is for everyone); another goes to the asker in private", async () => {
    const late = await ask(MEMBER, "措施5", "group");
    expect(late.text).toContain("预算执行情况复盘");
    const before = t.emu.messagesTo(openIdOf(HEAD)).length;
    const g = await ask(HEAD, "措施1", "group");
    expect(g.text).toContain("私信");
    for (const leak of ["精简公文流转环节", "李欣然"]) expect(JSON.stringify(g.m.card)).not.toContain(leak);
    const priv = await waitFor(
      () => t.emu.messagesTo(openIdOf(HEAD)).length > before && t.emu.messagesTo(openIdOf(HEAD)),
      5000,
      "private measure",
    );
    expect(text(priv[priv.length - 1].card)).toContain("精简公文流转环节");
  });
});

describe("我的待办: equal to a direct count", () => {
  it.each(ROLES)("%s (%s)", async (_role, key) => {
    const [pending, open] = await Promise.all([
      models()
        .Assignment.find({ campaignKey: spec.key, assigneeKey: key, state: "pending", withdrawn: false })
        .lean(),
      models()
        .Measure.find({ campaignKey: spec.key, ownerKey: key, state: { $ne: "closed" } })
        .lean(),
    ]);
    const a = await ask(key, "我的待办");
    for (const m of open) expect(a.text).toContain(m.content);
    const items = new Set(pending.map((x) => x.itemKey));
    const c = (await models().Campaign.findOne({ key: spec.key }).lean())!;
    for (const k of items) expect(a.text).toContain(c.items.find((i) => i.key === k)!.title.slice(0, 6));
  });
});

describe("a group that is none of the campaign's chats gets no campaign data", () => {
  it.each(["谁还没填报", "措施2", "问题清单", "进度", "正会风的情况", "逾期", "本周到期的措施"])(
    "%s",
    async (q) => {
      for (const who of ["outsider", MEMBER]) {
        const a = await ask(who, q, "outside");
        expect(a.text).toContain("本群不是");
        for (const leak of ["何静", "财务科", "办公室", "报销", "郑海燕", "/"])
          expect(a.text).not.toContain(leak);
      }
    },
  );
  it("an outsider in private is told they are not on the campaign", async () => {
    const a = await ask("outsider", "谁还没填报");
    expect(a.text).toContain("不在当前");
    expect(a.text).not.toContain("郑海燕");
  });
  it("the campaign's group still gets aggregates", async () => {
    const c = await assignmentCounts({});
    expect((await ask(MEMBER, "进度", "group")).text).toContain(`${c.done}/${c.total}`);
  });
});

describe("after campaign end: the final results stay askable, no broadcast", () => {
  it("answers say the campaign ended; 发送进度通报 and `summary send` are refused; no broadcast goes out", async () => {
    await models().Campaign.updateOne(
      { key: spec.key },
      { $set: { status: "ended", endedAt: new Date(nowMs()) } },
    );
    const c = await assignmentCounts({});
    const a = await ask(ADMIN, "进度");
    expect(a.text).toContain(`${c.done}/${c.total}`);
    expect(a.text).toContain("已于 2027-01-20 结束，以上为最终结果");
    expect((await ask(MEMBER, "本周到期的措施")).text).toContain("最终结果");
    expect((await ask(MEMBER, "progress")).text).toContain("final results");

    const groupBefore = t.emu.messagesTo(GROUP).length;
    expect((await ask(ADMIN, "发送进度通报")).text).toContain("活动已结束");
    const out: string[] = [];
    const s = { models: t.bot.models } as unknown as CliServices;
    const code = await summarySend(s, spec.key, t.bot.deps.logger, {
      print: (x) => out.push(x),
      error: (x) => out.push(x),
    });
    expect(code).toBe(1);
    expect(out.join("\n")).toContain("has ended");
    const r = await runBroadcast(t.bot.deps, spec.key, "after-end");
    expect(r.sent).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    expect(t.emu.messagesTo(GROUP).length).toBe(groupBefore);
  });
});
