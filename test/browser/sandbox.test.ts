import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { PROPOSE_MEASURE_FIELDS, SELF_CHECK_FIELDS } from "../../cards/self-check-card";
import { startTestBot } from "../helpers/bot";
import { selfCheckOf } from "../helpers/campaign";
import { waitFor } from "../helpers/services";
import { join } from "node:path";
import { ARTIFACTS_DIR, launchBrowser, newPage, screenshot } from "./helpers/browser";
import { startSandboxWebBot, type SandboxWebBot } from "./helpers/sandbox-web-bot";

/**
 * /sandbox in a real browser: the bot as a sandbox `npm start` runs it, the example campaign started,
 * a person played from the page. Everything the page does goes through the emulator's signed callbacks.
 */
let sb: SandboxWebBot;
let browser: Browser;
let page: Page;
let member: { key: string; openId: string };

const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

/** A card as a person sees it: the window made tall enough that the whole card is on screen. */
async function shoot(node: Locator, name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 2400 });
  await node.scrollIntoViewIfNeeded();
  await node.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function openAs(openId: string): Promise<void> {
  await page.goto(sb.pageUrl);
  await page.waitForSelector("body[data-ready='1']");
  await page.click(`.person[data-open-id="${openId}"]`);
  await page.waitForSelector(".msg .card");
}

