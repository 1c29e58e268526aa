import { z } from "zod";
import type { InboundEvent } from "../domain/events";

/** Raw Feishu payloads (schema 2.0, flattened or not) → small internal types. Unknown event types → null. */

/*
 * What the bot uses is validated; everything else is let through. Feishu omits or nulls the fields an
 * app has no scope for (`user_id`, `union_id`) and sends null for empty optional parts (`mentions`,
 * `form_value`, `option`, `context` fields): null and missing both read as "absent". Unknown extra
 * fields are ignored everywhere (`.loose()`).
 * https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
 * https://open.feishu.cn/document/feishu-cards/card-callback-communication
 */

/** Optional: null or missing → undefined. */
const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);
const optString = opt(z.string());

interface UserIds {
  open_id?: string;
  union_id?: string;
  user_id?: string;
}
const userId = z
  .object({ open_id: optString, union_id: optString, user_id: optString })
  .loose()
  .nullish()
  .transform((v): UserIds => v ?? {});

const mention = z.object({ key: opt(z.string()), id: userId, name: opt(z.string()) }).loose();

const messageEvent = z.object({
  sender: z.object({ sender_id: userId, sender_type: optString }).loose(),
  message: z
    .object({
      message_id: z.string(),
      chat_id: z.string(),
      chat_type: z.string(),
      message_type: z.string(),
      content: z.string(),
      root_id: optString,
      mentions: opt(z.array(mention)),
    })
    .loose(),
});

const cardEvent = z.object({
  operator: z.object({ open_id: z.string() }).loose(),
  token: optString,
  action: z
    .object({
      tag: optString,
      name: optString,
      value: opt(z.union([z.record(z.string(), z.unknown()), z.string()])),
      form_value: opt(z.record(z.string(), z.unknown())),
      option: optString,
      options: opt(z.array(z.string())),
      input_value: optString,
      checked: opt(z.boolean()),
      timezone: optString,
    })
    .loose(),
  context: opt(z.object({ open_message_id: optString, open_chat_id: optString }).loose()),
});

const botAdded = z.object({
  chat_id: z.string(),
  name: optString,
  operator_id: userId,
});

export class PayloadError extends Error {}

/**
 * The words of a rich-text (`post`) message, as a text message would carry them: the title and every
 * paragraph's text and link texts, an @mention as its key (`@_user_1`, matched against `mentions` as in
 * a text message), paragraphs on lines of their own; images, emoji and anything unknown left out. The
 * receive event's content is `{title, content: [[elements]]}`; the send format's language wrapper
 * (`{zh_cn: {…}}`) is read too. Anything unreadable is no text (the bot then says it did not understand).
 * https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content
 */
export function postText(content: string): string {
  let c: unknown;
  try {
    c = JSON.parse(content);
  } catch {
    return "";
  }
  const isObj = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v);
  if (!isObj(c)) return "";
  const body = Array.isArray(c.content)
    ? c
    : Object.values(c).find((v) => isObj(v) && Array.isArray(v.content));
  if (!isObj(body)) return "";
  const lines: string[] = [];
  if (typeof body.title === "string" && body.title.trim()) lines.push(body.title.trim());
  for (const para of body.content as unknown[]) {
    if (!Array.isArray(para)) continue;
    const words = para.map((el) => {
      if (!isObj(el)) return "";
      if ((el.tag === "text" || el.tag === "a" || el.tag === "md") && typeof el.text === "string")
        return el.text;
      if (el.tag === "at") return ` ${typeof el.user_id === "string" ? el.user_id : ""} `;
      return "";
    });
    const line = words.join("").trim();
    if (line) lines.push(line);
  }
  return lines.join("\n");
}

export function normaliseEvent(payload: Record<string, unknown>): InboundEvent | null {
  const header = payload.header as { event_id: string; event_type: string };
  const event = payload.event;
  const eventId = header.event_id;
  const fail = (e: z.ZodError) =>
    new PayloadError(
      `${header.event_type}: ${e.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );

  switch (header.event_type) {
    case "im.message.receive_v1": {
      const r = messageEvent.safeParse(event);
      if (!r.success) throw fail(r.error);
      const m = r.data.message;
      let text = "";
      let file: { fileKey: string; fileName: string } | undefined;
      if (m.message_type === "file") {
        try {
          const c = JSON.parse(m.content) as { file_key?: unknown; file_name?: unknown };
          if (typeof c.file_key === "string" && c.file_key)
            file = { fileKey: c.file_key, fileName: typeof c.file_name === "string" ? c.file_name : "" };
        } catch {
          file = undefined;
        }
      }
      if (m.message_type === "text") {
        try {
          const c = JSON.parse(m.content) as { text?: unknown };
          text = typeof c.text === "string" ? c.text : "";
        } catch {
          text = "";
        }
      }
      if (m.message_type === "post") text = postText(m.content);
      return {
        kind: "message",
        eventId,
        messageId: m.message_id,
        chatId: m.chat_id,
        chatType: m.chat_type === "group" ? "group" : "p2p",
        senderOpenId: r.data.sender.sender_id.open_id ?? "",
        messageType: m.message_type,
        text,
        mentions: (m.mentions ?? []).map((x) => ({
          key: x.key ?? "",
          openId: x.id.open_id ?? "",
          name: x.name ?? "",
        })),
        rootId: m.root_id || undefined,
        ...(file ? { file } : {}),
      };
    }
    case "card.action.trigger": {
      const r = cardEvent.safeParse(event);
      if (!r.success) throw fail(r.error);
      const a = r.data.action;
      let value: Record<string, unknown> = {};
      if (typeof a.value === "string") {
        try {
          const v: unknown = JSON.parse(a.value);
          if (v && typeof v === "object" && !Array.isArray(v)) value = v as Record<string, unknown>;
        } catch {
          value = {};
        }
      } else if (a.value) value = a.value;
      return {
        kind: "card_action",
        eventId,
        operatorOpenId: r.data.operator.open_id,
        token: r.data.token ?? "",
        messageId: r.data.context?.open_message_id,
        chatId: r.data.context?.open_chat_id,
        tag: a.tag ?? "",
        name: a.name,
        value,
        formValue: a.form_value,
        option: a.option,
        options: a.options,
        inputValue: a.input_value,
        checked: a.checked,
        timezone: a.timezone,
      };
    }
    case "im.chat.member.bot.added_v1": {
      const r = botAdded.safeParse(event);
      if (!r.success) throw fail(r.error);
      return {
        kind: "bot_added",
        eventId,
        chatId: r.data.chat_id,
        name: r.data.name,
        operatorOpenId: r.data.operator_id.open_id,
      };
    }
    default:
      return null;
  }
}
