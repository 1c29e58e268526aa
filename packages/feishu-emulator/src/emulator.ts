/**
 * A local stand-in for the Feishu Open Platform: the HTTP APIs the bot calls (through the real
 * @larksuiteoapi/node-sdk pointed at `domain: emulator.url`) and the events/callbacks Feishu
 * delivers to the bot. See docs/emulator.md.
 */
import http from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import { performance } from "node:perf_hooks";
import express, { type NextFunction, type Request, type Response } from "express";
import pino, { type Logger } from "pino";
import { buildFailedMsg, validateCard } from "./card-validator";
import { Codes, fieldValidation, type ApiError, type FieldViolation } from "./codes";
import { digestHex, encryptEvent, randomHex, signEvent } from "./crypto";
import { boundaryOf, parseMultipart } from "./multipart";
import { SlidingWindow } from "./rate-limit";
import {
  RECEIVE_ID_TYPES,
  type ClickCardOptions,
  type Delivery,
  type DeliveryConfig,
  type DeliveryRecord,
  type EmulatorChat,
  type EmulatorLimits,
  type EmulatorOptions,
  type EmulatorUser,
  type FailAnswer,
  type MessageUpdate,
  type ReceiveIdType,
  type RecordedCall,
  type SentFileRef,
  type SentMessage,
  type StoredFile,
  type UserMessageOptions,
} from "./types";

export const DEFAULT_LIMITS: EmulatorLimits = {
  appPerSecond: 50,
  appPerMinute: 1000,
  perReceiverPerSecond: 5,
  patchPerMessagePerSecond: 5,
};

const TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal";
const DAY_MS = 86_400_000;
const PATCH_WINDOW_MS = 14 * DAY_MS;
const UUID_WINDOW_MS = 3_600_000;
const UUID_MAX = 50;
const CALLBACK_TOKEN_TTL_MS = 30 * 60_000;
const CALLBACK_TOKEN_USES = 2;
const TOKEN_REUSE_MIN_MS = 30 * 60_000;
const MAX_TEXT_BYTES = 150 * 1024;
const MAX_POST_BYTES = 30 * 1024;
const MAX_FILE_BYTES = 30 * 1024 * 1024;
const MAX_BATCH_IDS = 50;
const MSG_TYPES = [
  "text",
  "post",
  "image",
  "file",
  "audio",
  "media",
  "sticker",
  "interactive",
  "share_chat",
  "share_user",
  "system",
];
const FILE_TYPES = ["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"];
const MEMBER_ID_TYPES = ["open_id", "user_id", "union_id"];
const TOAST_TYPES = ["info", "success", "warning", "error"];

type Obj = Record<string, unknown>;

interface Conversation {
  chat_id: string;
  chat_type: "p2p" | "group";
  open_id?: string;
}

/** A message a user sent to the bot (so the bot can reply to it). */
interface UserMessage extends Conversation {
  message_id: string;
  sender: string;
  root_id?: string;
  thread_id?: string;
  createdAt: number;
  /** For a file message: the file's key (its bytes are in `files`). */
  fileKey?: string;
}

interface CallbackToken {
  messageId: string;
  issuedAt: number;
  uses: number;
}

interface SentEvent {
  kind: DeliveryRecord["kind"];
  eventType?: string;
  payload: unknown;
  messageId?: string;
}

type ContentCheck =
  { ok: true; card?: Obj; text?: string; file?: SentFileRef } | { ok: false; err: ApiError };
type Resolved = { ok: true; conv: Conversation } | { ok: false; err: ApiError };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asObj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function normaliseMobile(m: string): string {
  const s = m.replace(/[\s-]/g, "");
  return s.startsWith("+86") ? s.slice(3) : s;
}

export class FeishuEmulator {
  /** Every request the bot made (token calls included), oldest first. */
  readonly calls: RecordedCall[] = [];

  private readonly opts: EmulatorOptions;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly limits: EmulatorLimits;
  private readonly tokenTtlMs: number;
  private readonly tenantKey: string;
  private readonly deliveryTimeoutMs: number;
  readonly botOpenId: string;
  readonly botName: string;

  private server?: http.Server;
  private baseUrl = "";
  private seq = 0;

  private readonly users = new Map<string, EmulatorUser>();
  private readonly chats = new Map<string, EmulatorChat>();
  /** p2p chat id → user open_id */
  private readonly p2p = new Map<string, string>();

  private readonly sent = new Map<string, SentMessage>();
  private readonly order: string[] = [];
  private readonly userMessages = new Map<string, UserMessage>();
  private readonly uuids = new Map<string, { messageId: string; at: number; response: Obj }>();
  private readonly files = new Map<string, StoredFile>();
  private readonly callbackTokens = new Map<string, CallbackToken>();
  private readonly failures: { remaining: number; answer: FailAnswer; match?: { path?: RegExp } }[] = [];

  private currentToken?: { token: string; issuedAt: number };
  private lastIssuedAt = 0;
  /** Newest issue time of any valid token a request presented (tokens may come from another emulator instance). */
  private lastSeenIssuedAt = 0;
  private revokedUpTo = -Infinity;

  private readonly appSecond: SlidingWindow;
  private readonly appMinute: SlidingWindow;
  private readonly receiverLimit: SlidingWindow;
  private readonly patchLimit: SlidingWindow;

  private deliveryCfg?: DeliveryConfig;
  private readonly deliveryLog: DeliveryRecord[] = [];
  private readonly events = new Map<string, SentEvent>();

  constructor(opts: EmulatorOptions) {
    if (!opts.appId || !opts.appSecret) throw new Error("FeishuEmulator needs appId and appSecret");
    this.opts = opts;
    this.clock = opts.now ?? Date.now;
    this.log = opts.logger ?? pino({ level: "silent" });
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.tokenTtlMs = (opts.tokenTtlSeconds ?? 7200) * 1000;
    this.tenantKey = opts.tenantKey ?? "tenant_emulator";
    this.deliveryTimeoutMs = opts.deliveryTimeoutMs ?? 3000;
    this.botOpenId = opts.botOpenId ?? `ou_${digestHex(`bot:${opts.appId}`)}`;
    this.botName = opts.botName ?? "Rectify Bot";
    this.appSecond = new SlidingWindow(1000, () => this.limits.appPerSecond);
    this.appMinute = new SlidingWindow(60_000, () => this.limits.appPerMinute);
    this.receiverLimit = new SlidingWindow(1000, () => this.limits.perReceiverPerSecond);
    this.patchLimit = new SlidingWindow(1000, () => this.limits.patchPerMessagePerSecond);
  }

  // ---------------------------------------------------------------- lifecycle

  get url(): string {
    if (!this.baseUrl) throw new Error("FeishuEmulator is not started");
    return this.baseUrl;
  }

