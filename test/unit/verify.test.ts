import { describe, expect, it } from "vitest";
import { encryptBody, signBody } from "../../src/server/feishu-crypto";
import { verifyInbound, type VerifyOptions } from "../../src/server/verify";

const KEY = "test-encrypt-key";
const TOKEN = "test-verification-token";
const NOW = 1_780_000_000_000;
const opts: VerifyOptions = {
  encryptKey: KEY,
  verificationToken: TOKEN,
  insecureNoEncryption: false,
  windowSeconds: 300,
  now: () => NOW,
};

function event(eventType = "im.message.receive_v1", token = TOKEN) {
  return {
    schema: "2.0",
    header: {
      event_id: "ev_1",
      event_type: eventType,
      create_time: String(NOW),
      token,
      app_id: "cli_x",
      tenant_key: "t",
    },
    event: {},
  };
}

function signed(payload: unknown, o: { ts?: number; key?: string } = {}) {
  const raw = Buffer.from(JSON.stringify({ encrypt: encryptBody(o.key ?? KEY, JSON.stringify(payload)) }));
  const ts = String(Math.floor((o.ts ?? NOW) / 1000));
  const nonce = "n0nce";
  return {
    raw,
    headers: {
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": nonce,
      "x-lark-signature": signBody(ts, nonce, KEY, raw),
    },
  };
}

describe("verifyInbound", () => {
  it("accepts a well-signed encrypted event", () => {
    const { raw, headers } = signed(event());
    const v = verifyInbound(raw, headers, opts);
    expect(v).toMatchObject({ ok: true, kind: "event" });
    if (v.ok && v.kind === "event") expect((v.payload.header as { event_id: string }).event_id).toBe("ev_1");
  });

  it("answers the URL-verification challenge (encrypted, unsigned)", () => {
    const raw = Buffer.from(
      JSON.stringify({
        encrypt: encryptBody(
          KEY,
          JSON.stringify({ type: "url_verification", challenge: "ch-42", token: TOKEN }),
        ),
      }),
    );
    expect(verifyInbound(raw, {}, opts)).toEqual({ ok: true, kind: "challenge", challenge: "ch-42" });
  });

  it("refuses a challenge with the wrong verification token", () => {
    const raw = Buffer.from(
      JSON.stringify({
        encrypt: encryptBody(
          KEY,
          JSON.stringify({ type: "url_verification", challenge: "c", token: "nope" }),
        ),
      }),
    );
    expect(verifyInbound(raw, {}, opts)).toMatchObject({ ok: false, reason: "bad verification token" });
  });

  it("refuses a wrong signature", () => {
    const { raw, headers } = signed(event());
    const v = verifyInbound(raw, { ...headers, "x-lark-signature": "0".repeat(64) }, opts);
    expect(v).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses a body changed after signing", () => {
    const { headers } = signed(event());
    const other = signed(event("card.action.trigger")).raw;
    expect(verifyInbound(other, headers, opts)).toMatchObject({ ok: false, reason: "bad signature" });
  });

  it("refuses missing signature headers", () => {
    const { raw } = signed(event());
    expect(verifyInbound(raw, {}, opts)).toEqual({ ok: false, reason: "signature headers missing" });
  });

  it("refuses a stale or future timestamp outside the window", () => {
    const stale = signed(event(), { ts: NOW - 301_000 });
    expect(verifyInbound(stale.raw, stale.headers, opts)).toMatchObject({
      ok: false,
      reason: "stale timestamp",
    });
    const future = signed(event(), { ts: NOW + 301_000 });
    expect(verifyInbound(future.raw, future.headers, opts)).toMatchObject({
      ok: false,
      reason: "stale timestamp",
    });
    const edge = signed(event(), { ts: NOW - 299_000 });
    expect(verifyInbound(edge.raw, edge.headers, opts)).toMatchObject({ ok: true });
  });

  it("checks the signature before it decrypts: a signed body that does not decrypt fails as signed", () => {
    // Signed with the right key over a body that is not a ciphertext: refused after the signature passed.
    const raw = Buffer.from(JSON.stringify({ encrypt: Buffer.from("x".repeat(48)).toString("base64") }));
    const ts = String(Math.floor(NOW / 1000));
    const headers = {
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": "n",
      "x-lark-signature": signBody(ts, "n", KEY, raw),
    };
    expect(verifyInbound(raw, headers, opts)).toEqual({ ok: false, reason: "body cannot be decrypted" });
    // The same body with a wrong signature is refused for the signature, never decrypted.
    expect(verifyInbound(raw, { ...headers, "x-lark-signature": "1".repeat(64) }, opts)).toEqual({
      ok: false,
      reason: "bad signature",
    });
  });

  it("answers nothing but the challenge from an unsigned body", () => {
    // A captured, valid encrypted event replayed without its headers: decrypts, but is not answered.
    const { raw } = signed(event());
    expect(verifyInbound(raw, {}, opts)).toEqual({ ok: false, reason: "signature headers missing" });
    // Partial headers count as signed and incomplete, so the challenge exception does not apply.
    const ch = Buffer.from(
      JSON.stringify({
        encrypt: encryptBody(KEY, JSON.stringify({ type: "url_verification", challenge: "c", token: TOKEN })),
      }),
    );
    expect(verifyInbound(ch, { "x-lark-request-nonce": "n" }, opts)).toMatchObject({ ok: false });
  });

  it("refuses plain bodies when an encrypt key is configured, and non-JSON", () => {
    expect(verifyInbound(Buffer.from(JSON.stringify(event())), {}, opts)).toMatchObject({
      ok: false,
      reason: "body is not encrypted",
    });
    expect(verifyInbound(Buffer.from("not json"), {}, opts)).toMatchObject({
      ok: false,
      reason: "body is not a JSON object",
    });
  });

  it("refuses a wrong verification token inside a signed event", () => {
    const { raw, headers } = signed(event("im.message.receive_v1", "forged"));
    expect(verifyInbound(raw, headers, opts)).toMatchObject({ ok: false, reason: "bad verification token" });
  });

  it("without an encrypt key, refuses everything unless the insecure flag is set", () => {
    const plain = Buffer.from(JSON.stringify(event()));
    const noKey = { ...opts, encryptKey: undefined };
    expect(verifyInbound(plain, {}, noKey)).toEqual({ ok: false, reason: "encrypt key not configured" });
    expect(verifyInbound(plain, {}, { ...noKey, insecureNoEncryption: true })).toMatchObject({
      ok: true,
      kind: "event",
    });
  });
});
