/**
 * The Feishu emulator driven by the real @larksuiteoapi/node-sdk over HTTP, and its event
 * delivery checked by an independent receiver (node:crypto signature check and decryption).
 */
import { createDecipheriv, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as lark from "@larksuiteoapi/node-sdk";
import Ajv2020 from "ajv/dist/2020";
import express from "express";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FeishuEmulator } from "../src/index";

const APP = { appId: "cli_emulator_itest", appSecret: "emulator-itest-secret" };
const ENCRYPT_KEY = "itest-encrypt-key";
const VERIFICATION_TOKEN = "itest-verification-token";
const SAMPLES = new URL("./fixtures/feishu/samples/", import.meta.url);

type Obj = Record<string, unknown>;

function sample(file: string): Obj {
  return JSON.parse(readFileSync(new URL(file, SAMPLES), "utf8")) as Obj;
}

interface Manifest {
  file: string;
  expect: string;
}
const manifest = JSON.parse(readFileSync(new URL("manifest.json", SAMPLES), "utf8")) as Manifest[];

let now = Date.UTC(2025, 6, 1, 2, 0, 0);
const emu = new FeishuEmulator({ ...APP, now: () => now });
let client: lark.Client;

// The SDK logs every non-2xx answer; these tests provoke many on purpose.
const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
};

/** A client with its own token cache (the SDK's default cache is shared per process and appId). */
function newClient(domain = emu.url): lark.Client {
  return new lark.Client({
    appId: APP.appId,
    appSecret: APP.appSecret,
    domain,
    cache: new lark.DefaultCache(),
    logger: quiet,
    loggerLevel: lark.LoggerLevel.error,
  });
}

interface ApiFailure {
  status: number;
  data: Obj;
  headers: Record<string, string>;
}

/** The HTTP answer of a call the SDK rejected (non-2xx → AxiosError). */
async function failure(p: Promise<unknown>): Promise<ApiFailure> {
  try {
    await p;
  } catch (err) {
    const r = (err as { response?: { status: number; data: Obj; headers: Record<string, string> } }).response;
    if (r) return { status: r.status, data: r.data, headers: r.headers };
    throw err;
  }
  throw new Error("expected the call to fail");
}

const card = (text: string, extra: Obj = {}): Obj => ({
  schema: "2.0",
  config: { update_multi: true },
  header: { title: { tag: "plain_text", content: "自查" }, template: "blue" },
  body: { elements: [{ tag: "markdown", content: text }] },
  ...extra,
});

function sendCard(
  receiveId: string,
  c: unknown,
  o: { type?: "open_id" | "email" | "chat_id"; uuid?: string } = {},
) {
  return client.im.message.create({
    params: { receive_id_type: o.type ?? "open_id" },
    data: {
      receive_id: receiveId,
      msg_type: "interactive",
      content: JSON.stringify(c),
      ...(o.uuid ? { uuid: o.uuid } : {}),
    },
  });
}

function sendText(receiveId: string, text: string, type: "open_id" | "chat_id" | "email" = "open_id") {
  return client.im.message.create({
    params: { receive_id_type: type },
    data: { receive_id: receiveId, msg_type: "text", content: JSON.stringify({ text }) },
  });
}

// ------------------------------------------------------------------ a receiver written independently of the emulator

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Obj;
}

const received: Received[] = [];
let answer: (body: Obj) => { status?: number; json?: unknown; delayMs?: number } = () => ({ json: {} });
let receiver: http.Server;
let receiverUrl = "";

