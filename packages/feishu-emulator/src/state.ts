/** The emulator's state, shared by every API file: directory, sent messages, files, tokens, rate-limit windows, deliveries; and the reply helpers that record each call. */
import { type Request, type Response } from "express";
import http from "node:http";
import pino, { type Logger } from "pino";
import { type ApiError, Codes } from "./codes";
import { digestHex } from "./crypto";
import { DEMO_USERS } from "./demo";
import { SlidingWindow } from "./rate-limit";
import { Conversation, Obj, SentEvent, asObj, clone } from "./shared";
import {
  type DeliveryConfig,
  type DeliveryRecord,
  type EmulatorChat,
  type EmulatorDepartment,
  APP_SCOPES,
  type EmulatorLimits,
  type EmulatorOptions,
  type EmulatorUser,
  type FailAnswer,
  type RecordedCall,
  type SentMessage,
  type StoredFile,
} from "./types";

export const DEFAULT_LIMITS: EmulatorLimits = {
  appPerSecond: 50,
  appPerMinute: 1000,
  perReceiverPerSecond: 5,
  patchPerMessagePerSecond: 5,
};

/** A message a user sent to the bot (so the bot can reply to it). */
export interface UserMessage extends Conversation {
  message_id: string;
  sender: string;
  root_id?: string;
  thread_id?: string;
  createdAt: number;
  /** For a file message: the file's key (its bytes are in `files`). */
  fileKey?: string;
  /** What the user typed (without the bot mention the emulator adds), for the sandbox page. */
  text?: string;
}

interface CallbackToken {
  messageId: string;
  issuedAt: number;
  uses: number;
}

export class EmulatorState {
  /** Every request the bot made (token calls included), oldest first. */
  readonly calls: RecordedCall[] = [];
  readonly opts: EmulatorOptions;
  readonly clock: () => number;
  readonly log: Logger;
  readonly limits: EmulatorLimits;
  readonly tokenTtlMs: number;
  readonly tenantKey: string;
  readonly deliveryTimeoutMs: number;
  readonly botOpenId: string;
  readonly botName: string;
  /** The app's owner (application info API); `setAppOwner` changes it. */
  appOwnerOpenId?: string;
  server?: http.Server;
  baseUrl = "";
  seq = 0;
  readonly users = new Map<string, EmulatorUser>();
  readonly chats = new Map<string, EmulatorChat>();
  /** p2p chat id → user open_id */
  readonly p2p = new Map<string, string>();
  readonly sent = new Map<string, SentMessage>();
  readonly order: string[] = [];
  readonly userMessages = new Map<string, UserMessage>();
  readonly uuids = new Map<string, { messageId: string; at: number; response: Obj }>();
  readonly files = new Map<string, StoredFile>();
  readonly callbackTokens = new Map<string, CallbackToken>();
  readonly failures: { remaining: number; answer: FailAnswer; match?: { path?: RegExp } }[] = [];
  currentToken?: { token: string; issuedAt: number };
  lastIssuedAt = 0;
  /** Newest issue time of any valid token a request presented (tokens may come from another emulator instance). */
  lastSeenIssuedAt = 0;
  revokedUpTo = -Infinity;
  readonly appSecond: SlidingWindow;
  readonly appMinute: SlidingWindow;
  readonly receiverLimit: SlidingWindow;
  readonly patchLimit: SlidingWindow;
  deliveryCfg?: DeliveryConfig;
  readonly deliveryLog: DeliveryRecord[] = [];
  readonly events = new Map<string, SentEvent>();
  /** Address book departments by open_department_id, and the app's scopes (contact v3). */
  readonly departments = new Map<string, EmulatorDepartment>();
  readonly scopes: Set<string>;
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
    this.scopes = new Set(opts.scopes ?? APP_SCOPES);
    this.appOwnerOpenId = "appOwnerOpenId" in opts ? opts.appOwnerOpenId : DEMO_USERS[0].open_id;
    this.appSecond = new SlidingWindow(1000, () => this.limits.appPerSecond);
    this.appMinute = new SlidingWindow(60_000, () => this.limits.appPerMinute);
    this.receiverLimit = new SlidingWindow(1000, () => this.limits.perReceiverPerSecond);
    this.patchLimit = new SlidingWindow(1000, () => this.limits.patchPerMessagePerSecond);
  }
  /** The chat id of the bot's p2p chat with a user (stable per app and user). */
  p2pChatId(openId: string): string {
    return `oc_${digestHex(`p2p:${this.opts.appId}:${openId}`)}`;
  }
  pathOf(req: Request): string {
    return req.originalUrl.split("?")[0];
  }
  reply(
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
  fail(req: Request, res: Response, err: ApiError): void {
    this.reply(
      req,
      res,
      err.status,
      { code: err.code, msg: err.msg, ...(err.extra ?? {}) },
      err.headers ?? {},
    );
  }
  ok(req: Request, res: Response, data: unknown, msg = "success"): void {
    this.reply(req, res, 200, { code: 0, msg, data });
  }
  /** App-level limit shared by a bucket (im.message: create + reply + patch). */
  appLimit(req: Request, res: Response, bucket: string): boolean {
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
  findUser(id: string): EmulatorUser | undefined {
    const direct = this.users.get(id);
    if (direct) return direct;
    const lower = id.toLowerCase();
    for (const u of this.users.values()) {
      if (u.user_id === id || u.union_id === id || (u.email && u.email.toLowerCase() === lower)) return u;
    }
    return undefined;
  }
}
