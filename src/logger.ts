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
