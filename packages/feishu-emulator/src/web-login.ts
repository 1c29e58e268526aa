/**
 * Web app login (网页应用登录), for a console signing people in with Feishu:
 * `GET /open-apis/authen/v1/authorize` (a login page of the emulator's own, listing its users: click one),
 * `POST /open-apis/authen/v2/oauth/token` (code → user_access_token) and `GET /open-apis/authen/v1/user_info`
 * (Bearer user_access_token → the person). Mounted before the tenant-token check: these take no tenant token.
 */
import express, { type Request, type Response } from "express";
import { randomHex } from "./crypto";
import { asObj, str } from "./shared";
import type { EmulatorState } from "./state";
import type { EmulatorUser } from "./types";

export const AUTHORIZE_PATH = "/open-apis/authen/v1/authorize";
export const OAUTH_TOKEN_PATH = "/open-apis/authen/v2/oauth/token";
export const USER_INFO_PATH = "/open-apis/authen/v1/user_info";

/** A login code lives 5 minutes and is good once (Feishu's rule). */
const CODE_TTL_MS = 5 * 60_000;
const USER_TOKEN_TTL_S = 7200;

interface LoginCode {
  openId: string;
  redirectUri: string;
  issuedAt: number;
  used: boolean;
}

interface LoginState {
  codes: Map<string, LoginCode>;
  tokens: Map<string, { openId: string; expiresAt: number }>;
}

const states = new WeakMap<EmulatorState, LoginState>();
function loginState(s: EmulatorState): LoginState {
  let l = states.get(s);
  if (!l) states.set(s, (l = { codes: new Map(), tokens: new Map() }));
  return l;
}

const esc = (v: string) =>
  v.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type("html")
    .send(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${esc(title)}</title>` +
        `<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:560px;margin:40px auto;color:#1f2329}` +
        `a.user{display:block;padding:12px 16px;margin:8px 0;border:1px solid #dee0e3;border-radius:8px;text-decoration:none;color:#1f2329}` +
        `a.user:hover{background:#f0f4ff}.note{color:#646a73;font-size:14px}.err{color:#d83931}</style></head>` +
        `<body>${body}</body></html>`,
    );
}

