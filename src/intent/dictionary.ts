import type { ChecklistSpec } from "../domain/types";
import { cnNumeral, enNumeral, normalize, toInt } from "./normalize";
import type { IntentDictionary } from "./types";

/** Build the parser's dictionary from the organisation's unit names and the campaign checklist. */
export function buildDictionary(input: { units: string[]; checklist: ChecklistSpec }): IntentDictionary {
  const units = [...new Set(input.units.map((u) => u.trim()).filter(Boolean))];
  const sections = input.checklist.sections.map((s) => ({ code: s.code, title: s.title }));
  const items = input.checklist.sections.flatMap((s) =>
    s.items.map((i) => ({ title: i.title, section: s.code })),
  );
  return { units, sections, items };
}

export type EntityKind = "unit" | "section" | "item";

/** One phrase that, found in normalised text, names a unit, a section or an item. */
interface Key {
  text: string;
  kind: EntityKind;
  value: string;
  weight: number;
}

export interface CompiledDictionary {
  /** Sorted longest first, then by weight: the first key that fits a span wins it. */
  keys: Key[];
  /** Item titles per section code, in checklist order ("六正第四项"). */
  itemsBySection: Map<string, string[]>;
}

export interface EntityMatch {
  kind: EntityKind;
  value: string;
  start: number;
  end: number;
}

/** Verbs that open item titles; the section code usually names its own (六查 → 查). */
const COMMON_VERBS = [
  "提高",
  "提升",
  "加强",
  "强化",
  "推进",
  "落实",
  "规范",
  "整治",
  "坚持",
  "查",
  "正",
  "治",
  "抓",
];
/** Words too common to name an item on their own (they still count inside a longer key). */
const GENERIC_CORES = new Set([
  "管理",
  "工作",
  "问题",
  "措施",
  "整改",
  "进度",
  "情况",
  "自查",
  "任务",
  "群众",
  "服务",
  "学习",
  "落实",
  "责任",
  "制度",
  "作风",
  "建设",
]);
/** What a section code's verb is called in English (六查 "six checks", 六正 "six corrections", 两提高). */
const EN_SECTION_NOUNS: Record<string, string[]> = {
  查: ["checks", "check", "inspections"],
  正: ["corrections", "correction", "rectifications"],
  提高: ["improvements", "improvement"],
  提升: ["improvements", "improvement"],
};
const UNIT_SUFFIXES = ["科室", "处室", "科", "处", "部", "中心", "股", "队"];
const WEIGHT = { full: 5, strong: 4, medium: 3, weak: 2, ordinal: 1 } as const;

const cache = new WeakMap<IntentDictionary, CompiledDictionary>();

export function compileDictionary(dict: IntentDictionary): CompiledDictionary {
  const hit = cache.get(dict);
  if (hit) return hit;
  const raw: Key[] = [];
  const add = (text: string, kind: EntityKind, value: string, weight: number) => {
    if (text.length >= 2) raw.push({ text, kind, value, weight });
  };

  for (const unit of dict.units) {
    const n = normalize(unit);
    add(n, "unit", unit, WEIGHT.full);
    const suffix = UNIT_SUFFIXES.find((s) => n.endsWith(s) && n.length - s.length >= 2);
    if (suffix) add(n.slice(0, -suffix.length), "unit", unit, WEIGHT.weak);
  }

  const sectionCodes = new Set(dict.sections.map((s) => normalize(s.code)));
  const verbOf = new Map<string, string>();
  for (const s of dict.sections) {
    const code = normalize(s.code);
    add(code, "section", s.code, WEIGHT.full);
    const m = /^([零一二两三四五六七八九十]+)个?(.+)$/u.exec(code);
    if (m) {
      add(`${m[1]}个${m[2]}`, "section", s.code, WEIGHT.strong); // 两个提高
      verbOf.set(s.code, m[2]);
      // In English: "the six checks", "6 corrections", "two improvements".
      const n = toInt(m[1]);
      if (n !== undefined)
        for (const noun of EN_SECTION_NOUNS[m[2]] ?? []) {
          add(`${enNumeral(n)} ${noun}`, "section", s.code, WEIGHT.full);
          add(`${n} ${noun}`, "section", s.code, WEIGHT.full);
        }
    }
    if (s.title) {
      add(normalize(s.title), "section", s.code, WEIGHT.full);
      for (const q of quoted(s.title)) if (!sectionCodes.has(q)) add(q, "section", s.code, WEIGHT.medium);
    }
  }

  const itemsBySection = new Map<string, string[]>();
  for (const item of dict.items) {
    const list = itemsBySection.get(item.section) ?? [];
    list.push(item.title);
    itemsBySection.set(item.section, list);
    const verb = verbOf.get(item.section);
    for (const k of itemKeys(item.title, verb)) add(k.text, "item", item.title, k.weight);
    // Ordinal keys: 一查 … 五查 (六查 stays the section code).
    if (verb) {
      const ordinal = cnNumeral(list.length) + verb;
      if (!sectionCodes.has(ordinal)) add(ordinal, "item", item.title, WEIGHT.ordinal);
    }
  }

  const compiled: CompiledDictionary = { keys: dropAmbiguous(raw), itemsBySection };
  cache.set(dict, compiled);
  return compiled;
}

