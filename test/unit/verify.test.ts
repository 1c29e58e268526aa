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
    expect(verifyInbound(raw, {}, opts)).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses a wrong signature", () => {
    const { raw, headers } = signed(event());
    const v = verifyInbound(raw, { ...headers, "x-lark-signature": "0".repeat(64) }, opts);
    expect(v).toEqual({ ok: false, status: 401, reason: "bad signature" });
  });

  it("refuses a body changed after signing", () => {
    const { headers } = signed(event());
    const other = signed(event("card.action.trigger")).raw;
    expect(verifyInbound(other, headers, opts)).toMatchObject({ ok: false, reason: "bad signature" });
  });

  it("refuses missing signature headers", () => {
    const { raw } = signed(event());
    expect(verifyInbound(raw, {}, opts)).toEqual({
      ok: false,
      status: 401,
      reason: "signature headers missing",
    });
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

  it("refuses an undecryptable body", () => {
    const raw = Buffer.from(JSON.stringify({ encrypt: Buffer.from("x".repeat(48)).toString("base64") }));
    expect(verifyInbound(raw, {}, opts)).toEqual({
      ok: false,
      status: 400,
      reason: "body cannot be decrypted",
    });
    const wrongKey = Buffer.from(
      JSON.stringify({ encrypt: encryptBody("other-key", JSON.stringify(event())) }),
    );
    expect(verifyInbound(wrongKey, {}, opts)).toMatchObject({ ok: false, status: 400 });
  });

  it("refuses plain bodies when an encrypt key is configured, and non-JSON", () => {
    expect(verifyInbound(Buffer.from(JSON.stringify(event())), {}, opts)).toMatchObject({
      ok: false,
      reason: "body is not encrypted",
    });
    expect(verifyInbound(Buffer.from("not json"), {}, opts)).toMatchObject({
      ok: false,
      status: 400,
      reason: "body is not JSON",
    });
  });

  it("refuses a wrong verification token inside a signed event", () => {
    const { raw, headers } = signed(event("im.message.receive_v1", "forged"));
    expect(verifyInbound(raw, headers, opts)).toMatchObject({ ok: false, reason: "bad verification token" });
  });

  it("without an encrypt key, refuses everything unless the insecure flag is set", () => {
    const plain = Buffer.from(JSON.stringify(event()));
    const noKey = { ...opts, encryptKey: undefined };
    expect(verifyInbound(plain, {}, noKey)).toMatchObject({ ok: false, status: 403 });
    expect(verifyInbound(plain, {}, { ...noKey, insecureNoEncryption: true })).toMatchObject({
      ok: true,
      kind: "event",
    });
  });
});
