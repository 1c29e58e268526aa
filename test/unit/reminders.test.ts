import { describe, expect, it } from "vitest";
import { WorkCalendar } from "../../src/calendar";
import {
  planReminders,
  quietHoursDelay,
  type ReminderItem,
  type ReminderPerson,
} from "../../src/services/reminders";

const cal = new WorkCalendar();
const people = new Map<string, ReminderPerson>([
  ["ann", { key: "ann", openId: "ou_ann" }],
  ["bob", { key: "bob", openId: "ou_bob", leave: [{ from: "2026-10-08", to: "2026-10-09" }] }],
  ["cy", { key: "cy", openId: null }],
  ["dee", { key: "dee", openId: "ou_dee", undeliverable: { at: new Date() } }],
]);
const item = (personKey: string, dueDate: string, id = `${personKey}-${dueDate}`): ReminderItem => ({
  kind: "assignment",
  id,
  title: "查立场是否坚定",
  personKey,
  dueDate,
});
const plan = (today: string, items: ReminderItem[], active = true) =>
  planReminders({ active, today, remindBefore: [3, 1], items, people, calendar: cal });
const who = (today: string, items: ReminderItem[]) => plan(today, items).plans.map((p) => p.personKey);

describe("planReminders around National Day 2026 (10-01..10-07 off, Sat 10-10 a working day)", () => {
  const due = [item("ann", "2026-10-09")];

  it("reminds 3 and 1 working days before, skipping the holiday, and on the day", () => {
    const days = [
      "2026-09-28",
      "2026-09-29",
      "2026-09-30",
      "2026-10-01",
      "2026-10-05",
      "2026-10-08",
      "2026-10-09",
    ];
    const reminded = days.filter((d) => who(d, due).length > 0);
    expect(reminded).toEqual(["2026-09-29", "2026-10-08", "2026-10-09"]);
    expect(plan("2026-09-29", due).plans[0].lines[0].note).toBe("3 个工作日后到期");
    expect(plan("2026-10-09", due).plans[0].lines[0].note).toBe("今天到期");
  });

  it("reminds daily while overdue on working days, the make-up Saturday included, never on a holiday or Sunday", () => {
    const overdue = [item("ann", "2026-09-30")];
    expect(who("2026-10-02", overdue)).toEqual([]);
    expect(who("2026-10-08", overdue)).toEqual(["ann"]);
    expect(plan("2026-10-08", overdue).plans[0].lines[0].note).toBe("已逾期 1 个工作日");
    expect(who("2026-10-10", overdue)).toEqual(["ann"]); // Saturday 调休
    expect(plan("2026-10-10", overdue).plans[0].lines[0].note).toBe("已逾期 3 个工作日");
    expect(who("2026-10-11", overdue)).toEqual([]); // Sunday
  });

  it("1 working day before a Monday due date is the make-up Saturday", () => {
    expect(plan("2026-10-10", [item("ann", "2026-10-12")]).plans[0].lines[0].note).toBe("1 个工作日后到期");
    expect(who("2026-10-09", [item("ann", "2026-10-12")])).toEqual([]); // 2 working days before: not a reminder day
  });

  it("one digest per person listing everything due; not to people on leave, unreachable or undeliverable", () => {
    const items = [
      item("ann", "2026-10-08", "a1"),
      item("ann", "2026-10-09", "a2"),
      item("bob", "2026-10-08"),
      item("cy", "2026-10-08"),
      item("dee", "2026-10-08"),
    ];
    const r = plan("2026-10-08", items);
    expect(r.plans).toHaveLength(1);
    expect(r.plans[0]).toMatchObject({ personKey: "ann" });
    expect(r.plans[0].lines.map((l) => l.id)).toEqual(["a1", "a2"]);
    expect(Object.fromEntries(r.skipped.map((s) => [s.personKey, s.reason]))).toEqual({
      bob: "on_leave",
      cy: "no_open_id",
      dee: "undeliverable",
    });
    expect(who("2026-10-10", [item("bob", "2026-10-08")])).toEqual(["bob"]); // back from leave
  });

  it("nothing after the campaign ends, and nothing for what is not in the input (answered, closed)", () => {
    expect(plan("2026-10-08", [item("ann", "2026-10-08")], false).plans).toEqual([]);
    expect(plan("2026-10-08", []).plans).toEqual([]);
  });
});

describe("quiet hours", () => {
  const tz = "Asia/Shanghai";
  const at = (iso: string) => new Date(iso);
  it("sends now within working hours on a working day", () => {
    expect(quietHoursDelay(at("2026-10-09T02:00:00Z"), tz, cal)).toBe(0); // Fri 10:00
  });
  it("waits for 09:00 the next working day: the evening before a make-up Saturday", () => {
    // Fri 2026-10-09 20:00 Shanghai → Sat 2026-10-10 09:00 (a working day)
    expect(quietHoursDelay(at("2026-10-09T12:00:00Z"), tz, cal)).toBe(13 * 3600_000);
  });
  it("waits through a holiday", () => {
    // Thu 2026-10-01 10:00 (holiday) → Thu 2026-10-08 09:00
    expect(quietHoursDelay(at("2026-10-01T02:00:00Z"), tz, cal)).toBe(7 * 24 * 3600_000 - 3600_000);
  });
  it("waits for 09:00 the same day early in the morning", () => {
    expect(quietHoursDelay(at("2026-10-08T22:30:00Z"), tz, cal)).toBe(2.5 * 3600_000); // Fri 06:30 → 09:00
  });
});