function decrypt(encrypt: string): string {
  const key = createHash("sha256").update(ENCRYPT_KEY).digest();
  const buf = Buffer.from(encrypt, "base64");
  const decipher = createDecipheriv("aes-256-cbc", key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString("utf8");
}

function startReceiver(): Promise<void> {
  const app = express();
  app.post("/feishu/events", express.text({ type: "*/*" }), (req, res) => {
    const raw = String(req.body);
    const ts = String(req.headers["x-lark-request-timestamp"] ?? "");
    const nonce = String(req.headers["x-lark-request-nonce"] ?? "");
    const expected = createHash("sha256")
      .update(ts + nonce + ENCRYPT_KEY + raw)
      .digest("hex");
    if (req.headers["x-lark-signature"] !== expected) {
      res.status(401).json({ error: "bad signature" });
      return;
    }
    const outer = JSON.parse(raw) as { encrypt?: string };
    if (typeof outer.encrypt !== "string") {
      res.status(400).json({ error: "not encrypted" });
      return;
    }
    const body = JSON.parse(decrypt(outer.encrypt)) as Obj;
    received.push({ headers: req.headers, raw, body });
    const token = body.type === "url_verification" ? body.token : (body.header as Obj | undefined)?.token;
    if (token !== VERIFICATION_TOKEN) {
      res.status(403).json({ error: "bad verification token" });
      return;
    }
    if (body.type === "url_verification") {
      res.json({ challenge: body.challenge });
      return;
    }
    const a = answer(body);
    setTimeout(() => {
      if (!res.writableEnded) res.status(a.status ?? 200).json(a.json ?? {});
    }, a.delayMs ?? 0);
  });
  receiver = http.createServer(app);
  return new Promise((resolve) => {
    receiver.listen(0, "127.0.0.1", () => {
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/feishu/events`;
      resolve();
    });
  });
}

// ------------------------------------------------------------------ envelope schemas (the shape of the documented samples)

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const s = { type: "string" };
const idBlock = {
  type: "object",
  additionalProperties: false,
  properties: { union_id: s, user_id: s, open_id: s },
};
const header = (eventType: string) => ({
  type: "object",
  additionalProperties: false,
  required: ["event_id", "event_type", "create_time", "token", "app_id", "tenant_key"],
  properties: {
    event_id: s,
    event_type: { const: eventType },
    create_time: { type: "string", pattern: "^[0-9]+$" },
    token: { const: VERIFICATION_TOKEN },
    app_id: { const: APP.appId },
    tenant_key: s,
  },
});
const messageEventSchema = ajv.compile({
  type: "object",
  additionalProperties: false,
  required: ["schema", "header", "event"],
  properties: {
    schema: { const: "2.0" },
    header: header("im.message.receive_v1"),
    event: {
      type: "object",
      additionalProperties: false,
      required: ["sender", "message"],
      properties: {
        sender: {
          type: "object",
          additionalProperties: false,
          required: ["sender_id", "sender_type"],
          properties: { sender_id: idBlock, sender_type: s, tenant_key: s },
        },
        message: {
          type: "object",
          additionalProperties: false,
          required: ["message_id", "create_time", "chat_id", "chat_type", "message_type", "content"],
          properties: {
            message_id: s,
            root_id: s,
            parent_id: s,
            create_time: s,
            update_time: s,
            chat_id: s,
            thread_id: s,
            chat_type: { enum: ["p2p", "group"] },
            message_type: s,
            content: s,
            user_agent: s,
            mentions: {
              type: "array",
              items: {
                type: "object",
                additionalProperties: false,
                required: ["key", "id", "name"],
                properties: { key: s, id: idBlock, name: s, tenant_key: s },
              },
            },
          },
        },
      },
    },
  },
});
const callbackSchema = ajv.compile({
  type: "object",
  additionalProperties: false,
  required: ["schema", "header", "event"],
  properties: {
    schema: { const: "2.0" },
    header: header("card.action.trigger"),
    event: {
      type: "object",
      additionalProperties: false,
      required: ["operator", "token", "action", "context"],
      properties: {
        operator: {
          type: "object",
          additionalProperties: false,
          required: ["open_id"],
          properties: { tenant_key: s, user_id: s, open_id: s, union_id: s },
        },
        token: s,
        host: s,
        action: {
          type: "object",
          additionalProperties: false,
          required: ["tag"],
          properties: {
            value: { type: "object" },
            tag: s,
            timezone: s,
            name: s,
            form_value: { type: "object" },
            input_value: s,
            option: s,
            options: { type: "array", items: s },
            checked: { type: "boolean" },
          },
        },
        context: {
          type: "object",
          additionalProperties: false,
          required: ["open_message_id", "open_chat_id"],
          properties: { open_message_id: s, open_chat_id: s },
        },
      },
    },
  },
});

/** Every key path of a JSON value (arrays collapse to []). */
function keyPaths(v: unknown, prefix = ""): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(v)) {
    for (const item of v) for (const p of keyPaths(item, `${prefix}[]`)) out.add(p);
  } else if (v !== null && typeof v === "object") {
    for (const [k, child] of Object.entries(v)) {
      const p = `${prefix}.${k}`;
      // free-form payloads: the values the bot chose, not Feishu's envelope
      if (k === "value" || k === "form_value") {
        out.add(p);
        continue;
      }
      out.add(p);
      for (const q of keyPaths(child, p)) out.add(q);
    }
  }
  return out;
}

// ------------------------------------------------------------------ setup

beforeAll(async () => {
  await emu.start();
  client = newClient();
  emu.addUser({
    open_id: "ou_alice",
    union_id: "on_alice",
    user_id: "alice",
    name: "Alice",
    email: "alice@example.com",
    mobile: "+8613800000001",
  });
  emu.addUser({ open_id: "ou_bob", name: "Bob", email: "Bob@Example.com", mobile: "13800000002" });
  emu.addUser({ open_id: "ou_out", name: "Outsider", email: "out@example.com", outOfScope: true });
  emu.addUser({ open_id: "ou_gone", name: "Gone", email: "gone@example.com", departed: true });
  for (let i = 0; i < 60; i++) emu.addUser({ open_id: `ou_u${i}`, name: `User ${i}` });
  emu.addChat({
    chat_id: "oc_team",
    name: "安全自查群",
    members: ["ou_alice", "ou_bob", "ou_u0", "ou_u1", "ou_u2", "ou_u3", "ou_u4"],
    botIsMember: true,
  });
  emu.addChat({ chat_id: "oc_nobot", name: "No bot", members: ["ou_alice"], botIsMember: false });
  await startReceiver();
  emu.configureDelivery({ url: receiverUrl, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN });
});

afterAll(async () => {
  await emu.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

beforeEach(() => {
  // move past every rate-limit window between tests (the tenant token lives 2 h on this clock)
  now += 61_000;
  answer = () => ({ json: {} });
});

// ------------------------------------------------------------------ tests

describe("auth", () => {
  it("issues a tenant token and refuses a wrong secret", async () => {
    const post = (body: Obj) =>
      fetch(`${emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const good = await post({ app_id: APP.appId, app_secret: APP.appSecret });
    const goodBody = (await good.json()) as Obj;
    expect(goodBody).toMatchObject({ code: 0, msg: "ok", expire: expect.any(Number) });
    expect(String(goodBody.tenant_access_token)).toMatch(/^t-/);
    const bad = await post({ app_id: APP.appId, app_secret: "nope" });
    expect(await bad.json()).toMatchObject({ code: 10014, msg: "app secret invalid" });
  });

  it("refuses calls without a token", async () => {
    const r = await fetch(`${emu.url}/open-apis/im/v1/chats/oc_team`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as Obj).code).toBe(99991661);
  });

  it("answers 99991663 once tokens are expired (the SDK does not refetch by itself)", async () => {
    const c = newClient();
    await sendText("ou_alice", "before");
    await c.im.message.create({
      params: { receive_id_type: "open_id" },
      data: { receive_id: "ou_bob", msg_type: "text", content: '{"text":"x"}' },
    });
    emu.expireTokens();
    const f = await failure(
      c.im.message.create({
        params: { receive_id_type: "open_id" },
        data: { receive_id: "ou_bob", msg_type: "text", content: '{"text":"y"}' },
      }),
    );
    expect(f.status).toBe(400);
    expect(f.data.code).toBe(99991663);
    // a client with a fresh token cache gets a new token and works again
    client = newClient();
    await expect(sendText("ou_alice", "after")).resolves.toMatchObject({ code: 0 });
  });
});

describe("im.message create", () => {
  it("stores a valid card with its receiver and records the call", async () => {
    emu.reset();
    const c = sample("valid-02-form-rectification.json");
    const r = await sendCard("ou_alice", c);
    expect(r.code).toBe(0);
    const id = r.data?.message_id as string;
    expect(id).toMatch(/^om_/);
    expect(r.data).toMatchObject({ msg_type: "interactive", chat_id: emu.p2pChatId("ou_alice") });
    const [m] = emu.messagesTo("ou_alice");
    expect(m).toMatchObject({
      message_id: id,
      receive_id_type: "open_id",
      receive_id: "ou_alice",
      open_id: "ou_alice",
      msg_type: "interactive",
      patchCount: 0,
    });
    expect(m.card).toEqual(c);
    expect(emu.message(id)?.content).toBe(JSON.stringify(c));
    // email receivers resolve to the user's open_id
    await sendText("bob@example.com", "hi", "email");
    expect(emu.messagesTo("ou_bob").map((x) => x.text)).toEqual(["hi"]);
    expect(emu.messagesTo("Bob@Example.com")).toHaveLength(1);
    const call = emu.calls.find((x) => x.method === "POST" && x.path === "/open-apis/im/v1/messages");
    expect(call).toMatchObject({
      status: 200,
      query: { receive_id_type: "open_id" },
      body: { receive_id: "ou_alice", msg_type: "interactive" },
    });
    expect((call?.response as Obj).code).toBe(0);
  });

  it("refuses every invalid sample card with 230099 and stores nothing", async () => {
    emu.reset();
    const invalid = manifest.filter((m) => m.expect === "invalid");
    expect(invalid.length).toBe(28);
    for (const m of invalid) {
      const f = await failure(sendCard("ou_alice", sample(m.file)));
      expect([m.file, f.status, f.data.code]).toEqual([m.file, 400, 230099]);
      expect(String(f.data.msg)).toMatch(/^Failed to create card content, ext=ErrCode: \d+; ErrMsg: /);
    }
    expect(emu.messages()).toHaveLength(0);
  });

  it("refuses a 31 KB card with 230025", async () => {
    const f = await failure(sendCard("ou_alice", card("x".repeat(31 * 1024))));
    expect(f.data.code).toBe(230025);
  });

  it("needs receive_id_type and receive_id (99992402 field validation)", async () => {
    const noType = await failure(
      client.im.message.create({
        params: {} as { receive_id_type: "open_id" },
        data: { receive_id: "ou_alice", msg_type: "text", content: '{"text":"x"}' },
      }),
    );
    expect(noType.data).toMatchObject({
      code: 99992402,
      msg: "field validation failed",
      error: { field_violations: [{ field: "receive_id_type" }] },
    });
    const noId = await failure(
      client.im.message.create({
        params: { receive_id_type: "open_id" },
        data: { receive_id: "", msg_type: "text", content: '{"text":"x"}' },
      }),
    );
    expect(noId.data).toMatchObject({
      code: 99992402,
      error: { field_violations: [{ field: "receive_id" }] },
    });
    const badType = await failure(
      client.im.message.create({
        params: { receive_id_type: "open_id" },
        data: { receive_id: "ou_alice", msg_type: "bogus", content: "{}" },
      }),
    );
    expect(badType.data.code).toBe(99992402);
    const notJson = await failure(
      client.im.message.create({
        params: { receive_id_type: "open_id" },
        data: { receive_id: "ou_alice", msg_type: "text", content: "not json" },
      }),
    );
    expect(notJson.data.code).toBe(230001);
  });

  it("refuses unknown, out-of-scope and departed users, and chats without the bot", async () => {
    expect((await failure(sendText("ou_nobody", "x"))).data).toMatchObject({
      code: 99992361,
      msg: "open_id cross app",
    });
    expect((await failure(sendText("nobody@example.com", "x", "email"))).data.code).toBe(230034);
    expect((await failure(sendText("ou_out", "x"))).data).toMatchObject({
      code: 230013,
      msg: "Bot has NO availability to this user.",
    });
    expect((await failure(sendText("ou_gone", "x"))).data).toMatchObject({
      code: 230029,
      msg: "User has resigned.",
    });
    expect((await failure(sendText("oc_nobot", "x", "chat_id"))).data).toMatchObject({
      code: 230002,
      msg: "Bot/User can NOT be out of the chat.",
    });
    expect((await sendText("oc_team", "into the group", "chat_id")).code).toBe(0);
    expect(emu.messagesTo("oc_team").at(-1)).toMatchObject({ chat_type: "group", text: "into the group" });
  });

  it("answers a repeated uuid with the original message (one message)", async () => {
    emu.reset();
    const a = await sendCard("ou_bob", card("one"), { uuid: "uuid-123" });
    const b = await sendCard("ou_bob", card("two"), { uuid: "uuid-123" });
    expect(b.code).toBe(0);
    expect(b.data?.message_id).toBe(a.data?.message_id);
    expect(emu.messagesTo("ou_bob")).toHaveLength(1);
    now += 3_600_000; // an hour later the uuid may be used again
    emu.expireTokens();
    client = newClient();
    const c = await sendCard("ou_bob", card("three"), { uuid: "uuid-123" });
    expect(c.data?.message_id).not.toBe(a.data?.message_id);
    expect(emu.messagesTo("ou_bob")).toHaveLength(2);
  });

  it("refuses the 6th message to one receiver within a second (230020)", async () => {
    emu.reset();
    for (let i = 0; i < 5; i++) expect((await sendText("ou_alice", `m${i}`)).code).toBe(0);
    const f = await failure(sendText("ou_alice", "m5"));
    expect(f.status).toBe(400);
    expect(f.data).toMatchObject({ code: 230020, msg: "This operation triggers the frequency limit." });
    expect(Number(f.headers["x-ogw-ratelimit-reset"])).toBeGreaterThanOrEqual(1);
    // another receiver is not affected; the same one is fine a second later
    expect((await sendText("ou_bob", "other")).code).toBe(0);
    now += 1000;
    expect((await sendText("ou_alice", "m6")).code).toBe(0);
    expect(emu.messagesTo("ou_alice")).toHaveLength(6);
    expect(emu.calls.filter((c) => c.status === 400 && (c.response as Obj).code === 230020)).toHaveLength(1);
  });

  it("answers the 51st call in a second with HTTP 429 and frees the window after the reset", async () => {
    emu.reset();
    for (let i = 0; i < 50; i++) expect((await sendText(`ou_u${i}`, "hello")).code).toBe(0);
    const f = await failure(sendText("ou_u50", "hello"));
    expect(f.status).toBe(429);
    expect(f.data).toMatchObject({ code: 99991400, msg: "request trigger frequency limit" });
    expect(f.headers["x-ogw-ratelimit-limit"]).toBe("50");
    const reset = Number(f.headers["x-ogw-ratelimit-reset"]);
    expect(reset).toBe(1);
    expect(emu.messages()).toHaveLength(50);
    now += reset * 1000;
    expect((await sendText("ou_u50", "hello")).code).toBe(0);
    expect(emu.calls.filter((c) => c.status === 429)).toHaveLength(1);
  });

  it("applies the 1000/min app limit too", async () => {
    emu.reset();
    emu.setLimits({ appPerSecond: 10_000, perReceiverPerSecond: 10_000, appPerMinute: 20 });
    try {
      for (let i = 0; i < 20; i++) {
        now += 100;
        await sendText("ou_u1", `m${i}`);
      }
      const f = await failure(sendText("ou_u1", "over"));
      expect(f.status).toBe(429);
      expect(f.headers["x-ogw-ratelimit-limit"]).toBe("20");
      expect(Number(f.headers["x-ogw-ratelimit-reset"])).toBe(59); // the first call leaves the window 58.1 s from now
    } finally {
      emu.setLimits({ appPerSecond: 50, perReceiverPerSecond: 5, appPerMinute: 1000 });
    }
  });

  it("honours failNext", async () => {
    emu.failNext(
      1,
      { status: 500, code: 1234, msg: "boom", headers: { "x-test": "1" } },
      { path: /\/im\/v1\/messages$/ },
    );
    const f = await failure(sendText("ou_alice", "x"));
    expect([f.status, f.data.code, f.headers["x-test"]]).toEqual([500, 1234, "1"]);
    expect((await sendText("ou_alice", "y")).code).toBe(0);
  });
});

describe("reply and patch", () => {
  it("replies to a bot message and to a user's message", async () => {
    emu.reset();
    const parent = await sendCard("ou_alice", card("parent"));
    const pid = parent.data?.message_id as string;
    const r = await client.im.message.reply({
      path: { message_id: pid },
      data: { msg_type: "text", content: JSON.stringify({ text: "child" }) },
    });
    expect(r.data).toMatchObject({ root_id: pid, parent_id: pid, chat_id: emu.p2pChatId("ou_alice") });
    expect(emu.message(r.data?.message_id as string)).toMatchObject({
      kind: "reply",
      open_id: "ou_alice",
      receive_id: "ou_alice",
      text: "child",
    });

    const d = await emu.sendUserMessage({
      from: "ou_bob",
      chatId: "oc_team",
      chatType: "group",
      text: "@_user_1 进度",
      mentions: [{ key: "@_user_1", open_id: emu.botOpenId, name: emu.botName }],
    });
    expect(d.status).toBe(200);
    const body = received.at(-1)?.body as { event: { message: { message_id: string } } };
    const rr = await client.im.message.reply({
      path: { message_id: body.event.message.message_id },
      data: { msg_type: "interactive", content: JSON.stringify(card("to the group")), reply_in_thread: true },
    });
    expect(rr.data?.thread_id).toMatch(/^omt_/);
    expect(emu.messagesTo("oc_team").at(-1)).toMatchObject({
      chat_type: "group",
      parent_id: body.event.message.message_id,
      reply_in_thread: true,
    });
    expect(
      (
        await failure(
          client.im.message.reply({
            path: { message_id: "om_missing" },
            data: { msg_type: "text", content: '{"text":"x"}' },
          }),
        )
      ).data.code,
    ).toBe(230001);
  });

  it("patches a card, refuses the 6th patch in a second (230020) and patches after 14 days (230031)", async () => {
    emu.reset();
    const sent = await sendCard("ou_bob", card("v0"));
    const id = sent.data?.message_id as string;
    const patch = (text: string) =>
      client.im.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card(text)) } });
    for (let i = 1; i <= 5; i++) expect((await patch(`v${i}`)).code).toBe(0);
    const f = await failure(patch("v6"));
    expect(f.data.code).toBe(230020);
    expect(emu.message(id)).toMatchObject({ patchCount: 5, card: card("v5") });
    now += 1000;
    expect((await patch("v6")).code).toBe(0);
    // a bad card leaves the message as it was
    expect(
      (
        await failure(
          client.im.message.patch({
            path: { message_id: id },
            data: { content: JSON.stringify(sample("invalid-12-note-component.json")) },
          }),
        )
      ).data.code,
    ).toBe(230099);
    expect(emu.message(id)?.card).toEqual(card("v6"));
    emu.ageMessage(id, 14 * 86_400_000 + 1);
    const old = await failure(patch("late"));
    expect(old.data).toMatchObject({
      code: 230031,
      msg: "Message can only be modified within 14 days after sending.",
    });
    const text = await sendText("ou_bob", "plain");
    expect(
      (
        await failure(
          client.im.message.patch({
            path: { message_id: text.data?.message_id as string },
            data: { content: JSON.stringify(card("x")) },
          }),
        )
      ).data.code,
    ).toBe(230054);
  });
});

