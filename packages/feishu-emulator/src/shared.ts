/** Small helpers and types shared by the emulator's API files. */
import { type DeliveryRecord } from "./types";

export const TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal";

export const DAY_MS = 86_400_000;

export const PATCH_WINDOW_MS = 14 * DAY_MS;

export const MEMBER_ID_TYPES = ["open_id", "user_id", "union_id"];

export type Obj = Record<string, unknown>;

export interface Conversation {
  chat_id: string;
  chat_type: "p2p" | "group";
  open_id?: string;
}

export interface SentEvent {
  kind: DeliveryRecord["kind"];
  eventType?: string;
  payload: unknown;
  messageId?: string;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asObj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
