import { describe, expect, it } from "vitest";
import { WorkCalendar } from "../../src/calendar";
import { planEscalations, type OverdueItem } from "../../src/services/escalation";

const cal = new WorkCalendar();
const ladder = [
  { afterWorkingDays: 0, to: "owner" as const },
  { afterWorkingDays: 2, to: "head" as const },
  { afterWorkingDays: 5, to: "leader" as const },
  { afterWorkingDays: 10, to: "admins" as const },
];
const units = new Map([["office", { headKey: "head1", leaderKey: "lead1" }]]);
const item: OverdueItem = {
  kind: "measure",
  id: "m1",
  title: "#1 建立台账",
  ownerKey: "owner1",
  unitKey: "office",
  dueDate: "2026-12-01",
};
const run = (today: string, items = [item]) =>
  planEscalations({ today, ladder, items, units, admins: ["adm1", "adm2"], calendar: cal });
const levels = (today: string) => [...new Set(run(today).map((s) => s.level))];

describe("planEscalations: the ladder step by step (due Tue 2026-12-01)", () => {
  it("nothing before or on the due date", () => {
    expect(run("2026-11-30")).toEqual([]);
    expect(run("2026-12-01")).toEqual([]);
  });
  it("the owner from the first day overdue", () => {
    expect(levels("2026-12-02")).toEqual(["owner"]);
    expect(run("2026-12-02")[0]).toMatchObject({ recipientKey: "owner1", item: { daysOverdue: 1 } });
  });
  it("the head after 2 working days, the leader after 5, the admins after 10", () => {
    expect(levels("2026-12-03")).toEqual(["owner", "head"]);
    expect(levels("2026-12-07")).toEqual(["owner", "head"]); // Mon: 4 working days
    expect(levels("2026-12-08")).toEqual(["owner", "head", "leader"]);
    expect(levels("2026-12-15")).toEqual(["owner", "head", "leader", "admins"]);
    expect(
      run("2026-12-15")
        .filter((s) => s.level === "admins")
        .map((s) => s.recipientKey),
    ).toEqual(["adm1", "adm2"]);
  });
  it("claims are stable per item, due date, step and recipient (so each step sends once)", () => {
    const a = run("2026-12-08").map((s) => s.claim);
    const b = run("2026-12-09").map((s) => s.claim);
    expect(b.filter((c) => a.includes(c))).toEqual(a);
  });
  it("stops when answered or closed (not in the input) and restarts from a granted extension's new date", () => {
    expect(run("2026-12-08", [])).toEqual([]);
    const extended = { ...item, dueDate: "2026-12-20" };
    expect(run("2026-12-08", [extended])).toEqual([]);
    expect(run("2026-12-21", [extended]).map((s) => s.claim)[0]).toContain("2026-12-20");
  });
  it("does not escalate on a non-working day, and never tells the owner about themselves above their step", () => {
    expect(run("2026-12-05")).toEqual([]); // Saturday
    const ownHead = { ...item, ownerKey: "head1" };
    expect(run("2026-12-03", [ownHead]).map((s) => [s.level, s.recipientKey])).toEqual([["owner", "head1"]]);
  });
});