/** Keys for one item: full title, "查立场", "立场是否坚定", "立场坚定", "立场", quoted terms ("四风"). */
function itemKeys(title: string, sectionVerb?: string): { text: string; weight: number }[] {
  const full = normalize(title);
  const keys: { text: string; weight: number }[] = [{ text: full, weight: WEIGHT.full }];
  const verb = [sectionVerb, ...COMMON_VERBS].find(
    (v) => v && full.startsWith(v) && full.length - v.length >= 2,
  );
  const split = /是否|是不是|有没有|有无/u.exec(full);
  const head = split ? full.slice(0, split.index) : full;
  const tail = split ? full.slice(split.index + split[0].length) : "";
  const core = verb && head.startsWith(verb) ? head.slice(verb.length) : head;
  if (head !== full) keys.push({ text: head, weight: WEIGHT.strong });
  if (core !== full && split)
    keys.push({ text: full.slice(head.length - core.length), weight: WEIGHT.strong });
  if (core !== head && tail) keys.push({ text: core + tail, weight: WEIGHT.medium });
  if (core !== full && core.length >= 2 && !GENERIC_CORES.has(core))
    keys.push({ text: core, weight: WEIGHT.weak });
  for (const q of quoted(title)) if (!GENERIC_CORES.has(q)) keys.push({ text: q, weight: WEIGHT.medium });
  return keys;
}

function quoted(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[“"「『‘]([^”"」』’]{2,12})[”"」』’]/gu)) out.push(normalize(m[1]));
  return out;
}

/** A phrase naming two different things is kept only for the one with the clearly higher weight. */
function dropAmbiguous(raw: Key[]): Key[] {
  const byText = new Map<string, Key[]>();
  for (const k of raw) byText.set(k.text, [...(byText.get(k.text) ?? []), k]);
  const keys: Key[] = [];
  for (const group of byText.values()) {
    group.sort((a, b) => b.weight - a.weight);
    const best = group[0];
    const rival = group.find((k) => k.kind !== best.kind || k.value !== best.value);
    if (!rival || rival.weight < best.weight) keys.push(best);
  }
  return keys.sort((a, b) => b.text.length - a.text.length || b.weight - a.weight);
}

const ORDINAL_CHARS = new Set("第一二三四五六七八九十");

/** Longest-match scan: each character belongs to at most one entity. */
export function matchEntities(text: string, compiled: CompiledDictionary): EntityMatch[] {
  const taken = new Uint8Array(text.length);
  const found: EntityMatch[] = [];
  for (const key of compiled.keys) {
    if (key.text.length > text.length) continue;
    for (let at = text.indexOf(key.text); at >= 0; at = text.indexOf(key.text, at + 1)) {
      const end = at + key.text.length;
      if (taken.subarray(at, end).some((x) => x === 1)) continue;
      let start = at;
      // A leading ordinal belongs to the item: 一查立场 → 查立场, 第三项正会风 → 正会风.
      if (key.kind === "item")
        while (start > 0 && !taken[start - 1] && ORDINAL_CHARS.has(text[start - 1])) start--;
      taken.fill(1, start, end);
      found.push({ kind: key.kind, value: key.value, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