describe("directory", () => {
  it("resolves emails and mobiles with batchGetId and reports unknown ones", async () => {
    const r = await client.contact.user.batchGetId({
      params: { user_id_type: "open_id" },
      data: {
        emails: ["alice@example.com", "nobody@example.com", "gone@example.com"],
        mobiles: ["13800000001", "+8613800000002", "+8613899999999"],
      },
    });
    expect(r.data?.user_list).toEqual([
      { user_id: "ou_alice", email: "alice@example.com" },
      { email: "nobody@example.com" },
      { email: "gone@example.com" },
      { user_id: "ou_alice", mobile: "13800000001" },
      { user_id: "ou_bob", mobile: "+8613800000002" },
      { mobile: "+8613899999999" },
    ]);
    const resigned = await client.contact.user.batchGetId({
      data: { emails: ["gone@example.com"], include_resigned: true },
    });
    expect(resigned.data?.user_list?.[0]).toMatchObject({
      user_id: "ou_gone",
      status: { is_resigned: true },
    });
    const tooMany = await failure(
      client.contact.user.batchGetId({
        data: { emails: Array.from({ length: 51 }, (_, i) => `u${i}@x.com`) },
      }),
    );
    expect(tooMany.data.code).toBe(99992402);
    const u = await client.contact.user.get({
      path: { user_id: "ou_alice" },
      params: { user_id_type: "open_id" },
    });
    expect(u.data?.user).toMatchObject({
      open_id: "ou_alice",
      name: "Alice",
      email: "alice@example.com",
      mobile: "+8613800000001",
    });
  });

  it("pages chat members", async () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await client.im.chatMembers.get({
        path: { chat_id: "oc_team" },
        params: { member_id_type: "open_id", page_size: 3, ...(pageToken ? { page_token: pageToken } : {}) },
      });
      pages++;
      expect(r.data?.member_total).toBe(7);
      seen.push(...(r.data?.items ?? []).map((i) => i.member_id as string));
      if (!r.data?.has_more) break;
      pageToken = r.data.page_token;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(["ou_alice", "ou_bob", "ou_u0", "ou_u1", "ou_u2", "ou_u3", "ou_u4"]);
    const chat = await client.im.chat.get({ path: { chat_id: "oc_team" } });
    expect(chat.data?.name).toBe("安全自查群");
    expect((await failure(client.im.chatMembers.get({ path: { chat_id: "oc_nobot" } }))).data.code).toBe(
      232011,
    );
  });

  it("uploads a file and sends it", async () => {
    const bytes = Buffer.from("检查报告\n".repeat(100));
    const r = await client.im.file.create({
      data: { file_type: "stream", file_name: "report.txt", file: bytes },
    });
    const key = r?.file_key as string;
    expect(key).toMatch(/^file_/);
    expect(emu.file(key)).toMatchObject({ file_type: "stream", file_name: "report.txt" });
    expect(emu.file(key)?.bytes.equals(bytes)).toBe(true);
    const m = await client.im.message.create({
      params: { receive_id_type: "open_id" },
      data: { receive_id: "ou_alice", msg_type: "file", content: JSON.stringify({ file_key: key }) },
    });
    expect(m.code).toBe(0);
  });

  it("serves the bot's own info (GET /open-apis/bot/v3/info), with a token only", async () => {
    const r = (await client.request({ method: "GET", url: "/open-apis/bot/v3/info" })) as Obj;
    expect(r).toMatchObject({
      code: 0,
      bot: { open_id: emu.botOpenId, app_name: emu.botName, activate_status: 2, ip_white_list: [] },
    });
    const anon = await fetch(`${emu.url}/open-apis/bot/v3/info`);
    expect([anon.status, ((await anon.json()) as Obj).code]).toEqual([400, 99991661]);
  });

  it("answers 404 for endpoints it does not emulate", async () => {
    const f = await failure(client.request({ method: "GET", url: "/open-apis/im/v1/nothing/here" }));
    expect(f.status).toBe(404);
  });
});

