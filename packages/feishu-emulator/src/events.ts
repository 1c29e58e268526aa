/** Event delivery to the bot: signed/encrypted POSTs of `im.message.receive_v1`, `im.chat.member.bot.added_v1`, url_verification, redeliveries and raw bodies. */
import { performance } from "node:perf_hooks";
import { applyCallbackAnswer } from "./card-callbacks";
import { digestHex, encryptEvent, randomHex, signEvent } from "./crypto";
import { storeUserFile } from "./files";
import { Conversation, Obj, SentEvent, asObj, clone, isObj, str } from "./shared";
import { EmulatorState } from "./state";
import { type Delivery, type DeliveryConfig, type EmulatorUser, type UserMessageOptions } from "./types";

export async function sendUserMessage(s: EmulatorState, opts: UserMessageOptions): Promise<Delivery> {
  const cfg = requireDelivery(s);
  const sender = s.users.get(opts.from);
  let conv: Conversation;
  const p2pOwner = opts.chatId ? s.p2p.get(opts.chatId) : undefined;
  if (opts.chatType === "p2p" || p2pOwner !== undefined || (!opts.chatId && opts.chatType !== "group")) {
    conv = { chat_id: s.p2pChatId(opts.from), chat_type: "p2p", open_id: opts.from };
  } else {
    if (!opts.chatId) throw new Error("sendUserMessage: chatId is required for a group message");
    const chat = s.chats.get(opts.chatId);
    if (!chat) throw new Error(`sendUserMessage: unknown chat ${opts.chatId}`);
    if (!chat.botIsMember) throw new Error(`sendUserMessage: the bot is not in chat ${opts.chatId}`);
    conv = { chat_id: chat.chat_id, chat_type: "group" };
  }
  const now = s.clock();
  const messageId = opts.messageId ?? `om_${randomHex(16)}`;
  const file = opts.file ? storeUserFile(s, opts.file) : undefined;
  s.userMessages.set(messageId, {
    ...conv,
    message_id: messageId,
    sender: opts.from,
    createdAt: now,
    ...(file ? { fileKey: file.file_key } : {}),
    text: opts.text,
  });
  const eventId = randomHex(16);
  let text = opts.text;
  const mentions = [...(opts.mentions ?? [])];
  // In a group, a question is addressed to the bot by @mentioning it: by default the emulator does
  // that (as the user's client would), unless mentions are given or `mentionBot: false`.
  const mentionBot = opts.mentionBot ?? (conv.chat_type === "group" && !opts.mentions);
  if (mentionBot && !mentions.some((m) => m.open_id === s.botOpenId)) {
    const key = `@_user_${mentions.length + 1}`;
    mentions.push({ key, open_id: s.botOpenId, name: s.botName });
    text = `${key} ${text}`;
  }
  const message: Obj = {
    message_id: messageId,
    create_time: String(now),
    update_time: String(now),
    chat_id: conv.chat_id,
    chat_type: conv.chat_type,
    message_type: file ? "file" : opts.post ? "post" : "text",
    content: JSON.stringify(
      file
        ? { file_key: file.file_key, file_name: file.file_name }
        : opts.post
          ? postContent(opts.post.title ?? "", text, mentions)
          : { text },
    ),
  };
  if (mentions.length) {
    message.mentions = mentions.map((m) => ({
      key: m.key,
      id: idBlock(s, m.open_id),
      name: m.name,
      tenant_key: s.tenantKey,
    }));
  }
  message.user_agent =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_2_1) AppleWebKit/537.36 (KHTML, like Gecko) Lark/7.30.0";
  const payload = {
    schema: "2.0",
    header: header(s, cfg, eventId, "im.message.receive_v1", String(now)),
    event: {
      sender: {
        sender_id: idBlock(s, opts.from, sender),
        sender_type: "user",
        tenant_key: s.tenantKey,
      },
      message,
    },
  };
  const d = await deliver(s, { kind: "event", eventType: "im.message.receive_v1", payload }, eventId, false);
  return file ? { ...d, fileKey: file.file_key } : d;
}

export async function addBotToChat(s: EmulatorState, chatId: string, operator?: string): Promise<Delivery> {
  const chat = s.chats.get(chatId);
  if (!chat) throw new Error(`addBotToChat: unknown chat ${chatId}`);
  chat.botIsMember = true;
  const eventId = randomHex(16);
  const cfg = s.deliveryCfg;
  if (!cfg) return { eventId, status: 0, body: undefined, ms: 0, error: "delivery is not configured" };
  const op = operator ?? chat.members[0] ?? "";
  const payload = {
    schema: "2.0",
    header: header(s, cfg, eventId, "im.chat.member.bot.added_v1", String(s.clock())),
    event: {
      chat_id: chat.chat_id,
      operator_id: idBlock(s, op),
      external: false,
      operator_tenant_key: s.tenantKey,
      name: chat.name,
      i18n_names: { zh_cn: chat.name, en_us: chat.name, ja_jp: chat.name },
    },
  };
  return deliver(s, { kind: "event", eventType: "im.chat.member.bot.added_v1", payload }, eventId, false);
}

export async function urlVerification(s: EmulatorState): Promise<Delivery> {
  const cfg = requireDelivery(s);
  const challenge = randomHex(16);
  const eventId = `url_verification_${challenge}`;
  const payload = { challenge, token: cfg.verificationToken, type: "url_verification" };
  return deliver(s, { kind: "url_verification", payload }, eventId, false);
}

