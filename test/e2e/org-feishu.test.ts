/**
 * The organisation from Feishu's address book, end to end: a campaign file with `org: from: feishu`
 * imported through the CLI command against the emulator's 300-person tree (the real node-sdk, two pages
 * per office); a missing scope named on a card and in the CLI with nothing written; 同步通讯录 in chat
 * showing a moved and a left person before 应用 applies it: the left person's answers kept, their open
 * measure with their unit's head (told on a card), the moved person's unanswered card in the new unit.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_SCOPES, generateOrgTree, type SentMessage } from "@rectify-bot/feishu-emulator";
import { campaignImport, type Out } from "../../src/cli/campaign";
import type { CliServices } from "../../src/cli/connect";
import { campaignSyncOrg } from "../../src/cli/org";
import { silentLogger } from "../../src/logger";
import { startCampaign } from "../../src/services/campaign-start";
import { applyOrgDiff, emptyOrgDiff } from "../../src/services/org-sync";
import type { TestBot } from "../helpers/bot";
import { startClockedBot } from "../helpers/campaign";
import { IMPORT_ACTIONS } from "../../cards/import-cards";
import { button, text } from "../helpers/cards";
import { waitFor } from "../helpers/services";

const tree = generateOrgTree({ people: 300 });
const [bureau, office, policy, market] = tree.departments;
const members = (d: { open_department_id: string }) =>
  tree.users.filter((u) => u.department_ids?.[0] === d.open_department_id);
/** The bureau's second leader: an admin and the leader in charge (分管领导) written in the file. */
const adminUser = members(bureau)[1];
const officeHead = members(office)[0];
const leaver = members(office)[5];
const mover = members(office)[6];
const plain = members(policy)[3];

const KEY = "org-fs-2027";
const yaml = (key: string, c2 = [mover.open_id, leaver.open_id]) => `
key: ${key}
title: 通讯录组织架构测试
start: 2026-12-02
end: 2027-03-31
template: jgzf-6-6-2
org:
  from: feishu
  departments: [${bureau.open_department_id}]
  include_children: true
units:
  - key: ${office.open_department_id}
    leader: fenguan
people:
  - key: fenguan
    name: ${adminUser.name}
    open_id: ${adminUser.open_id}
    roles: [admin, leader]
assignments:
  - item: c1
    units: all
    due: 2026-12-20
  - item: c2
    people: [${c2.join(", ")}]
    due: 2026-12-20
`;

let t: TestBot;
let dir: string;
let cli: CliServices;
const printed: string[] = [];
const errors: string[] = [];
const out: Out = { print: (s) => printed.push(s), error: (s) => errors.push(s) };

beforeAll(async () => {
  t = await startClockedBot();
  t.emu.addOrgTree(tree);
  dir = mkdtempSync(path.join(os.tmpdir(), "org-feishu-"));
  cli = {
    models: t.bot.models,
    redis: t.bot.redis,
    redisPrefix: t.prefix,
    feishu: t.bot.deps.feishu,
    close: async () => {},
  };
}, 60_000);
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(key: string, c2?: string[]): string {
  const p = path.join(dir, `${key}.yaml`);
  writeFileSync(p, yaml(key, c2));
  return p;
}

async function dbCounts() {
  const m = t.bot.models;
  return {
    campaigns: await m.Campaign.countDocuments({}),
    units: await m.Unit.countDocuments({}),
    people: await m.Person.countDocuments({}),
    assignments: await m.Assignment.countDocuments({}),
    audit: await m.AuditEntry.countDocuments({}),
  };
}

let seq = 0;
async function say(openId: string, textIn: string): Promise<SentMessage> {
  const chat = t.emu.p2pChatId(openId);
  const before = t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive").length;
  const d = await t.emu.sendUserMessage({ from: openId, text: textIn, messageId: `om_org_${++seq}` });
  expect(d.status).toBe(200);
  const cards = await waitFor(
    () => {
      const c = t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive");
      return c.length > before && c;
    },
    30_000,
    `answer to ${textIn}`,
  );
  return cards[cards.length - 1];
}

