import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { SELF_CHECK_FIELDS } from "../../cards/self-check-card";
import { selfCheckOf } from "../helpers/campaign";
import { waitFor } from "../helpers/services";
import { launchBrowser, newPage, screenshot } from "./helpers/browser";
import { startSandboxWebBot, type SandboxWebBot } from "./helpers/sandbox-web-bot";

/**
 * The two pages together, as a newcomer would try them: a person answers their self-check card in the
 * sandbox page; the office's console then shows one more answer — for the campaign, for the unit, and
 * to the unit's own member only for their unit.
 */
let sb: SandboxWebBot;
let browser: Browser;

beforeAll(async () => {
  sb = await startSandboxWebBot();
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await sb?.stop();
});

async function signInAs(name: string): Promise<Page> {
  const page = await newPage(browser);
  await page.goto(`${sb.t.bot.url}/console/`);
  await page.click("#login");
  await page.getByRole("link", { name: new RegExp(name) }).click();
  await page.waitForURL(`${sb.t.bot.url}/console`);
  return page;
}

describe("answered in the sandbox, counted in the console", () => {
  it("a self-check submitted by clicking in /sandbox is one more answer on the console's progress page", async () => {
    const { spec } = sb;
    const m = sb.t.bot.models;
    const admin = spec.people.find((p) => p.roles.includes("admin"))!;
    const a = await m.Assignment.findOne({ campaignKey: spec.key, state: "pending" })
      .sort({ assigneeKey: 1, key: 1 })
      .lean();
    const person = spec.people.find((p) => p.key === a!.assigneeKey)!;
    const unit = a!.unitKey;

    const office = await signInAs(admin.name);
    await office.goto(`${sb.t.bot.url}/console/c/${spec.key}`);
    const total = await m.Assignment.countDocuments({ campaignKey: spec.key, withdrawn: false });
    const done = await m.Assignment.countDocuments({
      campaignKey: spec.key,
      withdrawn: false,
      state: "submitted",
    });
    expect(await office.textContent("#answered")).toBe(`${done} / ${total}`);
    const unitRow = office.locator(`#by-unit tr[data-key="${unit}"] [data-col="answered"]`);
    const unitBefore = (await unitRow.textContent())!;

    // The person, in the sandbox page: fill the card's form and press submit.
    const page = await newPage(browser);
    await page.goto(sb.pageUrl);
    await page.waitForSelector("body[data-ready='1']");
    const openId = (await m.Person.findOne({ campaignKey: spec.key, key: person.key }).lean())!.openId!;
    await page.click(`.person[data-open-id="${openId}"]`);
    const sc = await selfCheckOf(sb.t, spec.key, person.key);
    const card = page.locator(`.msg[data-message-id="${sc.messageId}"]`);
    await card.waitFor();
    const F = SELF_CHECK_FIELDS;
    await card.locator(`select[data-name="${F.conclusion}"]`).selectOption("compliant");
    await card
      .locator(`textarea[data-name="${F.narrative}"]`)
      .fill("对照清单逐项自查，2026年11月台账已归档。");
    await card.locator(`input[data-name="${F.evidence}"]`).fill("会议纪要 2026-11-28");
    await card.locator(`button[data-name="${F.submit}"]`).click();
    await card.locator(".card-header.tpl-green").waitFor({ timeout: 15_000 });

    // The console, reloaded: one more answer for the campaign and for the person's unit.
    await waitFor(
      async () => (await m.Assignment.findById(a!._id).lean())?.state === "submitted",
      15_000,
      "stored",
    );
    await office.reload();
    expect(await office.textContent("#answered")).toBe(`${done + 1} / ${total}`);
    const [ub, ut] = unitBefore.split(" / ").map(Number);
    expect(await unitRow.textContent()).toBe(`${ub + 1} / ${ut}`);
    await screenshot(office, "sandbox-then-console-progress");

    // The person themself, in the console: their own unit only.
    const own = await signInAs(person.name);
    await own.goto(`${sb.t.bot.url}/console/c/${spec.key}`);
    const rows = await own
      .locator("#by-unit tr[data-key]")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-key")));
    if (!person.roles.some((r) => r === "admin" || r === "leader")) expect(rows).toEqual([unit]);
  });
});
