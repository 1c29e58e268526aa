import { createReadStream } from "node:fs";
import * as lark from "@larksuiteoapi/node-sdk";
import type { Redis } from "ioredis";
import { trimToLimits } from "../../cards/kit";
import type { Logger } from "../logger";
import { type ContactOptions, FeishuContact } from "./contact";
import { checkBody, FeishuApiError, toFeishuError } from "./errors";
import { RedisTokenCache } from "./token-cache";
import type {
  BotInfo,
  ChatMember,
  DownloadedFile,
  FeishuApi,
  MessageContent,
  Receiver,
  ResolvedUser,
  SendOptions,
  SentMessage,
  UploadFileType,
  UserLookup,
} from "./types";

export interface FeishuClientOptions {
  appId: string;
  appSecret: string;
  /** "feishu", "lark" or a base URL (the local emulator). */
  domain: string;
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  /** HTTP timeout per call. */
  timeoutMs?: number;
  /** Address book pacing and page size (defaults: 15 calls/s, pages of 50). */
  contact?: ContactOptions;
}

export function sdkDomain(domain: string): lark.Domain | string {
  if (domain === "feishu") return lark.Domain.Feishu;
  if (domain === "lark") return lark.Domain.Lark;
  return domain.replace(/\/$/, "");
}

/** Route the SDK's own logging into ours, quietly: we classify and log errors ourselves. */
function sdkLogger(log: Logger) {
  // Never throws: an error body may be a stream (circular), and a throwing logger would replace the
  // SDK's error with its own.
  const json = (m: unknown) => {
    try {
      return JSON.stringify(m);
    } catch {
      return String(m);
    }
  };
  const fmt = (msg: unknown[]) =>
    msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : json(m))).join(" ");
  return {
    error: (...m: unknown[]) => log.debug({ sdk: "error" }, fmt(m)),
    warn: (...m: unknown[]) => log.debug({ sdk: "warn" }, fmt(m)),
    info: (...m: unknown[]) => log.trace({ sdk: "info" }, fmt(m)),
    debug: (...m: unknown[]) => log.trace({ sdk: "debug" }, fmt(m)),
    trace: (...m: unknown[]) => log.trace({ sdk: "trace" }, fmt(m)),
  };
}

/** Every card leaves fitted to Feishu's limits (30 KB, 200 components): a refused card is no answer at all. */
function encode(content: MessageContent): { msg_type: string; content: string } {
  if ("card" in content)
    return { msg_type: "interactive", content: JSON.stringify(trimToLimits(content.card)) };
  if ("fileKey" in content)
    return { msg_type: "file", content: JSON.stringify({ file_key: content.fileKey }) };
  return { msg_type: "text", content: JSON.stringify({ text: content.text }) };
}

interface ApiBody {
  code?: number;
  msg?: string;
  data?: Record<string, unknown>;
}

/** The one implementation of FeishuApi, on the real node-sdk. */
export class FeishuClient implements FeishuApi {
  readonly sdk: lark.Client;
  private readonly cache: RedisTokenCache;
  private bot: Promise<BotInfo> | undefined;
  /** The address book (contact v3), paced and paged: src/feishu/contact.ts. */
  readonly contact: FeishuContact;

  constructor(private readonly opts: FeishuClientOptions) {
    this.cache = new RedisTokenCache(opts.redis, opts.redisPrefix);
    this.sdk = new lark.Client({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: sdkDomain(opts.domain),
      cache: this.cache,
      logger: sdkLogger(opts.logger),
      loggerLevel: lark.LoggerLevel.error,
    });
    lark.defaultHttpInstance.defaults.timeout = opts.timeoutMs ?? 10_000;
    this.contact = new FeishuContact(this.sdk, (what, fn) => this.call(what, fn), opts.logger, opts.contact);
  }

