import pino, { type Logger } from "pino";

export type { Logger };

/** The one logger. Secrets never reach it: known secret fields are redacted. */
export function createLogger(level: string = "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "rectify-bot" },
      redact: {
        paths: [
          "appSecret",
          "encryptKey",
          "verificationToken",
          "*.appSecret",
          "*.encryptKey",
          "*.tenant_access_token",
          "headers.authorization",
        ],
        censor: "***",
      },
    },
    destination,
  );
}

/** A logger that drops everything, for tests that don't care. */
export const silentLogger: Logger = pino({ level: "silent" });

const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace"]);
const noop = () => undefined;

/**
 * `logger.child(bindings)` made only when something is logged. pino serialises a child's bindings when
 * it is created; the inbound path makes one per event and on the happy path logs nothing, so the child
 * is deferred. Log calls below the level are no-ops, `child()` stays lazy, anything else materialises.
 */
export function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  let real: Logger | undefined;
  const materialise = () => (real ??= logger.child(bindings));
  return new Proxy(logger, {
    get(_target, prop) {
      if (real) return bound(real, prop);
      if (prop === "child")
        return (b: Record<string, unknown>, opts?: object) =>
          opts ? materialise().child(b, opts) : lazyChild(logger, { ...bindings, ...b });
      if (typeof prop === "string" && LEVELS.has(prop) && !logger.isLevelEnabled(prop)) return noop;
      return bound(materialise(), prop);
    },
  });
}

function bound(target: Logger, prop: string | symbol): unknown {
  const v: unknown = Reflect.get(target, prop);
  return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
}
