import { compileDictionary, matchEntities, type EntityMatch } from "./dictionary";
import { ASKER, CUES } from "./lexicon";
import { normalize } from "./normalize";
import {
  extractDays,
  extractMeasureId,
  extractOrdinal,
  extractScope,
  extractSectionOrdinal,
  type Ordinal,
} from "./slots";
import type { Intent, IntentDictionary, IntentSlots, ParseOptions, ParsedIntent } from "./types";

/** A chat question is short; longer text (a pasted narrative) is not parsed, which also bounds the cost. */
export const MAX_QUESTION_LENGTH = 300;
/** Replaces a matched unit / section / item so its letters cannot trigger a cue. */
const SENTINEL = "\uE000";
/** Words that add nothing to a bare entity ("看看正会风", "show 六查"). */
const FILLER =
  /\uE000|的|了|吗|呢|啊|吧|呀|嘛|一下|看看|看下|查看|查询|显示|请问|请|\b(?:show|list|for|the|of|please|about|what|whats|on|me|is|are)\b|\s/gu;

/**
 * Deterministic intent parser for chat questions (Chinese and English). Rules only; see
 * docs/intents.md for the order in which intents are tried and why.
 */
export function parseIntent(text: string, dict: IntentDictionary, opts: ParseOptions = {}): ParsedIntent {
  const mentions = opts.mentions ?? [];
  const keys = mentions.map((m) => m.key).sort((a, b) => b.length - a.length);
  const s = normalize(text, keys);
  if (!s) return { intent: isQuestionMarks(text, keys) ? "help" : "unknown", slots: {} };
  if (s.length > MAX_QUESTION_LENGTH) return { intent: "unknown", slots: {} };

  const compiled = compileDictionary(dict);
  const entities = matchEntities(s, compiled);
  let masked = mask(s, entities);
  const first = (kind: EntityMatch["kind"]) => entities.find((e) => e.kind === kind)?.value;
  const unit = first("unit");
  let section = first("section");
  let item = first("item");

  const has = (re: RegExp) => re.test(masked);
  const measureWord = has(CUES.measureWord);
  // Positions: "第二部分" / "section 2" name a section, "六正第二项" / "the second item" an item. A
  // matched position is masked like an entity, so "六正第二项" on its own is a bare item.
  if (!section) {
    const o = extractSectionOrdinal(masked);
    const code = o ? dict.sections[o.n - 1]?.code : undefined;
    if (o && code) [section, masked] = [code, maskSpan(masked, o)];
  }
  if (!item && !measureWord) {
    const o = extractOrdinal(masked, { section: !!section });
    const title = o
      ? section
        ? compiled.itemsBySection.get(section)?.[o.n - 1]
        : dict.items[o.n - 1]?.title
      : undefined;
    if (o && title) [item, masked] = [title, maskSpan(masked, o)];
  }
  const scope = extractScope(masked);
  const mine = scope.mine && !scope.unitScope && !unit;
  const measureId = extractMeasureId(masked, { measureWord, section: !!section });

  const intent = decide({ masked, has, mine, measureWord, measureId, unit, section, item });
  if (intent === "unknown" || intent === "help") return { intent, slots: {} };

  const people = [...new Set(mentions.filter((m) => !m.isBot).map((m) => m.openId))];
  const slots: IntentSlots = {};
  if (unit || scope.unitScope) slots.scope = "unit";
  else if (scope.mine) slots.scope = "mine";
  else if (scope.all) slots.scope = "all";
  if (intent === "my_todos" && !slots.scope && people.length === 0) slots.scope = "mine";
  if (unit) slots.unit = unit;
  if (section) slots.section = section;
  if (item) slots.item = item;
  if (intent === "measure_detail") slots.measureId = measureId;
  if (intent === "due_soon") {
    const days = extractDays(masked);
    if (days !== undefined) slots.days = days;
  }
  if (people.length) slots.people = people;
  return { intent, slots };
}

interface Facts {
  masked: string;
  has: (re: RegExp) => boolean;
  mine: boolean;
  measureWord: boolean;
  measureId?: number;
  unit?: string;
  section?: string;
  item?: string;
}

/** The order matters: specific before general, commands before questions, `unknown` last. */
function decide(f: Facts): Intent {
  const { has, mine } = f;
  if (has(CUES.howToUse)) return "help";
  if (!has(CUES.notSend)) {
    if (has(CUES.exportReport)) return "export_report";
    if (has(CUES.exportLedger)) return "export_ledger";
    if (has(CUES.syncOrg)) return "sync_org";
  }
  if (!has(CUES.sendToMe)) {
    if ((has(CUES.sendZh) || has(CUES.sendEn)) && !has(CUES.notSend)) return "send_summary";
    // "进度通报发了吗" / "进度通报什么时候发" are about the broadcast itself: not a question we answer.
    if (has(CUES.aboutSending) || has(CUES.reportWhen)) return "unknown";
  }
  if (has(CUES.advice)) return "unknown";
  if (has(CUES.suspect)) return "suspect_answers";
  if (f.measureId !== undefined) return "measure_detail";

  const notFilled = has(CUES.notFilled);
  const notDone = has(CUES.notDone);
  const who = has(CUES.who);
  if (has(CUES.overdue) || (has(CUES.lateEn) && has(CUES.lateContext))) {
    // "哪些科室逾期未提交" is about self-check answers, not measures.
    return notFilled && !f.measureWord ? "pending_items" : "overdue_measures";
  }
  if ((notFilled || notDone) && who) return "pending_items";
  if (notFilled && !mine) return "pending_items";
  if (has(CUES.dueSoon)) return "due_soon";
  if (f.measureWord && has(CUES.mustFinish) && extractDays(f.masked) !== undefined) return "due_soon";
  if (
    has(CUES.todo) ||
    ((has(CUES.todoMine) || has(CUES.task)) && mine) ||
    (has(CUES.task) && has(CUES.listing)) ||
    ((notFilled || notDone) && mine)
  ) {
    return "my_todos";
  }
  if (notDone) return f.measureWord ? "progress" : "my_todos";
  if (CUES.problems.test(f.masked.replace(globalNotProblems, " "))) return "problem_list";

  const statusAsked = has(CUES.status) || has(CUES.progress) || isBare(f.masked);
  if (f.item && statusAsked) return "item_status";
  if (has(CUES.progress) || (who && has(CUES.submitWord))) return "progress";
  if ((f.section || f.unit) && statusAsked) return "progress";
  if (has(CUES.help)) return "help";
  if (mine && f.measureWord) return "my_todos"; // "我负责的措施"
  return "unknown";
}

const globalNotProblems = new RegExp(CUES.notProblems.source, "gu");
const globalAsker = new RegExp(ASKER.source, "gu");

function isBare(masked: string): boolean {
  return masked.includes(SENTINEL) && masked.replace(globalAsker, "").replace(FILLER, "") === "";
}

function mask(s: string, entities: EntityMatch[]): string {
  let out = "";
  let at = 0;
  for (const e of entities) {
    out += s.slice(at, e.start) + SENTINEL;
    at = e.end;
  }
  return out + s.slice(at);
}

function maskSpan(s: string, o: Ordinal): string {
  return s.slice(0, o.start) + SENTINEL + s.slice(o.end);
}

function isQuestionMarks(text: string, keys: string[]): boolean {
  let t = text.normalize("NFKC");
  for (const k of keys) t = t.split(k).join("");
  return /^[\s?]+$/u.test(t.replace(/@_user_\d+|@_all/g, "")) && t.includes("?");
}
