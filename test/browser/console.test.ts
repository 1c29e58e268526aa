import { readFile } from "node:fs/promises";
import ExcelJS from "exceljs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import type { TestBot } from "../helpers/bot";
import type { PlayedCampaign } from "../helpers/export-campaign";
import { fillCampaign, templateWorkbook, toBuffer } from "../helpers/workbook";
import { launchBrowser, newPage, screenshot } from "./helpers/browser";
import { startPlayedBot } from "./helpers/console-bot";

/**
 * The console in a real browser: sign in on the emulator's Feishu login page, read the progress page
 * and the ledger, be refused what is not yours, and have a forged form refused. Screenshots:
 * test-artifacts/console-progress.png, console-ledger.png, console-import-errors.png.
 */
let browser: Browser;
let t: TestBot;
let played: PlayedCampaign;
const KEY = "scjgs-sicha-2027";

beforeAll(async () => {
  ({ t, played } = await startPlayedBot());
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** A fresh browser session, signed in by clicking through the emulator's login page. */
async function signInAs(name: string): Promise<Page> {
  const page = await newPage(browser);
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(`${t.bot.url}/console/`);
  await page.click("#login");
  await page.getByRole("link", { name: new RegExp(name) }).click();
  await page.waitForURL(`${t.bot.url}/console`);
  await expect(page.locator("header .who").textContent()).resolves.toBe(name);
  return page;
}
const consoleErrors = (p: Page) => (p as Page & { problems?: string[] }).problems ?? [];

describe("the console in a browser", () => {
  it("an admin signs in on the emulator's login page; the progress page shows the database's counts", async () => {
    const page = await signInAs("高磊");
    await page.click(`a[href="/console/c/${KEY}"]`);
    const m = t.bot.models;
    const total = await m.Assignment.countDocuments({ campaignKey: KEY, withdrawn: false });
    const done = await m.Assignment.countDocuments({
      campaignKey: KEY,
      withdrawn: false,
      state: "submitted",
    });
    const measures = await m.Measure.countDocuments({ campaignKey: KEY, state: { $ne: "withdrawn" } });
    const closed = await m.Measure.countDocuments({ campaignKey: KEY, state: "closed" });
    expect(await page.textContent("#answered")).toBe(`${done} / ${total}`);
    expect(await page.textContent("#closed")).toBe(`${closed} / ${measures}`);
    // Per unit, the same numbers as a direct count; a unit with an overdue measure is red.
    for (const u of played.spec.units) {
      const uTotal = await m.Assignment.countDocuments({
        campaignKey: KEY,
        unitKey: u.key,
        withdrawn: false,
      });
      const uDone = await m.Assignment.countDocuments({
        campaignKey: KEY,
        unitKey: u.key,
        withdrawn: false,
        state: "submitted",
      });
      const row = page.locator(`#by-unit tr[data-key="${u.key}"]`);
      expect(await row.locator('[data-col="answered"]').textContent()).toBe(`${uDone} / ${uTotal}`);
      const late = await m.Measure.countDocuments({
        campaignKey: KEY,
        unitKey: u.key,
        state: { $nin: ["closed", "withdrawn"] },
        dueDate: { $lt: "2026-12-28" },
      });
      if (late) expect(await row.getAttribute("data-light")).toBe("red");
    }
    await screenshot(page, "console-progress");
    await page.click('nav.tabs a[href$="/lists"]');
    await screenshot(page, "console-lists");
    expect(consoleErrors(page)).toEqual([]); // no CSP violation, no failed script
  });

  it("the ledger filters, links each measure's history, and 导出台账 downloads a real xlsx", async () => {
    const page = await signInAs("高磊");
    await page.goto(`${t.bot.url}/console/c/${KEY}/ledger`);
    const all = await page.locator("#ledger tbody tr").count();
    expect(all).toBe(
      await t.bot.models.Measure.countDocuments({ campaignKey: KEY, state: { $ne: "withdrawn" } }),
    );
    await page.check('input[name="overdue"]'); // console.js submits the filter form on change
    await page.waitForURL(/overdue=1/);
    const late = await t.bot.models.Measure.countDocuments({
      campaignKey: KEY,
      state: { $nin: ["closed", "withdrawn"] },
      dueDate: { $lt: "2026-12-28" },
    });
    expect(late).toBeGreaterThan(0);
    expect(await page.locator("#ledger tbody tr").count()).toBe(late);
    await page.goto(`${t.bot.url}/console/c/${KEY}/ledger`);
    await screenshot(page, "console-ledger");
    // The page says a measure's state in the downloaded ledger's words (待审核, not a word of its own).
    const shown = await page.locator("#ledger tbody tr td:last-child").allTextContents();
    expect(new Set(shown.map((w) => w.trim()))).toEqual(
      new Set(
        (await t.bot.models.Measure.distinct("state", { campaignKey: KEY, state: { $ne: "withdrawn" } })).map(
          (s) =>
            ({ open: "未开始", in_progress: "整改中", closure_requested: "待审核", closed: "已销号" })[
              s as string
            ],
        ),
      ),
    );

    // A measure that was sent back shows it in its history.
    const sentBack = await t.bot.models.AuditEntry.findOne({ campaignKey: KEY, action: "send_back" }).lean();
    const m = await t.bot.models.Measure.findById(sentBack!.entityId).lean();
    await page.click(`#ledger a[href$="/measures/${m!.seq}"]`);
    await expect(page.locator('#history li[data-kind="send_back"]').count()).resolves.toBe(1);
    await screenshot(page, "console-measure");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-ledger")]);
    expect(download.suggestedFilename()).toMatch(/^scjgs-sicha-2027-整改台账-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await readFile((await download.path())!)) as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.length).toBe(3);
    const sheet = wb.getWorksheet("整改台账")!;
    const col = (sheet.getRow(1).values as unknown[]).indexOf("完成情况");
    const inFile: string[] = [];
    sheet.eachRow((row, n) => n > 1 && inFile.push(String(row.getCell(col).value)));
    const awaiting = await t.bot.models.Measure.countDocuments({
      campaignKey: KEY,
      state: "closure_requested",
      dueDate: { $gte: "2026-12-28" },
    });
    expect(inFile.filter((w) => w === "待审核")).toHaveLength(awaiting);
  });

  it("a member sees only their own unit and is refused another unit's URL", async () => {
    const page = await signInAs("白露"); // member of 市场秩序监管组 (market)
    await page.goto(`${t.bot.url}/console/c/${KEY}`);
    const units = await page
      .locator("#by-unit tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));
    expect(units).toEqual(["market"]);
    const refused = await page.goto(`${t.bot.url}/console/c/${KEY}/units/food`);
    expect(refused!.status()).toBe(403);
    expect(await page.textContent(".reason")).toContain("您无权查看此页面");
    // Their ledger lists only their own measures.
    await page.goto(`${t.bot.url}/console/c/${KEY}/ledger`);
    const own = await t.bot.models.Measure.countDocuments({
      campaignKey: KEY,
      ownerKey: "bai_lu",
      state: { $ne: "withdrawn" },
    });
    expect(await page.locator("#ledger tbody tr").count()).toBe(own);
  });

  it("a forged form post without the CSRF token is refused with a reason", async () => {
    const page = await signInAs("高磊");
    await page.goto(`${t.bot.url}/console/c/${KEY}/do/end`);
    // The page's own form, with its token removed: what a cross-site form would send.
    await page.locator('input[name="_csrf"]').evaluateAll((els) => els.forEach((e) => e.remove()));
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.click("#confirm"),
    ]);
    expect(res.status()).toBe(403);
    expect(await page.textContent(".reason")).toContain("CSRF");
    expect((await t.bot.models.Campaign.findOne({ key: KEY }).lean())!.status).toBe("active");
  });

  it("an admin imports a workbook with an error and sees the cell named; nothing is imported", async () => {
    const page = await signInAs("高磊");
    await page.goto(`${t.bot.url}/console/import`);
    const raw = YAML.parse(await readFile("examples/bureau.yaml", "utf8")) as Record<string, unknown>;
    const wb = await templateWorkbook();
    const { people } = fillCampaign(wb, { ...raw, key: "console-import-test" });
    wb.getWorksheet("人员")!.getCell(people[2], 3).value = "不存在的科室";
    await page.setInputFiles('input[type="file"]', {
      name: "bureau.xlsx",
      mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      buffer: await toBuffer(wb),
    });
    await page.click("#check");
    await page.waitForSelector("#errors");
    expect(await page.locator("#errors td.where").allTextContents()).toContain(`人员!C${people[2]}`);
    expect(await page.textContent("#errors")).toContain("不存在的科室");
    await screenshot(page, "console-import-errors");
    expect(await t.bot.models.Campaign.countDocuments({ key: "console-import-test" })).toBe(0);
  });
});
