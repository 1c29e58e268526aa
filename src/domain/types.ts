/**
 * Plain domain types shared by services, cards and handlers (no mongoose here).
 * Words follow DESIGN.md §2. Dates without a time are ISO `YYYY-MM-DD` strings in the
 * organisation's time zone; instants are `Date`.
 */
import type { FlagsSpec } from "../flags/config";

export type Role = "admin" | "leader" | "head" | "member";
export type Locale = "zh" | "en";

export type AssignmentState = "pending" | "submitted";
/** `withdrawn`: its problem was taken back by a resubmitted answer (never counted as open). */
export type MeasureState = "open" | "in_progress" | "closure_requested" | "closed" | "withdrawn";
/** States in which a measure is no longer open work: filter with `state: { $nin: MEASURE_DONE }`. */
export const MEASURE_DONE: MeasureState[] = ["closed", "withdrawn"];
export type Conclusion = "compliant" | "basically_compliant" | "problems";

/** A checklist as loaded from a template or a campaign file. */
export interface ChecklistSpec {
  key: string;
  title: string;
  sections: SectionSpec[];
}

export interface SectionSpec {
  /** Stable key inside the checklist, e.g. "liucha". */
  key: string;
  /** Short label people use in chat, e.g. "六查". */
  code: string;
  /** Full title, e.g. "聚焦“六查”，深入查摆问题". */
  title: string;
  items: CheckItemSpec[];
}

export interface CheckItemSpec {
  /** Stable key inside the checklist, e.g. "c1". */
  key: string;
  /** Canonical title, e.g. "查立场是否坚定". */
  title: string;
  /** Guidance points: what to check against. */
  checkpoints: string[];
}

export interface UnitSpec {
  key: string;
  name: string;
  /** Person key of the unit's head (科室负责人). */
  head?: string;
  /** Person key of the leader in charge (分管领导). */
  leader?: string;
}

export interface PersonSpec {
  key: string;
  name: string;
  unit: string;
  roles: Role[];
  openId?: string;
  email?: string;
  mobile?: string;
  locale?: Locale;
}

export interface AssignmentSpec {
  /** Item key. */
  item: string;
  /** Unit keys: each unit answers once (its head, or its contact). */
  units: string[];
  /** Person keys: each person answers once. */
  people: string[];
  /** YYYY-MM-DD. */
  due: string;
}

export interface ScheduleSpec {
  reminderSweep: string;
  escalationSweep: string;
  broadcast: string;
  leadersDigest: string;
}

export interface EscalationStep {
  /** Working days overdue at which this step fires. */
  afterWorkingDays: number;
  to: "owner" | "head" | "leader" | "admins";
}

/** Everything a campaign file describes, validated and normalised. */
export interface CampaignSpec {
  key: string;
  title: string;
  timezone: string;
  startDate: string;
  endDate?: string;
  checklist: ChecklistSpec;
  units: UnitSpec[];
  people: PersonSpec[];
  assignments: AssignmentSpec[];
  /** Group chat ids to broadcast to. */
  chats: { chatId: string; name?: string }[];
  schedules: ScheduleSpec;
  escalation: EscalationStep[];
  /** Who reviews measure closures and extensions. */
  reviewer: "head" | "leader";
  /** Reminder offsets in working days before the due date. */
  remindBefore: number[];
  /** 回头看: working days after a closure that a measure is checked again (absent: 30; 0 = off). */
  followUp?: { afterDays: number };
  /** The ledger's columns when the higher authority prescribes its own (key, optional header text). */
  ledger?: { columns: { key: string; title?: string }[] };
  /** The self-inspection report's opening (`basis`) and signature (`organisation`). */
  report?: { basis?: string; organisation?: string };
  /** The organisation comes from Feishu's address book (`org: from: feishu`): what to fetch on re-sync. */
  org?: { departments: string[]; includeChildren: boolean };
  /** The `flags:` section (形式主义 check); absent = the defaults, flags on. */
  flags?: FlagsSpec;
}
