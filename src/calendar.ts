import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parse as parseYaml } from "yaml";
import type { Logger } from "./logger";
import { addDays } from "./time";

/**
 * Working days in China: statutory holidays and their make-up working days (调休) from the maintained
 * `chinese-days` package, overridable by a local file. A year the data does not cover is logged once as a
 * warning and falls back to Monday–Friday. Dates are `YYYY-MM-DD` in the organisation's zone.
 */
export interface CalendarOverrides {
  /** Dates that are working days whatever the package says (e.g. a newly announced 调休). */
  workdays?: string[];
  /** Dates that are not working days (e.g. a newly announced holiday, a local day off). */
  holidays?: string[];
}

interface CalendarData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

function packageData(): CalendarData {
  const require = createRequire(import.meta.url);
  return require("chinese-days/dist/chinese-days.json") as CalendarData;
}

export class WorkCalendar {
  private readonly holidays: Set<string>;
  private readonly workdays: Set<string>;
  private readonly covered: Set<number>;
  private readonly warned = new Set<number>();

  constructor(
    private readonly opts: { overrides?: CalendarOverrides; logger?: Logger; data?: CalendarData } = {},
  ) {
    const data = opts.data ?? packageData();
    this.holidays = new Set(Object.keys(data.holidays));
    this.workdays = new Set(Object.keys(data.workdays));
    this.covered = new Set([...this.holidays].map((d) => Number(d.slice(0, 4))));
    for (const d of opts.overrides?.holidays ?? []) {
      this.holidays.add(d);
      this.workdays.delete(d);
      this.covered.add(Number(d.slice(0, 4)));
    }
    for (const d of opts.overrides?.workdays ?? []) {
      this.workdays.add(d);
      this.holidays.delete(d);
      this.covered.add(Number(d.slice(0, 4)));
    }
  }

  /** Read overrides from a YAML or JSON file `{workdays: [...], holidays: [...]}`. */
  static fromFile(path: string | undefined, logger?: Logger): WorkCalendar {
    if (!path) return new WorkCalendar({ logger });
    const doc = parseYaml(readFileSync(path, "utf8")) as CalendarOverrides | null;
    const dates = (v: unknown) =>
      Array.isArray(v) ? v.map(String).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)) : [];
    return new WorkCalendar({
      overrides: { workdays: dates(doc?.workdays), holidays: dates(doc?.holidays) },
      logger,
    });
  }

  coversYear(year: number): boolean {
    return this.covered.has(year);
  }

  isWorkingDay(date: string): boolean {
    if (this.workdays.has(date)) return true;
    if (this.holidays.has(date)) return false;
    const year = Number(date.slice(0, 4));
    if (!this.covered.has(year) && !this.warned.has(year)) {
      this.warned.add(year);
      this.opts.logger?.warn(
        { year },
        "no statutory-holiday data for this year: counting Monday–Friday as working days; add the year to the calendar override file",
      );
    }
    const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
    return dow !== 0 && dow !== 6;
  }

  /** The first working day on or after `date`. */
  nextWorkingDay(date: string): string {
    let d = date;
    for (let i = 0; i < 60 && !this.isWorkingDay(d); i++) d = addDays(d, 1);
    return d;
  }

  /** `n` working days after `date` (n < 0: before). */
  addWorkingDays(date: string, n: number): string {
    let d = date;
    const step = n < 0 ? -1 : 1;
    for (let left = Math.abs(n); left > 0;) {
      d = addDays(d, step);
      if (this.isWorkingDay(d)) left--;
    }
    return d;
  }

  /**
   * Working days from `a` to `b`: the number of working days d with a < d ≤ b (negative when b < a).
   * "due in 3 working days" is workingDaysBetween(today, due) === 3.
   */
  workingDaysBetween(a: string, b: string): number {
    if (a === b) return 0;
    const [from, to, sign] = a < b ? [a, b, 1] : [b, a, -1];
    let n = 0;
    for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (this.isWorkingDay(d)) n++;
    return n * sign;
  }
}
