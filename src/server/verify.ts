import { decryptBody, safeEqualHex, signBody } from "./feishu-crypto";

export interface VerifyOptions {
  encryptKey?: string;
  verificationToken?: string;
  /** Explicit development flag: accept plain, unsigned bodies when no Encrypt Key is set. */
  insecureNoEncryption: boolean;
  windowSeconds: number;
  now: () => number;
}

export type Verified =
  | { ok: true; kind: "challenge"; challenge: string }
  | { ok: true; kind: "event"; payload: Record<string, unknown> }
  | { ok: false; status: 400 | 401 | 403; reason: string };

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Everything that must hold before any handler runs: parse, challenge, signature on the raw body with a
 * timestamp window and a constant-time compare, decryption, verification token. Pure: no I/O.
 */
export function verifyInbound(
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  o: VerifyOptions,
): Verified {
  let outer: unknown;
  try {
    outer = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return { ok: false, status: 400, reason: "body is not JSON" };
  }
  if (!isRecord(outer)) return { ok: false, status: 400, reason: "body is not a JSON object" };

  let payload: Record<string, unknown>;
  if (o.encryptKey) {
    if (typeof outer.encrypt !== "string") return { ok: false, status: 400, reason: "body is not encrypted" };
    let plain: string;
    try {
      plain = decryptBody(o.encryptKey, outer.encrypt);
    } catch {
      return { ok: false, status: 400, reason: "body cannot be decrypted" };
    }
    try {
      const p: unknown = JSON.parse(plain);
      if (!isRecord(p)) return { ok: false, status: 400, reason: "decrypted body is not a JSON object" };
      payload = p;
    } catch {
      return { ok: false, status: 400, reason: "decrypted body is not JSON" };
    }
    // The URL-verification request is not signed; being able to decrypt it proves the key.
    if (payload.type === "url_verification") return challenge(payload, o);
    const ts = header(headers, "x-lark-request-timestamp");
    const nonce = header(headers, "x-lark-request-nonce");
    const sig = header(headers, "x-lark-signature");
    if (!ts || !nonce || !sig) return { ok: false, status: 401, reason: "signature headers missing" };
    const tsNum = Number(ts);
    if (!/^\d{1,13}$/.test(ts) || !Number.isFinite(tsNum))
      return { ok: false, status: 401, reason: "bad timestamp" };
    if (Math.abs(o.now() / 1000 - tsNum) > o.windowSeconds)
      return { ok: false, status: 401, reason: "stale timestamp" };
    if (!safeEqualHex(signBody(ts, nonce, o.encryptKey, rawBody), sig.toLowerCase())) {
      return { ok: false, status: 401, reason: "bad signature" };
    }
  } else {
    if (!o.insecureNoEncryption) return { ok: false, status: 403, reason: "encrypt key not configured" };
    if (typeof outer.encrypt === "string")
      return { ok: false, status: 400, reason: "encrypted body but no encrypt key configured" };
    payload = outer;
    if (payload.type === "url_verification") return challenge(payload, o);
  }

  const hdr = isRecord(payload.header) ? payload.header : undefined;
  const token = hdr?.token ?? payload.token;
  if (o.verificationToken && token !== o.verificationToken)
    return { ok: false, status: 401, reason: "bad verification token" };
  if (!hdr || typeof hdr.event_id !== "string" || typeof hdr.event_type !== "string") {
    return { ok: false, status: 400, reason: "not a schema 2.0 event" };
  }
  return { ok: true, kind: "event", payload };
}

function challenge(payload: Record<string, unknown>, o: VerifyOptions): Verified {
  if (o.verificationToken && payload.token !== o.verificationToken)
    return { ok: false, status: 401, reason: "bad verification token" };
  if (typeof payload.challenge !== "string") return { ok: false, status: 400, reason: "challenge missing" };
  return { ok: true, kind: "challenge", challenge: payload.challenge };
}
