import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SELF_CHECK_ACTIONS } from "../../cards/self-check-card";
import type { TestBot } from "../helpers/bot";
import { button, text } from "../helpers/cards";
import { cardMessage, importAndStart, loadSpec, startClockedBot } from "../helpers/campaign";

/** Nothing is tied to the seed: a different office's short "四查四看" checklist runs the same way. */
let t: TestBot;
beforeAll(async () => {
  t = await startClockedBot();
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe("a campaign with its own checklist (四查四看)", () => {
  it("imports, starts, and takes answers on its own items", async () => {
    const spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
    const { users, start } = await importAndStart(t, spec);
    const c = (await t.bot.models.Campaign.findOne({ key: spec.key }).lean())!;
    expect(c.items.map((i) => i.title)).toEqual([
      "查思想看站位",
      "查作风看担当",
      "查纪律看规矩",
      "查效能看实绩",
    ]);
    expect(c.items.some((i) => i.title.includes("六") || i.title === "正学风")).toBe(false);
    const assignments = await t.bot.models.Assignment.find({ campaignKey: spec.key }).lean();
    expect(start.enqueued).toBe(assignments.length + new Set(assignments.map((a) => a.assigneeKey)).size);

    const a = assignments[0];
    const openId = users[spec.people.findIndex((p) => p.key === a.assigneeKey)].open_id;
    const messageId = await cardMessage(t, {
      kind: "selfcheck",
      refId: String(a._id),
      personKey: a.assigneeKey,
    });
    const card = t.emu.message(messageId)!.card;
    expect(text(card)).toContain(c.items.find((i) => i.key === a.itemKey)!.title);
    expect(text(card)).toContain("四查四看");
    const b = button(card, SELF_CHECK_ACTIONS.submit);
    const d = await t.emu.clickCard({
      operator: openId,
      messageId,
      tag: "button",
      name: b.name,
      value: b.value,
      formValue: { conclusion: "problems", narrative: "对照清单逐项检查。", problems: "投诉处置超时" },
    });
    expect(d.toast?.type).toBe("success");
    const problems = await t.bot.models.Problem.find({ campaignKey: spec.key }).lean();
    expect(problems.map((p) => [p.itemKey, p.text])).toEqual([[a.itemKey, "投诉处置超时"]]);
  });
});
