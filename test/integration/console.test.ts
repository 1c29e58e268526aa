import { readFile } from "node:fs/promises";
import { DEMO_USERS } from "@rectify-bot/feishu-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignSpec } from "../../src/domain/types";
import { importAndStart, loadSpec, openIdIn, startClockedBot } from "../helpers/campaign";
import type { TestBot } from "../helpers/bot";
import { ConsoleClient, signIn } from "../helpers/console";

/**
 * /console over HTTP, against the whole bot and the emulator's Feishu login: sessions, CSRF, helmet
 * headers, and what each role may read (DESIGN.md §5) — asserted on pages and downloads a person gets.
 */
let t: TestBot;
let spec: CampaignSpec;
let users: { open_id: string }[];
const KEY = "wlj-jgzf-2027";
const as = (key: string) => signIn(t, openIdIn(spec, users, key));

beforeAll(async () => {
  t = await startClockedBot();
  spec = await loadSpec("examples/bureau.yaml");
  ({ users } = await importAndStart(t, spec));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe("console sign-in and sessions", () => {
  it("signs in through Feishu's web login; the session cookie is signed, httpOnly, SameSite=Lax", async () => {
    const c = new ConsoleClient(t.bot.url);
    const start = await c.fetch("/console/login");
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get("location")!);
    expect(to.pathname).toBe("/open-apis/authen/v1/authorize");
    expect(to.searchParams.get("client_id")).toBe(t.settings.feishu.appId);
    expect(to.searchParams.get("redirect_uri")).toBe(`${t.bot.url}/console/callback`);
    expect(to.searchParams.get("state")).toMatch(/^[\w-]{20,}$/);
    // The emulator's login page lists its people.
    const page = await (await fetch(to)).text();
    expect(page).toContain("王晨");

    const member = await as("wang_chen");
    const home = await member.get("/console/");
    expect(home.res.status).toBe(200);
    expect(home.html).toContain(spec.title);
    expect(home.html).toContain("王晨");

    const raw = new ConsoleClient(t.bot.url);
    const login = await raw.fetch("/console/login");
    const setCookie = login.headers.getSetCookie().join("\n");
    expect(setCookie).toMatch(/rb_console_login=s%3A/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
  });

  it("a callback whose state was not started in this browser is refused; logout ends the session", async () => {
    const stranger = new ConsoleClient(t.bot.url);
    const r = await stranger.get("/console/callback?code=abc&state=forged");
    expect(r.res.status).toBe(400);
    expect(r.html).toContain("不是从本浏览器发起的");

    const c = await as("wang_chen");
    const home = await c.get("/console/");
    const token = ConsoleClient.csrfOf(home.html);
    const sid = c.cookies.get("rb_console")!;
    expect((await c.post("/console/logout", { _csrf: token })).status).toBe(303);
    // The old cookie, replayed, no longer opens anything: the record is gone from Redis.
    const replay = new ConsoleClient(t.bot.url);
    replay.cookies.set("rb_console", sid);
    const after = await replay.get(`/console/c/${KEY}`);
    expect(after.html).toContain("使用飞书登录");
    expect(after.html).not.toContain(spec.title);
  });

  it("sends helmet headers with a CSP that allows only the console's own scripts", async () => {
    const res = await fetch(`${t.bot.url}/console/`);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    expect(html).toContain('<script src="/console/static/console.js"');
  });
});

describe("console permissions (DESIGN.md §5)", () => {
  it("a member sees their unit's numbers and only their own rows; another unit's URL is refused", async () => {
    const c = await as("wang_chen"); // member of hr
    const progress = await c.get(`/console/c/${KEY}`);
    expect(progress.res.status).toBe(200);
    expect(progress.html).toContain('data-key="hr"');
    expect(progress.html).not.toContain('data-key="office"');
    const own = await c.get(`/console/c/${KEY}/units/hr`);
    expect(own.res.status).toBe(200);
    expect(own.html).toContain("王晨");
    expect(own.html).not.toContain("郑海燕"); // the head's own assignments are not the member's
    for (const url of [`/console/c/${KEY}/units/office`, `/console/c/${KEY}/ledger?unit=office`]) {
      const other = await c.get(url);
      expect(other.res.status, url).toBe(403);
      expect(other.html).toContain("您无权查看此页面");
    }
    // No downloads and no admin actions for a member.
    expect((await c.get(`/console/c/${KEY}/export/ledger`)).res.status).toBe(403);
    expect((await c.get(`/console/c/${KEY}/do/end`)).res.status).toBe(403);
  });

  it("a head sees their unit, a leader the units in their charge, an admin everything", async () => {
    const head = await as("zheng_haiyan");
    expect((await head.get(`/console/c/${KEY}/units/hr`)).res.status).toBe(200);
    expect((await head.get(`/console/c/${KEY}/units/finance`)).res.status).toBe(403);
    const leader = await as("deputy_wu");
    const lp = await leader.get(`/console/c/${KEY}`);
    for (const u of ["legal", "arts", "tourism"]) expect(lp.html).toContain(`data-key="${u}"`);
    expect(lp.html).not.toContain('data-key="hr"');
    expect((await leader.get(`/console/c/${KEY}/units/hr`)).res.status).toBe(403);
    const admin = await as("li_xinran");
    const ap = await admin.get(`/console/c/${KEY}`);
    for (const u of spec.units) expect(ap.html).toContain(`data-key="${u.key}"`);
  });

  it("pages are in the person's language: English for someone whose locale is en", async () => {
    await t.bot.models.Person.updateOne({ campaignKey: KEY, key: "he_jing" }, { $set: { locale: "en" } });
    const c = await as("he_jing");
    const { html } = await c.get(`/console/c/${KEY}`);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain("Due within 3 working days");
    expect(html).not.toContain("已填报");
  });

  it("a person outside the campaign is refused its pages", async () => {
    t.emu.addUser({ open_id: "ou_outsider", name: "外人" });
    const c = await signIn(t, "ou_outsider");
    expect((await c.get("/console/")).html).toContain("您不在任何活动的名单中");
    expect((await c.get(`/console/c/${KEY}`)).res.status).toBe(403);
  });
});

describe("console pages and actions", () => {
  it("the progress page's counts are the database's", async () => {
    const c = await as("li_xinran");
    const { html } = await c.get(`/console/c/${KEY}`);
    const total = await t.bot.models.Assignment.countDocuments({ campaignKey: KEY, withdrawn: false });
    const done = await t.bot.models.Assignment.countDocuments({
      campaignKey: KEY,
      withdrawn: false,
      state: "submitted",
    });
    expect(html).toContain(`<div class="num" id="answered">${done} / ${total}</div>`);
    const hr = await t.bot.models.Assignment.countDocuments({
      campaignKey: KEY,
      unitKey: "hr",
      withdrawn: false,
    });
    expect(html).toMatch(new RegExp(`data-key="hr"[\\s\\S]*?data-col="answered">0 / ${hr}<`));
  });

  it("a POST without the CSRF token is refused with a reason and changes nothing", async () => {
    const admin = await as("li_xinran");
    const forged = await admin.post(`/console/c/${KEY}/do/end`, {});
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("CSRF");
    // Another session's token is no better.
    const other = await as("sun_zhiqiang");
    const otherToken = ConsoleClient.csrfOf((await other.get("/console/")).html);
    expect((await admin.post(`/console/c/${KEY}/do/end`, { _csrf: otherToken })).status).toBe(403);
    expect((await t.bot.models.Campaign.findOne({ key: KEY }).lean())!.status).toBe("active");
  });

  it("an admin's confirmed broadcast is queued; a member's post of the same form is refused", async () => {
    const member = await as("wang_chen");
    const mToken = ConsoleClient.csrfOf((await member.get("/console/")).html);
    expect((await member.post(`/console/c/${KEY}/do/broadcast`, { _csrf: mToken })).status).toBe(403);
    const admin = await as("li_xinran");
    const confirm = await admin.get(`/console/c/${KEY}/do/broadcast`);
    expect(confirm.html).toContain("立即发送进度通报");
    const done = await admin.post(`/console/c/${KEY}/do/broadcast`, {
      _csrf: ConsoleClient.csrfOf(confirm.html),
    });
    expect(done.status).toBe(303);
    const next = await admin.get(done.headers.get("location")!);
    expect(next.html).toContain("进度通报已排队");
  });

  it("an admin imports a campaign file: checked, previewed, imported on 确认导入; a forged upload is refused", async () => {
    const admin = await as("li_xinran");
    const form = await admin.get("/console/import");
    const token = ConsoleClient.csrfOf(form.html);
    const yaml = (await readFile("examples/bureau.yaml", "utf8")).replace(
      /^key: .*$/m,
      "key: console-import-ok",
    );
    const upload = (fields: Record<string, string>) => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.set(k, v);
      fd.set("file", new Blob([yaml], { type: "application/yaml" }), "bureau-copy.yaml");
      return admin.fetch("/console/import", { method: "POST", body: fd });
    };
    const forged = await upload({});
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("CSRF");
    const checked = await upload({ _csrf: token });
    const preview = await checked.text();
    expect(checked.status).toBe(200);
    expect(preview).toContain("console-import-ok");
    expect(await t.bot.models.Campaign.countDocuments({ key: "console-import-ok" })).toBe(0);
    const id = /name="upload" value="([0-9a-f]+)"/.exec(preview)![1];
    const done = await admin.post("/console/import/confirm", { _csrf: token, upload: id });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toContain("/console/c/console-import-ok");
    expect(await t.bot.models.Unit.countDocuments({ campaignKey: "console-import-ok" })).toBe(
      spec.units.length,
    );
    // The held upload is used up: confirming twice imports nothing more and says so.
    expect((await admin.post("/console/import/confirm", { _csrf: token, upload: id })).status).toBe(410);
    // A member may not import at all.
    const member = await as("wang_chen");
    expect((await member.get("/console/import")).res.status).toBe(403);
  });

  it("before any campaign names them, the app's owner (or ADMIN_OPEN_IDS) may import, as in chat", async () => {
    // The emulator's app owner is its first demo user (no ADMIN_OPEN_IDS in the test bot): no campaign
    // names them, yet they may bring in the first one, from the console as from chat.
    const owner = DEMO_USERS[0];
    t.emu.addUser(owner);
    expect(await t.bot.models.Person.exists({ openId: owner.open_id })).toBeNull();
    const c = await signIn(t, owner.open_id);
    const home = await c.get("/console/");
    expect(home.html).toContain("/console/import");
    expect((await c.get("/console/import")).res.status).toBe(200);
    // Someone else in Feishu who is neither is refused.
    const other = "ou_5b1f0c3e9d2a4f6b8c7d1e0f2a3b4c5d";
    t.emu.addUser({ open_id: other, name: "路人甲" });
    const o = await signIn(t, other);
    expect((await o.get("/console/")).html).not.toContain("/console/import");
    expect((await o.get("/console/import")).res.status).toBe(403);
  });

  it("疑似敷衍: reviewers see flagged answers of their units with the evidence; a member is refused", async () => {
    const m = t.bot.models;
    const a = await m.Assignment.findOne({ campaignKey: KEY, state: "pending", unitKey: "office" }).lean();
    await m.Response.create({
      campaignKey: KEY,
      assignmentId: a!._id,
      version: 1,
      conclusion: "compliant",
      narrative: "进一步加强，认真落实。",
      problems: [],
      byKey: a!.assigneeKey,
      flags: [
        { kind: "short", chars: 10, min: 40 },
        { kind: "stock", share: 0.8, phrases: ["进一步加强", "认真落实"] },
      ],
      flaggedAt: new Date(),
    });
    await m.Assignment.updateOne({ _id: a!._id }, { $set: { state: "submitted", responseVersion: 1 } });
    const admin = await as("li_xinran");
    const page = await admin.get(`/console/c/${KEY}/suspects`);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain("此事项至少 40 字");
    expect(page.html).toContain("进一步加强、认真落实");
    const item = spec.checklist.sections.flatMap((x) => x.items).find((i) => i.key === a!.itemKey)!;
    expect(page.html).toContain(item.title);
    // A member has no such tab and is refused the page.
    const member = await as("wang_chen");
    expect((await member.get(`/console/c/${KEY}`)).html).not.toContain("/suspects");
    expect((await member.get(`/console/c/${KEY}/suspects`)).res.status).toBe(403);
  });

  it("导出台账 downloads a real xlsx, scoped to the person's units", async () => {
    const head = await as("zheng_haiyan");
    const res = await head.fetch(`/console/c/${KEY}/export/ledger`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(".xlsx");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe("PK");
    const report = await head.fetch(`/console/c/${KEY}/export/report`);
    expect(report.status).toBe(200);
    expect(
      Buffer.from(await report.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe("PK");
  });
});
