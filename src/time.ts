/** Dates in the organisation's time zone. Calendar dates are `YYYY-MM-DD` strings. */

export function todayIn(timezone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

/** The calendar date, hour and minute of an instant in the zone. */
export function zonedParts(d: Date, timezone: string): { date: string; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  return {
    date: `${get("year")}-${get("month")}-${get("day")}`,
    hour: Number(get("hour")),
    minute: Number(get("minute")),
  };
}

/** "2026-12-01 10:32" in the zone. */
export function formatDateTime(d: Date, timezone: string): string {
  const z = zonedParts(d, timezone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${z.date} ${two(z.hour)}:${two(z.minute)}`;
}

/** The instant of `hour`:00 on `date` in `timezone`. */
export function fromZoned(date: string, hour: number, timezone: string): Date {
  const guess = new Date(`${date}T${String(hour).padStart(2, "0")}:00:00Z`);
  // Correct by the zone's offset at that moment (twice, for DST edges).
  let t = guess.getTime();
  for (let i = 0; i < 2; i++) {
    const z = zonedParts(new Date(t), timezone);
    const asUtc = Date.parse(`${z.date}T${String(z.hour).padStart(2, "0")}:00:00Z`);
    t += guess.getTime() - asUtc;
  }
  return new Date(t);
}

export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** b − a in calendar days. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** A date picker's value, e.g. "2026-12-15 +0800" → "2026-12-15"; anything else → undefined. */
export function parsePickerDate(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(v.trim());
  return m && isIsoDate(m[1]) ? m[1] : undefined;
}
