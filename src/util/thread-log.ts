import pino from "pino";
import type { Logger } from "../logger";

/**
 * Logs of a worker thread (or a child process) go through the parent's logger (one stream, the parent's redaction and base
 * fields). The worker logs with a pino logger whose lines are posted to the parent as `{ log: line }`;
 * the parent re-logs each at its level with the worker's fields (a pino logger cannot cross threads).
 */
export function threadLogger(
  port: { postMessage(m: { log: string }): void },
  level: string,
  bindings: Record<string, unknown> = {},
): Logger {
  const stream = { write: (line: string) => port.postMessage({ log: line }) };
  return pino({ level, base: bindings, timestamp: false }, stream);
}

const LEVEL_NAMES: Record<number, "trace" | "debug" | "info" | "warn" | "error" | "fatal"> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** The parent's side: one `{ log }` message from a worker's threadLogger, logged here. */
export function relayLog(logger: Logger | undefined, line: string): void {
  if (!logger) return;
  try {
    const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string } & Record<
      string,
      unknown
    >;
    logger[LEVEL_NAMES[level] ?? "info"](fields, msg ?? "");
  } catch {
    logger.info({ line }, "worker thread log line");
  }
}
