import type { BotAddedToChat } from "../src/domain/events";
import type { Logger } from "../src/logger";
import type { HandlerDeps } from "./deps";

/** `im.chat.member.bot.added_v1`: remember the chat and its name, for progress broadcasts. */
export async function onBotAdded(evt: BotAddedToChat, deps: HandlerDeps, log: Logger): Promise<void> {
  let name = evt.name;
  if (!name) {
    try {
      name = await deps.feishu.getChatName(evt.chatId);
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : String(e) }, "could not read the chat's name");
    }
  }
  await deps.models.Chat.updateOne(
    { chatId: evt.chatId },
    { $set: { name, active: true }, $setOnInsert: { addedAt: deps.now() } },
    { upsert: true },
  );
  log.info({ chat_id: evt.chatId, name }, "bot added to chat");
}
