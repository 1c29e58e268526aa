/** Auth: `POST /open-apis/auth/v3/tenant_access_token/internal` and the tenant-token check on every other /open-apis call. */
import { type NextFunction, type Request, type Response } from "express";
import { createHmac, timingSafeEqual } from "node:crypto";
import { Codes } from "./codes";
import { asObj } from "./shared";
import { EmulatorState } from "./state";

const TOKEN_REUSE_MIN_MS = 30 * 60_000;

function signToken(s: EmulatorState, issuedAt: number): string {
  return createHmac("sha256", s.opts.appSecret)
    .update(`${s.opts.appId}|${issuedAt}`)
    .digest("hex")
    .slice(0, 40);
}

/** `t-<issuedAt base36>_<hmac>`: verifiable without state, so a second emulator with the same app accepts it. */
function tokenIssuedAt(s: EmulatorState, token: string): number | undefined {
  const m = /^t-([0-9a-z]+)_([0-9a-f]{40})$/.exec(token);
  if (!m) return undefined;
  const issuedAt = parseInt(m[1], 36);
  const want = Buffer.from(signToken(s, issuedAt));
  const got = Buffer.from(m[2]);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  if (issuedAt <= s.revokedUpTo) return undefined;
  if (s.clock() >= issuedAt + s.tokenTtlMs) return undefined;
  return issuedAt;
}

export function handleToken(s: EmulatorState, req: Request, res: Response): void {
  const body = asObj(req.body);
  if (body.app_id !== s.opts.appId) return s.fail(req, res, Codes.appIdInvalid());
  if (body.app_secret !== s.opts.appSecret) return s.fail(req, res, Codes.appSecretInvalid());
  const now = s.clock();
  const cur = s.currentToken;
  if (
    cur &&
    tokenIssuedAt(s, cur.token) !== undefined &&
    cur.issuedAt + s.tokenTtlMs - now > TOKEN_REUSE_MIN_MS
  ) {
    const expire = Math.floor(Math.min(s.tokenTtlMs, cur.issuedAt + s.tokenTtlMs - now) / 1000);
    return s.reply(req, res, 200, { code: 0, msg: "ok", tenant_access_token: cur.token, expire });
  }
  const issuedAt = Math.max(now, s.lastIssuedAt + 1, Number.isFinite(s.revokedUpTo) ? s.revokedUpTo + 1 : 0);
  s.lastIssuedAt = issuedAt;
  const token = `t-${issuedAt.toString(36)}_${signToken(s, issuedAt)}`;
  s.currentToken = { token, issuedAt };
  const expire = Math.min(s.tokenTtlMs, issuedAt + s.tokenTtlMs - now) / 1000;
  s.reply(req, res, 200, { code: 0, msg: "ok", tenant_access_token: token, expire: Math.floor(expire) });
}

export function authenticate(s: EmulatorState, req: Request, res: Response, next: NextFunction): void {
  const h = req.headers.authorization;
  if (!h || !/^Bearer\s+\S+/i.test(h)) return s.fail(req, res, Codes.missingToken());
  const token = h.replace(/^Bearer\s+/i, "").trim();
  const issuedAt = tokenIssuedAt(s, token);
  if (issuedAt === undefined) return s.fail(req, res, Codes.invalidToken());
  s.lastSeenIssuedAt = Math.max(s.lastSeenIssuedAt, issuedAt);
  next();
}
