import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../handlers/index";
import { encryptBody, signBody } from "../../src/server/feishu-crypto";
import { startTestBot, TEST_APP, type TestBot } from "../helpers/bot";
import { waitFor } from "../helpers/services";

/** The inbound path over real HTTP: verification before any handler, dedup in Redis, the help flow. */
let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
  t.emu.addUser({ open_id: "ou_alice", name: "Alice", email: "alice@example.com" });
});
afterAll(async () => {
  await t?.stop();
});

function envelope(eventId: string, text = "帮助", from = "ou_alice") {
  return {
    schema: "2.0",
    header: {
      event_id: eventId,
      event_type: "im.message.receive_v1",
      create_time: String(Date.now()),
      token: TEST_APP.verificationToken,
      app_id: TEST_APP.appId,
      tenant_key: "tk",
    },
    event: {
      sender: { sender_id: { open_id: from }, sender_type: "user", tenant_key: "tk" },
      message: {
        message_id: `om_${eventId}`,
        create_time: String(Date.now()),
        chat_id: `oc_p2p_${from}`,
        chat_type: "p2p",
        message_type: "text",
        content: JSON.stringify({ text }),
      },
    },
  };
}

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.bot.url}/feishu/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The one answer to every refused request. */
const REFUSED = { status: 401, body: { error: "unauthorized" } };

function signedRequest(payload: unknown, tsSeconds = Math.floor(Date.now() / 1000)) {
  const body = JSON.stringify({ encrypt: encryptBody(TEST_APP.encryptKey, JSON.stringify(payload)) });
  const ts = String(tsSeconds);
  return {
    body,
    headers: {
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": "nonce-1",
      "x-lark-signature": signBody(ts, "nonce-1", TEST_APP.encryptKey, body),
    },
  };
}

/**
 * One request over a fresh TCP connection, written by `write`; resolves with every byte the server sent
 * until it closed, or rejects on a reset.
 */