/** The redirect URI is checked against the app's registered ones (security settings), when set. */
function redirectAllowed(s: EmulatorState, uri: string): boolean {
  const list = s.opts.webLoginRedirectUris;
  if (!/^https?:\/\//.test(uri)) return false;
  return !list || list.includes(uri);
}

function authorizeProblem(s: EmulatorState, q: Record<string, unknown>): string | undefined {
  const clientId = str(q.client_id) ?? str(q.app_id);
  if (clientId !== s.opts.appId) return "20005 client_id 无效 / invalid client_id";
  if (!redirectAllowed(s, str(q.redirect_uri) ?? ""))
    return "20029 redirect_uri 请求不合法（未在应用的安全设置中登记） / redirect_uri not registered for this app";
  return undefined;
}

export function mountWebLogin(s: EmulatorState, app: express.Express): void {
  const l = loginState(s);

  app.get(AUTHORIZE_PATH, (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const problem = authorizeProblem(s, q);
    if (problem)
      return page(
        res,
        400,
        "授权失败",
        `<h1>授权失败 / Authorization failed</h1><p class="err">${esc(problem)}</p>`,
      );
    const redirectUri = str(q.redirect_uri)!;
    const stateParam = str(q.state) ?? "";
    const users = [...s.users.values()].filter((u) => !u.departed);
    const link = (u: EmulatorUser) => {
      const p = new URLSearchParams({
        client_id: s.opts.appId,
        redirect_uri: redirectUri,
        state: stateParam,
      });
      p.set("open_id", u.open_id);
      return (
        `<a class="user" href="${AUTHORIZE_PATH}/pick?${esc(p.toString())}" data-open-id="${esc(u.open_id)}">` +
        `<b>${esc(u.name)}</b> <span class="note">${esc(u.email ?? u.open_id)}</span></a>`
      );
    };
    page(
      res,
      200,
      "飞书登录（模拟）",
      `<h1>使用飞书登录 / Sign in with Feishu</h1><p class="note">本地模拟器：选择一个人登录 ${esc(s.botName)}。` +
        ` / Local emulator: pick a person to sign in as.</p>` +
        (users.length
          ? users.map(link).join("")
          : `<p class="err">模拟器里还没有用户 / no users in the emulator</p>`),
    );
  });

  app.get(`${AUTHORIZE_PATH}/pick`, (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const problem = authorizeProblem(s, q);
    if (problem)
      return page(
        res,
        400,
        "授权失败",
        `<h1>授权失败 / Authorization failed</h1><p class="err">${esc(problem)}</p>`,
      );
    const user = s.users.get(str(q.open_id) ?? "");
    if (!user || user.departed)
      return page(
        res,
        400,
        "授权失败",
        `<h1>授权失败 / Authorization failed</h1><p class="err">20008 用户不存在 / no such user</p>`,
      );
    if (user.outOfScope)
      return page(
        res,
        403,
        "无权限",
        `<h1>无权限 / No access</h1><p class="err">20010 用户不在应用的可用范围内 / the user is outside the app's availability</p>`,
      );
    const code = randomHex(16);
    const redirectUri = str(q.redirect_uri)!;
    l.codes.set(code, { openId: user.open_id, redirectUri, issuedAt: s.clock(), used: false });
    const to = new URL(redirectUri);
    to.searchParams.set("code", code);
    if (str(q.state)) to.searchParams.set("state", str(q.state)!);
    res.redirect(302, to.toString());
  });

  const oauthFail = (
    req: Request,
    res: Response,
    status: number,
    code: number,
    error: string,
    description: string,
  ) => s.reply(req, res, status, { code, error, error_description: description });

  app.post(OAUTH_TOKEN_PATH, (req: Request, res: Response) => {
    const b = asObj(req.body);
    if (b.grant_type !== "authorization_code")
      return oauthFail(
        req,
        res,
        400,
        20001,
        "unsupported_grant_type",
        "grant_type must be authorization_code",
      );
    if (b.client_id !== s.opts.appId || b.client_secret !== s.opts.appSecret)
      return oauthFail(req, res, 400, 20002, "invalid_client", "client_id or client_secret is invalid");
    const code = l.codes.get(str(b.code) ?? "");
    if (!code) return oauthFail(req, res, 400, 20003, "invalid_grant", "the authorization code is not found");
    if (code.used)
      return oauthFail(req, res, 400, 20003, "invalid_grant", "the authorization code has been used");
    if (s.clock() - code.issuedAt >= CODE_TTL_MS)
      return oauthFail(req, res, 400, 20004, "invalid_grant", "the authorization code has expired");
    if (b.redirect_uri !== undefined && b.redirect_uri !== code.redirectUri)
      return oauthFail(
        req,
        res,
        400,
        20071,
        "invalid_grant",
        "redirect_uri does not match the authorize request",
      );
    code.used = true;
    const token = `u-${randomHex(20)}`;
    l.tokens.set(token, { openId: code.openId, expiresAt: s.clock() + USER_TOKEN_TTL_S * 1000 });
    s.reply(req, res, 200, {
      code: 0,
      access_token: token,
      expires_in: USER_TOKEN_TTL_S,
      refresh_token: `ur-${randomHex(20)}`,
      refresh_token_expires_in: 30 * 86_400,
      token_type: "Bearer",
      scope: "",
    });
  });

  app.get(USER_INFO_PATH, (req: Request, res: Response) => {
    const h = req.headers.authorization ?? "";
    const t = l.tokens.get(h.replace(/^Bearer\s+/i, "").trim());
    if (!t || s.clock() >= t.expiresAt)
      return s.fail(req, res, {
        status: 401,
        code: 99991668,
        msg: "Invalid access token for authorization. Please make a request with token attached.",
      });
    const u = s.users.get(t.openId);
    if (!u) return s.fail(req, res, { status: 400, code: 20008, msg: "user not exist" });
    s.ok(req, res, {
      name: u.name,
      en_name: u.name,
      avatar_url: "",
      open_id: u.open_id,
      union_id: u.union_id ?? `on_${u.open_id.slice(3)}`,
      ...(u.user_id ? { user_id: u.user_id } : {}),
      ...(u.email ? { email: u.email, enterprise_email: u.email } : {}),
      tenant_key: s.tenantKey,
    });
  });
}
