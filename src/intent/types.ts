/** Public types of the chat intent parser (see docs/intents.md). */

export type Intent =
  | "overdue_measures"
  | "my_todos"
  | "pending_items"
  | "progress"
  | "due_soon"
  | "item_status"
  | "measure_detail"
  | "problem_list"
  // Issue 15: answers flagged as going through the motions (疑似敷衍), for their reviewers.
  | "suspect_answers"
  | "help"
  | "unknown"
  // Admin commands: kept apart from the question intents and matched only on explicit command wording.
  | "send_summary"
  // Export commands (issue 11): the ledger (.xlsx) or the report draft (.docx), sent privately.
  | "export_ledger"
  | "export_report"
  // Admin command (issue 13 §3): re-read the organisation from Feishu's address book.
  | "sync_org";

export interface IntentSlots {
  scope?: "mine" | "unit" | "all";
  /** A unit name exactly as written in the dictionary. */
  unit?: string;
  /** The section code, e.g. 六查 / 六正 / 两提高. */
  section?: string;
  /** Canonical item title as written in the dictionary. */
  item?: string;
  measureId?: number;
  days?: number;
  /** open_ids of @mentioned people other than the bot. */
  people?: string[];
}

export interface ParsedIntent {
  intent: Intent;
  slots: IntentSlots;
}

export interface IntentDictionary {
  units: string[];
  sections: { code: string; title?: string }[];
  items: { title: string; section: string }[];
}

export interface MentionRef {
  key: string;
  openId: string;
  isBot?: boolean;
}

export interface ParseOptions {
  mentions?: MentionRef[];
}
