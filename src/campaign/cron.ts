/**
 * Cron expression check for campaign schedules. Schedules run as BullMQ job schedulers, which use
 * cron-parser (5 fields, or 6 with seconds first); we check the shape ourselves for a clear message,
 * then let cron-parser check the ranges.
 */
import { CronExpressionParser } from "cron-parser";

const FIELD_CHARS = /^[0-9A-Za-z*,/?#-]+$/;

/** Undefined when the expression is usable, otherwise a short reason. */
export function checkCron(expression: string, timezone?: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed === "") return "cron 表达式为空 / cron expression is empty";
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `cron 表达式 "${expression}" 须有 5 个字段（分 时 日 月 周）或 6 个（秒在最前），实际 ${fields.length} 个 / cron expression "${expression}" must have 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fields.length}`;
  }
  const bad = fields.find((f) => !FIELD_CHARS.test(f));
  if (bad !== undefined)
    return `cron 表达式 "${expression}" 含无效字段 "${bad}"：只能用数字、字母和 * , / - ? # / cron expression "${expression}" has an invalid field "${bad}": use digits, letters and * , / - ? #`;
  try {
    CronExpressionParser.parse(trimmed, timezone ? { tz: timezone } : {});
  } catch (err) {
    return `cron 表达式 "${expression}" 无效（${(err as Error).message}） / cron expression "${expression}" is invalid: ${(err as Error).message}`;
  }
  return undefined;
}
