/** Card callbacks: a person clicks a card (`card.action.trigger`), and the bot's answer (toast, raw card) is applied. */
import { validateCard } from "./card-validator";
import { randomHex } from "./crypto";
import { deliver, header, idBlock, requireDelivery } from "./events";
import { applyContent } from "./messages";
import { Obj, PATCH_WINDOW_MS, asObj, isObj, str } from "./shared";
import { EmulatorState } from "./state";
import { type ClickCardOptions, type Delivery } from "./types";

const TOAST_TYPES = ["info", "success", "warning", "error"];

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

export async function clickCard(s: EmulatorState, opts: ClickCardOptions): Promise<Delivery> {
  const cfg = requireDelivery(s);
  const m = s.sent.get(opts.messageId);
  if (!m) throw new Error(`clickCard: unknown message ${opts.messageId}`);
  if (m.msg_type !== "interactive" || !m.card)
    throw new Error(`clickCard: message ${opts.messageId} is not a card`);
  if (opts.name !== undefined && !cardNames(m.card).has(opts.name)) {
    throw new Error(`clickCard: the card has no component named "${opts.name}"`);
  }
  const now = s.clock();
  const eventId = randomHex(16);
  if (now - m.createdAt > PATCH_WINDOW_MS) {
    const d: Delivery = {
      eventId,
      status: 0,
      body: undefined,
      ms: 0,
      error: "card interactions expire 14 days after sending",
    };
    s.deliveryLog.push({
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
  s.callbackTokens.set(token, { messageId: m.message_id, issuedAt: now, uses: 0 });
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
    header: header(s, cfg, eventId, "card.action.trigger", String(now * 1000)),
    event: {
      operator: { tenant_key: s.tenantKey, ...idBlock(s, opts.operator) },
      token,
      action,
      host: "im_message",
      context: { open_message_id: m.message_id, open_chat_id: m.chat_id },
    },
  };
  return deliver(
    s,
    { kind: "callback", eventType: "card.action.trigger", payload, messageId: m.message_id },
    eventId,
    false,
  );
}

export function applyCallbackAnswer(s: EmulatorState, messageId: string, d: Delivery): void {
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
  const m = s.sent.get(messageId);
  if (!m) {
    d.error = `message ${messageId} no longer exists`;
    return;
  }
  applyContent(s, m, JSON.stringify(card.data), card.data as Obj, "callback");
  d.cardUpdated = true;
}