  async start(): Promise<string> {
    if (this.server) return this.baseUrl;
    const host = this.opts.host ?? "127.0.0.1";
    const server = http.createServer(this.buildApp());
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : this.opts.port;
    this.baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    this.log.info({ url: this.baseUrl }, "feishu emulator listening");
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- directory

  addUser(u: EmulatorUser): void {
    if (!u.open_id) throw new Error("addUser: open_id is required");
    const user: EmulatorUser = { ...u, union_id: u.union_id ?? `on_${digestHex(`union:${u.open_id}`)}` };
    this.users.set(u.open_id, user);
    this.p2p.set(this.p2pChatId(u.open_id), u.open_id);
  }

  addChat(c: EmulatorChat): void {
    if (!c.chat_id) throw new Error("addChat: chat_id is required");
    this.chats.set(c.chat_id, { ...c, members: [...c.members] });
  }

  user(openId: string): EmulatorUser | undefined {
    const u = this.users.get(openId);
    return u && { ...u };
  }

  chat(chatId: string): EmulatorChat | undefined {
    const c = this.chats.get(chatId);
    return c && { ...c, members: [...c.members] };
  }

  /** The chat id of the bot's p2p chat with a user (stable per app and user). */
  p2pChatId(openId: string): string {
    return `oc_${digestHex(`p2p:${this.opts.appId}:${openId}`)}`;
  }

  // ---------------------------------------------------------------- what the bot did

  messages(): SentMessage[] {
    return this.order.map((id) => clone(this.sent.get(id) as SentMessage));
  }

  messagesTo(receiverId: string): SentMessage[] {
    const user = this.findUser(receiverId);
    return this.messages().filter(
      (m) =>
        m.receive_id === receiverId ||
        m.chat_id === receiverId ||
        (user !== undefined && m.open_id === user.open_id),
    );
  }

  message(messageId: string): SentMessage | undefined {
    const m = this.sent.get(messageId);
    return m && clone(m);
  }

  file(fileKey: string): StoredFile | undefined {
    const f = this.files.get(fileKey);
    return f && { ...f, bytes: Buffer.from(f.bytes) };
  }

  deliveries(): DeliveryRecord[] {
    return clone(this.deliveryLog);
  }

  /** Forget calls, messages, files, tokens for callbacks, rate-limit history and deliveries (keep users, chats, tenant tokens). */
  reset(): void {
    this.calls.length = 0;
    this.sent.clear();
    this.order.length = 0;
    this.userMessages.clear();
    this.uuids.clear();
    this.files.clear();
    this.callbackTokens.clear();
    this.failures.length = 0;
    this.appSecond.clear();
    this.appMinute.clear();
    this.receiverLimit.clear();
    this.patchLimit.clear();
    this.deliveryLog.length = 0;
    this.events.clear();
  }

  // ---------------------------------------------------------------- test controls

  /** Every tenant token issued so far becomes invalid: the next call with one answers 99991663. */
  expireTokens(): void {
    this.revokedUpTo = Math.max(this.clock(), this.lastIssuedAt, this.lastSeenIssuedAt);
    this.currentToken = undefined;
  }

  /** Pretend a message was sent `ms` earlier (for the 14-day patch rule). */
  ageMessage(messageId: string, ms: number): void {
    const m = this.sent.get(messageId);
    if (!m) throw new Error(`ageMessage: unknown message ${messageId}`);
    m.createdAt -= ms;
  }

  /** The next `n` requests (matching `match.path`, else any but the token call) get `answer`. */
  failNext(n: number, answer: FailAnswer, match?: { path?: RegExp }): void {
    if (n > 0) this.failures.push({ remaining: n, answer, match });
  }

  /** Change rate limits at run time. */
  setLimits(limits: Partial<EmulatorLimits>): void {
    Object.assign(this.limits, limits);
  }

  // ---------------------------------------------------------------- events and callbacks

  configureDelivery(cfg: DeliveryConfig): void {
    this.deliveryCfg = { ...cfg };
  }

  async sendUserMessage(opts: UserMessageOptions): Promise<Delivery> {
    const cfg = this.requireDelivery();
    const sender = this.users.get(opts.from);
    let conv: Conversation;
    const p2pOwner = opts.chatId ? this.p2p.get(opts.chatId) : undefined;
    if (opts.chatType === "p2p" || p2pOwner !== undefined || (!opts.chatId && opts.chatType !== "group")) {
      conv = { chat_id: this.p2pChatId(opts.from), chat_type: "p2p", open_id: opts.from };
    } else {
      if (!opts.chatId) throw new Error("sendUserMessage: chatId is required for a group message");
      const chat = this.chats.get(opts.chatId);
      if (!chat) throw new Error(`sendUserMessage: unknown chat ${opts.chatId}`);
      if (!chat.botIsMember) throw new Error(`sendUserMessage: the bot is not in chat ${opts.chatId}`);
      conv = { chat_id: chat.chat_id, chat_type: "group" };
    }
    const now = this.clock();
    const messageId = opts.messageId ?? `om_${randomHex(16)}`;
    const file = opts.file ? this.storeUserFile(opts.file) : undefined;
    this.userMessages.set(messageId, {
      ...conv,
      message_id: messageId,
      sender: opts.from,
      createdAt: now,
      ...(file ? { fileKey: file.file_key } : {}),
    });
    const eventId = randomHex(16);
    let text = opts.text;
    const mentions = [...(opts.mentions ?? [])];
    // In a group, a question is addressed to the bot by @mentioning it: by default the emulator does
    // that (as the user's client would), unless mentions are given or `mentionBot: false`.
    const mentionBot = opts.mentionBot ?? (conv.chat_type === "group" && !opts.mentions);
    if (mentionBot && !mentions.some((m) => m.open_id === this.botOpenId)) {
      const key = `@_user_${mentions.length + 1}`;
      mentions.push({ key, open_id: this.botOpenId, name: this.botName });
      text = `${key} ${text}`;
    }
    const message: Obj = {
      message_id: messageId,
      create_time: String(now),
      update_time: String(now),
      chat_id: conv.chat_id,
      chat_type: conv.chat_type,
      message_type: file ? "file" : "text",
      content: JSON.stringify(
        file ? { file_key: file.file_key, file_name: file.file_name } : { text },
      ),
    };
    if (mentions.length) {
      message.mentions = mentions.map((m) => ({
        key: m.key,
        id: this.idBlock(m.open_id),
        name: m.name,
        tenant_key: this.tenantKey,
      }));
    }
    message.user_agent =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_2_1) AppleWebKit/537.36 (KHTML, like Gecko) Lark/7.30.0";
    const payload = {
      schema: "2.0",
      header: this.header(cfg, eventId, "im.message.receive_v1", String(now)),
      event: {
        sender: {
          sender_id: this.idBlock(opts.from, sender),
          sender_type: "user",
          tenant_key: this.tenantKey,
        },
        message,
      },
    };
    const d = await this.deliver(
      { kind: "event", eventType: "im.message.receive_v1", payload },
      eventId,
      false,
    );
    return file ? { ...d, fileKey: file.file_key } : d;
  }

  async clickCard(opts: ClickCardOptions): Promise<Delivery> {
    const cfg = this.requireDelivery();
    const m = this.sent.get(opts.messageId);
    if (!m) throw new Error(`clickCard: unknown message ${opts.messageId}`);
    if (m.msg_type !== "interactive" || !m.card)
      throw new Error(`clickCard: message ${opts.messageId} is not a card`);
    if (opts.name !== undefined && !cardNames(m.card).has(opts.name)) {
      throw new Error(`clickCard: the card has no component named "${opts.name}"`);
    }
    const now = this.clock();
    const eventId = randomHex(16);
    if (now - m.createdAt > PATCH_WINDOW_MS) {
      const d: Delivery = {
        eventId,
        status: 0,
        body: undefined,
        ms: 0,
        error: "card interactions expire 14 days after sending",
      };
      this.deliveryLog.push({
        ...d,
        kind: "callback",
        eventType: "card.action.trigger",
        url: cfg.callbackUrl ?? cfg.url,
        at: now,
        redelivery: false,
      });
      return d;
    }
    const token = `c-${randomHex(20)}`;
    this.callbackTokens.set(token, { messageId: m.message_id, issuedAt: now, uses: 0 });
    const tag = opts.tag ?? "button";
    const action: Obj = {};
    if (opts.value !== undefined) action.value = opts.value;
    action.tag = tag;
    if (["button", "date_picker", "picker_time", "picker_datetime"].includes(tag))
      action.timezone = "Asia/Shanghai";
    if (opts.formValue !== undefined) action.form_value = opts.formValue;
    if (opts.name !== undefined) action.name = opts.name;
    if (opts.option !== undefined) action.option = opts.option;
    if (opts.options !== undefined) action.options = opts.options;
    if (opts.inputValue !== undefined) action.input_value = opts.inputValue;
    if (opts.checked !== undefined) action.checked = opts.checked;
    const payload = {
      schema: "2.0",
      // Feishu's card callbacks carry create_time in microseconds (see the documented example).
      header: this.header(cfg, eventId, "card.action.trigger", String(now * 1000)),
      event: {
        operator: { tenant_key: this.tenantKey, ...this.idBlock(opts.operator) },
        token,
        action,
        host: "im_message",
        context: { open_message_id: m.message_id, open_chat_id: m.chat_id },
      },
    };
    return this.deliver(
      { kind: "callback", eventType: "card.action.trigger", payload, messageId: m.message_id },
      eventId,
      false,
    );
  }

