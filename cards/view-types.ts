/**
 * Plain view data the card builders take (no mongoose). Handlers map records to these.
 * Dates are `YYYY-MM-DD`; `at` fields are display strings such as "2026-12-01 10:32".
 */

export interface AssignmentView {
  id: string;
  rev: number;
  campaignTitle: string;
  sectionCode: string;
  sectionTitle: string;
  itemTitle: string;
  checkpoints: string[];
  unitName: string;
  assigneeName: string;
  dueDate: string;
  state: "pending" | "submitted";
  returnReason?: string;
  /** Campaign ended: no amend. */
  closed?: boolean;
}

export interface ResponseView {
  version: number;
  conclusion: "compliant" | "basically_compliant" | "problems";
  narrative: string;
  evidence?: string;
  problems: {
    id: string;
    seq: number;
    text: string;
    measures: { seq: number; content: string; ownerName: string; dueDate: string; state: string }[];
  }[];
  byName: string;
  /** e.g. "2026-12-01 10:32" */
  at: string;
}

export interface MeasureView {
  id: string;
  seq: number;
  rev: number;
  content: string;
  problemText: string;
  itemTitle: string;
  unitName: string;
  ownerName: string;
  ownerOpenId?: string;
  reviewerName?: string;
  dueDate: string;
  originalDueDate: string;
  state: "open" | "in_progress" | "closure_requested" | "closed" | "withdrawn";
  percent: number;
  extension?: { requestedDue: string; reason: string; status: "requested" | "granted" | "refused" };
  sendBackReason?: string;
  /** Newest last. */
  history: { at: string; byName: string; text: string }[];
}

export interface DigestLine {
  /** "follow-up": a 回头看 awaiting the person's answer (due = its answer-by day). */
  kind: "assignment" | "measure" | "follow-up";
  id: string;
  title: string;
  dueDate: string;
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// Progress summaries, escalations and answers to chat questions.

export interface SummaryView {
  campaignTitle: string;
  /** e.g. "2026-12-04 17:00" */
  asOf: string;
  /** e.g. "分管科室：办公室、人事科" for a leader's digest. */
  scope?: string;
  assignments: { done: number; total: number; overdue: number };
  measures: { closed: number; total: number; overdue: number };
  /** 六查 / 六正 / 两提高 (any checklist). */
  sections: { code: string; done: number; total: number }[];
  units: {
    name: string;
    done: number;
    total: number;
    measuresClosed: number;
    measuresTotal: number;
    overdue: number;
  }[];
  /** Sorted by daysOverdue desc. */
  overdue: {
    seq: number;
    content: string;
    ownerName: string;
    unitName: string;
    dueDate: string;
    daysOverdue: number;
    state: string;
  }[];
  /** Measures closed since the last broadcast; absent in a chat answer, which shows no such section. */
  newlyClosed?: { seq: number; content: string; ownerName: string; unitName: string }[];
  /** 回头看: sent and awaiting an answer, answered, of those relapsed; absent when off or none yet. */
  followUps?: { due: number; done: number; relapsed: number };
}

export interface EscalationItem {
  kind: "assignment" | "measure" | "follow-up";
  id: string;
  title: string;
  ownerName: string;
  unitName: string;
  dueDate: string;
  /** Working days. */
  daysOverdue: number;
}

export interface EscalationView {
  campaignTitle: string;
  recipientName: string;
  level: "owner" | "head" | "leader" | "admins";
  afterWorkingDays: number;
  items: EscalationItem[];
}

export interface PendingView {
  campaignTitle: string;
  byUnit: { unitName: string; people: { name: string; items: string[] }[] }[];
  total: number;
}

export interface ItemStatusView {
  campaignTitle: string;
  itemTitle: string;
  sectionCode: string;
  rows: {
    unitName: string;
    assigneeName: string;
    state: "pending" | "submitted";
    conclusion?: string;
    dueDate: string;
    problems: number;
  }[];
}

export interface ProblemListView {
  campaignTitle: string;
  scope?: string;
  problems: {
    seq: number;
    text: string;
    itemTitle: string;
    unitName: string;
    measures: number;
    resolved: boolean;
  }[];
}

export interface MeasureListView {
  campaignTitle: string;
  title: string;
  scope?: string;
  rows: {
    id: string;
    seq: number;
    content: string;
    ownerName: string;
    unitName: string;
    dueDate: string;
    daysOverdue?: number;
    state: string;
  }[];
}