describe("event and callback delivery", () => {
  it("answers URL verification", async () => {
    const d = await emu.urlVerification();
    expect(d.status).toBe(200);
    expect(d.error).toBeUndefined();
    expect(received.at(-1)?.body).toMatchObject({ type: "url_verification", token: VERIFICATION_TOKEN });
  });

  it("delivers im.message.receive_v1 signed, encrypted and shaped like the sample; redeliver keeps event_id", async () => {
    received.length = 0;
    const d = await emu.sendUserMessage({
      from: "ou_alice",
      chatId: "oc_team",
      chatType: "group",
      text: "@_user_1 /checklist start warehouse-b",
      mentions: [{ key: "@_user_1", open_id: emu.botOpenId, name: emu.botName }],
    });
    expect(d).toMatchObject({ status: 200, body: {} });
    expect(d.ms).toBeGreaterThan(0);
    const first = received[0];
    expect(messageEventSchema(first.body) ? "ok" : JSON.stringify(messageEventSchema.errors)).toBe("ok");
    const ev = first.body as { header: Obj; event: { message: Obj; sender: Obj } };
    expect(ev.header.event_id).toBe(d.eventId);
    expect(JSON.parse(ev.event.message.content as string)).toEqual({
      text: "@_user_1 /checklist start warehouse-b",
    });
    expect(ev.event.message).toMatchObject({ chat_id: "oc_team", chat_type: "group", message_type: "text" });
    expect(ev.event.sender).toMatchObject({
      sender_id: { open_id: "ou_alice", union_id: "on_alice", user_id: "alice" },
      sender_type: "user",
    });
    // no key the documented sample lacks
    const sampleKeys = keyPaths(sample("event-im.message.receive_v1.json"));
    expect([...keyPaths(first.body)].filter((k) => !sampleKeys.has(k))).toEqual([]);

    const again = await emu.redeliver(d.eventId);
    expect(again.status).toBe(200);
    const second = received[1];
    expect((second.body.header as Obj).event_id).toBe(d.eventId);
    expect(second.headers["x-lark-request-nonce"]).not.toBe(first.headers["x-lark-request-nonce"]);
    expect(second.raw).not.toBe(first.raw); // fresh IV
    expect(
      emu
        .deliveries()
        .filter((x) => x.eventId === d.eventId)
        .map((x) => x.redelivery),
    ).toEqual([false, true]);

    const p2p = await emu.sendUserMessage({ from: "ou_bob", text: "帮助" });
    expect(p2p.status).toBe(200);
    expect((received.at(-1)?.body.event as { message: Obj }).message).toMatchObject({
      chat_type: "p2p",
      chat_id: emu.p2pChatId("ou_bob"),
    });
  });

  it("sends group messages with the bot @mentioned by default, or without (mentionBot: false)", async () => {
    received.length = 0;
    await emu.sendUserMessage({ from: "ou_alice", chatId: "oc_team", chatType: "group", text: "进度" });
    await emu.sendUserMessage({
      from: "ou_alice",
      chatId: "oc_team",
      chatType: "group",
      text: "大家好",
      mentionBot: false,
    });
    const [asked, chatter] = received.map((x) => (x.body as { event: { message: Obj } }).event.message);
    expect(JSON.parse(asked.content as string)).toEqual({ text: "@_user_1 进度" });
    expect(asked.mentions).toMatchObject([
      { key: "@_user_1", id: { open_id: emu.botOpenId }, name: emu.botName },
    ]);
    expect(JSON.parse(chatter.content as string)).toEqual({ text: "大家好" });
    expect(chatter.mentions).toBeUndefined();
  });

  it("delivers card.action.trigger and applies the card in the answer", async () => {
    emu.reset();
    const sent = await sendCard("ou_alice", sample("valid-02-form-rectification.json"));
    const id = sent.data?.message_id as string;
    const newCard = card("已提交，谢谢");
    answer = () => ({
      json: { toast: { type: "success", content: "已提交" }, card: { type: "raw", data: newCard } },
    });
    const d = await emu.clickCard({
      operator: "ou_alice",
      messageId: id,
      value: { action: "submit_rectification", finding_id: "R-0042" },
      name: "btn_submit",
      formValue: { rectify_desc: "done", severity: "high" },
    });
    expect(d).toMatchObject({
      status: 200,
      toast: { type: "success", content: "已提交" },
      cardUpdated: true,
    });
    expect(d.error).toBeUndefined();
    const cb = received.at(-1)?.body as Obj;
    expect(callbackSchema(cb) ? "ok" : JSON.stringify(callbackSchema.errors)).toBe("ok");
    expect(cb).toMatchObject({
      header: { event_type: "card.action.trigger", event_id: d.eventId },
      event: {
        operator: { open_id: "ou_alice" },
        token: expect.stringMatching(/^c-/),
        action: {
          tag: "button",
          name: "btn_submit",
          value: { finding_id: "R-0042" },
          form_value: { severity: "high" },
        },
        context: { open_message_id: id, open_chat_id: emu.p2pChatId("ou_alice") },
      },
    });
    const sampleKeys = keyPaths(sample("callback-card.action.trigger.json"));
    expect([...keyPaths(cb)].filter((k) => !sampleKeys.has(k))).toEqual([]);
    expect(emu.message(id)).toMatchObject({ card: newCard, updates: [{ via: "callback" }] });
  });

  it("keeps the card when the answer's card is invalid, or when the bot is too slow", async () => {
    emu.reset();
    const sent = await sendCard("ou_bob", card("original"));
    const id = sent.data?.message_id as string;
    answer = () => ({ json: { card: { type: "raw", data: sample("invalid-11-action-module.json") } } });
    const bad = await emu.clickCard({ operator: "ou_bob", messageId: id, value: { a: 1 } });
    expect(bad.status).toBe(200);
    expect(bad.error).toMatch(/230099/);
    expect(bad.cardUpdated).toBeUndefined();
    expect(emu.message(id)?.card).toEqual(card("original"));

    const quick = new FeishuEmulator({ ...APP, now: () => now, deliveryTimeoutMs: 200 });
    await quick.start();
    try {
      quick.addUser({ open_id: "ou_bob", name: "Bob" });
      quick.configureDelivery({
        url: receiverUrl,
        encryptKey: ENCRYPT_KEY,
        verificationToken: VERIFICATION_TOKEN,
      });
      const qc = newClient(quick.url);
      const r = await qc.im.message.create({
        params: { receive_id_type: "open_id" },
        data: { receive_id: "ou_bob", msg_type: "interactive", content: JSON.stringify(card("slow")) },
      });
      const qid = r.data?.message_id as string;
      answer = () => ({ delayMs: 600, json: { card: { type: "raw", data: card("too late") } } });
      const slow = await quick.clickCard({ operator: "ou_bob", messageId: qid, value: {} });
      expect(slow.status).toBe(0);
      expect(slow.error).toMatch(/no answer within 200 ms/);
      expect(quick.message(qid)?.card).toEqual(card("slow"));
    } finally {
      await quick.close();
    }
  });

  it("accepts two delayed updates with a callback token, then refuses", async () => {
    emu.reset();
    const sent = await sendCard("ou_alice", card("start"));
    const id = sent.data?.message_id as string;
    const d = await emu.clickCard({
      operator: "ou_alice",
      messageId: id,
      tag: "checker",
      checked: true,
      value: { item: "exits" },
    });
    expect(d.status).toBe(200);
    const token = (received.at(-1)?.body as { event: { token: string } }).event.token;
    const update = (text: string) =>
      client.request({
        method: "POST",
        url: "/open-apis/interactive/v1/card/update",
        data: { token, card: card(text) },
      });
    expect(await update("one")).toMatchObject({ code: 0 });
    expect(await update("two")).toMatchObject({ code: 0 });
    expect((await failure(update("three"))).data.code).toBe(230001);
    expect(emu.message(id)).toMatchObject({
      card: card("two"),
      updates: [{ via: "card_update" }, { via: "card_update" }],
    });
    const invalid = await failure(
      client.request({
        method: "POST",
        url: "/open-apis/interactive/v1/card/update",
        data: { token: "c-unknown", card: card("x") },
      }),
    );
    expect(invalid.data.code).toBe(230001);
  });

  it("delivers im.chat.member.bot.added_v1 and lets the bot into the chat", async () => {
    emu.addChat({ chat_id: "oc_new", name: "New", members: ["ou_alice"], botIsMember: false });
    expect((await failure(sendText("oc_new", "x", "chat_id"))).data.code).toBe(230002);
    const d = await emu.addBotToChat("oc_new", "ou_alice");
    expect(d.status).toBe(200);
    expect(received.at(-1)?.body).toMatchObject({
      header: { event_type: "im.chat.member.bot.added_v1" },
      event: { chat_id: "oc_new", operator_id: { open_id: "ou_alice" } },
    });
    expect((await sendText("oc_new", "hello", "chat_id")).code).toBe(0);
  });

  it("reports a refused signature through deliverRaw", async () => {
    const d = await emu.deliverRaw(
      { schema: "2.0", header: { event_id: "evt_raw" } },
      { headers: { "x-lark-signature": "0".repeat(64) } },
    );
    expect(d.status).toBe(401);
    expect(d.error).toMatch(/HTTP 401/);
  });
});
