/**
 * Feishu errors, classified into a few stable kinds. Only `rate_limited` and `transient` are retried.
 * Codes: https://open.feishu.cn/document/server-docs/im-v1/message/create (error codes table).
 */

export type FeishuErrorKind =
  | "rate_limited"
  | "permission_denied"
  | "invalid_receiver"
  | "card_invalid"
  | "too_old"
  | "invalid_token"
  | "transient"
  | "unknown";

export class FeishuApiError extends Error {
  constructor(
    readonly kind: FeishuErrorKind,
    readonly code: number | undefined,
    readonly httpStatus: number | undefined,
    message: string,
    /** For rate_limited: how long to wait, from `x-ogw-ratelimit-reset`. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "FeishuApiError";
  }

  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "transient";
  }
}

const RATE_LIMITED = new Set([99991400, 230020, 11232, 11233]);
const PERMISSION = new Set([99991672, 99991679, 230006, 230013, 230027, 230053, 99991401]);
const INVALID_RECEIVER = new Set([
  230029, 230001, 230002, 99992361, 99992351, 99992352, 99992353, 230034, 230035, 230012,
]);
const CARD_INVALID = new Set([230099, 230025, 200621, 200861, 11310, 230009]);
const TOO_OLD = new Set([230031, 230028]);
const INVALID_TOKEN = new Set([99991663, 99991661, 99991664, 99991668]);
const TRANSIENT = new Set([1500, 99991500, 2200, 230098, 1000004, 1000005]);

export function classifyCode(code: number | undefined, httpStatus: number | undefined): FeishuErrorKind {
  if (code !== undefined) {
    if (RATE_LIMITED.has(code)) return "rate_limited";
    if (INVALID_TOKEN.has(code)) return "invalid_token";
    if (PERMISSION.has(code)) return "permission_denied";
    if (INVALID_RECEIVER.has(code)) return "invalid_receiver";
    if (CARD_INVALID.has(code)) return "card_invalid";
    if (TOO_OLD.has(code)) return "too_old";
    if (TRANSIENT.has(code)) return "transient";
  }
  if (httpStatus === 429) return "rate_limited";
  if (httpStatus !== undefined && httpStatus >= 500) return "transient";
  if (httpStatus === undefined) return "transient"; // network error, timeout
  return "unknown";
}

interface AxiosLikeError {
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
  code?: string;
  message?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** Turn whatever the SDK threw (AxiosError, plain Error) into a FeishuApiError. */
export function toFeishuError(e: unknown, what: string): FeishuApiError {
  if (e instanceof FeishuApiError) return e;
  const ax = (isRecord(e) ? e : {}) as AxiosLikeError;
  const status = ax.response?.status;
  const data = ax.response?.data;
  const code = isRecord(data) && typeof data.code === "number" ? data.code : undefined;
  const msg = isRecord(data) && typeof data.msg === "string" ? data.msg : (ax.message ?? String(e));
  const resetHeader = ax.response?.headers?.["x-ogw-ratelimit-reset"];
  const reset = resetHeader !== undefined ? Number(resetHeader) : NaN;
  const kind = classifyCode(code, status);
  return new FeishuApiError(
    kind,
    code,
    status,
    `${what} failed: ${code ?? status ?? ax.code ?? "error"} ${msg}`,
    kind === "rate_limited" ? (Number.isFinite(reset) && reset > 0 ? reset * 1000 : 1000) : undefined,
  );
}

/** A 2xx answer still needs `code === 0`. */
export function checkBody<T extends { code?: number; msg?: string }>(
  body: T | undefined | null,
  what: string,
): T {
  if (!body) throw new FeishuApiError("unknown", undefined, 200, `${what} failed: empty answer`);
  if (body.code !== undefined && body.code !== 0) {
    const kind = classifyCode(body.code, 200);
    throw new FeishuApiError(
      kind,
      body.code,
      200,
      `${what} failed: ${body.code} ${body.msg ?? ""}`,
      kind === "rate_limited" ? 1000 : undefined,
    );
  }
  return body;
}