  /**
   * Run one API call; on an invalid-token answer drop the cached token, fetch a new one and retry once
   * (the SDK does neither by itself).
   */
  private call<T extends ApiBody>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.withToken(what, async () => checkBody(await fn(), what));
  }

  private async withToken<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const err = toFeishuError(e, what);
        if (err.kind === "invalid_token" && attempt === 0) {
          this.opts.logger.warn({ code: err.code }, "feishu token rejected; refetching once");
          await this.cache.invalidate(this.opts.appId);
          continue;
        }
        throw err;
      }
    }
  }

  async send(to: Receiver, content: MessageContent, opts: SendOptions = {}): Promise<SentMessage> {
    const res = await this.call(
      "message.create",
      () =>
        this.sdk.im.message.create({
          params: { receive_id_type: to.type },
          data: { receive_id: to.id, ...encode(content), uuid: opts.uuid },
        }) as Promise<ApiBody>,
    );
    return { messageId: String(res.data?.message_id ?? ""), chatId: res.data?.chat_id as string | undefined };
  }

  async reply(
    messageId: string,
    content: MessageContent,
    opts: SendOptions & { inThread?: boolean } = {},
  ): Promise<SentMessage> {
    const res = await this.call(
      "message.reply",
      () =>
        this.sdk.im.message.reply({
          path: { message_id: messageId },
          data: { ...encode(content), reply_in_thread: opts.inThread, uuid: opts.uuid },
        }) as Promise<ApiBody>,
    );
    return { messageId: String(res.data?.message_id ?? ""), chatId: res.data?.chat_id as string | undefined };
  }

  async patchCard(messageId: string, card: object): Promise<void> {
    await this.call(
      "message.patch",
      () =>
        this.sdk.im.message.patch({
          path: { message_id: messageId },
          data: { content: JSON.stringify(trimToLimits(card)) },
        }) as Promise<ApiBody>,
    );
  }

  async delayedUpdate(token: string, card: object): Promise<void> {
    await this.call(
      "card.update",
      () =>
        this.sdk.request({
          method: "POST",
          url: "/open-apis/interactive/v1/card/update",
          data: { token, card: trimToLimits(card) },
        }) as Promise<ApiBody>,
    );
  }

  async lookupUsers(q: UserLookup): Promise<ResolvedUser[]> {
    const out: ResolvedUser[] = [];
    const emails = [...new Set(q.emails ?? [])];
    const mobiles = [...new Set(q.mobiles ?? [])];
    // The API takes at most 50 emails and 50 mobiles per call.
    for (let i = 0; i < Math.max(emails.length, mobiles.length); i += 50) {
      const batchE = emails.slice(i, i + 50);
      const batchM = mobiles.slice(i, i + 50);
      const res = await this.call(
        "contact.batch_get_id",
        () =>
          this.sdk.contact.user.batchGetId({
            params: { user_id_type: "open_id" },
            data: { emails: batchE.length ? batchE : undefined, mobiles: batchM.length ? batchM : undefined },
          }) as Promise<ApiBody>,
      );
      const list = (res.data?.user_list ?? []) as { user_id?: string; email?: string; mobile?: string }[];
      const found = new Map<string, string | undefined>();
      for (const u of list) {
        const key = u.email ?? u.mobile;
        if (key) found.set(key, u.user_id || undefined);
      }
      for (const e of batchE) out.push({ query: e, openId: found.get(e) });
      for (const m of batchM) out.push({ query: m, openId: found.get(m) });
    }
    return out;
  }

  async listChatMembers(chatId: string): Promise<ChatMember[]> {
    const members: ChatMember[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.call(
        "chat_members.get",
        () =>
          this.sdk.im.chatMembers.get({
            path: { chat_id: chatId },
            params: { member_id_type: "open_id", page_size: 100, page_token: pageToken },
          }) as Promise<ApiBody>,
      );
      const items = (res.data?.items ?? []) as { member_id?: string; name?: string }[];
      for (const it of items) if (it.member_id) members.push({ openId: it.member_id, name: it.name });
      pageToken = res.data?.has_more ? (res.data?.page_token as string | undefined) : undefined;
    } while (pageToken);
    return members;
  }

  /**
   * `GET /open-apis/bot/v3/info` answers `{code, msg, bot: {open_id, app_name, …}}` (not under `data`).
   * The bot's identity does not change while the app runs: asked once, a failure is not cached.
   * https://open.feishu.cn/document/client-docs/bot-v3/obtain-bot-info
   */
  botInfo(): Promise<BotInfo> {
    this.bot ??= this.call(
      "bot.info",
      () => this.sdk.request({ method: "GET", url: "/open-apis/bot/v3/info" }) as Promise<ApiBody>,
    ).then((res) => {
      const bot = (res as { bot?: { open_id?: unknown; app_name?: unknown } }).bot;
      if (typeof bot?.open_id !== "string" || !bot.open_id)
        throw new FeishuApiError("unknown", undefined, 200, "bot.info failed: no open_id in the answer");
      return { openId: bot.open_id, name: typeof bot.app_name === "string" ? bot.app_name : undefined };
    });
    this.bot.catch(() => (this.bot = undefined));
    return this.bot;
  }

  async getChatName(chatId: string): Promise<string | undefined> {
    const res = await this.call(
      "chat.get",
      () => this.sdk.im.chat.get({ path: { chat_id: chatId } }) as Promise<ApiBody>,
    );
    return res.data?.name as string | undefined;
  }

  async uploadFile(file: { name: string; type: UploadFileType; path: string }): Promise<string> {
    // The SDK's im.file.create returns `data` unwrapped ({file_key}) and throws only on non-2xx. A
    // stream, not a Buffer (FEISHU.md "Files"); a new stream per attempt, since a stream is read once.
    const res = await this.withToken("file.create", () =>
      this.sdk.im.file.create({
        data: { file_type: file.type, file_name: file.name, file: createReadStream(file.path) },
      }),
    );
    if (!res?.file_key)
      throw new FeishuApiError("unknown", undefined, undefined, "file.create failed: no file_key");
    return res.file_key;
  }

  sendFile(to: Receiver, fileKey: string, opts: SendOptions = {}): Promise<SentMessage> {
    return this.send(to, { fileKey }, opts);
  }

  async downloadMessageFile(messageId: string, fileKey: string, maxBytes: number): Promise<DownloadedFile> {
    // The SDK answers a stream (errors too: their JSON body is a stream, read here to classify them).
    const res = await this.withToken("message_resource.get", async () => {
      try {
        return await this.sdk.im.messageResource.get({
          path: { message_id: messageId, file_key: fileKey },
          params: { type: "file" },
        });
      } catch (e) {
        throw await withStreamBody(e);
      }
    });
    const stream = res.getReadableStream();
    const declared = Number((res.headers as Record<string, unknown> | undefined)?.["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      stream.destroy();
      return { tooLarge: true, size: declared };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        stream.destroy();
        return { tooLarge: true, size };
      }
      chunks.push(chunk as Buffer);
    }
    return { tooLarge: false, bytes: Buffer.concat(chunks) };
  }

  /**
   * `GET /open-apis/application/v6/applications/:app_id?lang=zh_cn` → `data.app.owner.owner_id`.
   * https://open.feishu.cn/document/server-docs/application-v6/application/get
   */
  async appOwner(): Promise<string | undefined> {
    const res = await this.call(
      "application.get",
      () =>
        this.sdk.request({
          method: "GET",
          url: `/open-apis/application/v6/applications/${encodeURIComponent(this.opts.appId)}`,
          params: { lang: "zh_cn", user_id_type: "open_id" },
        }) as Promise<ApiBody>,
    );
    const app = res.data?.app as { owner?: { owner_id?: unknown } } | undefined;
    const id = app?.owner?.owner_id;
    return typeof id === "string" && id ? id : undefined;
  }
}

/** An axios error whose body is a stream (responseType "stream"): the body read back as JSON. */
async function withStreamBody(e: unknown): Promise<unknown> {
  const res = (e as { response?: { data?: unknown } } | undefined)?.response;
  const body = res?.data as NodeJS.ReadableStream | undefined;
  if (!res || !body || typeof (body as { on?: unknown }).on !== "function") return e;
  try {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Buffer));
    res.data = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    res.data = undefined;
  }
  return e;
}