function rawExchange(write: (socket: net.Socket) => void): Promise<Buffer> {
  const { hostname, port } = new URL(t.bot.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => write(socket));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

function rawPost(body: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const head = [
    "POST /feishu/events HTTP/1.1",
    "host: bot",
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join("\r\n");
  // Not `end()`: a half-closed client makes node drop an answer that is still being worked out.
  return rawExchange((s) => s.write(`${head}\r\n\r\n${body}`));
}

/** Flip one bit of the decoded ciphertext at `at` (negative: from the end). */
function flipBit(encrypt: string, at: number): string {
  const buf = Buffer.from(encrypt, "base64");
  buf[at < 0 ? buf.length + at : at] ^= 0x01;
  return buf.toString("base64");
}

describe("POST /feishu/events", () => {
  it("answers the URL-verification challenge", async () => {
    const d = await t.emu.urlVerification();
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ challenge: expect.any(String) });
  });

  it("rejects a bad signature with 401 and never runs a handler", async () => {
    const { body, headers } = signedRequest(envelope("ev_badsig"));
    const r = await post(body, { ...headers, "x-lark-signature": "f".repeat(64) });
    expect(r).toEqual(REFUSED);
    const r2 = await post(body, {});
    expect(r2).toEqual(REFUSED);
    await new Promise((res) => setTimeout(res, 300));
    expect(t.emu.messagesTo("oc_p2p_ou_alice")).toHaveLength(0);
    expect(await t.bot.redis.exists(`${t.prefix}:event:ev_badsig`)).toBe(0);
  });

  it("rejects a stale timestamp", async () => {
    const { body, headers } = signedRequest(envelope("ev_stale"), Math.floor(Date.now() / 1000) - 600);
    expect(await post(body, headers)).toEqual(REFUSED);
  });

  it("rejects an undecryptable body", async () => {
    const body = JSON.stringify({ encrypt: "bm90IHJlYWxseSBlbmNyeXB0ZWQgYXQgYWxsLCBzb3JyeSE=" });
    const ts = String(Math.floor(Date.now() / 1000));
    const r = await post(body, {
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": "n",
      "x-lark-signature": signBody(ts, "n", TEST_APP.encryptKey, body),
    });
    expect(r).toEqual(REFUSED);
  });

  it("answers every tampered or unsigned ciphertext with the same bytes (no padding oracle)", async () => {
    // A captured callback: the attacker has its ciphertext and its (now useless) signature headers.
    const captured = signedRequest(envelope("ev_captured", "我的待办"));
    const encrypt = (JSON.parse(captured.body) as { encrypt: string }).encrypt;
    const len = Buffer.from(encrypt, "base64").length;
    const bodies: Record<string, string> = {
      "bit flip in the IV": flipBit(encrypt, 0),
      "bit flip in the last block": flipBit(encrypt, -1),
      // The block before the last one drives the last block's padding.
      "invalid padding": flipBit(encrypt, -17),
      "truncated by one block": Buffer.from(encrypt, "base64")
        .subarray(0, len - 16)
        .toString("base64"),
      "truncated mid-block": Buffer.from(encrypt, "base64")
        .subarray(0, len - 5)
        .toString("base64"),
      "bad base64": "%%%not base64%%%",
      "valid padding, not JSON": encryptBody(TEST_APP.encryptKey, "not json at all"),
      "valid padding, JSON array": encryptBody(TEST_APP.encryptKey, "[1,2,3]"),
    };
    const unsignedOriginal = (await rawPost(captured.body)).toString("latin1");
    const answers = new Map<string, string>();
    for (const [what, enc] of Object.entries(bodies)) {
      const body = JSON.stringify({ encrypt: enc });
      answers.set(`${what}, unsigned`, (await rawPost(body)).toString("latin1"));
      answers.set(`${what}, replayed headers`, (await rawPost(body, captured.headers)).toString("latin1"));
    }
    answers.set("not JSON", (await rawPost("{not json")).toString("latin1"));
    answers.set("plain event", (await rawPost(JSON.stringify(envelope("ev_plain")))).toString("latin1"));
    answers.set("the captured body, unsigned", unsignedOriginal);
    const reference = answers.get("bad base64, unsigned") ?? "";
    expect(reference).toMatch(/^HTTP\/1\.1 401 /);
    expect(reference).not.toMatch(/^date:/im);
    for (const [what, answer] of answers) expect({ what, answer }).toEqual({ what, answer: reference });
    await new Promise((res) => setTimeout(res, 300));
    expect(t.emu.messagesTo("oc_p2p_ou_alice")).toHaveLength(0);
  });

  it("answers a body over the size limit with 413 and a reason, not a reset", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const byLength = await rawExchange((s) => {
      s.write(
        "POST /feishu/events HTTP/1.1\r\nhost: bot\r\ncontent-type: application/json\r\n" +
          `content-length: ${big.length}\r\n\r\n`,
      );
      s.write(big);
    });
    expect(byLength.toString("latin1")).toMatch(/^HTTP\/1\.1 413 /);
    expect(byLength.toString("latin1")).toMatch(/connection: close/i);
    expect(byLength.toString("latin1")).toContain('"error":"body too large"');
    const chunked = await rawExchange((s) => {
      s.write(
        "POST /feishu/events HTTP/1.1\r\nhost: bot\r\ncontent-type: application/json\r\n" +
          "transfer-encoding: chunked\r\n\r\n",
      );
      for (let i = 0; i < 48; i++) s.write(`10000\r\n${"b".repeat(0x10000)}\r\n`);
      s.write("0\r\n\r\n");
    });
    expect(chunked.toString("latin1")).toMatch(/^HTTP\/1\.1 413 /);
    expect(chunked.toString("latin1")).toContain('"error":"body too large"');
    // The server still serves the next request.
    expect((await fetch(`${t.bot.url}/healthz`)).status).toBe(200);
  });

  it("accepts and processes payloads with null or missing optional fields and unknown extras", async () => {
    t.emu.reset();
    t.emu.addChat({ chat_id: "oc_fixture_group", name: "演示群", members: ["ou_alice"], botIsMember: true });
    const p2p = t.emu.p2pChatId("ou_alice");
    const load = (name: string) =>
      readFileSync(path.join(__dirname, "../fixtures/feishu/events", name), "utf8")
        .replaceAll("verification_token_xxxxxxxxxxxxxx", TEST_APP.verificationToken)
        .replaceAll("cli_xxxxxxxxxxxxxxxx", TEST_APP.appId)
        .replaceAll("oc_p2p_ou_alice", p2p);
    const deliver = (name: string) => {
      const { body, headers } = signedRequest(JSON.parse(load(name)));
      return post(body, headers);
    };
    // Messages: each is answered with the help card in Alice's p2p chat.
    for (const name of [
      "message-null-optionals.json",
      "message-missing-optionals.json",
      "message-unknown-fields.json",
    ]) {
      const before = t.emu.messagesTo(p2p).length;
      expect({ name, ...(await deliver(name)) }).toEqual({ name, status: 200, body: {} });
      await waitFor(() => t.emu.messagesTo(p2p).length > before, 5000, name);
    }
    // Card callbacks reach their handler with the optional fields absent.
    const seen: Record<string, unknown>[] = [];
    CARD_ACTIONS.fixture_probe = (a) => {
      seen.push({ ...a });
      return Promise.resolve({ toast: { type: "success", content: "收到" } });
    };
    try {
      for (const name of [
        "card-null-optionals.json",
        "card-missing-optionals.json",
        "card-unknown-fields.json",
      ]) {
        expect({ name, ...(await deliver(name)) }).toEqual({
          name,
          status: 200,
          body: { toast: { type: "success", content: "收到" } },
        });
      }
    } finally {
      delete CARD_ACTIONS.fixture_probe;
    }
    expect(seen.map((a) => [a.operatorOpenId, (a.value as { n: number }).n])).toEqual([
      ["ou_alice", 1],
      ["ou_alice", 2],
      ["ou_alice", 3],
    ]);
    // Bot added with a null name: the chat is stored, its name read from the chat API.
    expect(await deliver("bot-added-nulls.json")).toEqual({ status: 200, body: {} });
    expect(await t.bot.models.Chat.findOne({ chatId: "oc_fixture_group" }).lean()).toMatchObject({
      name: "演示群",
      active: true,
    });
    // A missing required field is still a clear 400 that names it, and nothing runs.
    const noOperator = await deliver("invalid-card-missing-operator-open-id.json");
    expect(noOperator.status).toBe(400);
    expect(noOperator.body).toMatchObject({ error: "malformed event" });
    expect(String(noOperator.body.reason)).toMatch(/operator\.open_id/);
    t.emu.reset();
  });

  it("rejects a malformed event with 400 and a reason", async () => {
    const bad = envelope("ev_malformed") as { event: { message?: unknown } };
    delete bad.event.message;
    const { body, headers } = signedRequest(bad);
    const r = await post(body, headers);
    expect(r.status).toBe(400);
    expect(String(r.body.reason)).toMatch(/message/);
  });

  it("answers 帮助 with a help card through the SDK, once, even when the event is redelivered", async () => {
    const d = await t.emu.sendUserMessage({ from: "ou_alice", chatType: "p2p", text: "帮助" });
    expect(d.status).toBe(200);
    const sent = await waitFor(
      () => t.emu.messages().filter((m) => m.msg_type === "interactive").length > 0 && t.emu.messages(),
      5000,
      "help card",
    );
    const cards = sent.filter((m) => m.msg_type === "interactive");
    expect(cards).toHaveLength(1);
    const card = cards[0].card as {
      header: { title: { content: string } };
      body: { elements: { content?: string }[] };
    };
    expect(card.header.title.content).toContain("使用帮助");
    expect(JSON.stringify(card.body)).toContain("我的待办");
    // Redelivered with the same event_id: acknowledged, not processed again.
    const again = await t.emu.redeliver(d.eventId);
    expect(again.status).toBe(200);
    await new Promise((res) => setTimeout(res, 500));
    expect(t.emu.messages().filter((m) => m.msg_type === "interactive")).toHaveLength(1);
  });

  it("in a group, answers only messages that @mention the bot itself, asking the bot info once", async () => {
    t.emu.reset();
    t.emu.addUser({ open_id: "ou_bob", name: "Bob", email: "bob@example.com" });
    t.emu.addChat({
      chat_id: "oc_office",
      name: "办公室群",
      members: ["ou_alice", "ou_bob"],
      botIsMember: true,
    });
    const chatter = await t.emu.sendUserMessage({
      from: "ou_alice",
      chatId: "oc_office",
      chatType: "group",
      text: "大家好，下午三点开会",
      mentionBot: false,
    });
    const toBob = await t.emu.sendUserMessage({
      from: "ou_alice",
      chatId: "oc_office",
      chatType: "group",
      text: "@_user_1 帮助",
      mentions: [{ key: "@_user_1", open_id: "ou_bob", name: "Bob" }],
    });
    expect([chatter.status, toBob.status]).toEqual([200, 200]);
    await new Promise((res) => setTimeout(res, 500));
    expect(t.emu.messagesTo("oc_office")).toHaveLength(0);
    // Addressed to the bot (the emulator puts the bot's @mention first): answered in the group's thread.
    const asked = await t.emu.sendUserMessage({
      from: "ou_bob",
      chatId: "oc_office",
      text: "帮助",
      chatType: "group",
    });
    const sent = await waitFor(
      () => t.emu.messagesTo("oc_office").length > 0 && t.emu.messagesTo("oc_office"),
      5000,
      "group answer",
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: "reply", reply_in_thread: true });
    expect(JSON.stringify(sent[0].card)).toContain("使用帮助");
    expect(asked.status).toBe(200);
    await t.emu.sendUserMessage({ from: "ou_alice", chatId: "oc_office", text: "help", chatType: "group" });
    await waitFor(() => t.emu.messagesTo("oc_office").length === 2, 5000, "second group answer");
    await new Promise((res) => setTimeout(res, 300));
    expect(t.emu.messagesTo("oc_office")).toHaveLength(2);
    expect(t.emu.calls.filter((c) => c.path === "/open-apis/bot/v3/info")).toHaveLength(1);
  });

  it("answers help in English to an English question", async () => {
    t.emu.reset();
    await t.emu.sendUserMessage({ from: "ou_alice", chatType: "p2p", text: "help" });
    const [m] = await waitFor(() => t.emu.messages().length > 0 && t.emu.messages(), 5000, "english help");
    expect(JSON.stringify(m.card)).toContain("Help");
  });

  it("answers a card handler's unexpected failure with an error toast and lets a repeat run it", async () => {
    let calls = 0;
    CARD_ACTIONS.test_flaky = () => {
      calls++;
      if (calls === 1) return Promise.reject(new Error("database went away"));
      return Promise.resolve({ toast: { type: "success", content: "好了" } });
    };
    try {
      const cb = {
        schema: "2.0",
        header: {
          event_id: "ev_flaky",
          event_type: "card.action.trigger",
          create_time: String(Date.now()),
          token: TEST_APP.verificationToken,
          app_id: TEST_APP.appId,
          tenant_key: "tk",
        },
        event: {
          operator: { open_id: "ou_alice" },
          token: "c-1",
          action: { tag: "button", value: { action: "test_flaky" } },
          context: { open_message_id: "om_1", open_chat_id: "oc_1" },
        },
      };
      const { body, headers } = signedRequest(cb);
      // The person who clicked sees why nothing happened (not Feishu's generic error), in their language.
      expect(await post(body, headers)).toEqual({
        status: 200,
        body: {
          toast: {
            type: "error",
            content: "操作未完成：系统暂时出错，请稍后再试一次。",
            i18n: {
              zh_cn: "操作未完成：系统暂时出错，请稍后再试一次。",
              en_us: "That did not go through: a temporary error. Please try again shortly.",
            },
          },
        },
      });
      expect(await t.bot.redis.exists(`${t.prefix}:event:ev_flaky`)).toBe(0);
      expect(await post(body, headers)).toEqual({
        status: 200,
        body: { toast: { type: "success", content: "好了" } },
      });
      expect(await post(body, headers)).toEqual({ status: 200, body: {} });
      expect(calls).toBe(2);
    } finally {
      delete CARD_ACTIONS.test_flaky;
    }
  });

  it("sends every other path and method to the rest of the app", async () => {
    const get = await fetch(`${t.bot.url}/feishu/events`);
    expect([get.status, await get.json()]).toEqual([404, { error: "not found" }]);
    const other = await fetch(`${t.bot.url}/feishu/other`, { method: "POST", body: "{}" });
    expect(other.status).toBe(404);
    // A query string does not hide the events path.
    const res = await fetch(`${t.bot.url}/feishu/events?from=test`, { method: "POST", body: "not json" });
    expect({ status: res.status, body: await res.json() }).toEqual(REFUSED);
  });

  it("serves /healthz and /readyz", async () => {
    expect((await fetch(`${t.bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, checks: { mongodb: "ok", redis: "ok" } });
  });
});
