import { outboundUuid } from "../jobs/outbound";
import type { InboundMessage } from "../src/domain/events";
import type { MessageContent } from "../src/feishu/types";
import type { HandlerDeps } from "./deps";

/**
 * Answer a chat message: in a group, in the thread of the question; in p2p, as a plain message.
 * The uuid derives from the question's message id, so a redelivered question cannot be answered twice.
 */
export async function answerMessage(
  msg: InboundMessage,
  content: MessageContent,
  deps: HandlerDeps,
  part = 0,
): Promise<void> {
  const uuid = outboundUuid("answer", msg.messageId, part);
  if (msg.chatType === "group") {
    await deps.outbound.enqueue({
      op: "reply",
      messageId: msg.messageId,
      chatId: msg.chatId,
      inThread: true,
      content,
      uuid,
      ref: { kind: "answer" },
    });
  } else {
    await deps.outbound.enqueue({
      op: "send",
      to: { type: "chat_id", id: msg.chatId },
      content,
      uuid,
      ref: { kind: "answer" },
    });
  }
}
