import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardBytes } from "../../cards/kit";
import { validateCard } from "@rectify-bot/feishu-emulator/card-validator";
import type { CampaignSpec } from "../../src/domain/types";
import { startTestBot, type TestBot } from "../helpers/bot";
import { markdownText } from "../helpers/card-checks";
import { CAMPAIGN_NOW, importAndStart, loadSpec } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

/**
 * The report: a unit named `一科</font><at id=all></at>` made the group's problem answer an @all, and 30
 * long unit names made a 100 KB card Feishu refused, so the group got no answer at all.
 */
const GROUP = "oc_8d0fb6da367998b59b446a2000e39c04";
const HOSTILE = "一科</font><at id=all></at>";
let t: TestBot;
let spec: CampaignSpec;

beforeAll(async () => {
  const offset = CAMPAIGN_NOW - Date.now();
  t = await startTestBot({
    emulator: { now: () => Date.now() + offset },
    settings: { now: () => new Date(Date.now() + offset) },
  });
  spec = await loadSpec("examples/bureau.yaml");
  const { users } = await importAndStart(t, spec);
  t.emu.addChat({
    chat_id: GROUP,
    name: "作风整治工作群",
    members: users.map((u) => u.open_id),
    botIsMember: true,
  });
  // Units with hostile, long names, each with a reported problem: 30 as reported, and enough more that
  // even clipped names overflow one card.
  const n = 400;
  await t.bot.models.Unit.insertMany(
    Array.from({ length: n }, (_, i) => ({
      campaignKey: spec.key,
      key: `hostile_${i}`,
      name: `${HOSTILE}**${i}**[点我](https://evil.example)${"很长的科室名称".repeat(60)}`,
      order: 100 + i,
    })),
  );
  await t.bot.models.Problem.insertMany(
    Array.from({ length: n }, (_, i) => ({
      campaignKey: spec.key,
      seq: 1000 + i,
      assignmentId: new Types.ObjectId(),
      responseVersion: 1,
      index: 0,
      itemKey: "c1",
      unitKey: `hostile_${i}`,
      text: `${HOSTILE} 问题`,
      reportedByKey: spec.people[0].key,
    })),
  );
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe("a group answer built from hostile unit names", () => {
  it("is answered, escaped and under 30 KB", async () => {
    const asker = spec.people.find((p) => p.roles?.includes("admin")) ?? spec.people[0];
    const person = await t.bot.models.Person.findOne({ campaignKey: spec.key, key: asker.key }).lean();
    const from = String(person?.openId);
    const d = await t.emu.sendUserMessage({ from, chatId: GROUP, chatType: "group", text: "问题清单" });
    expect(d.status).toBe(200);
    const [answer] = await waitFor(
      () => t.emu.messagesTo(GROUP).length > 0 && t.emu.messagesTo(GROUP),
      10_000,
      "group answer",
    );
    const card = answer.card as object;
    const md = markdownText(card);
    expect(md).not.toMatch(/<at\b/i);
    expect(md).not.toContain("</font><at");
    expect(md).not.toContain("](https://evil.example)");
    expect(md).not.toContain("**1**");
    expect(cardBytes(card)).toBeLessThan(30 * 1024);
    expect(validateCard(card).ok).toBe(true);
    expect(md).toMatch(/…另有 \d+ 项/);
  });
});
