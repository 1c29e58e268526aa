/**
 * One error taxonomy. Services throw these; each entry point (card callback, chat answer, CLI, HTTP)
 * turns them into a clear answer for a person: a toast, a message, an exit code.
 */
export type AppErrorKind = "not_found" | "forbidden" | "invalid" | "stale" | "conflict" | "closed";

export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    readonly zh: string,
    readonly en: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(en);
    this.name = "AppError";
  }
}

export const notFound = (zh: string, en: string) => new AppError("not_found", zh, en);
export const forbidden = (zh = "这不是您的事项，无法操作。", en = "This is not yours to act on.") =>
  new AppError("forbidden", zh, en);
export const invalid = (zh: string, en: string, details?: Record<string, unknown>) =>
  new AppError("invalid", zh, en, details);
export const stale = (
  zh = "卡片内容已更新，请以最新内容为准。",
  en = "This card is out of date; it now shows the current state.",
) => new AppError("stale", zh, en);
export const closed = (zh = "活动已结束，不能再修改。", en = "The campaign has ended; no more changes.") =>
  new AppError("closed", zh, en);

/** Duplicate-key error from MongoDB (or the embedded store). */
export function isDuplicateKey(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && (e as { code: unknown }).code === 11000;
}

/** Collects every problem of a form, so one answer names them all; nothing is stored if any. */
export class FormProblems {
  private readonly zh: string[] = [];
  private readonly en: string[] = [];
  add(zh: string, en: string): void {
    this.zh.push(zh);
    this.en.push(en);
  }
  get any(): boolean {
    return this.zh.length > 0;
  }
  throwIfAny(): void {
    if (this.any) throw invalid(this.zh.join("；"), this.en.join("; "), { fields: [...this.en] });
  }
}
