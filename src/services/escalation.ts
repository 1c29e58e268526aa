import type { WorkCalendar } from "../calendar";
import type { EscalationStep } from "../domain/types";

/**
 * 一级压一级: an overdue assignment or measure climbs a ladder (default owner at 0 working days overdue →
 * the unit's head after 2 → the leader in charge after 5 → the admins after 10). Each step sends once per
 * item and due date (a granted extension moves the due date and so restarts the ladder). Items that are
 * answered, closed or no longer overdue are simply not in the input: escalation stops by itself. Pure.
 */
export interface OverdueItem {
  /** "follow-up": a 回头看 not answered in time (due = its answer-by day). */
  kind: "assignment" | "measure" | "follow-up";
  id: string;
  title: string;
  ownerKey: string;
  unitKey: string;
  dueDate: string;
}

export interface EscalationUnit {
  headKey?: string | null;
  leaderKey?: string | null;
}

export interface EscalationSend {
  /** Claim key: once per item, due date and step. */
  claim: string;
  recipientKey: string;
  step: number;
  level: EscalationStep["to"];
  afterWorkingDays: number;
  item: OverdueItem & { daysOverdue: number };
}

export function planEscalations(input: {
  today: string;
  ladder: EscalationStep[];
  items: OverdueItem[];
  units: Map<string, EscalationUnit>;
  admins: string[];
  calendar: WorkCalendar;
}): EscalationSend[] {
  if (!input.calendar.isWorkingDay(input.today)) return [];
  const out: EscalationSend[] = [];
  for (const item of input.items) {
    if (item.dueDate >= input.today) continue;
    const daysOverdue = input.calendar.workingDaysBetween(item.dueDate, input.today);
    input.ladder.forEach((step, i) => {
      if (daysOverdue < step.afterWorkingDays) return;
      const unit = input.units.get(item.unitKey);
      const to =
        step.to === "owner"
          ? [item.ownerKey]
          : step.to === "head"
            ? [unit?.headKey]
            : step.to === "leader"
              ? [unit?.leaderKey]
              : input.admins;
      const recipients = new Set(to.filter((k): k is string => Boolean(k)));
      // Above the owner's own step, the owner is not told "about themselves" again.
      if (step.to !== "owner") recipients.delete(item.ownerKey);
      for (const r of recipients) {
        out.push({
          claim: `${item.kind}:${item.id}:${item.dueDate}:${i}:${r}`,
          recipientKey: r,
          step: i,
          level: step.to,
          afterWorkingDays: step.afterWorkingDays,
          item: { ...item, daysOverdue },
        });
      }
    });
  }
  return out;
}
