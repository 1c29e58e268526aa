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
  state: "open" | "in_progress" | "closure_requested" | "closed";
  percent: number;
  extension?: { requestedDue: string; reason: string; status: "requested" | "granted" | "refused" };
  sendBackReason?: string;
  /** Newest last. */
  history: { at: string; byName: string; text: string }[];
}

export interface DigestLine {
  kind: "assignment" | "measure";
  id: string;
  title: string;
  dueDate: string;
  note?: string;
}
