import { describe, expect, it } from "vitest";
import { WorkCalendar } from "../../src/calendar";
import { pino } from "pino";

describe("WorkCalendar (chinese-days data, overrides, Mon–Fri fallback)", () => {
  const cal = new WorkCalendar();

  it("knows statutory holidays and make-up working days", () => {
    expect(cal.isWorkingDay("2026-10-01")).toBe(false); // 国庆节
    expect(cal.isWorkingDay("2026-10-07")).toBe(false);
    expect(cal.isWorkingDay("2026-10-08")).toBe(true);
    expect(cal.isWorkingDay("2026-10-10")).toBe(true); // Saturday, 调休 working day
    expect(cal.isWorkingDay("2026-09-20")).toBe(true); // Sunday, 调休 working day
    expect(cal.isWorkingDay("2026-10-11")).toBe(false); // an ordinary Sunday
    expect(cal.isWorkingDay("2026-02-16")).toBe(false); // 春节
    expect(cal.isWorkingDay("2026-12-02")).toBe(true);
  });

  it("counts working days across a holiday", () => {
    expect(cal.workingDaysBetween("2026-09-29", "2026-10-09")).toBe(3); // 09-30, 10-08, 10-09
    expect(cal.addWorkingDays("2026-09-30", 1)).toBe("2026-10-08");
    expect(cal.addWorkingDays("2026-10-09", 1)).toBe("2026-10-10");
    expect(cal.addWorkingDays("2026-10-09", -3)).toBe("2026-09-29");
    expect(cal.workingDaysBetween("2026-10-09", "2026-09-29")).toBe(-3);
    expect(cal.nextWorkingDay("2026-10-03")).toBe("2026-10-08");
  });

  it("falls back to Monday–Friday for a year it does not cover, with one warning", () => {
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (s: string) => void warnings.push(s) });
    const c = new WorkCalendar({ logger });
    expect(c.coversYear(2026)).toBe(true);
    expect(c.coversYear(2031)).toBe(false);
    expect(c.isWorkingDay("2031-01-06")).toBe(true); // Monday
    expect(c.isWorkingDay("2031-01-04")).toBe(false); // Saturday
    expect(c.isWorkingDay("2031-01-07")).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/2031.*Monday–Friday|Monday–Friday.*2031|"year":2031/);
  });

  it("takes local overrides: new holidays and make-up days", () => {
    const c = new WorkCalendar({ overrides: { holidays: ["2031-02-03"], workdays: ["2031-02-08"] } });
    expect(c.isWorkingDay("2031-02-03")).toBe(false); // a Monday made a holiday
    expect(c.isWorkingDay("2031-02-08")).toBe(true); // a Saturday made a working day
    expect(c.coversYear(2031)).toBe(true);
    expect(c.isWorkingDay("2031-02-09")).toBe(false); // Sunday: weekend rule
  });
});