describe("a campaign file with org: from feishu sent to the bot in chat", () => {
  async function sendYaml(from: string, key: string): Promise<SentMessage> {
    const chat = t.emu.p2pChatId(from);
    const before = t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive").length;
    const d = await t.emu.sendUserMessage({
      from,
      text: "",
      messageId: `om_org_file_${++seq}`,
      file: { name: `${key}.yaml`, data: Buffer.from(yaml(key)) },
    });
    expect(d.status).toBe(200);
    const cards = await waitFor(
      () => {
        const c = t.emu.messagesTo(chat).filter((m) => m.msg_type === "interactive");
        return c.length > before && c;
      },
      30_000,
      `answer to ${key}.yaml`,
    );
    return cards[before];
  }

  it("is read from the address book for the preview; a missing scope is named and nothing is kept", async () => {
    t.emu.setAppOwner(adminUser.open_id);
    const m = t.bot.models;
    t.emu.setScopes(APP_SCOPES.filter((s) => s !== "contact:user.base:readonly"));
    try {
      const before = { ...(await dbCounts()), pending: await m.PendingImport.countDocuments({}) };
      const refused = await sendYaml(adminUser.open_id, "org-chat-noscope");
      expect(text(refused.card)).toContain("contact:user.base:readonly");
      expect(text(refused.card)).toContain("什么都没有导入");
      expect({ ...(await dbCounts()), pending: await m.PendingImport.countDocuments({}) }).toEqual(before);
    } finally {
      t.emu.setScopes([...APP_SCOPES]);
    }
    const preview = await sendYaml(adminUser.open_id, "org-chat-2027");
    // Every department of the tree is a unit, its members people (the file adds nobody new).
    expect(text(preview.card)).toContain(`单位 **${tree.departments.length}** 个`);
    expect(text(preview.card)).toContain(`人员 **${tree.users.length}** 人`);
    expect(await m.Campaign.exists({ key: "org-chat-2027" })).toBeNull();
    // 确认导入: the address book's people are stored as such (a later 同步通讯录 can mark them left).
    const b = button(preview.card, IMPORT_ACTIONS.confirm);
    await t.emu.clickCard({
      operator: adminUser.open_id,
      messageId: preview.message_id,
      tag: "button",
      name: b.name,
      value: b.value,
    });
    await waitFor(() => m.Campaign.exists({ key: "org-chat-2027" }), 30_000, "imported");
    const stored = await m.Person.find({ campaignKey: "org-chat-2027" }, { key: 1, source: 1 }).lean();
    expect(stored).toHaveLength(tree.users.length);
    expect(stored.filter((p) => p.source === "feishu")).toHaveLength(tree.users.length);
  }, 60_000);
});

