import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseIntent, type IntentSlots } from "../../src/intent";
import { DICT } from "../helpers/intent-dict";

/**
 * Recall: questions as cadres type them (test/fixtures/cadre-phrasings.tsv, ≥ 30 per intent, Chinese and
 * English) must be understood, and chat that is not a question (test/fixtures/chatter.tsv) must stay
 * `unknown`.
 */
function rows(file: string): string[][] {
  return readFileSync(new URL(`../fixtures/${file}`, import.meta.url), "utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() && !line.startsWith("#"))
    .map((line) => line.split("\t"));
}

const phrasings = rows("cadre-phrasings.tsv").map(([text, intent, slots]) => ({
  text,
  intent,
  slots: JSON.parse(slots ?? "{}") as Record<string, unknown>,
}));
const chatter = rows("chatter.tsv").map(([text]) => text);
const INTENTS = [
  "overdue_measures",
  "my_todos",
  "pending_items",
  "progress",
  "due_soon",
  "item_status",
  "measure_detail",
  "problem_list",
  "suspect_answers",
  "help",
  "send_summary",
];

describe("cadre-phrasings.tsv", () => {
  it.each(INTENTS)("has ≥ 30 phrasings of %s, in Chinese and in English", (intent) => {
    const mine = phrasings.filter((p) => p.intent === intent).map((p) => p.text);
    expect(mine.length).toBeGreaterThanOrEqual(30);
    expect(mine.filter((t) => /[\u3400-\u9fff]/.test(t)).length).toBeGreaterThanOrEqual(15);
    expect(mine.filter((t) => /[a-z]{2,}/i.test(t)).length).toBeGreaterThanOrEqual(6);
  });

  it.each(phrasings)("$text → $intent", ({ text, intent, slots }) => {
    const parsed = parseIntent(text, DICT);
    expect(parsed.intent).toBe(intent);
    for (const [key, value] of Object.entries(slots)) {
      expect(parsed.slots[key as keyof IntentSlots], key).toEqual(value);
    }
  });
});

describe("chatter.tsv stays unknown", () => {
  it("has ≥ 40 lines", () => expect(chatter.length).toBeGreaterThanOrEqual(40));
  it.each(chatter)("%s", (text) => expect(parseIntent(text, DICT)).toEqual({ intent: "unknown", slots: {} }));
});
