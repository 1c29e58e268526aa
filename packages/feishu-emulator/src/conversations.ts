/**
 * Read-only views of the emulator's state for the sandbox page (`/sandbox` on the bot): the directory,
 * and one person's conversations (their p2p chat with the bot and the groups they are in), with what the
 * bot sent and what people typed, oldest first. Part of the unauthenticated control API; not recorded.
 */
import type express from "express";
import type { FeishuEmulator } from "./emulator";
import type { EmulatorState, UserMessage } from "./state";
import type { SentFileRef } from "./types";

/** One line of a chat as a Feishu client shows it. */
export interface ConversationEntry {
  message_id: string;
  /** "bot", or the sender's open_id. */
  sender: string;
  sender_name: string;
  createdAt: number;
  updatedAt: number;
  msg_type: string;
  card?: Record<string, unknown>;
  text?: string;
  /** A post (rich text) message's content, as sent. */
  content?: string;
  file?: SentFileRef | { file_key: string; file_name: string };
  /** Content changes so far (patches, callback answers, delayed updates). */
  updates: number;
  parent_id?: string;
}

export interface ConversationView {
  chat_id: string;
  chat_type: "p2p" | "group";
  name: string;
  messages: ConversationEntry[];
}

function userEntry(s: EmulatorState, m: UserMessage): ConversationEntry {
  const f = m.fileKey ? s.files.get(m.fileKey) : undefined;
  return {
    message_id: m.message_id,
    sender: m.sender,
    sender_name: s.users.get(m.sender)?.name ?? m.sender,
    createdAt: m.createdAt,
    updatedAt: m.createdAt,
    msg_type: f ? "file" : "text",
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(f ? { file: { file_key: f.file_key, file_name: f.file_name } } : {}),
    updates: 0,
    ...(m.root_id ? { parent_id: m.root_id } : {}),
  };
}

function conversation(
  emu: FeishuEmulator,
  s: EmulatorState,
  chatId: string,
  chatType: "p2p" | "group",
  name: string,
): ConversationView {
  const bot: ConversationEntry[] = emu
    .messages()
    .filter((m) => m.chat_id === chatId)
    .map((m) => ({
      message_id: m.message_id,
      sender: "bot",
      sender_name: s.botName,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      msg_type: m.msg_type,
      ...(m.card ? { card: m.card } : {}),
      ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.msg_type === "post" ? { content: m.content } : {}),
      ...(m.file ? { file: m.file } : {}),
      updates: m.updates.length,
      ...(m.parent_id ? { parent_id: m.parent_id } : {}),
    }));
  const people = [...s.userMessages.values()].filter((m) => m.chat_id === chatId).map((m) => userEntry(s, m));
  // Stable: by time, the bot's answer after the message it answers when both carry the same ms.
  const messages = [...people, ...bot].sort((a, b) => a.createdAt - b.createdAt);
  return { chat_id: chatId, chat_type: chatType, name, messages };
}

export function mountConversations(emu: FeishuEmulator, s: EmulatorState, app: express.Express): void {
  app.get("/_emulator/directory", (_req, res) => {
    res.json({
      bot: { open_id: s.botOpenId, name: s.botName },
      users: [...s.users.values()].map((u) => ({ ...u })),
      chats: [...s.chats.values()].map((c) => ({ ...c, members: [...c.members] })),
    });
  });
  app.get("/_emulator/conversations/:open_id", (req, res) => {
    const openId = String(req.params.open_id);
    const user = s.users.get(openId);
    if (!user) return void res.status(404).json({ error: `unknown user ${openId}` });
    const chats: ConversationView[] = [conversation(emu, s, s.p2pChatId(openId), "p2p", s.botName)];
    for (const c of s.chats.values())
      if (c.members.includes(openId)) chats.push(conversation(emu, s, c.chat_id, "group", c.name));
    res.json({ user: { ...user }, bot: { open_id: s.botOpenId, name: s.botName }, chats });
  });
}
