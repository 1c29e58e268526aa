/** Feishu payloads normalised at the edge into these small types; services never see raw payloads. */

/** Fields Feishu may null or omit (ids without scope, a name) are "" here, never null. */
export interface Mention {
  key: string;
  openId: string;
  name: string;
}

export interface InboundMessage {
  kind: "message";
  eventId: string;
  messageId: string;
  chatId: string;
  chatType: "p2p" | "group";
  senderOpenId: string;
  messageType: string;
  /** Plain text with mention keys (`@_user_1`) left in place; empty for non-text messages. */
  text: string;
  mentions: Mention[];
  /** Thread root when the message is a reply. */
  rootId?: string;
  /** A file message (`message_type: "file"`): its key and name, to download it from the message. */
  file?: { fileKey: string; fileName: string };
}

export interface CardAction {
  kind: "card_action";
  eventId: string;
  operatorOpenId: string;
  /** Callback token for a delayed update (30 min, 2 uses). */
  token: string;
  messageId?: string;
  chatId?: string;
  tag: string;
  name?: string;
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  option?: string;
  options?: string[];
  inputValue?: string;
  checked?: boolean;
  timezone?: string;
}

export interface BotAddedToChat {
  kind: "bot_added";
  eventId: string;
  chatId: string;
  name?: string;
  operatorOpenId?: string;
}

export type InboundEvent = InboundMessage | CardAction | BotAddedToChat;

export interface Toast {
  type: "info" | "success" | "warning" | "error";
  content: string;
  i18n?: { zh_cn?: string; en_us?: string };
}

/** What a card callback answers (within 3 s). */
export interface CardAnswer {
  toast?: Toast;
  card?: object;
}