beforeAll(async () => {
  sb = await startSandboxWebBot();
  const a = await sb.t.bot.models.Assignment.findOne({ campaignKey: sb.spec.key, state: "pending" })
    .sort({ assigneeKey: 1, key: 1 })
    .lean();
  const p = await sb.t.bot.models.Person.findOne({ campaignKey: sb.spec.key, key: a!.assigneeKey }).lean();
  member = { key: p!.key, openId: p!.openId! };
  browser = await launchBrowser();
  page = await newPage(browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sb?.stop();
});

describe("/sandbox", () => {
  it("is served in sandbox mode, says it is a local simulation, and lists the campaign's people with their units", async () => {
    const res = await fetch(sb.pageUrl);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("本地模拟，非真实飞书");
    const p = sb.spec.people.find((x) => x.key === member.key)!;
    const unit = sb.spec.units.find((u) => u.key === p.unit)!;
    await openAs(member.openId);
    const entry = page.locator(`.person[data-open-id="${member.openId}"]`);
    expect(await entry.locator(".person-name").textContent()).toBe(p.name);
    expect(await entry.locator(".person-unit").textContent()).toContain(unit.name);
  });

  it("is not served when the bot runs against a real Feishu (no sandbox)", async () => {
    const plain = await startTestBot();
    try {
      expect((await fetch(`${plain.bot.url}/sandbox`)).status).toBe(404);
      expect((await fetch(`${plain.bot.url}/sandbox/api/people`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });

  it("shows the person's chats with every message the bot sent them, newest last", async () => {
    await openAs(member.openId);
    const sent = sb.t.emu.messagesTo(member.openId);
    await waitFor(
      async () => (await page.locator("#messages .msg").count()) === sent.length,
      10_000,
      "all messages",
    );
    const ids = await page
      .locator("#messages .msg")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-message-id")));
    expect(ids).toEqual(sent.map((m) => m.message_id));
    // The group chats they are in are listed too.
    const tabs = await page.locator(".chat-tab").allTextContents();
    for (const c of sb.spec.chats) expect(tabs.some((x) => x.includes(c.name ?? c.chatId))).toBe(true);
  });

  it("submits a self-check from the page: the card turns to submitted, in the page and in the database", async () => {
    await openAs(member.openId);
    const sc = await selfCheckOf(sb.t, sb.spec.key, member.key);
    const card = page.locator(`.msg[data-message-id="${sc.messageId}"]`);
    await card.scrollIntoViewIfNeeded();
    const F = SELF_CHECK_FIELDS;
    // Required fields first: the page refuses like Feishu's client, nothing is sent.
    const before = sb.t.emu.deliveries().length;
    await card.locator(`button[data-name="${F.submit}"]`).click();
    await card.locator(".form-error").waitFor();
    expect(sb.t.emu.deliveries().length).toBe(before);
    await card.locator(`select[data-name="${F.conclusion}"]`).selectOption("compliant");
    await card.locator(`textarea[data-name="${F.narrative}"]`).fill("已逐项核对，制度执行到位。");
    await card.locator(`input[data-name="${F.evidence}"]`).fill("会议记录 2026-12-01");
    await shoot(card, "self-check-card");
    await card.locator(`button[data-name="${F.submit}"]`).click();
    await waitFor(
      async () => (await sb.t.bot.models.Assignment.findById(sc.a._id).lean())?.state === "submitted",
      15_000,
      "submitted in the DB",
    );
    const r = await sb.t.bot.models.Response.findOne({ assignmentId: sc.a._id }).lean();
    expect(r?.narrative).toBe("已逐项核对，制度执行到位。");
    // The card in the page is replaced by the submitted one (green header, no form).
    const replaced = page.locator(`.msg[data-message-id="${sc.messageId}"]`);
    await replaced.locator(".card-header.tpl-green").waitFor({ timeout: 15_000 });
    expect(await replaced.locator(`textarea[data-name="${F.narrative}"]`).count()).toBe(0);
    expect(await replaced.textContent()).toContain("已逐项核对，制度执行到位。");
    // The bot's answer to the callback: its toast is shown as it came.
    const answered = sb.t.emu
      .deliveries()
      .filter((dl) => dl.kind === "callback")
      .at(-1);
    expect(answered?.status).toBe(200);
    if (answered?.toast) expect(await page.locator("#toast").textContent()).toBe(answered.toast.content);
  });

  it("answers with problems and proposes a measure from the page: select, person picker and date picker reach the bot", async () => {
    await openAs(member.openId);
    const sc = await selfCheckOf(sb.t, sb.spec.key, member.key, 2);
    const card = page.locator(`.msg[data-message-id="${sc.messageId}"]`);
    const F = SELF_CHECK_FIELDS;
    await card.locator(`select[data-name="${F.conclusion}"]`).selectOption("problems");
    await card.locator(`textarea[data-name="${F.narrative}"]`).fill("发现一处问题。");
    await card.locator(`textarea[data-name="${F.problems}"]`).fill("会议材料印发过多");
    await card.locator(`button[data-name="${F.submit}"]`).click();
    const P = PROPOSE_MEASURE_FIELDS;
    const proposal = page.locator(`.msg[data-message-id="${sc.messageId}"] button[data-name="${P.submit}"]`);
    await proposal.waitFor({ timeout: 15_000 });
    const fresh = page.locator(`.msg[data-message-id="${sc.messageId}"]`);
    await fresh.locator(`[data-name="${P.content}"]`).fill("精简会议材料，实行清单管理");
    await fresh.locator(`select[data-name="${P.owner}"]`).selectOption(member.openId);
    await fresh.locator(`input[data-name="${P.due}"]`).fill("2027-01-15");
    await proposal.click();
    const m = await waitFor(
      () =>
        sb.t.bot.models.Measure.findOne({
          campaignKey: sb.spec.key,
          content: "精简会议材料，实行清单管理",
        }).lean(),
      15_000,
      "the measure",
    );
    expect(m.dueDate).toBe("2027-01-15");
    expect(m.ownerKey).toBe(member.key);
  });

  it("typing 我的待办 sends the message through the emulator and shows the answer card", async () => {
    await openAs(member.openId);
    const n = sb.t.emu.messagesTo(member.openId).length;
    await page.fill("#text", "我的待办");
    await page.click("#send");
    await page.locator(".msg.from-me .text", { hasText: "我的待办" }).waitFor();
    const answer = await waitFor(() => sb.t.emu.messagesTo(member.openId)[n], 15_000, "the answer");
    const node = page.locator(`.msg[data-message-id="${answer.message_id}"] .card-title`);
    await node.waitFor({ timeout: 10_000 });
    const title = String((answer.card?.header as { title: { content: string } }).title.content);
    expect(await node.textContent()).toBe(title);
    await page.locator("#messages").evaluate((el) => (el.scrollTop = el.scrollHeight));
    await screenshot(page, "sandbox-chat");
    const event = sb.t.emu
      .deliveries()
      .filter((d) => d.kind === "event")
      .at(-1);
    expect(event?.status).toBe(200);
  });

  it("a button with a confirm dialog asks first; a card's hostile text stays text", async () => {
    const msg = await sb.t.bot.deps.feishu.send(
      { type: "open_id", id: member.openId },
      {
        card: {
          schema: "2.0",
          config: { update_multi: true },
          header: { title: { tag: "plain_text", content: `标题${HOSTILE}` }, template: "red" },
          body: {
            elements: [
              {
                tag: "markdown",
                content: `**粗体** ${HOSTILE} [链接](javascript:alert(1)) &lt;b&gt;实体&lt;/b&gt;`,
              },
              { tag: "div", text: { tag: "plain_text", content: `<i>纯文本</i>${HOSTILE}` } },
              {
                tag: "button",
                name: "danger_btn",
                text: { tag: "plain_text", content: "删除" },
                type: "danger",
                behaviors: [{ type: "callback", value: { action: "sandbox.test" } }],
                confirm: {
                  title: { tag: "plain_text", content: `确认删除？${HOSTILE}` },
                  text: { tag: "plain_text", content: "删除后不可恢复" },
                },
              },
            ],
          },
        },
      },
    );
    await openAs(member.openId);
    const card = page.locator(`.msg[data-message-id="${msg.messageId}"]`);
    await card.waitFor();
    expect(await card.locator("img, script, iframe, b, i").count()).toBe(0);
    expect(await card.locator("a").count()).toBe(0);
    expect(await card.locator(".card-title").textContent()).toBe(`标题${HOSTILE}`);
    expect(await card.locator("strong").textContent()).toBe("粗体");
    expect(await card.textContent()).toContain("<b>实体</b>");
    const clicks = () => sb.t.emu.deliveries().filter((d) => d.kind === "callback").length;
    const before = clicks();
    await card.locator('button[data-name="danger_btn"]').click();
    await page.locator("#confirm[open]").waitFor();
    expect(await page.locator("#confirm-title").textContent()).toBe(`确认删除？${HOSTILE}`);
    await page.click("#confirm-cancel");
    await page.waitForTimeout(300);
    expect(clicks()).toBe(before);
    await card.locator('button[data-name="danger_btn"]').click();
    await page.click("#confirm-ok");
    await waitFor(() => clicks() === before + 1, 10_000, "the confirmed click");
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("a patched card changes in place, without a reload; what the person is typing in another card stays", async () => {
    const simple = (title: string) => ({
      schema: "2.0",
      config: { update_multi: true },
      header: { title: { tag: "plain_text", content: title }, template: "blue" },
      body: { elements: [{ tag: "markdown", content: title }] },
    });
    const msg = await sb.t.bot.deps.feishu.send(
      { type: "open_id", id: member.openId },
      { card: simple("第一版") },
    );
    await openAs(member.openId);
    const node = page.locator(`.msg[data-message-id="${msg.messageId}"]`);
    await node.locator(".card-title", { hasText: "第一版" }).waitFor();
    // Typing in a self-check form of another card meanwhile.
    const sc = await selfCheckOf(sb.t, sb.spec.key, member.key, 1);
    const draft = page.locator(
      `.msg[data-message-id="${sc.messageId}"] textarea[data-name="${SELF_CHECK_FIELDS.narrative}"]`,
    );
    await draft.fill("草稿：还没写完");
    await page.evaluate(() => ((window as unknown as { __marker?: number }).__marker = 1));
    await sb.t.bot.deps.feishu.patchCard(msg.messageId, simple("第二版"));
    await node.locator(".card-title", { hasText: "第二版" }).waitFor({ timeout: 5000 });
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1);
    expect(await draft.inputValue()).toBe("草稿：还没写完");
    expect(await page.locator(`.msg[data-message-id="${msg.messageId}"]`).count()).toBe(1);
  });

  it("shows a component it cannot render as a labelled box, and renders forms, tables and i18n", async () => {
    await openAs(member.openId);
    const card = {
      schema: "2.0",
      header: {
        title: { tag: "plain_text", content: "标题", i18n_content: { en_us: "Title" } },
        template: "blue",
      },
      body: {
        elements: [
          { tag: "fancy_widget", text: "x" },
          {
            tag: "table",
            columns: [{ name: "a", display_name: "A", data_type: "number" }],
            rows: [{ a: 3 }],
          },
          {
            tag: "multi_select_static",
            name: "m",
            options: [{ text: { tag: "plain_text", content: "甲" }, value: "1" }],
          },
          { tag: "checker", name: "c", text: { tag: "plain_text", content: "完成" } },
          { tag: "date_picker", name: "d", initial_date: "2026-12-03" },
          {
            tag: "markdown",
            content: "- 一\n- 二\n\n| x | y |\n|---|---|\n| 1 | <font color='red'>2</font> |",
          },
        ],
      },
    };
    // A string, so the bundler leaves the page's own dynamic import alone.
    const out = (await page.evaluate(`(async () => {
      const { renderCard } = await import("/sandbox/static/card-render.js");
      const node = renderCard(${JSON.stringify(card)}, { locale: "en_us", onAction: () => undefined, confirm: async () => true });
      return {
        title: node.querySelector(".card-title")?.textContent,
        unsupported: node.querySelector(".unsupported")?.textContent,
        cell: node.querySelector(".card-table td")?.textContent,
        multi: node.querySelector("select[multiple]")?.options.length,
        checker: node.querySelectorAll("input[type=checkbox]").length,
        date: node.querySelector("input[type=date]")?.value,
        items: node.querySelectorAll(".md-list li").length,
        red: node.querySelector(".md-table .c-red")?.textContent,
      };
    })()`)) as Record<string, unknown>;
    expect(out).toEqual({
      title: "Title",
      unsupported: expect.stringContaining("未支持的组件: fancy_widget"),
      cell: "3",
      multi: 1,
      checker: 1,
      date: "2026-12-03",
      items: 2,
      red: "2",
    });
  });

  it("+1 天 moves the sandbox clock: the page, the bot and the emulator", async () => {
    await openAs(member.openId);
    await waitFor(
      async () => Number(await page.locator("#clock").getAttribute("data-now")) > 0,
      5000,
      "clock",
    );
    const before = Number(await page.locator("#clock").getAttribute("data-now"));
    const botBefore = sb.t.bot.deps.now().getTime();
    await page.click('[data-step="+1d"]');
    await waitFor(
      async () => Number(await page.locator("#clock").getAttribute("data-now")) - before >= 86_400_000,
      5000,
      "the page's clock a day on",
    );
    await waitFor(() => sb.t.bot.deps.now().getTime() - botBefore >= 86_400_000, 5000, "the bot's clock");
    const emu = (await (await fetch(`${sb.t.emu.url}/_emulator/clock`)).json()) as { now: number };
    expect(emu.now - botBefore).toBeGreaterThanOrEqual(86_400_000);
    // 现在执行提醒/巡检 queues the sweeps of the active campaign.
    await page.click("#sweep");
    await page.locator("#toast", { hasText: sb.spec.key }).waitFor();
  });

  it("draws the progress broadcast's chart (a canvas with pixels) in the group chat", async () => {
    await sb.t.bot.sweeps.runNow({ kind: "broadcast", campaignKey: sb.spec.key, slot: "browser-test" });
    const chatId = sb.spec.chats[0].chatId;
    const msg = await waitFor(
      () => sb.t.emu.messagesTo(chatId).find((m) => JSON.stringify(m.card ?? {}).includes('"chart"')),
      20_000,
      "the broadcast",
    );
    await openAs(member.openId);
    await page.click(`.chat-tab[data-chat-id="${chatId}"]`);
    const card = page.locator(`.msg[data-message-id="${msg.message_id}"]`);
    await card.locator(".chart canvas").waitFor({ timeout: 15_000 });
    await card.scrollIntoViewIfNeeded();
    const painted = await card
      .locator(".chart canvas")
      .first()
      .evaluate((c: HTMLCanvasElement) => {
        const ctx = c.getContext("2d");
        if (!ctx) return 0;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
    expect(painted).toBeGreaterThan(1000);
    expect(await card.locator(".unsupported").count()).toBe(0);
    await shoot(card, "broadcast-chart");
  });
});
