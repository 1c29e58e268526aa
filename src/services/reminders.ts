import type { DigestLine } from "../../cards/view-types";
import type { WorkCalendar } from "../calendar";
import { addDays, fromZoned, zonedParts } from "../time";

/**
 * Who gets reminded of what today (DESIGN.md §6, issue 4). Pure: the sweep loads the data, this decides.
 * - only on a working day, only while the campaign is active;
 * - pending self-checks and open measures (not those waiting for the reviewer);
 * - N working days before the due date (campaign's remindBefore, default 3 and 1), on the day, and every
 *   working day while overdue;
 * - not to people on leave today, without an open_id, or whose deliveries failed for good;
 * - one digest per person: everything that triggered today.
 */
export interface ReminderPerson {
  key: string;
  openId?: string | null;
  leave?: { from?: string | null; to?: string | null }[];
  undeliverable?: { at?: Date | null } | null;
}

export interface ReminderItem {
  kind: "assignment" | "measure" | "follow-up";
  id: string;
  title: string;
  personKey: string;
  dueDate: string;
}

export interface ReminderInput {
  active: boolean;
  today: string;
  remindBefore: number[];
  items: ReminderItem[];
  people: Map<string, ReminderPerson>;
  calendar: WorkCalendar;
}

export interface ReminderPlan {
  personKey: string;
  lines: DigestLine[];
}

export type SkipReason = "not_working_day" | "inactive" | "on_leave" | "no_open_id" | "undeliverable";

export function onLeave(p: ReminderPerson, day: string): boolean {
  return (p.leave ?? []).some((l) => (!l.from || l.from <= day) && (!l.to || day <= l.to));
}

/** Why an item is due for a reminder today, or undefined. */
export function reminderNote(
  today: string,
  due: string,
  remindBefore: number[],
  cal: WorkCalendar,
): { zh: string; en: string; overdue: number } | undefined {
  if (due === today) return { zh: "今天到期", en: "due today", overdue: 0 };
  if (due < today) {
    const n = Math.max(1, cal.workingDaysBetween(due, today));
    return { zh: `已逾期 ${n} 个工作日`, en: `overdue by ${n} working day(s)`, overdue: n };
  }
  const wd = cal.workingDaysBetween(today, due);
  if (remindBefore.includes(wd))
    return { zh: `${wd} 个工作日后到期`, en: `due in ${wd} working day(s)`, overdue: 0 };
  return undefined;
}

export function planReminders(input: ReminderInput): {
  plans: ReminderPlan[];
  skipped: { personKey: string; reason: SkipReason }[];
} {
  if (!input.active) return { plans: [], skipped: [] };
  if (!input.calendar.isWorkingDay(input.today)) return { plans: [], skipped: [] };
  const byPerson = new Map<string, DigestLine[]>();
  for (const it of input.items) {
    const why = reminderNote(input.today, it.dueDate, input.remindBefore, input.calendar);
    if (!why) continue;
    const lines = byPerson.get(it.personKey) ?? [];
    lines.push({ kind: it.kind, id: it.id, title: it.title, dueDate: it.dueDate, note: why.zh });
    byPerson.set(it.personKey, lines);
  }
  const plans: ReminderPlan[] = [];
  const skipped: { personKey: string; reason: SkipReason }[] = [];
  for (const [personKey, lines] of byPerson) {
    const p = input.people.get(personKey);
    if (!p?.openId) skipped.push({ personKey, reason: "no_open_id" });
    else if (p.undeliverable?.at) skipped.push({ personKey, reason: "undeliverable" });
    else if (onLeave(p, input.today)) skipped.push({ personKey, reason: "on_leave" });
    else plans.push({ personKey, lines });
  }
  plans.sort((a, b) => a.personKey.localeCompare(b.personKey));
  return { plans, skipped };
}

/**
 * Quiet hours: reminders go out only within working hours on a working day. Returns the delay in ms
 * from `now` until the next allowed moment (0 when now is fine). Nothing is dropped: it waits.
 */
export function quietHoursDelay(
  now: Date,
  timezone: string,
  cal: WorkCalendar,
  hours: { start: number; end: number } = { start: 9, end: 18 },
): number {
  const local = zonedParts(now, timezone);
  if (cal.isWorkingDay(local.date) && local.hour >= hours.start && local.hour < hours.end) return 0;
  let day = local.date;
  if (!(cal.isWorkingDay(day) && local.hour < hours.start)) day = cal.nextWorkingDay(addDays(day, 1));
  // `start` o'clock on that day in the zone.
  const target = fromZoned(day, hours.start, timezone);
  return Math.max(0, target.getTime() - now.getTime());
}
