/**
 * Text normalisation shared by the dictionary and the parser, so that both sides of a match
 * went through exactly the same steps.
 */

/** Feishu mention placeholders in message text (`@_user_1`, `@_all`). */
const MENTION_KEY = /@_user_\d+|@_all/g;
const POSSESSIVE = /['’]s\b/g;
const APOSTROPHES = /['’‘`´]/g;
const NOT_WORD = /[^\p{L}\p{N}#]+/gu;
const SPACE_NEXT_TO_HAN = / (?=\p{Script=Han})|(?<=\p{Script=Han}) /gu;

/**
 * NFKC (full-width → half-width), drop mention keys, lower-case, drop "'s" ("what's" → "what") and other
 * apostrophes ("hasn't" → "hasnt"), turn punctuation and quotes (straight or curly) into spaces, then remove every space
 * next to a Chinese character. Chinese text comes out compact; English words keep one space
 * between them so `\b` patterns work.
 */
export function normalize(text: string, mentionKeys: readonly string[] = []): string {
  let t = text.normalize("NFKC");
  for (const key of mentionKeys) if (key) t = t.split(key.normalize("NFKC")).join(" ");
  t = t
    .replace(MENTION_KEY, " ")
    .toLowerCase()
    .replace(POSSESSIVE, "")
    .replace(APOSTROPHES, "")
    .replace(NOT_WORD, " ");
  t = t.replace(/\s+/g, " ").trim();
  return t.replace(SPACE_NEXT_TO_HAN, "");
}

/** Regex source for a number written in digits or Chinese numerals. */
export const NUM = "(\\d+|[零〇一二两三四五六七八九十百千]+)";

const CN_DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const CN_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** "12" → 12, "十二" → 12, "二十三" → 23, "一百零五" → 105, "两" → 2; undefined if not a number. */
export function toInt(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  let total = 0;
  let digit: number | undefined;
  for (const ch of s) {
    if (ch in CN_DIGITS) digit = CN_DIGITS[ch];
    else if (ch in CN_UNITS) {
      total += (digit ?? 1) * CN_UNITS[ch];
      digit = undefined;
    } else return undefined;
  }
  return total + (digit ?? 0);
}

const EN_NUMBERS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
  "twenty",
];
/** Regex source for an English number: digits or a word up to twenty. */
export const EN_NUM = `(\\d+|${EN_NUMBERS.join("|")})`;

export function enToInt(s: string): number | undefined {
  const i = EN_NUMBERS.indexOf(s);
  return i >= 0 ? i : toInt(s);
}

/** English word for 0..20 ("six"), or the digits beyond. */
export function enNumeral(n: number): string {
  return EN_NUMBERS[n] ?? String(n);
}

/** Chinese numeral for 1..99, used to build ordinal keys such as 一查 / 三正. */
export function cnNumeral(n: number): string {
  const d = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
  if (n < 10) return d[n];
  if (n < 20) return "十" + d[n - 10];
  return d[Math.floor(n / 10)] + "十" + d[n % 10];
}