/** Deliver an earlier event/callback again: the same body (same event_id), a fresh timestamp, nonce and signature. */
export async function redeliver(s: EmulatorState, eventId: string): Promise<Delivery> {
  const ev = s.events.get(eventId);
  if (!ev) throw new Error(`redeliver: unknown event ${eventId}`);
  return deliver(s, ev, eventId, true);
}

/** POST an arbitrary body to the bot. By default it is encrypted and signed when an Encrypt Key is configured. */
export async function deliverRaw(
  s: EmulatorState,
  body: unknown,
  opts: { headers?: Record<string, string>; sign?: boolean; encrypt?: boolean } = {},
): Promise<Delivery> {
  requireDelivery(s);
  const header = isObj(body) && isObj(body.header) ? body.header : {};
  const eventId = str(header.event_id) ?? `raw_${randomHex(8)}`;
  const eventType = str(header.event_type);
  return deliver(s, { kind: "raw", eventType, payload: body }, eventId, false, opts);
}

export function requireDelivery(s: EmulatorState): DeliveryConfig {
  if (!s.deliveryCfg) throw new Error("FeishuEmulator: call configureDelivery() first");
  return s.deliveryCfg;
}

export function header(
  s: EmulatorState,
  cfg: DeliveryConfig,
  eventId: string,
  eventType: string,
  createTime: string,
): Obj {
  return {
    event_id: eventId,
    event_type: eventType,
    create_time: createTime,
    token: cfg.verificationToken,
    app_id: s.opts.appId,
    tenant_key: s.tenantKey,
  };
}

/** `{union_id, user_id?, open_id}` for a user (derived ids for unknown ones). */
export function idBlock(s: EmulatorState, openId: string, known?: EmulatorUser): Obj {
  const u = known ?? s.users.get(openId);
  const out: Obj = { union_id: u?.union_id ?? `on_${digestHex(`union:${openId}`)}` };
  if (u?.user_id) out.user_id = u.user_id;
  out.open_id = openId;
  return out;
}

export async function deliver(
  s: EmulatorState,
  ev: SentEvent,
  eventId: string,
  redelivery: boolean,
  raw: { headers?: Record<string, string>; sign?: boolean; encrypt?: boolean } = {},
): Promise<Delivery> {
  const cfg = requireDelivery(s);
  if (ev.kind !== "raw") s.events.set(eventId, ev);
  const url = ev.kind === "callback" ? (cfg.callbackUrl ?? cfg.url) : cfg.url;
  const key = cfg.encryptKey ?? "";
  const plaintext = JSON.stringify(ev.payload);
  const encrypt = raw.encrypt ?? key !== "";
  const rawBody = encrypt && key ? JSON.stringify({ encrypt: encryptEvent(key, plaintext) }) : plaintext;
  const timestamp = String(Math.floor(s.clock() / 1000));
  const nonce = randomHex(8);
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "x-lark-request-timestamp": timestamp,
    "x-lark-request-nonce": nonce,
    "x-request-id": randomHex(16),
  };
  if ((raw.sign ?? key !== "") && key)
    headers["x-lark-signature"] = signEvent(timestamp, nonce, key, rawBody);
  Object.assign(headers, raw.headers ?? {});

  const started = performance.now();
  const d: Delivery = { eventId, status: 0, body: undefined, ms: 0 };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: rawBody,
      signal: AbortSignal.timeout(s.deliveryTimeoutMs),
    });
    const text = await res.text();
    d.status = res.status;
    try {
      d.body = text === "" ? "" : (JSON.parse(text) as unknown);
    } catch {
      d.body = text;
    }
  } catch (err) {
    const e = err as Error;
    d.error =
      e.name === "TimeoutError" || e.name === "AbortError"
        ? `no answer within ${s.deliveryTimeoutMs} ms`
        : `delivery failed: ${e.message}`;
  }
  d.ms = Math.round((performance.now() - started) * 10) / 10;
  if (!d.error && d.status !== 200) d.error = `the bot answered HTTP ${d.status}`;

  if (!d.error && ev.kind === "url_verification") {
    const challenge = asObj(ev.payload).challenge;
    if (!isObj(d.body) || d.body.challenge !== challenge) d.error = "the answer does not echo the challenge";
  }
  if (!d.error && ev.kind === "callback" && ev.messageId) applyCallbackAnswer(s, ev.messageId, d);

  s.deliveryLog.push({
    ...clone(d),
    kind: ev.kind,
    eventType: ev.eventType,
    url,
    at: s.clock(),
    redelivery,
  });
  s.log.debug({ eventId, kind: ev.kind, status: d.status, error: d.error, ms: d.ms }, "emulator delivery");
  return d;
}

/**
 * Rich text as the receive event carries it: `{title, content: [[elements]]}`, a paragraph per line,
 * `@_user_N` keys as `at` elements (with the mentioned user's name), the rest as `text` elements.
 */
function postContent(title: string, text: string, mentions: { key: string; name: string }[]): Obj {
  const content = text.split("\n").map((line) => {
    const parts: Obj[] = [];
    for (const piece of line.split(/(@_user_\d+)/)) {
      if (!piece) continue;
      const m = mentions.find((x) => x.key === piece);
      parts.push(
        m ? { tag: "at", user_id: m.key, user_name: m.name } : { tag: "text", text: piece, style: [] },
      );
    }
    return parts;
  });
  return { title, content };
}
