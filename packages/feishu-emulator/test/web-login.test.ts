import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeishuEmulator } from "../src/index";

/** Web app login: the authorize page, code → user_access_token, user_info, and every refusal. */
const APP = { appId: "cli_web_login", appSecret: "web-login-secret" };
const CALLBACK = "http://127.0.0.1:9/console/callback";
let now = Date.parse("2026-12-02T02:00:00Z");
const emu = new FeishuEmulator({ ...APP, now: () => now, webLoginRedirectUris: [CALLBACK] });
let base = "";

beforeAll(async () => {
  base = await emu.start();
  emu.addUser({ open_id: "ou_a", name: "张三", email: "zhang@example.gov.cn" });
  emu.addUser({ open_id: "ou_out", name: "李四", outOfScope: true });
});
afterAll(async () => {
  await emu.close();
});

const authorize = (q: Record<string, string>) =>
  fetch(`${base}/open-apis/authen/v1/authorize?${new URLSearchParams(q)}`, { redirect: "manual" });

async function codeFor(openId: string, redirectUri = CALLBACK): Promise<string> {
  const q = new URLSearchParams({
    client_id: APP.appId,
    redirect_uri: redirectUri,
    state: "st1",
    open_id: openId,
  });
  const res = await fetch(`${base}/open-apis/authen/v1/authorize/pick?${q}`, { redirect: "manual" });
  expect(res.status).toBe(302);
  const to = new URL(res.headers.get("location")!);
  expect(to.origin + to.pathname).toBe(redirectUri);
  expect(to.searchParams.get("state")).toBe("st1");
  return to.searchParams.get("code")!;
}

const exchange = (code: string, extra: Record<string, unknown> = {}) =>
  fetch(`${base}/open-apis/authen/v2/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "authorization_code",
      client_id: APP.appId,
      client_secret: APP.appSecret,
      code,
      redirect_uri: CALLBACK,
      ...extra,
    }),
  });

describe("web login", () => {
  it("lists the users on its login page and signs one in: code → token → user_info", async () => {
    const page = await authorize({ client_id: APP.appId, redirect_uri: CALLBACK, state: "st1" });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("张三");
    expect(html).toContain('data-open-id="ou_a"');
    const res = await exchange(await codeFor("ou_a"));
    const body = (await res.json()) as {
      code: number;
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    expect(body).toMatchObject({ code: 0, token_type: "Bearer", expires_in: 7200 });
    const info = await fetch(`${base}/open-apis/authen/v1/user_info`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(await info.json()).toMatchObject({ code: 0, data: { open_id: "ou_a", name: "张三" } });
  });

  it("refuses a redirect_uri not registered (20029) and a wrong client_id", async () => {
    const bad = await authorize({ client_id: APP.appId, redirect_uri: "http://evil.example/cb", state: "x" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("20029");
    const wrongApp = await authorize({ client_id: "cli_other", redirect_uri: CALLBACK, state: "x" });
    expect(wrongApp.status).toBe(400);
  });

  it("a code is good once, for 5 minutes, with the same redirect_uri and the app's secret", async () => {
    const unknown = await exchange("nope");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: 20003, error: "invalid_grant" });

    const once = await codeFor("ou_a");
    expect((await exchange(once)).status).toBe(200);
    const again = await exchange(once);
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error_description: string }).error_description).toContain("used");

    const late = await codeFor("ou_a");
    now += 5 * 60_000;
    expect(await (await exchange(late)).json()).toMatchObject({ code: 20004 });

    const other = await codeFor("ou_a");
    expect(
      await (await exchange(other, { redirect_uri: "http://127.0.0.1:9/elsewhere" })).json(),
    ).toMatchObject({
      code: 20071,
    });
    expect(await (await exchange(await codeFor("ou_a"), { client_secret: "wrong" })).json()).toMatchObject({
      code: 20002,
    });
  });

  it("a user outside the app's availability cannot sign in (20010); a bad token reads nobody", async () => {
    const q = new URLSearchParams({
      client_id: APP.appId,
      redirect_uri: CALLBACK,
      state: "s",
      open_id: "ou_out",
    });
    const res = await fetch(`${base}/open-apis/authen/v1/authorize/pick?${q}`, { redirect: "manual" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("20010");
    const info = await fetch(`${base}/open-apis/authen/v1/user_info`, {
      headers: { authorization: "Bearer u-forged" },
    });
    expect(info.status).toBe(401);
    expect(await info.json()).toMatchObject({ code: 99991668 });
  });
});
