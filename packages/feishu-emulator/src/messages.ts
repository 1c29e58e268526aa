/** Messages: create, reply, patch (`/open-apis/im/v1/messages…`) and `interactive/v1/card/update`, with receiver resolution, uuid dedup and rate limits. */
import { type Request, type Response } from "express";
import { buildFailedMsg } from "./card-validator";
import { type ApiError, Codes, type FieldViolation, fieldValidation } from "./codes";
import { randomHex } from "./crypto";
import { checkCard, checkContent, messageFieldViolations } from "./message-content";
import { Conversation, Obj, PATCH_WINDOW_MS, asObj, clone, isObj, str } from "./shared";
import { EmulatorState } from "./state";
import {
  type EmulatorUser,
  type MessageUpdate,
  RECEIVE_ID_TYPES,
  type ReceiveIdType,
  type SentMessage,
} from "./types";

const UUID_WINDOW_MS = 3_600_000;

const CALLBACK_TOKEN_TTL_MS = 30 * 60_000;

const CALLBACK_TOKEN_USES = 2;

type Resolved = { ok: true; conv: Conversation } | { ok: false; err: ApiError };

function userReachable(s: EmulatorState, u: EmulatorUser): ApiError | undefined {
  if (u.departed) return Codes.userResigned();
  if (u.outOfScope) return Codes.noAvailability();
  return undefined;
}

function resolveReceiver(s: EmulatorState, type: ReceiveIdType, id: string): Resolved {
  let user: EmulatorUser | undefined;
  switch (type) {
    case "open_id":
      user = s.users.get(id);
      if (!user) return { ok: false, err: Codes.openIdCrossApp() };
      break;
    case "user_id":
      user = [...s.users.values()].find((u) => u.user_id === id);
      break;
    case "union_id":
      user = [...s.users.values()].find((u) => u.union_id === id);
      break;
    case "email":
      user = [...s.users.values()].find((u) => u.email?.toLowerCase() === id.toLowerCase());
      break;
    case "chat_id": {
      const p2pUser = s.p2p.get(id);
      if (p2pUser) {
        user = s.users.get(p2pUser);
        break;
      }
      const chat = s.chats.get(id);
      if (!chat) return { ok: false, err: Codes.receiveIdInvalid() };
      if (!chat.botIsMember) return { ok: false, err: Codes.botNotInChat() };
      return { ok: true, conv: { chat_id: chat.chat_id, chat_type: "group" } };
    }
  }
  if (!user) return { ok: false, err: Codes.receiveIdInvalid() };
  const blocked = userReachable(s, user);
  if (blocked) return { ok: false, err: blocked };
  return {
    ok: true,
    conv: { chat_id: s.p2pChatId(user.open_id), chat_type: "p2p", open_id: user.open_id },
  };
}

function dedup(s: EmulatorState, uuid: string | undefined): Obj | undefined {
  if (!uuid) return undefined;
  const hit = s.uuids.get(uuid);
  if (!hit) return undefined;
  if (s.clock() - hit.at >= UUID_WINDOW_MS || !s.sent.has(hit.messageId)) {
    s.uuids.delete(uuid);
    return undefined;
  }
  return hit.response;
}

function receiverGate(s: EmulatorState, conv: Conversation): ApiError | undefined {
  const key = conv.open_id ?? conv.chat_id;
  const now = s.clock();
  const wait = s.receiverLimit.waitSeconds(key, now);
  if (wait) return Codes.receiverRateLimited(wait);
  s.receiverLimit.add(key, now);
  return undefined;
}

function messageData(s: EmulatorState, m: SentMessage): Obj {
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
    sender: { id: s.opts.appId, id_type: "app_id", sender_type: "app", tenant_key: s.tenantKey },
    body: { content: m.content },
  });
  return d;
}

function store(s: EmulatorState, m: SentMessage): Obj {
  s.sent.set(m.message_id, m);
  s.order.push(m.message_id);
  const data = messageData(s, m);
  if (m.uuid) s.uuids.set(m.uuid, { messageId: m.message_id, at: m.createdAt, response: data });
  return data;
}

export function handleCreate(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "im.message")) return;
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
  v.push(...messageFieldViolations(s, body));
  if (v.length) return s.fail(req, res, fieldValidation(v));

  const type = rit as ReceiveIdType;
  const receiveId = body.receive_id as string;
  const msgType = body.msg_type as string;
  const content = body.content as string;
  const uuid = str(body.uuid);
  const dup = dedup(s, uuid);
  if (dup) return s.ok(req, res, dup);

  const target = resolveReceiver(s, type, receiveId);
  if (!target.ok) return s.fail(req, res, target.err);
  const checked = checkContent(s, msgType, content);
  if (!checked.ok) return s.fail(req, res, checked.err);
  const limited = receiverGate(s, target.conv);
  if (limited) return s.fail(req, res, limited);

  const now = s.clock();
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
  s.ok(req, res, store(s, m));
}

