import type { ContactDirectory } from "./contact";

/**
 * The narrow interface the rest of the bot uses to talk to Feishu. Only `src/feishu/` imports the SDK.
 */

export type ReceiveIdType = "open_id" | "user_id" | "union_id" | "email" | "chat_id";

export interface Receiver {
  type: ReceiveIdType;
  id: string;
}

/** A card, a text, or a file uploaded before (`uploadFile`), sent as `msg_type: "file"`. */
export type MessageContent = { card: object } | { text: string } | { fileKey: string };

export type UploadFileType = "xls" | "doc" | "pdf" | "stream" | "ppt" | "mp4" | "opus";

export interface SendOptions {
  /** Deterministic id (≤ 50 chars): Feishu drops a repeat within one hour. */
  uuid?: string;
}

export interface SentMessage {
  messageId: string;
  chatId?: string;
}

export interface UserLookup {
  emails?: string[];
  mobiles?: string[];
}

export interface ResolvedUser {
  /** The email or mobile as asked. */
  query: string;
  openId?: string;
}

export interface ChatMember {
  openId: string;
  name?: string;
}

/** The app's bot, from `GET /open-apis/bot/v3/info`. */
export interface BotInfo {
  openId: string;
  name?: string;
}

/** A file a user sent, downloaded; or how big it said it was when over the cap (nothing more was read). */
export type DownloadedFile = { tooLarge: false; bytes: Buffer } | { tooLarge: true; size: number };

export interface FeishuApi {
  send(to: Receiver, content: MessageContent, opts?: SendOptions): Promise<SentMessage>;
  reply(
    messageId: string,
    content: MessageContent,
    opts?: SendOptions & { inThread?: boolean },
  ): Promise<SentMessage>;
  patchCard(messageId: string, card: object): Promise<void>;
  /** Delayed update with a callback token (valid 30 min, 2 uses). */
  delayedUpdate(token: string, card: object): Promise<void>;
  lookupUsers(q: UserLookup): Promise<ResolvedUser[]>;
  /** The address book: departments and their people (contact v3, paged, paced). */
  readonly contact: ContactDirectory;
  listChatMembers(chatId: string): Promise<ChatMember[]>;
  getChatName(chatId: string): Promise<string | undefined>;
  /** Upload a file from disk for a chat (≤ 30 MB, not empty); answers its file_key. */
  uploadFile(file: { name: string; type: UploadFileType; path: string }): Promise<string>;
  /** Send an uploaded file as a file message. */
  sendFile(to: Receiver, fileKey: string, opts?: SendOptions): Promise<SentMessage>;
  /**
   * The bytes of a file a user sent in a message (`im.messageResource.get`, type file). Over `maxBytes`
   * (by its Content-Length, or while reading) the download stops and answers `tooLarge`.
   */
  downloadMessageFile(messageId: string, fileKey: string, maxBytes: number): Promise<DownloadedFile>;
  /** The app's owner (open_id) from the application info API; undefined when it names none. */
  appOwner(): Promise<string | undefined>;
  /** The bot's own identity (its open_id tells an @mention of the bot from others); fetched once, cached. */
  botInfo(): Promise<BotInfo>;
}
