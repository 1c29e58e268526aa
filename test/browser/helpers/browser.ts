import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/**
 * Launches Debian's chromium through playwright-core (no Playwright browser download). CHROMIUM_PATH
 * points at another build. Screenshots go to test-artifacts/ (git-ignored), for a person to look at.
 */
export const ARTIFACTS_DIR = join(process.cwd(), "test-artifacts");

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"],
  });
}

export async function newPage(browser: Browser, locale = "zh-CN"): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // A page error or a failed script is a test failure the person would see as a broken page.
  page.on("pageerror", (err) => {
    throw err;
  });
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
