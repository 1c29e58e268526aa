import { ALL_SCOPE, ASKER, MINE, UNIT_SCOPE } from "./lexicon";
import { EN_NUM, NUM, enToInt, toInt } from "./normalize";

type Num = (s: string) => number | undefined;
interface NumberRule {
  re: RegExp;
  /** Group 1 is the number when `num` is given; otherwise the rule yields `value`. */
  num?: Num;
  times?: number;
  value?: number;
}

/** Time windows for due_soon, in calendar days from today (see docs/intents.md). */
const DAY_RULES: NumberRule[] = [
  { re: new RegExp(`${NUM}个?(?:工作日|天|日(?=内|以内|之内))`, "u"), num: toInt },
  { re: new RegExp(`${NUM}个?(?:周|星期|礼拜)`, "u"), num: toInt, times: 7 },
  { re: new RegExp(`${NUM}个月`, "u"), num: toInt, times: 30 },
  { re: /今天|今日/u, value: 0 },
  { re: /明天|明日/u, value: 1 },
  { re: /后天/u, value: 2 },
  { re: /(?:本|这)个?(?:周|星期|礼拜)/u, value: 7 },
  { re: /下个?(?:周|星期|礼拜)/u, value: 14 },
  { re: /(?:本|这个?)月/u, value: 30 },
  { re: new RegExp(`\\b${EN_NUM} (?:working |business )?days?\\b`), num: enToInt },
  { re: new RegExp(`\\b${EN_NUM} weeks?\\b`), num: enToInt, times: 7 },
  { re: /\bday after tomorrow\b/, value: 2 },
  { re: /\btoday\b/, value: 0 },
  { re: /\btomorrow\b/, value: 1 },
  { re: /\bthis week\b/, value: 7 },
  { re: /\bnext week\b/, value: 14 },
  { re: /\bthis month\b/, value: 30 },
];

/** The earliest time expression in the text wins. */
export function extractDays(text: string): number | undefined {
  let best: { at: number; days: number } | undefined;
  for (const rule of DAY_RULES) {
    const m = rule.re.exec(text);
    if (!m || (best && best.at <= m.index)) continue;
    const n = rule.num ? rule.num(m[1]) : rule.value;
    if (n !== undefined) best = { at: m.index, days: n * (rule.times ?? 1) };
  }
  return best?.days;
}

