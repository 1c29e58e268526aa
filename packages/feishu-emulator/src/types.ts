import type { Logger } from "pino";

export type ReceiveIdType = "open_id" | "user_id" | "union_id" | "email" | "chat_id";
export const RECEIVE_ID_TYPES: readonly ReceiveIdType[] = [
  "open_id",
  "user_id",
  "union_id",
  "email",
  "chat_id",
];

export interface EmulatorUser {
  open_id: string;
  union_id?: string;
  user_id?: string;
  name: string;
  email?: string;
  /** e.g. "+8613800000000" or "13800000000" (a Chinese number matches with or without +86). */
  mobile?: string;
  locale?: "zh_cn" | "en_us";
  /** Outside the app's availability: sends answer 230013. */
  outOfScope?: boolean;
  /** Left the company: sends answer 230029 "User has resigned."; batch_get_id hides them unless include_resigned. */
  departed?: boolean;
  /** open_department_ids of the departments the user is directly in (address book, contact v3). */
  department_ids?: string[];
}

/** A department of the address book (contact v3). */
export interface EmulatorDepartment {
  open_department_id: string;
  /** The tenant's own id for it (custom department id). */
  department_id?: string;
  name: string;
  /** open_department_id of the parent; "0" for a top-level department. */
  parent_department_id: string;
  /** open_id of its leader (主管). */
  leader_user_id?: string;
  order?: number;
}

/** The scopes (权限) an emulated app has for the address book; tests change them with setScopes. */
export const CONTACT_SCOPES = [
  "contact:department.base:readonly",
  "contact:user.base:readonly",
  "contact:user.phone:readonly",
  "contact:user.email:readonly",
  "contact:user.employee_id:readonly",
] as const;

/** The application-info scope (获取应用信息): without it `GET /application/v6/applications/:id` answers 99991672. */
export const APP_INFO_SCOPE = "admin:app.info:readonly";

/** Every scope the emulated app has by default: the address book's and the application info's. */
export const APP_SCOPES = [...CONTACT_SCOPES, APP_INFO_SCOPE] as const;

export interface EmulatorChat {
  chat_id: string;
  name: string;
  /** open_ids of the human members. */
  members: string[];
  botIsMember: boolean;
}

export interface EmulatorLimits {
  /** im.message create + reply + patch per app, per second (50). */
  appPerSecond: number;
  /** ... per minute (1000). */
  appPerMinute: number;
  /** Messages to one user or into one chat per second (5). */
  perReceiverPerSecond: number;
  /** Patches of one message per second (5). */
  patchPerMessagePerSecond: number;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  appId: string;
  appSecret: string;
  /** Injectable clock in ms (default Date.now). Drives tokens, rate limits, ages and event timestamps. */
  now?: () => number;
  limits?: Partial<EmulatorLimits>;
  logger?: Logger;
  /** Tenant token lifetime (7200). */
  tokenTtlSeconds?: number;
  /** tenant_key in events and responses (default "tenant_emulator"). */
  tenantKey?: string;
  /** The bot's own open_id, for @-mentions (default derived from appId). */
  botOpenId?: string;
  /** The bot's display name (default "Rectify Bot"). */
  botName?: string;
  /** How long a delivery waits for the bot's answer (3000 ms, Feishu's limit). */
  deliveryTimeoutMs?: number;
  /** The app's scopes (default: APP_SCOPES); contact and app-info calls mask fields or answer 99991672 by them. */
  scopes?: string[];
  /** The app's owner in the application info API (default: the first demo user, the sandbox's admin). */
  appOwnerOpenId?: string;
  /** Web login: the redirect URIs registered in the app's security settings (unset = any http(s) URL). */
  webLoginRedirectUris?: string[];
}

/** One HTTP request the bot made, as the emulator answered it. */
export interface RecordedCall {
  seq: number;
  method: string;
  path: string;
  query: Record<string, unknown>;
  /** Parsed JSON body; for multipart uploads a summary `{ fields, file: { filename, size } }`. */
  body: unknown;
  status: number;
  response: unknown;
  /** Response headers the emulator set on purpose (rate-limit headers, failNext headers). */
  headers: Record<string, string>;
  /** Emulator clock (ms) when the request arrived. */
  at: number;
}

