import type { Doc } from "./types";

/** MongoDB error codes used by the server (names as MongoDB reports them in `codeName`). */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CommandNotSupported: 115,
  Location40324: 40324,
  DuplicateKey: 11000,
} as const;

const NAMES = new Map<number, string>(Object.entries(ErrorCodes).map(([name, code]) => [code, name]));

export function codeName(code: number): string | undefined {
  const n = NAMES.get(code);
  return n && !n.startsWith("Location") ? n : undefined;
}

/** An error that becomes a `{ ok: 0, code, codeName, errmsg, ...extra }` reply (or a write error). */
export class CommandError extends Error {
  readonly code: number;
  readonly extra: Doc;
  constructor(code: number, message: string, extra: Doc = {}) {
    super(message);
    this.name = "CommandError";
    this.code = code;
    this.extra = extra;
  }

  /** The command reply for this error. */
  toReply(): Doc {
    const name = codeName(this.code);
    return {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      ...(name ? { codeName: name } : {}),
      ...this.extra,
    };
  }

  /** The `writeErrors[]` entry for this error. */
  toWriteError(index: number): Doc {
    const name = codeName(this.code);
    return {
      index,
      code: this.code,
      ...(name ? { codeName: name } : {}),
      errmsg: this.message,
      ...this.extra,
    };
  }
}

/** Turns any thrown value into a CommandError (mingo errors become BadValue). */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/immutable field/i.test(message)) return new CommandError(ErrorCodes.ImmutableField, message);
  // programming errors (ours or a library's) rather than a bad request
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) {
    return new CommandError(ErrorCodes.InternalError, `internal error: ${message}`);
  }
  return new CommandError(ErrorCodes.BadValue, message);
}
