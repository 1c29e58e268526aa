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
  /** `reason` is for the server's log only: the caller answers every refusal with `REJECTED`. */
  | { ok: false; reason: string };

/**
 * The one answer to every refused request, whatever the reason: a distinguishable answer ("cannot be
 * decrypted" vs "not JSON") would make the decryption a padding oracle.
 */
export const REJECTED = { status: 401, body: JSON.stringify({ error: "unauthorized" }) } as const;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const refuse = (reason: string): Verified => ({ ok: false, reason });

/**
 * Everything that must hold before any handler runs, in this order: the signature on the raw bytes
 * (timestamp window, constant-time compare), then decryption of what is signed, then the verification
 * token and the event shape. An unsigned body is decrypted only to answer a `url_verification`
 * challenge, and nothing else from it is ever answered. Pure: no I/O.
 */
export function verifyInbound(
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  o: VerifyOptions,
): Verified {
  if (!o.encryptKey) return verifyPlain(rawBody, o);
  const ts = header(headers, "x-lark-request-timestamp");
  const nonce = header(headers, "x-lark-request-nonce");
  const sig = header(headers, "x-lark-signature");
  const signed = ts !== undefined || nonce !== undefined || sig !== undefined;
  if (signed) {
    if (!ts || !nonce || !sig) return refuse("signature headers incomplete");
    if (!/^\d{1,13}$/.test(ts)) return refuse("bad timestamp");
    if (Math.abs(o.now() / 1000 - Number(ts)) > o.windowSeconds) return refuse("stale timestamp");
    if (!safeEqualHex(signBody(ts, nonce, o.encryptKey, rawBody), sig.toLowerCase()))
      return refuse("bad signature");
  }
  const outer = parseObject(rawBody.toString("utf8"));
  if (!outer) return refuse("body is not a JSON object");
  if (typeof outer.encrypt !== "string") return refuse("body is not encrypted");
  let plain: string;
  try {
    plain = decryptBody(o.encryptKey, outer.encrypt);
  } catch {
    return refuse("body cannot be decrypted");
  }
  const payload = parseObject(plain);
  if (!payload) return refuse("decrypted body is not a JSON object");
  if (payload.type === "url_verification") return challenge(payload, o);
  // Unsigned: the challenge above is the one thing answered.
  if (!signed) return refuse("signature headers missing");
  return event(payload, o);
}

/** Development only (an explicit flag): plain JSON bodies, no signature (Feishu signs with the Encrypt Key). */
function verifyPlain(rawBody: Buffer, o: VerifyOptions): Verified {
  if (!o.insecureNoEncryption) return refuse("encrypt key not configured");
  const payload = parseObject(rawBody.toString("utf8"));
  if (!payload) return refuse("body is not a JSON object");
  if (typeof payload.encrypt === "string") return refuse("encrypted body but no encrypt key configured");
  if (payload.type === "url_verification") return challenge(payload, o);
  return event(payload, o);
}

function event(payload: Record<string, unknown>, o: VerifyOptions): Verified {
  const hdr = isRecord(payload.header) ? payload.header : undefined;
  const token = hdr?.token ?? payload.token;
  if (o.verificationToken && token !== o.verificationToken) return refuse("bad verification token");
  if (!hdr || typeof hdr.event_id !== "string" || typeof hdr.event_type !== "string")
    return refuse("not a schema 2.0 event");
  return { ok: true, kind: "event", payload };
}

function challenge(payload: Record<string, unknown>, o: VerifyOptions): Verified {
  if (o.verificationToken && payload.token !== o.verificationToken) return refuse("bad verification token");
  if (typeof payload.challenge !== "string") return refuse("challenge missing");
  return { ok: true, kind: "challenge", challenge: payload.challenge };
}