export interface MessageUpdate {
  at: number;
  via: "patch" | "callback" | "card_update";
  content: string;
}

/** A message the bot sent (create or reply), in its current state. */
export interface SentMessage {
  message_id: string;
  kind: "create" | "reply";
  /** For replies: "open_id" (p2p) or "chat_id" (group) of the parent's conversation. */
  receive_id_type: ReceiveIdType;
  receive_id: string;
  /** Resolved user, for p2p messages. */
  open_id?: string;
  /** The chat the message landed in (a p2p chat id for users). */
  chat_id: string;
  chat_type: "p2p" | "group";
  msg_type: string;
  /** Current content string (after patches / callback updates). */
  content: string;
  /** Parsed current card, when msg_type is interactive. */
  card?: Record<string, unknown>;
  /** Text, when msg_type is text. */
  text?: string;
  /** The uploaded file, when msg_type is file / audio / media. */
  file?: SentFileRef;
  uuid?: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  reply_in_thread?: boolean;
  createdAt: number;
  updatedAt: number;
  /** Number of successful PATCH calls. */
  patchCount: number;
  /** Every content change (patch, callback answer, delayed card update), oldest first. */
  updates: MessageUpdate[];
}

export interface Delivery {
  eventId: string;
  /** HTTP status of the bot's answer; 0 when there was no answer (timeout, connection refused). */
  status: number;
  /** The answer: parsed JSON, or text. */
  body: unknown;
  /** Round-trip time (real ms). */
  ms: number;
  toast?: { type: string; content: string };
  /** For a user message with a file (`sendUserMessage({file})`): the file's key. */
  fileKey?: string;
  /** What went wrong: timeout, non-200, a refused callback card, a wrong challenge... */
  error?: string;
  /** A card callback answer replaced the stored card. */
  cardUpdated?: boolean;
}

export interface DeliveryConfig {
  /** Bot endpoint for events, e.g. http://127.0.0.1:P/feishu/events. */
  url: string;
  /** Card callbacks go here when set, else to `url`. */
  callbackUrl?: string;
  encryptKey?: string;
  verificationToken: string;
}

export interface DeliveryRecord extends Delivery {
  kind: "event" | "callback" | "url_verification" | "raw";
  eventType?: string;
  url: string;
  at: number;
  redelivery: boolean;
}

export interface SentFileRef {
  file_key: string;
  file_name: string;
  file_type: string;
  size: number;
}

export interface StoredFile {
  file_key: string;
  file_type: string;
  file_name: string;
  duration?: number;
  bytes: Buffer;
  uploadedAt: number;
}

export interface FailAnswer {
  status: number;
  code: number;
  msg: string;
  headers?: Record<string, string>;
}

export interface UserMessageOptions {
  /** Sender open_id. */
  from: string;
  chatId?: string;
  chatType?: "p2p" | "group";
  text: string;
  mentions?: { key: string; open_id: string; name: string }[];
  /**
   * @mention the bot (key `@_user_N` added to `mentions` and put before the text). Default: true for a
   * group message without `mentions`, else false.
   */
  mentionBot?: boolean;
  messageId?: string;
  /** Send a file instead of text (`message_type: "file"`); `data` as bytes or base64 (control API). */
  file?: { name: string; data: Buffer | string; type?: string };
  /**
   * Send the text as rich text (`message_type: "post"`, as a client does when the message is formatted):
   * each line a paragraph, an @mention key an `at` element, an optional title.
   */
  post?: { title?: string };
}

export interface ClickCardOptions {
  /** Operator open_id. */
  operator: string;
  messageId: string;
  value?: Record<string, unknown>;
  tag?: string;
  name?: string;
  formValue?: Record<string, unknown>;
  option?: string;
  options?: string[];
  inputValue?: string;
  checked?: boolean;
}
