import * as lark from "@larksuiteoapi/node-sdk";
import type { Logger } from "../logger";
import { sdkDomain } from "./client";

/**
 * `FEISHU_TRANSPORT=ws`: events and card callbacks over the SDK's long connection (no public address).
 * The SDK hands handlers flattened data (header fields + event fields); we rebuild the schema 2.0
 * envelope so the same processing path as the webhook runs. What the handler returns is the answer.
 */
export interface LongConnection {
  close(): void;
}

const EVENT_TYPES = ["im.message.receive_v1", "card.action.trigger", "im.chat.member.bot.added_v1"] as const;

export function startLongConnection(opts: {
  appId: string;
  appSecret: string;
  domain: string;
  encryptKey?: string;
  verificationToken?: string;
  logger: Logger;
  onPayload(payload: Record<string, unknown>): Promise<unknown>;
}): LongConnection {
  const dispatcher = new lark.EventDispatcher({
    encryptKey: opts.encryptKey,
    verificationToken: opts.verificationToken,
  });
  const handlers: Record<string, (data: Record<string, unknown>) => Promise<unknown>> = {};
  for (const type of EVENT_TYPES) {
    handlers[type] = async (data) => {
      const { event_id, event_type, create_time, token, app_id, tenant_key, ...event } = data;
      return opts.onPayload({
        schema: "2.0",
        header: { event_id, event_type: event_type ?? type, create_time, token, app_id, tenant_key },
        event,
      });
    };
  }
  // The SDK's handler map is typed per known event; card.action.trigger is missing from it.
  dispatcher.register(handlers as unknown as Parameters<typeof dispatcher.register>[0]);
  const ws = new lark.WSClient({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: sdkDomain(opts.domain),
    loggerLevel: lark.LoggerLevel.warn,
  });
  void ws.start({ eventDispatcher: dispatcher });
  opts.logger.info("feishu long connection started");
  return { close: () => ws.close() };
}