describe("org: from: feishu", () => {
  it("imports the 300-person tree: everyone a person in their department's unit, the leader its head", async () => {
    t.emu.reset();
    const code = await campaignImport(cli, file(KEY), { today: "2026-12-02", out, logger: silentLogger });
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const m = t.bot.models;
    const people = await m.Person.find({ campaignKey: KEY }).lean();
    expect(people).toHaveLength(300);
    const byOpenId = new Map(people.map((p) => [p.openId, p]));
    for (const u of tree.users) {
      const p = byOpenId.get(u.open_id);
      expect(p, u.name).toBeDefined();
      expect(p!.name).toBe(u.name);
      expect(p!.unitKey).toBe(u.department_ids![0]);
      expect(p!.mobile).toBe(u.mobile!.replace("+86", ""));
      expect(p!.email).toBe(u.email);
    }
    const units = await m.Unit.find({ campaignKey: KEY }).lean();
    expect(units.map((u) => u.key).sort()).toEqual(tree.departments.map((d) => d.open_department_id).sort());
    const keyOf = (openId: string) => byOpenId.get(openId)!.key;
    for (const d of tree.departments) {
      const u = units.find((x) => x.key === d.open_department_id)!;
      expect(u.name).toBe(d.name);
      expect(u.headKey).toBe(keyOf(d.leader_user_id!));
      expect(byOpenId.get(d.leader_user_id!)!.roles).toContain("head");
    }
    // The file's own entry for the leader in charge: its key and roles, the unit from Feishu.
    const admin = byOpenId.get(adminUser.open_id)!;
    expect(admin.key).toBe("fenguan");
    expect(admin.roles).toEqual(expect.arrayContaining(["admin", "leader"]));
    expect(admin.unitKey).toBe(bureau.open_department_id);
    expect(units.find((u) => u.key === office.open_department_id)!.leaderKey).toBe("fenguan");
    // Two pages for every office and team (51–64 people, pages of 50), one for the bureau.
    const pages = t.emu.calls.filter((c) => c.path.endsWith("/users/find_by_department"));
    expect(pages).toHaveLength(1 + 2 * (tree.departments.length - 1));
    expect(pages.filter((c) => c.query.page_token)).toHaveLength(tree.departments.length - 1);
    // c1 to every unit's head; c2 to the two people.
    expect(await m.Assignment.countDocuments({ campaignKey: KEY })).toBe(tree.departments.length + 2);
  }, 60_000);

  it("without a contact scope: the CLI names the scope and nothing is written", async () => {
    printed.length = 0;
    errors.length = 0;
    t.emu.setScopes(APP_SCOPES.filter((s) => s !== "contact:user.base:readonly"));
    const before = await dbCounts();
    const code = await campaignImport(cli, file("org-noscope"), {
      today: "2026-12-02",
      out,
      logger: silentLogger,
    });
    expect(code).toBe(1);
    expect(errors.join("\n")).toContain("contact:user.base:readonly");
    expect(errors.join("\n")).toContain("什么都没有导入");
    expect(await dbCounts()).toEqual(before);
    t.emu.setScopes([...APP_SCOPES]);
  }, 60_000);

  it("同步通讯录 without the department scope: a card naming it, nothing changed", async () => {
    // Questions in chat are about a started campaign.
    await startCampaign({ models: t.bot.models, now: t.bot.deps.now, outbound: t.bot.outbound }, KEY);
    t.emu.setScopes(APP_SCOPES.filter((s) => s !== "contact:department.base:readonly"));
    try {
      const before = await dbCounts();
      const answer = await say(adminUser.open_id, "同步通讯录");
      expect(text(answer.card)).toContain("contact:department.base:readonly");
      expect(text(answer.card)).toContain("无法读取飞书通讯录");
      expect(await dbCounts()).toEqual(before);
    } finally {
      t.emu.setScopes([...APP_SCOPES]);
    }
  }, 60_000);

  it("同步通讯录 by someone who is not an admin: refused", async () => {
    const answer = await say(plain.open_id, "同步通讯录");
    expect(text(answer.card)).toContain("只有牵头科室（管理员）可以同步通讯录");
  }, 60_000);

  it("a moved and a left person: shown first, then applied; answers kept, open measures to the head", async () => {
    const m = t.bot.models;
    // The leaver answered c2 and owns an open measure; the mover has not answered yet.
    const leaverKey = leaver.open_id;
    const answered = await m.Assignment.findOneAndUpdate(
      { campaignKey: KEY, target: "person", assigneeKey: leaverKey },
      { $set: { state: "submitted", responseVersion: 1 } },
      { returnDocument: "after" },
    ).lean();
    const response = await m.Response.create({
      campaignKey: KEY,
      assignmentId: answered!._id,
      version: 1,
      conclusion: "problems",
      narrative: "会议记录不全，已列为问题",
      problems: ["会议记录不全"],
      byKey: leaverKey,
    });
    const problem = await m.Problem.create({
      campaignKey: KEY,
      seq: 1,
      assignmentId: answered!._id,
      responseVersion: 1,
      index: 0,
      itemKey: "c2",
      unitKey: office.open_department_id,
      text: "会议记录不全",
      reportedByKey: leaverKey,
    });
    const measure = await m.Measure.create({
      campaignKey: KEY,
      seq: 7,
      problemId: problem._id,
      itemKey: "c2",
      unitKey: office.open_department_id,
      content: "补齐会议记录并建立归档制度",
      ownerKey: leaverKey,
      dueDate: "2026-12-30",
      originalDueDate: "2026-12-30",
      createdByKey: leaverKey,
      proposalKey: "org-test-measure",
    });

    t.emu.updateUser(leaver.open_id, { departed: true });
    t.emu.updateUser(mover.open_id, { department_ids: [market.open_department_id] });
    const newcomer = {
      open_id: "ou_0000000000000000000000000000beef",
      name: "新来的",
      mobile: "+8613700000001",
      department_ids: [market.open_department_id],
    };
    t.emu.addUser(newcomer);
    // A new office under the bureau, with its leader: a new unit.
    const newHead = {
      open_id: "ou_0000000000000000000000000000cafe",
      name: "新科长",
      mobile: "+8613700000002",
      department_ids: ["od-new-office"],
    };
    t.emu.addDepartment({
      open_department_id: "od-new-office",
      name: "新设科",
      parent_department_id: bureau.open_department_id,
      leader_user_id: newHead.open_id,
    });
    t.emu.addUser(newHead);

    const preview = await say(adminUser.open_id, "同步通讯录");
    const shown = text(preview.card);
    expect(shown).toContain("离职");
    expect(shown).toContain(leaver.name);
    expect(shown).toContain(`${mover.name}：${office.name} → ${market.name}`);
    expect(shown).toContain(`新来的（${market.name}）`);
    // Shown, not applied.
    expect((await m.Person.findOne({ campaignKey: KEY, openId: mover.open_id }).lean())!.unitKey).toBe(
      office.open_department_id,
    );
    expect((await m.Person.findOne({ campaignKey: KEY, openId: leaver.open_id }).lean())!.leftAt).toBeFalsy();

    const apply = button(preview.card, "org.apply");
    const d = await t.emu.clickCard({
      operator: adminUser.open_id,
      messageId: preview.message_id,
      tag: "button",
      name: apply.name,
      value: apply.value,
    });
    expect(d.status).toBe(200);
    await waitFor(
      async () =>
        Boolean((await m.Person.findOne({ campaignKey: KEY, openId: leaver.open_id }).lean())?.leftAt),
      15_000,
      "sync applied",
    );

    const left = (await m.Person.findOne({ campaignKey: KEY, openId: leaver.open_id }).lean())!;
    expect(left.undeliverable?.kind).toBe("left");
    // Nothing of theirs deleted: the answer and the assignment stay.
    expect(await m.Response.exists({ _id: response._id })).toBeTruthy();
    expect((await m.Assignment.findById(answered!._id).lean())!.state).toBe("submitted");
    // Their open measure is with the office's head now, who is told on a card.
    const headKey = (await m.Person.findOne({ campaignKey: KEY, openId: officeHead.open_id }).lean())!.key;
    expect((await m.Measure.findById(measure._id).lean())!.ownerKey).toBe(headKey);
    const notice = await waitFor(
      () => t.emu.messagesTo(officeHead.open_id).find((x) => text(x.card).includes("离职人员的整改措施")),
      15_000,
      "head notice",
    );
    expect(text(notice.card)).toContain("措施7");
    expect(text(notice.card)).toContain(leaver.name);
    // The mover: their person and their unanswered assignment in the new unit.
    const moved = (await m.Person.findOne({ campaignKey: KEY, openId: mover.open_id }).lean())!;
    expect(moved.unitKey).toBe(market.open_department_id);
    const movedCard = await m.Assignment.findOne({
      campaignKey: KEY,
      target: "person",
      assigneeKey: moved.key,
    }).lean();
    expect(movedCard!.unitKey).toBe(market.open_department_id);
    const added = await m.Person.findOne({ campaignKey: KEY, openId: newcomer.open_id }).lean();
    expect(added).toMatchObject({ unitKey: market.open_department_id, source: "feishu", roles: ["member"] });
    // The new unit has what every unit has (c1, units: all), not c2 (two people only); the campaign is
    // running, so its head got the card.
    const newUnitItems = await m.Assignment.find({ campaignKey: KEY, unitKey: "od-new-office" }).lean();
    expect(newUnitItems.map((a) => [a.itemKey, a.target, a.dueDate])).toEqual([["c1", "unit", "2026-12-20"]]);
    const headPerson = (await m.Person.findOne({ campaignKey: KEY, openId: newHead.open_id }).lean())!;
    expect(newUnitItems[0]!.assigneeKey).toBe(headPerson.key);
    expect(headPerson.roles).toContain("head");
    await waitFor(
      () => t.emu.messagesTo(newHead.open_id).some((x) => text(x.card).includes("截止")),
      15_000,
      "the new unit's self-check card",
    );
    // Audited.
    const actions = (await m.AuditEntry.find({ campaignKey: KEY, action: /^org\.|^reassign$/ }).lean()).map(
      (a) => `${a.action}:${a.entityId}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        `org.left:${leaverKey}`,
        `org.move:${moved.key}`,
        `reassign:${String(measure._id)}`,
      ]),
    );
    // The card the admin pressed says what was done.
    await waitFor(
      () => text(t.emu.message(preview.message_id)!.card).includes("通讯录已同步"),
      10_000,
      "result card",
    );
    expect(text(t.emu.message(preview.message_id)!.card)).toContain(
      "分配自查事项 1 项，卡片已发给新单位的负责人",
    );

    // Again: nothing left to sync (the CLI dry run says so).
    printed.length = 0;
    errors.length = 0;
    expect(await campaignSyncOrg(cli, KEY, { apply: false, logger: silentLogger, out })).toBe(0);
    expect(printed.join("\n")).toContain("无需同步");
  }, 90_000);

  it("an apply killed after storing a new unit, before its items: the next apply gives them, once", async () => {
    const m = t.bot.models;
    // What a SIGKILL between the unit's insert and its items leaves: the unit, still marked.
    const head = (await m.Person.findOne({ campaignKey: KEY, openId: plain.open_id }).lean())!;
    await m.Unit.create({
      campaignKey: KEY,
      key: "od-late",
      name: "后设科",
      headKey: head.key,
      order: 99,
      syncAssign: true,
    });
    const empty = emptyOrgDiff(KEY, "after-a-kill");
    expect((await applyOrgDiff({ models: m, now: t.bot.deps.now }, empty)).assigned).toBe(1);
    const items = await m.Assignment.find({ campaignKey: KEY, unitKey: "od-late" }).lean();
    expect(items.map((a) => [a.itemKey, a.assigneeKey])).toEqual([["c1", head.key]]);
    expect((await m.Unit.findOne({ campaignKey: KEY, key: "od-late" }).lean())!.syncAssign).toBeUndefined();
    // Again: nothing more.
    expect(
      (await applyOrgDiff({ models: m, now: t.bot.deps.now }, { ...empty, hash: "again" })).assigned,
    ).toBe(0);
    expect(await m.Assignment.countDocuments({ campaignKey: KEY, unitKey: "od-late" })).toBe(1);
  });

  it("re-import: a new head and a leaver are shown and imported only with --apply", async () => {
    const m = t.bot.models;
    const newHead = members(policy)[2];
    const oldHead = members(policy)[0];
    const leaver2 = members(policy)[4];
    t.emu.updateDepartment(policy.open_department_id, { leader_user_id: newHead.open_id });
    t.emu.updateUser(leaver2.open_id, { departed: true });
    const unit = () => m.Unit.findOne({ campaignKey: KEY, key: policy.open_department_id }).lean();
    const person = (openId: string) => m.Person.findOne({ campaignKey: KEY, openId }).lean();
    printed.length = 0;
    errors.length = 0;
    // The clerk took the person who left out of the file (naming them is an error: not in the address book).
    const code = await campaignImport(cli, file(KEY, [mover.open_id]), {
      today: "2026-12-02",
      out,
      logger: silentLogger,
    });
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const shown = printed.join("\n");
    expect(shown).toContain(`负责人 head: ${policy.name}: ${oldHead.name} → ${newHead.name}`);
    expect(shown).toContain(`离职 left: ${leaver2.name}`);
    expect(shown).toContain("什么都没有导入");
    expect((await unit())!.headKey).toBe(oldHead.open_id);
    expect((await person(leaver2.open_id))!.leftAt).toBeFalsy();

    printed.length = 0;
    expect(
      await campaignImport(cli, file(KEY, [mover.open_id]), {
        today: "2026-12-02",
        out,
        logger: silentLogger,
        applyOrg: true,
      }),
    ).toBe(0);
    expect(errors).toEqual([]);
    expect((await unit())!.headKey).toBe(newHead.open_id);
    expect((await person(newHead.open_id))!.roles).toContain("head");
    expect((await person(oldHead.open_id))!.roles).not.toContain("head");
    expect((await person(leaver2.open_id))!.leftAt).toBeTruthy();
    // The unit's unanswered item is the new head's to answer.
    const c1 = await m.Assignment.findOne({
      campaignKey: KEY,
      target: "unit",
      unitKey: policy.open_department_id,
    }).lean();
    expect(c1!.assigneeKey).toBe(newHead.open_id);
  }, 60_000);
});
