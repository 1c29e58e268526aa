/** Messages: the checks on a message body and its content (field rules, size limits, card JSON 2.0 validation). */
import { buildFailedMsg, validateCard } from "./card-validator";
import { type ApiError, Codes, type FieldViolation } from "./codes";
import { Obj, asObj, isObj } from "./shared";
import { EmulatorState } from "./state";
import { type SentFileRef, type StoredFile } from "./types";

const UUID_MAX = 50;

const MAX_TEXT_BYTES = 150 * 1024;

const MAX_POST_BYTES = 30 * 1024;

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

type ContentCheck =
  { ok: true; card?: Obj; text?: string; file?: SentFileRef } | { ok: false; err: ApiError };

function fileRef(f: StoredFile): SentFileRef {
  return { file_key: f.file_key, file_name: f.file_name, file_type: f.file_type, size: f.bytes.length };
}

export function messageFieldViolations(s: EmulatorState, body: Obj): FieldViolation[] {
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

export function checkContent(s: EmulatorState, msgType: string, content: string): ContentCheck {
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
      const f = s.files.get(parsed.file_key as string);
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
      return checkCard(s, parsed);
    default:
      return { ok: true };
  }
}

export function checkCard(s: EmulatorState, card: Obj): ContentCheck {
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
