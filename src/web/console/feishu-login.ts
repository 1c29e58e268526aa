/**
 * Feishu web app login (FEISHU.md "Web login for a console"): the browser goes to the authorize page on
 * accounts.feishu.cn; the code it brings back is exchanged at /open-apis/authen/v2/oauth/token for a
 * user_access_token, which reads /open-apis/authen/v1/user_info (open_id, name). Plain HTTP, per the docs.
 */
export interface LoginApp {
  appId: string;
  appSecret: string;
  /** "feishu", "lark" or a base URL (the emulator serves all three endpoints itself). */
  domain: string;
}

export class LoginError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = "LoginError";
  }
}

function hosts(domain: string): { accounts: string; open: string } {
  if (domain === "feishu") return { accounts: "https://accounts.feishu.cn", open: "https://open.feishu.cn" };
  if (domain === "lark")
    return { accounts: "https://accounts.larksuite.com", open: "https://open.larksuite.com" };
  const base = domain.replace(/\/$/, "");
  return { accounts: base, open: base };
}

export function authorizeUrl(app: LoginApp, redirectUri: string, state: string): string {
  const u = new URL(`${hosts(app.domain).accounts}/open-apis/authen/v1/authorize`);
  u.searchParams.set("client_id", app.appId);
  u.searchParams.set("redirect_uri", redirectUri);
  u.searchParams.set("state", state);
  return u.toString();
}

async function json(res: Response): Promise<Record<string, unknown>> {
  try {
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** code → user_access_token → the signed-in person. Any refusal is a LoginError naming Feishu's code. */
export async function signInWithCode(
  app: LoginApp,
  code: string,
  redirectUri: string,
): Promise<{ openId: string; name: string }> {
  const { open } = hosts(app.domain);
  const tokenRes = await fetch(`${open}/open-apis/authen/v2/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({
      grant_type: "authorization_code",
      client_id: app.appId,
      client_secret: app.appSecret,
      code,
      redirect_uri: redirectUri,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const t = await json(tokenRes);
  if (!tokenRes.ok || t.code !== 0 || typeof t.access_token !== "string")
    throw new LoginError(
      `token exchange refused: ${String(t.error_description ?? t.msg ?? tokenRes.status)}`,
      typeof t.code === "number" ? t.code : undefined,
    );
  const infoRes = await fetch(`${open}/open-apis/authen/v1/user_info`, {
    headers: { authorization: `Bearer ${t.access_token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const info = await json(infoRes);
  const data = (info.data ?? {}) as Record<string, unknown>;
  if (!infoRes.ok || info.code !== 0 || typeof data.open_id !== "string")
    throw new LoginError(
      `user_info refused: ${String(info.msg ?? infoRes.status)}`,
      typeof info.code === "number" ? info.code : undefined,
    );
  return { openId: data.open_id, name: typeof data.name === "string" ? data.name : data.open_id };
}