  async addBotToChat(chatId: string, operator?: string): Promise<Delivery> {
    const chat = this.chats.get(chatId);
    if (!chat) throw new Error(`addBotToChat: unknown chat ${chatId}`);
    chat.botIsMember = true;
    const eventId = randomHex(16);
    const cfg = this.deliveryCfg;
    if (!cfg) return { eventId, status: 0, body: undefined, ms: 0, error: "delivery is not configured" };
    const op = operator ?? chat.members[0] ?? "";
    const payload = {
      schema: "2.0",
      header: this.header(cfg, eventId, "im.chat.member.bot.added_v1", String(this.clock())),
      event: {
        chat_id: chat.chat_id,
        operator_id: this.idBlock(op),
        external: false,
        operator_tenant_key: this.tenantKey,
        name: chat.name,
        i18n_names: { zh_cn: chat.name, en_us: chat.name, ja_jp: chat.name },
      },
    };
    return this.deliver({ kind: "event", eventType: "im.chat.member.bot.added_v1", payload }, eventId, false);
  }

  async urlVerification(): Promise<Delivery> {
    const cfg = this.requireDelivery();
    const challenge = randomHex(16);
    const eventId = `url_verification_${challenge}`;
    const payload = { challenge, token: cfg.verificationToken, type: "url_verification" };
    return this.deliver({ kind: "url_verification", payload }, eventId, false);
  }

  /** Deliver an earlier event/callback again: the same body (same event_id), a fresh timestamp, nonce and signature. */
  async redeliver(eventId: string): Promise<Delivery> {
    const ev = this.events.get(eventId);
    if (!ev) throw new Error(`redeliver: unknown event ${eventId}`);
    return this.deliver(ev, eventId, true);
  }

  /** POST an arbitrary body to the bot. By default it is encrypted and signed when an Encrypt Key is configured. */
  async deliverRaw(
    body: unknown,
    opts: { headers?: Record<string, string>; sign?: boolean; encrypt?: boolean } = {},
  ): Promise<Delivery> {
    this.requireDelivery();
    const header = isObj(body) && isObj(body.header) ? body.header : {};
    const eventId = str(header.event_id) ?? `raw_${randomHex(8)}`;
    const eventType = str(header.event_type);
    return this.deliver({ kind: "raw", eventType, payload: body }, eventId, false, opts);
  }

  // ---------------------------------------------------------------- delivery internals

  private requireDelivery(): DeliveryConfig {
    if (!this.deliveryCfg) throw new Error("FeishuEmulator: call configureDelivery() first");
    return this.deliveryCfg;
  }

  private header(cfg: DeliveryConfig, eventId: string, eventType: string, createTime: string): Obj {
    return {
      event_id: eventId,
      event_type: eventType,
      create_time: createTime,
      token: cfg.verificationToken,
      app_id: this.opts.appId,
      tenant_key: this.tenantKey,
    };
  }

  /** `{union_id, user_id?, open_id}` for a user (derived ids for unknown ones). */
  private idBlock(openId: string, known?: EmulatorUser): Obj {
    const u = known ?? this.users.get(openId);
    const out: Obj = { union_id: u?.union_id ?? `on_${digestHex(`union:${openId}`)}` };
    if (u?.user_id) out.user_id = u.user_id;
    out.open_id = openId;
    return out;
  }

  private async deliver(
    ev: SentEvent,
    eventId: string,
    redelivery: boolean,
    raw: { headers?: Record<string, string>; sign?: boolean; encrypt?: boolean } = {},
  ): Promise<Delivery> {
    const cfg = this.requireDelivery();
    if (ev.kind !== "raw") this.events.set(eventId, ev);
    const url = ev.kind === "callback" ? (cfg.callbackUrl ?? cfg.url) : cfg.url;
    const key = cfg.encryptKey ?? "";
    const plaintext = JSON.stringify(ev.payload);
    const encrypt = raw.encrypt ?? key !== "";
    const rawBody = encrypt && key ? JSON.stringify({ encrypt: encryptEvent(key, plaintext) }) : plaintext;
    const timestamp = String(Math.floor(this.clock() / 1000));
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
        signal: AbortSignal.timeout(this.deliveryTimeoutMs),
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
          ? `no answer within ${this.deliveryTimeoutMs} ms`
          : `delivery failed: ${e.message}`;
    }
    d.ms = Math.round((performance.now() - started) * 10) / 10;
    if (!d.error && d.status !== 200) d.error = `the bot answered HTTP ${d.status}`;

    if (!d.error && ev.kind === "url_verification") {
      const challenge = asObj(ev.payload).challenge;
      if (!isObj(d.body) || d.body.challenge !== challenge)
        d.error = "the answer does not echo the challenge";
    }
    if (!d.error && ev.kind === "callback" && ev.messageId) this.applyCallbackAnswer(ev.messageId, d);

