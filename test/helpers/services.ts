import crypto from "node:crypto";
import { inject } from "vitest";
import { outboundUuid } from "../../jobs/outbound";

/** A name unique to this test run, for Redis prefixes, queue names and database names. */
export function uniqueName(label: string): string {
  return `${label}_${crypto.randomBytes(5).toString("hex")}`;
}

export function redisUrl(): string {
  return inject("redisUrl");
}

/** The shared MongoDB URI with a database of the test's own. */
export function mongoUriFor(db: string): string {
  const base = inject("mongoUri");
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Poll until `fn` returns a truthy value, or fail after `timeoutMs`. */
type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as Truthy<T>;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/**
 * The bot's answer to one question in a chat: the message its outbound uuid names (jobs/outbound.ts
 * `outboundUuid("answer", questionId, 0)`), not merely the newest message there — other cards (a
 * reviewer's flags card, a reminder) may land in the same chat meanwhile.
 */
export async function answerTo<M extends { uuid?: string; chat_id: string }>(
  messages: () => M[],
  questionId: string,
  what: string,
  timeoutMs = 5000,
): Promise<M> {
  const uuid = outboundUuid("answer", questionId, 0);
  return waitFor(() => messages().find((m) => m.uuid === uuid), timeoutMs, what);
}