/** Ways to name one measure: 措施12, 第7条措施, 12号措施, #15, measure 3. */
const MEASURE_RULES: NumberRule[] = [
  { re: /#\s?(\d+)/u, num: toInt },
  { re: /措施(?:编号|号|id|#)?\s?(\d+)(?!\d|\s?(?:天|日|个|周|月|条|项|小时|年|%))/u, num: toInt },
  { re: new RegExp(`措施${NUM}号`, "u"), num: toInt },
  // 措施六 (a Chinese numeral right after 措施; not 措施三天 / 措施两个)
  {
    re: new RegExp(`措施${NUM}(?![零〇一二两三四五六七八九十百千]|天|日|个|周|月|条|项|年|小时|号)`, "u"),
    num: toInt,
  },
  { re: new RegExp(`第\\s?${NUM}\\s?(?:条|项|个|号)?(?:整改)?措施`, "u"), num: toInt },
  { re: new RegExp(`${NUM}\\s?号(?:整改)?措施`, "u"), num: toInt },
  { re: new RegExp(`\\bmeasure (?:# ?|no |number |id )?${EN_NUM}\\b`), num: enToInt },
];
/** "第7条" / "编号12" alone name a measure only when the text also says 措施/整改 (and no section). */
const LOOSE_MEASURE = new RegExp(`第\\s?${NUM}\\s?(?:条|项)|编号\\s?(\\d+)`, "u");

export function extractMeasureId(
  text: string,
  opts: { measureWord: boolean; section: boolean },
): number | undefined {
  for (const rule of MEASURE_RULES) {
    const m = rule.re.exec(text);
    const n = m && rule.num?.(m[1]);
    if (n) return n;
  }
  if (opts.measureWord && !opts.section) {
    const m = LOOSE_MEASURE.exec(text);
    const n = m ? toInt(m[1] ?? m[2]) : undefined;
    if (n) return n;
  }
  return undefined;
}

/** An ordinal found in the text: its value and where it is (so the parser can mask it). */
export interface Ordinal {
  n: number;
  start: number;
  end: number;
}

const EN_ORDINALS = [
  "zeroth",
  "first",
  "second",
  "third",
  "fourth",
  "fifth",
  "sixth",
  "seventh",
  "eighth",
  "ninth",
  "tenth",
  "eleventh",
  "twelfth",
];
const EN_ORD = `(\\d+(?:st|nd|rd|th)|${EN_ORDINALS.join("|")})`;
function enOrdToInt(s: string): number | undefined {
  const i = EN_ORDINALS.indexOf(s);
  return i >= 0 ? i : toInt(s.replace(/(?:st|nd|rd|th)$/, ""));
}

/** Ways to say "the Nth section": 第二部分, 第2板块, section 2, part two, the second section. */
const SECTION_ORDINAL_RULES: NumberRule[] = [
  { re: new RegExp(`第${NUM}(?:个)?(?:部分|板块|大项|方面|大类|章)`, "u"), num: toInt },
  { re: new RegExp(`\\b(?:section|part) (?:no |number |# ?)?${EN_NUM}\\b`), num: enToInt },
  { re: new RegExp(`\\b${EN_ORD} (?:section|part)\\b`), num: enOrdToInt },
];
/**
 * Ways to say "the Nth item": 第二项, 第2条, 第三个, item 3, point two, the second item, 2nd item. `条`
 * and `个` only next to a section (alone they are measures' or anything's).
 */
const ITEM_ORDINAL_RULES: (NumberRule & { withSection?: boolean })[] = [
  { re: new RegExp(`第${NUM}(?:小)?项`, "u"), num: toInt },
  { re: new RegExp(`第${NUM}(?:条|个)`, "u"), num: toInt, withSection: true },
  { re: new RegExp(`\\b(?:item|point|question) (?:no |number |# ?)?${EN_NUM}\\b`), num: enToInt },
  { re: new RegExp(`\\b${EN_ORD} (?:item|point|question)\\b`), num: enOrdToInt },
];

function firstOrdinal(text: string, rules: (NumberRule & { withSection?: boolean })[], section = true) {
  let best: Ordinal | undefined;
  for (const rule of rules) {
    if (rule.withSection && !section) continue;
    const m = rule.re.exec(text);
    const n = m && rule.num?.(m[1]);
    if (m && n && (!best || m.index < best.start)) best = { n, start: m.index, end: m.index + m[0].length };
  }
  return best;
}

/** "六正第四项", "item 3 of 六查", "the second item": an item by its position. */
export function extractOrdinal(
  text: string,
  opts: { section: boolean } = { section: true },
): Ordinal | undefined {
  return firstOrdinal(text, ITEM_ORDINAL_RULES, opts.section);
}

/** "第二部分", "section 2": a section by its position. */
export function extractSectionOrdinal(text: string): Ordinal | undefined {
  return firstOrdinal(text, SECTION_ORDINAL_RULES);
}

/** Scope words; a named unit is handled by the caller and wins over all of these. */
export function extractScope(text: string): { unitScope: boolean; mine: boolean; all: boolean } {
  const unitScope = UNIT_SCOPE.test(text);
  const rest = text.replace(globalise(UNIT_SCOPE), " ").replace(globalise(ASKER), " ");
  return { unitScope, mine: MINE.test(rest), all: ALL_SCOPE.test(text) };
}

const globalCache = new Map<RegExp, RegExp>();
function globalise(re: RegExp): RegExp {
  let g = globalCache.get(re);
  if (!g) globalCache.set(re, (g = new RegExp(re.source, re.flags + "g")));
  g.lastIndex = 0;
  return g;
}
