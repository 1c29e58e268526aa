import type { TestBot } from "./bot";

/**
 * A browser-less console client: a cookie jar, and sign-in through the emulator's Feishu login exactly
 * as a browser would follow it (console → authorize page → pick a person → callback with the code).
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const full = url.startsWith("http") ? url : `${this.base}${url}`;
    const sameHost = full.startsWith(this.base);
    const res = await fetch(full, {
      ...init,
      redirect: "manual",
      headers: {
        ...(sameHost && this.cookies.size ? { cookie: this.cookieHeader() } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
    if (sameHost) this.keep(res);
    return res;
  }

  async get(url: string) {
    const res = await this.fetch(url);
    return { res, html: await res.text() };
  }

  /** A form POST (urlencoded), as the page's form would send it. */
  async post(url: string, fields: Record<string, string>) {
    return this.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** The CSRF token a page's forms carry. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error("no CSRF token on the page");
    return m[1];
  }
}

/** Sign in as the emulator user with this open_id; returns the client holding the session cookie. */
export function signIn(t: TestBot, openId: string): Promise<ConsoleClient> {
  return signInAt(t.bot.url, openId);
}

/** The same against any running bot (bench/console.ts). */
export async function signInAt(botUrl: string, openId: string): Promise<ConsoleClient> {
  const c = new ConsoleClient(botUrl);
  const start = await c.fetch("/console/login");
  const authorize = new URL(start.headers.get("location")!);
  const pick = new URL(`${authorize.origin}${authorize.pathname}/pick`);
  for (const [k, v] of authorize.searchParams) pick.searchParams.set(k, v);
  pick.searchParams.set("open_id", openId);
  const picked = await fetch(pick, { redirect: "manual" });
  if (picked.status !== 302) throw new Error(`login pick answered ${picked.status}: ${await picked.text()}`);
  const back = await c.fetch(picked.headers.get("location")!);
  if (back.status !== 302) throw new Error(`console callback answered ${back.status}: ${await back.text()}`);
  return c;
}
