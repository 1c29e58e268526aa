import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import type { Redis } from "ioredis";

/**
 * Console sessions: a random id in a signed, httpOnly, SameSite=Lax cookie; the record (who, their CSRF
 * token) in Redis with an expiry, so logout and expiry are server-side. Every state-changing request
 * carries the session's CSRF token (a synchronizer token) in a form field or the `x-csrf-token` header.
 */
export interface Session {
  id: string;
  openId: string;
  name: string;
  csrf: string;
  at: number;
}

export const SESSION_COOKIE = "rb_console";
export const LOGIN_COOKIE = "rb_console_login";
export const SESSION_TTL_S = 8 * 3600;
const LOGIN_TTL_MS = 10 * 60_000;

const token = () => randomBytes(24).toString("base64url");

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly secure: boolean,
  ) {}

  private key(id: string) {
    return `${this.prefix}:console:session:${id}`;
  }

  private cookieOpts(maxAgeMs: number) {
    return {
      signed: true,
      httpOnly: true,
      sameSite: "lax" as const,
      secure: this.secure,
      path: "/console",
      maxAge: maxAgeMs,
    };
  }

  async create(res: Response, who: { openId: string; name: string }, now: number): Promise<Session> {
    const s: Session = { id: token(), openId: who.openId, name: who.name, csrf: token(), at: now };
    await this.redis.set(this.key(s.id), JSON.stringify(s), "EX", SESSION_TTL_S);
    res.cookie(SESSION_COOKIE, s.id, this.cookieOpts(SESSION_TTL_S * 1000));
    return s;
  }

  /** The session of this request, or undefined (no cookie, a forged or expired one). */
  async load(req: Request): Promise<Session | undefined> {
    const id: unknown = (req.signedCookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
    if (typeof id !== "string" || !id) return undefined;
    const raw = await this.redis.get(this.key(id));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as Session;
    } catch {
      return undefined;
    }
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const s = await this.load(req);
    if (s) await this.redis.del(this.key(s.id));
    res.clearCookie(SESSION_COOKIE, { path: "/console" });
  }

  /** The OAuth `state`, bound to this browser by a short-lived signed cookie (with where to go after). */
  beginLogin(res: Response, next: string): string {
    const state = token();
    res.cookie(LOGIN_COOKIE, JSON.stringify({ state, next }), this.cookieOpts(LOGIN_TTL_MS));
    return state;
  }

  /** The login begun in this browser, if `state` is its state; the cookie is used up either way. */
  finishLogin(req: Request, res: Response, state: unknown): { next: string } | undefined {
    const raw: unknown = (req.signedCookies as Record<string, unknown> | undefined)?.[LOGIN_COOKIE];
    res.clearCookie(LOGIN_COOKIE, { path: "/console" });
    if (typeof raw !== "string" || typeof state !== "string") return undefined;
    try {
      const v = JSON.parse(raw) as { state?: string; next?: string };
      if (!v.state || !sameToken(v.state, state)) return undefined;
      return { next: safeNext(v.next) };
    } catch {
      return undefined;
    }
  }
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Only a path inside the console: never an open redirect. */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/console(\/[\w\-./%?=&]*)?$/.test(next) && !next.includes("//")
    ? next
    : "/console";
}