    this.deliveryLog.push({
      ...clone(d),
      kind: ev.kind,
      eventType: ev.eventType,
      url,
      at: this.clock(),
      redelivery,
    });
    this.log.debug(
      { eventId, kind: ev.kind, status: d.status, error: d.error, ms: d.ms },
      "emulator delivery",
    );
    return d;
  }

  private applyCallbackAnswer(messageId: string, d: Delivery): void {
    const body = d.body;
    if (body === "" || body === undefined) return;
    if (!isObj(body)) {
      d.error = "a callback answer must be a JSON object";
      return;
    }
    if (body.toast !== undefined) {
      const t = asObj(body.toast);
      const content = str(t.content) ?? (isObj(t.i18n) ? str(Object.values(t.i18n)[0]) : undefined);
      if (typeof t.type === "string" && content !== undefined) {
        d.toast = { type: t.type, content };
        if (!TOAST_TYPES.includes(t.type)) d.error = `toast.type must be one of ${TOAST_TYPES.join(", ")}`;
      } else {
        d.error = "toast needs type and content";
      }
    }
    if (body.card === undefined) return;
    const card = asObj(body.card);
    if (card.type !== "raw") {
      d.error = `callback card.type "${String(card.type)}" is not supported by the emulator (use "raw")`;
      return;
    }
    const r = validateCard(card.data);
    if (!r.ok) {
      d.error = `callback card refused: ${r.code} ${r.msg} ${r.errors.slice(0, 5).join("; ")}`;
      return;
    }
    const m = this.sent.get(messageId);
    if (!m) {
      d.error = `message ${messageId} no longer exists`;
      return;
    }
    this.applyContent(m, JSON.stringify(card.data), card.data as Obj, "callback");
    d.cardUpdated = true;
  }

  // ---------------------------------------------------------------- HTTP app

  private buildApp(): express.Express {
    const app = express();
    app.disable("x-powered-by");
    app.set("etag", false);
    app.use((req: Request, res: Response, next: NextFunction) => {
      res.locals.at = this.clock();
      res.setHeader("X-Tt-Logid", `${Date.now()}${randomHex(8)}`.toUpperCase());
      next();
    });
    app.use(express.json({ limit: "10mb", type: ["application/json", "application/*+json"] }));
    app.use(express.raw({ limit: "40mb", type: "multipart/form-data" }));

    this.mountControl(app);

    app.use((req: Request, res: Response, next: NextFunction) => this.injectFailure(req, res, next));
    app.post(TOKEN_PATH, (req, res) => this.handleToken(req, res));
    app.use("/open-apis", (req: Request, res: Response, next: NextFunction) =>
      this.authenticate(req, res, next),
    );

    app.post("/open-apis/im/v1/messages", (req, res) => this.handleCreate(req, res));
    app.post("/open-apis/im/v1/messages/:message_id/reply", (req, res) => this.handleReply(req, res));
    app.patch("/open-apis/im/v1/messages/:message_id", (req, res) => this.handlePatch(req, res));
    app.post("/open-apis/interactive/v1/card/update", (req, res) => this.handleCardUpdate(req, res));
    app.post("/open-apis/im/v1/files", (req, res) => this.handleFileUpload(req, res));
    app.get("/open-apis/im/v1/messages/:message_id/resources/:file_key", (req, res) =>
      this.handleResourceGet(req, res),
    );
    app.get("/open-apis/im/v1/chats/:chat_id", (req, res) => this.handleChatGet(req, res));
    app.get("/open-apis/im/v1/chats/:chat_id/members", (req, res) => this.handleChatMembers(req, res));
    app.post("/open-apis/contact/v3/users/batch_get_id", (req, res) => this.handleBatchGetId(req, res));
    app.get("/open-apis/contact/v3/users/:user_id", (req, res) => this.handleUserGet(req, res));
    this.mountBotInfo(app);

    app.use((req: Request, res: Response) =>
      this.fail(req, res, Codes.notFound(req.method, this.pathOf(req))),
    );
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
      void next;
      const e = asObj(err);
      if (e.type === "entity.parse.failed") return this.fail(req, res, Codes.badJson(String(e.message)));
      if (e.type === "entity.too.large") {
        return this.fail(req, res, { status: 413, code: 99992402, msg: "request body too large" });
      }
      this.log.error({ err }, "feishu emulator: unexpected error");
      return this.fail(req, res, {
        status: 500,
        code: 2200,
        msg: `Internal Error (emulator): ${String(e.message ?? err)}`,
      });
    });
    return app;
  }

  private pathOf(req: Request): string {
    return req.originalUrl.split("?")[0];
  }

  private reply(
    req: Request,
    res: Response,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const recordBody: unknown =
      res.locals.recordBody ?? (Buffer.isBuffer(req.body) ? `<${req.body.length} bytes>` : req.body);
    this.calls.push({
      seq: ++this.seq,
      method: req.method,
      path: this.pathOf(req),
      query: { ...(req.query as Obj) },
      body: recordBody === undefined ? undefined : clone(recordBody),
      status,
      response: clone(body),
      headers,
      at: typeof res.locals.at === "number" ? res.locals.at : this.clock(),
    });
    this.log.debug(
      { method: req.method, path: this.pathOf(req), status, code: asObj(body).code },
      "emulator call",
    );
    res.status(status).json(body);
  }

  private fail(req: Request, res: Response, err: ApiError): void {
    this.reply(
      req,
      res,
      err.status,
      { code: err.code, msg: err.msg, ...(err.extra ?? {}) },
      err.headers ?? {},
    );
  }

  private ok(req: Request, res: Response, data: unknown, msg = "success"): void {
    this.reply(req, res, 200, { code: 0, msg, data });
  }

  private injectFailure(req: Request, res: Response, next: NextFunction): void {
    const path = this.pathOf(req);
    const i = this.failures.findIndex((f) => (f.match?.path ? f.match.path.test(path) : path !== TOKEN_PATH));
    if (i < 0 || !path.startsWith("/open-apis/")) return next();
    const f = this.failures[i];
    f.remaining--;
    if (f.remaining <= 0) this.failures.splice(i, 1);
    this.reply(req, res, f.answer.status, { code: f.answer.code, msg: f.answer.msg }, f.answer.headers ?? {});
  }

  // ---------------------------------------------------------------- auth

  private signToken(issuedAt: number): string {
    return createHmac("sha256", this.opts.appSecret)
      .update(`${this.opts.appId}|${issuedAt}`)
      .digest("hex")
      .slice(0, 40);
  }

  /** `t-<issuedAt base36>_<hmac>`: verifiable without state, so a second emulator with the same app accepts it. */
  private tokenIssuedAt(token: string): number | undefined {
    const m = /^t-([0-9a-z]+)_([0-9a-f]{40})$/.exec(token);
    if (!m) return undefined;
    const issuedAt = parseInt(m[1], 36);
    const want = Buffer.from(this.signToken(issuedAt));
    const got = Buffer.from(m[2]);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    if (issuedAt <= this.revokedUpTo) return undefined;
    if (this.clock() >= issuedAt + this.tokenTtlMs) return undefined;
    return issuedAt;
  }

  private handleToken(req: Request, res: Response): void {
    const body = asObj(req.body);
    if (body.app_id !== this.opts.appId) return this.fail(req, res, Codes.appIdInvalid());
    if (body.app_secret !== this.opts.appSecret) return this.fail(req, res, Codes.appSecretInvalid());
    const now = this.clock();
    const cur = this.currentToken;
    if (
      cur &&
      this.tokenIssuedAt(cur.token) !== undefined &&
      cur.issuedAt + this.tokenTtlMs - now > TOKEN_REUSE_MIN_MS
    ) {
      const expire = Math.floor(Math.min(this.tokenTtlMs, cur.issuedAt + this.tokenTtlMs - now) / 1000);
      return this.reply(req, res, 200, { code: 0, msg: "ok", tenant_access_token: cur.token, expire });
    }
    const issuedAt = Math.max(
      now,
      this.lastIssuedAt + 1,
      Number.isFinite(this.revokedUpTo) ? this.revokedUpTo + 1 : 0,
    );
    this.lastIssuedAt = issuedAt;
    const token = `t-${issuedAt.toString(36)}_${this.signToken(issuedAt)}`;
    this.currentToken = { token, issuedAt };
    const expire = Math.min(this.tokenTtlMs, issuedAt + this.tokenTtlMs - now) / 1000;
    this.reply(req, res, 200, { code: 0, msg: "ok", tenant_access_token: token, expire: Math.floor(expire) });
  }

  private authenticate(req: Request, res: Response, next: NextFunction): void {
    const h = req.headers.authorization;
    if (!h || !/^Bearer\s+\S+/i.test(h)) return this.fail(req, res, Codes.missingToken());
    const token = h.replace(/^Bearer\s+/i, "").trim();
    const issuedAt = this.tokenIssuedAt(token);
    if (issuedAt === undefined) return this.fail(req, res, Codes.invalidToken());
    this.lastSeenIssuedAt = Math.max(this.lastSeenIssuedAt, issuedAt);
    next();
  }

  /** App-level limit shared by a bucket (im.message: create + reply + patch). */
  private appLimit(req: Request, res: Response, bucket: string): boolean {
    const now = this.clock();
    const s = this.appSecond.waitSeconds(bucket, now);
    const m = this.appMinute.waitSeconds(bucket, now);
    if (s || m) {
      const limit = m > s ? this.appMinute.max : this.appSecond.max;
      this.fail(req, res, Codes.rateLimited(limit, Math.max(s, m)));
      return false;
    }
    this.appSecond.add(bucket, now);
    this.appMinute.add(bucket, now);
    return true;
  }

  // ---------------------------------------------------------------- messages

  private findUser(id: string): EmulatorUser | undefined {
    const direct = this.users.get(id);
    if (direct) return direct;
    const lower = id.toLowerCase();
    for (const u of this.users.values()) {
      if (u.user_id === id || u.union_id === id || (u.email && u.email.toLowerCase() === lower)) return u;
    }
    return undefined;
  }

  private userReachable(u: EmulatorUser): ApiError | undefined {
    if (u.departed) return Codes.userResigned();
    if (u.outOfScope) return Codes.noAvailability();
    return undefined;
  }

  private resolveReceiver(type: ReceiveIdType, id: string): Resolved {
    let user: EmulatorUser | undefined;
    switch (type) {
      case "open_id":
        user = this.users.get(id);
        if (!user) return { ok: false, err: Codes.openIdCrossApp() };
        break;
      case "user_id":
        user = [...this.users.values()].find((u) => u.user_id === id);
        break;
      case "union_id":
        user = [...this.users.values()].find((u) => u.union_id === id);
        break;
      case "email":
        user = [...this.users.values()].find((u) => u.email?.toLowerCase() === id.toLowerCase());
        break;
      case "chat_id": {
        const p2pUser = this.p2p.get(id);
        if (p2pUser) {
          user = this.users.get(p2pUser);
          break;
        }
        const chat = this.chats.get(id);
        if (!chat) return { ok: false, err: Codes.receiveIdInvalid() };
        if (!chat.botIsMember) return { ok: false, err: Codes.botNotInChat() };
        return { ok: true, conv: { chat_id: chat.chat_id, chat_type: "group" } };
      }
    }
    if (!user) return { ok: false, err: Codes.receiveIdInvalid() };
    const blocked = this.userReachable(user);
    if (blocked) return { ok: false, err: blocked };
    return {
      ok: true,
      conv: { chat_id: this.p2pChatId(user.open_id), chat_type: "p2p", open_id: user.open_id },
    };
  }

  private messageFieldViolations(body: Obj): FieldViolation[] {
    const v: FieldViolation[] = [];
    if (body.msg_type === undefined || body.msg_type === "")
      v.push({ field: "msg_type", description: "msg_type is required" });
    else if (typeof body.msg_type !== "string" || !MSG_TYPES.includes(body.msg_type)) {
      v.push({ field: "msg_type", description: `msg_type is optional, options: [${MSG_TYPES.join(",")}]` });
    }
    if (body.content === undefined || body.content === "")
      v.push({ field: "content", description: "content is required" });
    else if (typeof body.content !== "string")
      v.push({ field: "content", description: "content must be a string (JSON-encoded)" });
    if (body.uuid !== undefined) {
      if (typeof body.uuid !== "string") v.push({ field: "uuid", description: "uuid must be a string" });
      else if (body.uuid.length > UUID_MAX)
        v.push({ field: "uuid", description: `the max len is ${UUID_MAX}` });
    }
    return v;
  }

  private checkContent(msgType: string, content: string): ContentCheck {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      if (msgType === "interactive") {
        const msg = buildFailedMsg(
          200621,
          "parse card json err, please check whether the card json is correct",
          "content is not valid JSON",
        );
        return { ok: false, err: Codes.cardBuildFailed(msg) };
      }
      return { ok: false, err: Codes.invalidParam("invalid message content: content is not valid JSON") };
    }
    if (!isObj(parsed)) {
      if (msgType === "interactive") {
        const msg = buildFailedMsg(
          200621,
          "parse card json err, please check whether the card json is correct",
          "card is not a JSON object",
        );
        return { ok: false, err: Codes.cardBuildFailed(msg) };
      }
      return { ok: false, err: Codes.invalidParam("invalid message content: content must be a JSON object") };
    }
    const bytes = Buffer.byteLength(content, "utf8");
    const need = (field: string): ContentCheck | undefined =>
      typeof parsed[field] === "string" && parsed[field] !== ""
        ? undefined
        : {
            ok: false,
            err: Codes.invalidParam(`invalid message content: ${field} is required for msg_type ${msgType}`),
          };
    switch (msgType) {
      case "text": {
        const missing = need("text");
        if (missing) return missing;
        if (bytes > MAX_TEXT_BYTES)
          return { ok: false, err: Codes.contentTooLong(`(${bytes} bytes; text limit ${MAX_TEXT_BYTES})`) };
        return { ok: true, text: parsed.text as string };
      }
      case "post":
        if (bytes > MAX_POST_BYTES)
          return { ok: false, err: Codes.contentTooLong(`(${bytes} bytes; post limit ${MAX_POST_BYTES})`) };
        if (Object.keys(parsed).length === 0)
          return { ok: false, err: Codes.invalidParam("invalid message content: empty post") };
        return { ok: true };
      case "image":
        return need("image_key") ?? { ok: true };
      case "file":
      case "audio":
      case "media":
      case "sticker": {
        const missing = need("file_key");
        if (missing) return missing;
        const f = this.files.get(parsed.file_key as string);
        if (msgType !== "sticker" && !f) {
          return { ok: false, err: Codes.invalidParam(`invalid file_key: ${String(parsed.file_key)}`) };
        }
        return f ? { ok: true, file: fileRef(f) } : { ok: true };
      }
      case "share_chat":
        return need("chat_id") ?? { ok: true };
      case "share_user":
        return need("user_id") ?? { ok: true };
      case "interactive":
        return this.checkCard(parsed);
      default:
        return { ok: true };
    }
  }

  private checkCard(card: Obj): ContentCheck {
    if (card.type === "template") {
      return {
        ok: false,
        err: Codes.cardBuildFailed(
          buildFailedMsg(200380, "template does not exist", String(asObj(card.data).template_id ?? "")),
        ),
      };
    }
    if (card.type === "card") {
      return {
        ok: false,
        err: Codes.cardBuildFailed(
          buildFailedMsg(11310, "cardid is invalid", String(asObj(card.data).card_id ?? "")),
        ),
      };
    }
    const r = validateCard(card);
    if (r.ok) return { ok: true, card };
    const details = r.errors.slice(0, 20).map((value) => ({ key: "card", value }));
    const base =
      r.code === 230025
        ? Codes.contentTooLong(r.msg.replace(/^The length of the message content reaches its limit\.\s*/, ""))
        : Codes.cardBuildFailed(r.msg);
    return { ok: false, err: { ...base, extra: { error: { details } } } };
  }

  private dedup(uuid: string | undefined): Obj | undefined {
    if (!uuid) return undefined;
    const hit = this.uuids.get(uuid);
    if (!hit) return undefined;
    if (this.clock() - hit.at >= UUID_WINDOW_MS || !this.sent.has(hit.messageId)) {
      this.uuids.delete(uuid);
      return undefined;
    }
    return hit.response;
  }

  private receiverGate(conv: Conversation): ApiError | undefined {
    const key = conv.open_id ?? conv.chat_id;
    const now = this.clock();
    const wait = this.receiverLimit.waitSeconds(key, now);
    if (wait) return Codes.receiverRateLimited(wait);
    this.receiverLimit.add(key, now);
    return undefined;
  }

  private messageData(m: SentMessage): Obj {
    const d: Obj = { message_id: m.message_id };
    if (m.root_id) d.root_id = m.root_id;
    if (m.parent_id) d.parent_id = m.parent_id;
    if (m.thread_id) d.thread_id = m.thread_id;
    Object.assign(d, {
      msg_type: m.msg_type,
      create_time: String(m.createdAt),
      update_time: String(m.updatedAt),
      deleted: false,
      updated: false,
      chat_id: m.chat_id,
      sender: { id: this.opts.appId, id_type: "app_id", sender_type: "app", tenant_key: this.tenantKey },
      body: { content: m.content },
    });
    return d;
  }

  private store(m: SentMessage): Obj {
    this.sent.set(m.message_id, m);
    this.order.push(m.message_id);
    const data = this.messageData(m);
    if (m.uuid) this.uuids.set(m.uuid, { messageId: m.message_id, at: m.createdAt, response: data });
    return data;
  }

  private handleCreate(req: Request, res: Response): void {
    if (!this.appLimit(req, res, "im.message")) return;
    const body = asObj(req.body);
    const rit = req.query.receive_id_type;
    const v: FieldViolation[] = [];
    if (rit === undefined || rit === "")
      v.push({ field: "receive_id_type", description: "receive_id_type is required" });
    else if (typeof rit !== "string" || !(RECEIVE_ID_TYPES as readonly string[]).includes(rit)) {
      v.push({
        field: "receive_id_type",
        description: `receive_id_type is optional, options: [${RECEIVE_ID_TYPES.join(",")}]`,
      });
    }
    if (body.receive_id === undefined || body.receive_id === "")
      v.push({ field: "receive_id", description: "receive_id is required" });
    else if (typeof body.receive_id !== "string")
      v.push({ field: "receive_id", description: "receive_id must be a string" });
    v.push(...this.messageFieldViolations(body));
    if (v.length) return this.fail(req, res, fieldValidation(v));

    const type = rit as ReceiveIdType;
    const receiveId = body.receive_id as string;
    const msgType = body.msg_type as string;
    const content = body.content as string;
    const uuid = str(body.uuid);
    const dup = this.dedup(uuid);
    if (dup) return this.ok(req, res, dup);

    const target = this.resolveReceiver(type, receiveId);
    if (!target.ok) return this.fail(req, res, target.err);
    const checked = this.checkContent(msgType, content);
    if (!checked.ok) return this.fail(req, res, checked.err);
    const limited = this.receiverGate(target.conv);
    if (limited) return this.fail(req, res, limited);

    const now = this.clock();
    const m: SentMessage = {
      message_id: `om_${randomHex(16)}`,
      kind: "create",
      receive_id_type: type,
      receive_id: receiveId,
      ...(target.conv.open_id ? { open_id: target.conv.open_id } : {}),
      chat_id: target.conv.chat_id,
      chat_type: target.conv.chat_type,
      msg_type: msgType,
      content,
      ...(checked.card ? { card: checked.card } : {}),
      ...(checked.text !== undefined ? { text: checked.text } : {}),
      ...(checked.file ? { file: checked.file } : {}),
      ...(uuid ? { uuid } : {}),
      createdAt: now,
      updatedAt: now,
      patchCount: 0,
      updates: [],
    };
    this.ok(req, res, this.store(m));
  }

  private conversationOf(id: string): (Conversation & { root_id?: string; thread_id?: string }) | undefined {
    const bot = this.sent.get(id);
    if (bot)
      return {
        chat_id: bot.chat_id,
        chat_type: bot.chat_type,
        open_id: bot.open_id,
        root_id: bot.root_id,
        thread_id: bot.thread_id,
      };
    const u = this.userMessages.get(id);
    if (u)
      return {
        chat_id: u.chat_id,
        chat_type: u.chat_type,
        open_id: u.open_id,
        root_id: u.root_id,
        thread_id: u.thread_id,
      };
    return undefined;
  }

  private handleReply(req: Request, res: Response): void {
    if (!this.appLimit(req, res, "im.message")) return;
    const parentId = String(req.params.message_id);
    const body = asObj(req.body);
    const v = this.messageFieldViolations(body);
    if (body.reply_in_thread !== undefined && typeof body.reply_in_thread !== "boolean") {
      v.push({ field: "reply_in_thread", description: "reply_in_thread must be a boolean" });
    }
    if (v.length) return this.fail(req, res, fieldValidation(v));
    const msgType = body.msg_type as string;
    const content = body.content as string;
    const uuid = str(body.uuid);
    const dup = this.dedup(uuid);
    if (dup) return this.ok(req, res, dup);

    const parent = this.conversationOf(parentId);
    if (!parent) return this.fail(req, res, Codes.invalidParam(`invalid message_id: ${parentId}`));
    if (parent.chat_type === "group") {
      const chat = this.chats.get(parent.chat_id);
      if (!chat?.botIsMember) return this.fail(req, res, Codes.botNotInChat());
    } else if (parent.open_id) {
      const u = this.users.get(parent.open_id);
      const blocked = u ? this.userReachable(u) : Codes.openIdCrossApp();
      if (blocked) return this.fail(req, res, blocked);
    }
    const checked = this.checkContent(msgType, content);
    if (!checked.ok) return this.fail(req, res, checked.err);
    const limited = this.receiverGate(parent);
    if (limited) return this.fail(req, res, limited);

    const now = this.clock();
    const inThread = body.reply_in_thread === true;
    const threadId = parent.thread_id ?? (inThread ? `omt_${randomHex(6)}` : undefined);
    const m: SentMessage = {
      message_id: `om_${randomHex(16)}`,
      kind: "reply",
      receive_id_type: parent.chat_type === "p2p" && parent.open_id ? "open_id" : "chat_id",
      receive_id: parent.chat_type === "p2p" && parent.open_id ? parent.open_id : parent.chat_id,
      ...(parent.open_id ? { open_id: parent.open_id } : {}),
      chat_id: parent.chat_id,
      chat_type: parent.chat_type,
      msg_type: msgType,
      content,
      ...(checked.card ? { card: checked.card } : {}),
      ...(checked.text !== undefined ? { text: checked.text } : {}),
      ...(checked.file ? { file: checked.file } : {}),
      ...(uuid ? { uuid } : {}),
      root_id: parent.root_id ?? parentId,
      parent_id: parentId,
      ...(threadId ? { thread_id: threadId } : {}),
      ...(inThread ? { reply_in_thread: true } : {}),
      createdAt: now,
      updatedAt: now,
      patchCount: 0,
      updates: [],
    };
    this.ok(req, res, this.store(m));
  }

  private applyContent(m: SentMessage, content: string, card: Obj, via: MessageUpdate["via"]): void {
    const now = this.clock();
    m.content = content;
    m.card = clone(card);
    m.updatedAt = now;
    m.updates.push({ at: now, via, content });
    if (via === "patch") m.patchCount++;
  }

  private handlePatch(req: Request, res: Response): void {
    if (!this.appLimit(req, res, "im.message")) return;
    const id = String(req.params.message_id);
    const body = asObj(req.body);
    if (body.content === undefined || body.content === "") {
      return this.fail(req, res, fieldValidation([{ field: "content", description: "content is required" }]));
    }
    if (typeof body.content !== "string") {
      return this.fail(
        req,
        res,
        fieldValidation([{ field: "content", description: "content must be a string (JSON-encoded)" }]),
      );
    }
    const m = this.sent.get(id);
    if (!m) {
      if (this.userMessages.has(id)) return this.fail(req, res, Codes.notSender());
      return this.fail(req, res, Codes.invalidParam(`invalid message_id: ${id}`));
    }
    if (m.msg_type !== "interactive") return this.fail(req, res, Codes.unsupportedForType());
    if (this.clock() - m.createdAt > PATCH_WINDOW_MS) return this.fail(req, res, Codes.tooOldToModify());
    const checked = this.checkContent("interactive", body.content);
    if (!checked.ok) return this.fail(req, res, checked.err);
    const now = this.clock();
    const wait = this.patchLimit.waitSeconds(id, now);
    if (wait) return this.fail(req, res, Codes.receiverRateLimited(wait));
    this.patchLimit.add(id, now);
    this.applyContent(m, body.content, checked.card as Obj, "patch");
    this.ok(req, res, {});
  }

  private handleCardUpdate(req: Request, res: Response): void {
    if (!this.appLimit(req, res, "interactive.card_update")) return;
    const body = asObj(req.body);
    const v: FieldViolation[] = [];
    if (typeof body.token !== "string" || body.token === "")
      v.push({ field: "token", description: "token is required" });
    if (body.card === undefined) v.push({ field: "card", description: "card is required" });
    if (v.length) return this.fail(req, res, fieldValidation(v));
    const entry = this.callbackTokens.get(body.token as string);
    if (!entry) return this.fail(req, res, Codes.invalidParam("invalid token"));
    if (this.clock() - entry.issuedAt > CALLBACK_TOKEN_TTL_MS)
      return this.fail(req, res, Codes.invalidParam("token expired (valid 30 minutes)"));
    if (entry.uses >= CALLBACK_TOKEN_USES)
      return this.fail(req, res, Codes.invalidParam(`token already used ${CALLBACK_TOKEN_USES} times`));
    let card: unknown = body.card;
    if (typeof card === "string") {
      try {
        card = JSON.parse(card);
      } catch {
        card = undefined;
      }
    }
    if (!isObj(card)) {
      return this.fail(
        req,
        res,
        Codes.cardBuildFailed(
          buildFailedMsg(
            200621,
            "parse card json err, please check whether the card json is correct",
            "card is not a JSON object",
          ),
        ),
      );
    }
    const { open_ids: _openIds, ...cardOnly } = card;
    const checked = this.checkCard(cardOnly);
    if (!checked.ok) return this.fail(req, res, checked.err);
    const m = this.sent.get(entry.messageId);
    if (!m) return this.fail(req, res, Codes.invalidParam("the card of this token no longer exists"));
    entry.uses++;
    this.applyContent(m, JSON.stringify(cardOnly), cardOnly, "card_update");
    this.ok(req, res, {});
  }

  // ---------------------------------------------------------------- files

  private handleFileUpload(req: Request, res: Response): void {
    const boundary = boundaryOf(req.headers["content-type"]);
    if (!boundary || !Buffer.isBuffer(req.body)) {
      return this.fail(
        req,
        res,
        fieldValidation([{ field: "file", description: "a multipart/form-data body is required" }]),
      );
    }
    const parts = parseMultipart(req.body, boundary);
    const fields: Record<string, string> = {};
    let file: { filename?: string; data: Buffer } | undefined;
    for (const p of parts) {
      if (p.name === "file") file = { filename: p.filename, data: p.data };
      else fields[p.name] = p.data.toString("utf8");
    }
    res.locals.recordBody = {
      fields,
      file: file ? { filename: file.filename, size: file.data.length } : undefined,
    };
    const v: FieldViolation[] = [];
    if (!fields.file_type) v.push({ field: "file_type", description: "file_type is required" });
    else if (!FILE_TYPES.includes(fields.file_type))
      v.push({
        field: "file_type",
        description: `file_type is optional, options: [${FILE_TYPES.join(",")}]`,
      });
    if (!fields.file_name) v.push({ field: "file_name", description: "file_name is required" });
    if (!file) v.push({ field: "file", description: "file is required" });
    else if (file.data.length === 0) v.push({ field: "file", description: "empty files are not allowed" });
    else if (file.data.length > MAX_FILE_BYTES)
      v.push({ field: "file", description: "the file is larger than 30 MB" });
    if (fields.duration !== undefined && !/^\d+$/.test(fields.duration))
      v.push({ field: "duration", description: "duration must be an integer (ms)" });
    if (v.length || !file) return this.fail(req, res, fieldValidation(v));
    const key = `file_v3_${randomHex(4)}_${randomHex(12)}`;
    this.files.set(key, {
      file_key: key,
      file_type: fields.file_type,
      file_name: fields.file_name,
      ...(fields.duration !== undefined ? { duration: Number(fields.duration) } : {}),
      bytes: file.data,
      uploadedAt: this.clock(),
    });
    this.ok(req, res, { file_key: key });
  }

  /** A file a user "sent": kept like an upload, so a file message can point at it. */
  private storeUserFile(f: NonNullable<UserMessageOptions["file"]>): StoredFile {
    const bytes = Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data, "base64");
    const key = `file_v3_${randomHex(4)}_${randomHex(12)}`;
    const stored: StoredFile = {
      file_key: key,
      file_type: f.type ?? "stream",
      file_name: f.name,
      bytes,
      uploadedAt: this.clock(),
    };
    this.files.set(key, stored);
    return stored;
  }

  /** `GET /im/v1/messages/:id/resources/:file_key?type=file|image`: a file from a message a user sent. */
  private handleResourceGet(req: Request, res: Response): void {
    const type = req.query.type;
    if (type !== "file" && type !== "image") {
      return this.fail(
        req,
        res,
        fieldValidation([{ field: "type", description: "type is required, options: [image,file]" }]),
      );
    }
    const msg = this.userMessages.get(String(req.params.message_id));
    const fileKey = String(req.params.file_key);
    if (!msg || msg.fileKey !== fileKey) {
      const bot = this.sent.get(String(req.params.message_id));
      if (bot?.msg_type === "interactive") return this.fail(req, res, Codes.resourceOfCard());
      return this.fail(req, res, Codes.resourceInvalid());
    }
    const f = this.files.get(fileKey);
    if (!f) return this.fail(req, res, Codes.resourceInvalid());
    this.calls.push({
      seq: ++this.seq,
      method: req.method,
      path: this.pathOf(req),
      query: { ...(req.query as Obj) },
      body: undefined,
      status: 200,
      response: `<${f.bytes.length} bytes>`,
      headers: {},
      at: typeof res.locals.at === "number" ? res.locals.at : this.clock(),
    });
    res.status(200);
    res.setHeader("content-type", "application/octet-stream");
    res.setHeader("content-disposition", `attachment; filename="${encodeURIComponent(f.file_name)}"`);
    res.end(f.bytes);
  }

  // ---------------------------------------------------------------- chats

  private handleChatGet(req: Request, res: Response): void {
    const id = String(req.params.chat_id);
    const p2pUser = this.p2p.get(id);
    if (p2pUser) {
      const u = this.users.get(p2pUser);
      return this.ok(req, res, {
        avatar: "",
        name: u?.name ?? "",
        description: "",
        owner_id_type: "open_id",
        owner_id: p2pUser,
        chat_mode: "p2p",
        chat_type: "private",
        external: false,
        tenant_key: this.tenantKey,
        user_count: "1",
        bot_count: "1",
      });
    }
    const chat = this.chats.get(id);
    if (!chat) return this.fail(req, res, Codes.chatIdInvalid());
    if (!chat.botIsMember) return this.fail(req, res, Codes.operatorNotInChat());
    this.ok(req, res, {
      avatar: "",
      name: chat.name,
      description: "",
      i18n_names: { zh_cn: chat.name, en_us: chat.name, ja_jp: chat.name },
      add_member_permission: "all_members",
      share_card_permission: "allowed",
      at_all_permission: "all_members",
      edit_permission: "all_members",
      owner_id_type: "open_id",
      owner_id: chat.members[0] ?? "",
      chat_mode: "group",
      chat_type: "private",
      chat_tag: "inner",
      join_message_visibility: "all_members",
      leave_message_visibility: "all_members",
      membership_approval: "no_approval_required",
      moderation_permission: "all_members",
      external: false,
      tenant_key: this.tenantKey,
      user_count: String(chat.members.length),
      bot_count: "1",
      chat_status: "normal",
    });
  }

  private handleChatMembers(req: Request, res: Response): void {
    const id = String(req.params.chat_id);
    const chat = this.chats.get(id);
    if (!chat) return this.fail(req, res, Codes.chatIdInvalid());
    if (!chat.botIsMember) return this.fail(req, res, Codes.operatorNotInChat());
    const idType = str(req.query.member_id_type) ?? "open_id";
    if (!MEMBER_ID_TYPES.includes(idType)) return this.fail(req, res, Codes.memberIdTypeUnsupported());
    const sizeRaw = str(req.query.page_size);
    const size = sizeRaw === undefined || sizeRaw === "" ? 20 : Number(sizeRaw);
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      return this.fail(
        req,
        res,
        fieldValidation([{ field: "page_size", description: "page_size must be an integer in [1, 100]" }]),
      );
    }
    const tokenRaw = str(req.query.page_token) ?? "";
    let offset = 0;
    if (tokenRaw) {
      const m = /^o(\d+)$/.exec(Buffer.from(tokenRaw, "base64url").toString("utf8"));
      if (!m) return this.fail(req, res, Codes.chatParamInvalid("invalid page_token"));
      offset = Number(m[1]);
    }
    const all = chat.members.map((openId) => {
      const u = this.users.get(openId);
      const memberId =
        idType === "open_id" ? openId : idType === "union_id" ? (u?.union_id ?? "") : (u?.user_id ?? "");
      return { member_id_type: idType, member_id: memberId, name: u?.name ?? "", tenant_key: this.tenantKey };
    });
    const items = all.slice(offset, offset + size);
    const hasMore = offset + size < all.length;
    this.ok(req, res, {
      items,
      page_token: hasMore ? Buffer.from(`o${offset + size}`).toString("base64url") : "",
      has_more: hasMore,
      member_total: all.length,
    });
  }

  // ---------------------------------------------------------------- contact

  private idOf(u: EmulatorUser, idType: string): string | undefined {
    if (idType === "open_id") return u.open_id;
    if (idType === "union_id") return u.union_id;
    return u.user_id;
  }

  private handleBatchGetId(req: Request, res: Response): void {
    if (!this.appLimit(req, res, "contact.batch_get_id")) return;
    const idType = str(req.query.user_id_type) ?? "open_id";
    const body = asObj(req.body);
    const v: FieldViolation[] = [];
    if (!MEMBER_ID_TYPES.includes(idType))
      v.push({
        field: "user_id_type",
        description: `user_id_type is optional, options: [${MEMBER_ID_TYPES.join(",")}]`,
      });
    const list = (field: "emails" | "mobiles"): string[] => {
      const raw = body[field];
      if (raw === undefined) return [];
      if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string")) {
        v.push({ field, description: `${field} must be an array of strings` });
        return [];
      }
      if (raw.length > MAX_BATCH_IDS) v.push({ field, description: `the max len is ${MAX_BATCH_IDS}` });
      return raw as string[];
    };
    const emails = list("emails");
    const mobiles = list("mobiles");
    if (body.include_resigned !== undefined && typeof body.include_resigned !== "boolean") {
      v.push({ field: "include_resigned", description: "include_resigned must be a boolean" });
    }
    if (v.length) return this.fail(req, res, fieldValidation(v));
    const includeResigned = body.include_resigned === true;
    const users = [...this.users.values()];
    const entry = (u: EmulatorUser | undefined, key: "email" | "mobile", value: string): Obj => {
      if (!u || (u.departed && !includeResigned)) return { [key]: value };
      const out: Obj = {};
      const id = this.idOf(u, idType);
      if (id) out.user_id = id;
      out[key] = value;
      if (includeResigned) out.status = this.userStatus(u);
      return out;
    };
    const user_list = [
      ...emails.map((e) =>
        entry(
          users.find((u) => u.email?.toLowerCase() === e.toLowerCase()),
          "email",
          e,
        ),
      ),
      ...mobiles.map((m) =>
        entry(
          users.find((u) => u.mobile && normaliseMobile(u.mobile) === normaliseMobile(m)),
          "mobile",
          m,
        ),
      ),
    ];
    this.ok(req, res, { user_list });
  }

  private userStatus(u: EmulatorUser): Obj {
    return {
      is_frozen: false,
      is_resigned: u.departed === true,
      is_activated: u.departed !== true,
      is_exited: false,
      is_unjoin: false,
    };
  }

  private handleUserGet(req: Request, res: Response): void {
    const idType = str(req.query.user_id_type) ?? "open_id";
    if (!MEMBER_ID_TYPES.includes(idType)) {
      return this.fail(
        req,
        res,
        fieldValidation([
          {
            field: "user_id_type",
            description: `user_id_type is optional, options: [${MEMBER_ID_TYPES.join(",")}]`,
          },
        ]),
      );
    }
    const id = String(req.params.user_id);
    const u = [...this.users.values()].find((x) => this.idOf(x, idType) === id);
    if (!u)
      return this.fail(req, res, idType === "open_id" ? Codes.openIdCrossApp() : Codes.noUserAuthority());
    const user: Obj = { open_id: u.open_id, union_id: u.union_id };
    if (u.user_id) user.user_id = u.user_id;
    Object.assign(user, { name: u.name, en_name: u.name });
    if (u.email) user.email = u.email;
    if (u.mobile) user.mobile = u.mobile;
    Object.assign(user, { status: this.userStatus(u), department_ids: [], tenant_key: this.tenantKey });
    if (u.locale) user.locale = u.locale;
    this.ok(req, res, { user });
  }

  // ---------------------------------------------------------------- control API (sandbox use; not recorded)

  // ---------------------------------------------------------------- bot info (inbound: @mention gate)

  /**
   * `GET /open-apis/bot/v3/info` with a tenant token: `{code: 0, msg: "ok", bot: {activate_status,
   * app_name, avatar_url, ip_white_list, open_id}}`, `bot` at the top level as Feishu answers it.
   */
  private mountBotInfo(app: express.Express): void {
    app.get("/open-apis/bot/v3/info", (req: Request, res: Response) => {
      if (!this.appLimit(req, res, "bot.info")) return;
      this.reply(req, res, 200, {
        code: 0,
        msg: "ok",
        bot: {
          activate_status: 2,
          app_name: this.botName,
          avatar_url: "https://s1-imfile.feishucdn.com/static-resource/v1/emulator-bot-avatar",
          ip_white_list: [],
          open_id: this.botOpenId,
        },
      });
    });
  }

  private mountControl(app: express.Express): void {
    const guard =
      (fn: (body: Obj) => unknown) =>
      async (req: Request, res: Response): Promise<void> => {
        try {
          res.json(await fn(asObj(req.body)));
        } catch (err) {
          res.status(400).json({ error: (err as Error).message });
        }
      };
    app.get("/_emulator/messages", (_req, res) => {
      res.json(this.messages());
    });
    app.get("/_emulator/calls", (_req, res) => {
      res.json(this.calls);
    });
    app.get("/_emulator/deliveries", (_req, res) => {
      res.json(this.deliveries());
    });
    app.get("/_emulator/messages/:message_id", (req, res) => {
      const m = this.message(String(req.params.message_id));
      if (!m) return void res.status(404).json({ error: `unknown message ${String(req.params.message_id)}` });
      res.json(m);
    });
    app.get("/_emulator/clock", (_req, res) => {
      res.json({ now: this.clock(), iso: new Date(this.clock()).toISOString() });
    });
    app.get("/_emulator/files/:file_key", (req, res) => {
      const f = this.files.get(String(req.params.file_key));
      if (!f) return void res.status(404).json({ error: `unknown file_key ${String(req.params.file_key)}` });
      res.setHeader("content-type", "application/octet-stream");
      res.setHeader("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(f.file_name)}`);
      res.setHeader("x-file-type", f.file_type);
      res.end(f.bytes);
    });
    app.post(
      "/_emulator/users",
      guard((b) => (this.addUser(b as unknown as EmulatorUser), { ok: true })),
    );
    app.post(
      "/_emulator/chats",
      guard((b) => (this.addChat(b as unknown as EmulatorChat), { ok: true })),
    );
    app.post(
      "/_emulator/delivery",
      guard((b) => (this.configureDelivery(b as unknown as DeliveryConfig), { ok: true })),
    );
    app.post(
      "/_emulator/user-message",
      guard((b) => this.sendUserMessage(b as unknown as UserMessageOptions)),
    );
    app.post(
      "/_emulator/click-card",
      guard((b) => this.clickCard(b as unknown as ClickCardOptions)),
    );
    app.post(
      "/_emulator/bot-added",
      guard((b) => this.addBotToChat(String(b.chatId), str(b.operator))),
    );
    app.post(
      "/_emulator/reset",
      guard(() => (this.reset(), { ok: true })),
    );
  }
}

/** Every `name` on a tagged component of a card. */
function cardNames(card: Obj): Set<string> {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (typeof v.tag === "string" && typeof v.name === "string") names.add(v.name);
    for (const [k, child] of Object.entries(v)) if (k !== "chart_spec" && k !== "rows") walk(child);
  };
  walk(card);
  return names;
}

function fileRef(f: StoredFile): SentFileRef {
  return { file_key: f.file_key, file_name: f.file_name, file_type: f.file_type, size: f.bytes.length };
}
