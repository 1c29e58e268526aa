import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newPage } from "./helpers/browser";

// The browser project's own check: Debian's chromium starts and lays out Chinese text with a CJK font
// (without one, every glyph would be the same tofu box and every width equal).
describe("chromium for the browser tests", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders Chinese text with a CJK font", async () => {
    const page = await newPage(browser);
    await page.setContent(
      `<html lang="zh-CN"><body><span id="a">自查整改</span><span id="b">台账</span></body></html>`,
    );
    const widths = await page.evaluate(() =>
      ["a", "b"].map((id) => document.getElementById(id)!.getBoundingClientRect().width),
    );
    expect(widths[0]).toBeGreaterThan(widths[1]);
    expect(widths[0] / 4).toBeGreaterThan(10);
    await page.close();
  });
});