function conversationOf(
  s: EmulatorState,
  id: string,
): (Conversation & { root_id?: string; thread_id?: string }) | undefined {
  const bot = s.sent.get(id);
  if (bot)
    return {
      chat_id: bot.chat_id,
      chat_type: bot.chat_type,
      open_id: bot.open_id,
      root_id: bot.root_id,
      thread_id: bot.thread_id,
    };
  const u = s.userMessages.get(id);
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

export function handleReply(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "im.message")) return;
  const parentId = String(req.params.message_id);
  const body = asObj(req.body);
  const v = messageFieldViolations(s, body);
  if (body.reply_in_thread !== undefined && typeof body.reply_in_thread !== "boolean") {
    v.push({ field: "reply_in_thread", description: "reply_in_thread must be a boolean" });
  }
  if (v.length) return s.fail(req, res, fieldValidation(v));
  const msgType = body.msg_type as string;
  const content = body.content as string;
  const uuid = str(body.uuid);
  const dup = dedup(s, uuid);
  if (dup) return s.ok(req, res, dup);

  const parent = conversationOf(s, parentId);
  if (!parent) return s.fail(req, res, Codes.invalidParam(`invalid message_id: ${parentId}`));
  if (parent.chat_type === "group") {
    const chat = s.chats.get(parent.chat_id);
    if (!chat?.botIsMember) return s.fail(req, res, Codes.botNotInChat());
  } else if (parent.open_id) {
    const u = s.users.get(parent.open_id);
    const blocked = u ? userReachable(s, u) : Codes.openIdCrossApp();
    if (blocked) return s.fail(req, res, blocked);
  }
  const checked = checkContent(s, msgType, content);
  if (!checked.ok) return s.fail(req, res, checked.err);
  const limited = receiverGate(s, parent);
  if (limited) return s.fail(req, res, limited);

  const now = s.clock();
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
  s.ok(req, res, store(s, m));
}

export function applyContent(
  s: EmulatorState,
  m: SentMessage,
  content: string,
  card: Obj,
  via: MessageUpdate["via"],
): void {
  const now = s.clock();
  m.content = content;
  m.card = clone(card);
  m.updatedAt = now;
  m.updates.push({ at: now, via, content });
  if (via === "patch") m.patchCount++;
}

export function handlePatch(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "im.message")) return;
  const id = String(req.params.message_id);
  const body = asObj(req.body);
  if (body.content === undefined || body.content === "") {
    return s.fail(req, res, fieldValidation([{ field: "content", description: "content is required" }]));
  }
  if (typeof body.content !== "string") {
    return s.fail(
      req,
      res,
      fieldValidation([{ field: "content", description: "content must be a string (JSON-encoded)" }]),
    );
  }
  const m = s.sent.get(id);
  if (!m) {
    if (s.userMessages.has(id)) return s.fail(req, res, Codes.notSender());
    return s.fail(req, res, Codes.invalidParam(`invalid message_id: ${id}`));
  }
  if (m.msg_type !== "interactive") return s.fail(req, res, Codes.unsupportedForType());
  if (s.clock() - m.createdAt > PATCH_WINDOW_MS) return s.fail(req, res, Codes.tooOldToModify());
  const checked = checkContent(s, "interactive", body.content);
  if (!checked.ok) return s.fail(req, res, checked.err);
  const now = s.clock();
  const wait = s.patchLimit.waitSeconds(id, now);
  if (wait) return s.fail(req, res, Codes.receiverRateLimited(wait));
  s.patchLimit.add(id, now);
  applyContent(s, m, body.content, checked.card as Obj, "patch");
  s.ok(req, res, {});
}

export function handleCardUpdate(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "interactive.card_update")) return;
  const body = asObj(req.body);
  const v: FieldViolation[] = [];
  if (typeof body.token !== "string" || body.token === "")
    v.push({ field: "token", description: "token is required" });
  if (body.card === undefined) v.push({ field: "card", description: "card is required" });
  if (v.length) return s.fail(req, res, fieldValidation(v));
  const entry = s.callbackTokens.get(body.token as string);
  if (!entry) return s.fail(req, res, Codes.invalidParam("invalid token"));
  if (s.clock() - entry.issuedAt > CALLBACK_TOKEN_TTL_MS)
    return s.fail(req, res, Codes.invalidParam("token expired (valid 30 minutes)"));
  if (entry.uses >= CALLBACK_TOKEN_USES)
    return s.fail(req, res, Codes.invalidParam(`token already used ${CALLBACK_TOKEN_USES} times`));
  let card: unknown = body.card;
  if (typeof card === "string") {
    try {
      card = JSON.parse(card);
    } catch {
      card = undefined;
    }
  }
  if (!isObj(card)) {
    return s.fail(
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
  const checked = checkCard(s, cardOnly);
  if (!checked.ok) return s.fail(req, res, checked.err);
  const m = s.sent.get(entry.messageId);
  if (!m) return s.fail(req, res, Codes.invalidParam("the card of this token no longer exists"));
  entry.uses++;
  applyContent(s, m, JSON.stringify(cardOnly), cardOnly, "card_update");
  s.ok(req, res, {});
}
