/**
 * The flag engine (issue 15 §1): pure functions over answers, no I/O. Given the answers of a campaign
 * (and, as sources only, the same units' answers from earlier campaigns) it returns, per answer, the
 * flags with their evidence. Recycled text is found with 5-character shingles and containment (share of
 * this answer's distinct shingles that occur in the other answer) through an inverted index; see
 * docs/flags.md for the calibration that chose the thresholds.
 */
import { STOCK_PHRASES } from "./phrases.js";
import {
  containment,
  SHINGLE_K,
  normalise,
  originalSpan,
  shingleSeq,
  shingleSet,
  type Normalised,
} from "./text.js";

export interface FlagAnswer {
  id: string;
  campaignKey: string;
  unitKey: string;
  /** Set for answers owed by a person; undefined for a unit's answer. */
  personKey?: string;
  itemKey: string;
  narrative: string;
  conclusion?: "compliant" | "basically_compliant" | "problems";
  problems?: readonly string[];
  itemTitle?: string;
  checkpoints?: readonly string[];
}

export interface FlagOptions {
  /** Recycled when this share of the answer's shingles is found in one other answer. */
  recycledThreshold: number;
  /** …or when one verbatim passage (normalised characters) is at least this long. 0 = off. */
  passageMinChars: number;
  /** Copied from the checklist when this share of the answer is in the item's title + checkpoints. */
  checklistThreshold: number;
  /** Stock phrasing when this share of the text is set phrases and there are no concrete facts. */
  stockThreshold: number;
  /** Extra set phrases (the campaign file's `flags.stock_phrases`). */
  stockPhrases: readonly string[];
  /** Too short below this many characters (raised by 10 per checkpoint of the item). */
  minChars: number;
  /** Per item key: too short below this many characters (instead of `minChars` and the checkpoint rule). */
  minCharsByItem: Readonly<Record<string, number>>;
  /** No problems anywhere: a unit whose every answer (at least this many) says compliant. */
  noProblemsMinItems: number;
}

export const DEFAULT_FLAG_OPTIONS: FlagOptions = {
  recycledThreshold: 0.5,
  passageMinChars: 40,
  checklistThreshold: 0.6,
  stockThreshold: 0.3,
  stockPhrases: [],
  minChars: 30,
  minCharsByItem: {},
  noProblemsMinItems: 3,
};

export type Relation = "other_unit" | "same_unit" | "earlier_campaign";

export type Flag =
  | {
      kind: "recycled";
      otherId: string;
      otherCampaignKey: string;
      otherUnitKey: string;
      otherItemKey: string;
      relation: Relation;
      /** Share of this answer found in the other one, 0..1. */
      share: number;
      /** The longest passage both contain, as written in this answer. */
      passage: string;
    }
  | { kind: "checklist"; share: number }
  | { kind: "stock"; share: number; phrases: string[] }
  | { kind: "short"; chars: number; min: number }
  | { kind: "no_problems"; items: number };

export type FlagKind = Flag["kind"];

interface Doc {
  a: FlagAnswer;
  /** From an earlier campaign (`sources`). */
  earlier: boolean;
  /** Flags are computed for this answer. */
  target: boolean;
  n: Normalised;
  seq: Uint32Array;
  /** Distinct shingles, sorted. */
  set: Uint32Array;
  /** The quarter of `set` that is indexed (hash ≡ 0 mod 4), to find candidates. */
  sample: Uint32Array;
}

/** Answers sharing a posting list longer than this only see its first entries (bounds the work). */
const POSTING_CAP = 32;
/** Candidates checked exactly per answer, the ones sharing the most indexed shingles. */
const MAX_CANDIDATES = 24;
const MAX_RECYCLED_SHOWN = 3;
/**
 * Only shingles whose hash is 0 mod 4 go into the index (a quarter of the work); the exact check uses
 * all shingles. A 40-character passage has 36 shingles, about 9 of them sampled; candidates need 3.
 */
const SAMPLE_MASK = 3;
const SAMPLE_MIN_RARE = 3;

function slotOf(a: FlagAnswer): string {
  return `${a.campaignKey}\u0000${a.itemKey}\u0000${a.unitKey}\u0000${a.personKey ?? ""}`;
}

function relationOf(a: FlagAnswer, b: FlagAnswer, bIsEarlier: boolean): Relation | undefined {
  if (bIsEarlier || a.campaignKey !== b.campaignKey) {
    return a.unitKey === b.unitKey ? "earlier_campaign" : undefined;
  }
  if (slotOf(a) === slotOf(b)) return undefined;
  return a.unitKey === b.unitKey ? "same_unit" : "other_unit";
}

function toDoc(a: FlagAnswer, earlier: boolean, target: boolean): Doc {
  const n = normalise(a.narrative);
  const seq = shingleSeq(n.text);
  const set = shingleSet(seq);
  return { a, earlier, target, n, seq, set, sample: set.filter((h) => (h & SAMPLE_MASK) === 0) };
}

/**
 * Flags for every answer in `answers`. `sources` (earlier campaigns' answers) are compared against but
 * not flagged themselves. With `only`, just those answers are flagged (the rest still count as others).
 * Returns a map from answer id to its flags (answers without flags are absent).
 */
export function computeFlags(
  answers: readonly FlagAnswer[],
  options: Partial<FlagOptions> = {},
  sources: readonly FlagAnswer[] = [],
  only?: ReadonlySet<string>,
): Map<string, Flag[]> {
  const opt = { ...DEFAULT_FLAG_OPTIONS, ...options };
  const docs = [
    ...answers.map((a) => toDoc(a, false, !only || only.has(a.id))),
    ...sources.map((a) => toDoc(a, true, false)),
  ];
  const out = new Map<string, Flag[]>();
  const push = (id: string, f: Flag) => {
    const list = out.get(id);
    if (list) list.push(f);
    else out.set(id, [f]);
  };

  for (const [id, f] of recycledFlags(docs, opt)) push(id, f);
  const phrases = stockPhraseList(opt.stockPhrases);
  for (const d of docs) {
    if (!d.target) continue;
    for (const f of singleAnswerFlags(d, opt, phrases)) push(d.a.id, f);
  }
  for (const [id, f] of noProblemsFlags(answers, opt)) if (!only || only.has(id)) push(id, f);
  return out;
}

function recycledFlags(docs: Doc[], opt: FlagOptions): [string, Flag][] {
  const index = buildIndex(docs);
  const starts = index.start;
  const holders = index.doc;
  const minRun = opt.passageMinChars > 0 ? Math.max(1, opt.passageMinChars - SHINGLE_K + 1) : Infinity;
  const minRareSampled = opt.passageMinChars > 0 ? SAMPLE_MIN_RARE : Infinity;
  const counts = new Int32Array(docs.length);
  const rareCounts = new Int32Array(docs.length);
  const touched: number[] = [];
  const result: [string, Flag][] = [];
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i]!;
    if (!d.target || d.sample.length === 0) continue;
    const where = index.where[i]!;
    let capped = 0;
    for (let s = 0; s < where.length; s++) {
      const at = where[s]!;
      const start = starts[at]!;
      const df = starts[at + 1]! - start;
      const rare = df <= POSTING_CAP ? 1 : 0;
      if (!rare) capped++;
      const end = start + Math.min(df, POSTING_CAP);
      for (let p = start; p < end; p++) {
        const j = holders[p]!;
        if (j === i) continue;
        if (counts[j] === 0) touched.push(j);
        counts[j]!++;
        rareCounts[j]! += rare;
      }
    }
    // In sampled shingles: rareCounts[j] counts exactly those shared with short posting lists; at most
    // `capped` more can be shared (long lists are cut). An answer that can reach neither rule (with
    // slack for sampling) is not checked.
    const needShared = 0.7 * opt.recycledThreshold * d.sample.length;
    // The MAX_CANDIDATES answers sharing the most indexed shingles (insertion into a short list: a
    // full sort of every touched answer is what made this slow).
    const cands: number[] = [];
    const rankOf = (j: number) => rareCounts[j]! * 65536 + counts[j]!;
    for (const j of touched) {
      const c = counts[j]!;
      if (c < 2 || (rareCounts[j]! + capped < needShared && rareCounts[j]! < minRareSampled)) continue;
      // Rank by shared rare shingles (copied text), then by all shared ones (mass-copied templates).
      const rank = rareCounts[j]! * 65536 + c;
      if (cands.length === MAX_CANDIDATES && rank <= rankOf(cands[cands.length - 1]!)) continue;
      if (!relationOf(d.a, docs[j]!.a, docs[j]!.earlier)) continue;
      let at = cands.length;
      while (at > 0 && rankOf(cands[at - 1]!) < rank) at--;
      cands.splice(at, 0, j);
      if (cands.length > MAX_CANDIDATES) cands.pop();
    }
    for (const j of touched) counts[j] = rareCounts[j] = 0;
    touched.length = 0;

    // Passages found in more than POSTING_CAP answers are the campaign's set text (the stock flag's
    // business), not one answer copying another: they do not count towards the passage rule.
    let seqIdx: Int32Array | undefined;
    let common: Uint8Array | undefined;
    const inOther = new Uint8Array(d.set.length);
    const hits: Extract<Flag, { kind: "recycled" }>[] = [];
    for (const j of cands) {
      const o = docs[j]!;
      const shared = markShared(d.set, o.set, inOther);
      const share = shared / d.set.length;
      if (share < opt.recycledThreshold && shared < minRun) continue;
      if (!seqIdx || !common) {
        seqIdx = positionsInSet(d.seq, d.set);
        const commonHashes = new Set<number>();
        for (let s = 0; s < where.length; s++) {
          const at = where[s]!;
          if (starts[at + 1]! - starts[at]! > POSTING_CAP) commonHashes.add(d.sample[s]!);
        }
        common = new Uint8Array(d.set.length);
        if (commonHashes.size > 0) d.set.forEach((h, k) => (common![k] = commonHashes.has(h) ? 1 : 0));
      }
      const [rs, re] = longestRun(seqIdx, inOther, common);
      const long = re - rs >= opt.passageMinChars && opt.passageMinChars > 0;
      if (share < opt.recycledThreshold && !long) continue;
      const [s, e] = share >= opt.recycledThreshold ? longestRun(seqIdx, inOther) : [rs, re];
      hits.push({
        kind: "recycled",
        otherId: o.a.id,
        otherCampaignKey: o.a.campaignKey,
        otherUnitKey: o.a.unitKey,
        otherItemKey: o.a.itemKey,
        relation: relationOf(d.a, o.a, o.earlier)!,
        share: round2(share),
        passage: originalSpan(d.a.narrative, d.n, s, e),
      });
    }
    hits.sort((x, y) => y.share - x.share || y.passage.length - x.passage.length);
    for (const h of hits.slice(0, MAX_RECYCLED_SHOWN)) result.push([d.a.id, h]);
  }
  return result;
}

/**
 * Inverted index over all documents' distinct shingles, as flat typed arrays: the documents holding the
 * k-th distinct shingle (in hash order) are `doc[start[k] .. start[k + 1])`, ascending. Built by sorting (hash, document) pairs packed into one float64 each (32 + 21 bits).
 */
function buildIndex(docs: Doc[]) {
  let total = 0;
  for (const d of docs) total += d.sample.length;
  const DOC_BITS = 2 ** 21;
  const pairs = new Float64Array(total);
  let n = 0;
  docs.forEach((d, i) => {
    for (const h of d.sample) pairs[n++] = h * DOC_BITS + i;
  });
  pairs.sort();
  const start = new Int32Array(total + 1);
  const doc = new Int32Array(total);
  // where[i][k]: the entry of docs[i].set[k]. Pairs come in ascending hash order and each set is
  // sorted, so the k-th pair seen for document i is its k-th shingle.
  const where = docs.map((d) => new Int32Array(d.sample.length));
  const filled = new Int32Array(docs.length);
  let u = 0;
  let prev = -1;
  for (let p = 0; p < total; p++) {
    const v = pairs[p]!;
    const h = Math.floor(v / DOC_BITS);
    const i = v - h * DOC_BITS;
    doc[p] = i;
    if (h !== prev) {
      start[u++] = p;
      prev = h;
    }
    where[i]![filled[i]!++] = u - 1;
  }
  start[u] = total;
  return { start, doc, where };
}

/** Marks in `out` which of `a`'s shingles `b` holds (both sorted); returns how many. */
function markShared(a: Uint32Array, b: Uint32Array, out: Uint8Array): number {
  out.fill(0);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[i++] = 1;
      n++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return n;
}

/** For each position of `seq`, the index of its shingle in the sorted distinct set. */
function positionsInSet(seq: Uint32Array, set: Uint32Array): Int32Array {
  const out = new Int32Array(seq.length);
  for (let p = 0; p < seq.length; p++) {
    const h = seq[p]!;
    let lo = 0;
    let hi = set.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (set[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    out[p] = lo;
  }
  return out;
}

/**
 * Longest run of consecutive positions whose shingle is shared (and not common): the longest passage
 * both answers contain, as [start, end) in normalised characters.
 */
function longestRun(seqIdx: Int32Array, shared: Uint8Array, common?: Uint8Array): [number, number] {
  let best: [number, number] = [0, 0];
  let runStart = -1;
  for (let p = 0; p <= seqIdx.length; p++) {
    const k = p < seqIdx.length ? seqIdx[p]! : -1;
    const hit = k >= 0 && shared[k] === 1 && (!common || common[k] === 0);
    if (hit && runStart < 0) runStart = p;
    if (!hit && runStart >= 0) {
      const end = p - 1 + SHINGLE_K;
      if (end - runStart > best[1] - best[0]) best = [runStart, end];
      runStart = -1;
    }
  }
  return best;
}

function stockPhraseList(extra: readonly string[]): string[] {
  const all = new Set<string>();
  for (const p of [...STOCK_PHRASES, ...extra]) {
    const t = normalise(p).text;
    if (t.length >= 2) all.add(t);
  }
  return [...all];
}

/** Concrete facts a reviewer can check: numbers, dates, named documents, systems, meetings. */
const FACT_PATTERNS: readonly RegExp[] = [
  /[0-9０-９]/,
  /[一二三四五六七八九十百千万两]+(?:次|项|个|人|份|场|期|篇|条|家|名|件|批|轮|户|天|元|万元|处)/,
  /[上下本]?[一二三四五六七八九十]+月|[0-9]+月|[0-9]+日/,
  /《[^》]{2,}》/,
  /[“"][^”"]{1,20}(?:系统|平台|台账)[”"]|[\p{Script=Han}A-Za-z]{2,}(?:系统|平台)/u,
  /会议|座谈会|专题会|培训班|推进会|部署会/,
];

export function hasConcreteFacts(text: string): boolean {
  return FACT_PATTERNS.some((re) => re.test(text));
}

function stockShare(text: string, phrases: readonly string[]): { share: number; found: string[] } {
  if (text.length === 0) return { share: 0, found: [] };
  const covered = new Uint8Array(text.length);
  const found: string[] = [];
  for (const p of phrases) {
    let at = text.indexOf(p);
    if (at < 0) continue;
    found.push(p);
    while (at >= 0) {
      covered.fill(1, at, at + p.length);
      at = text.indexOf(p, at + 1);
    }
  }
  let c = 0;
  for (const v of covered) c += v;
  return { share: c / text.length, found };
}

function singleAnswerFlags(d: Doc, opt: FlagOptions, phrases: readonly string[]): Flag[] {
  const flags: Flag[] = [];
  const a = d.a;
  const checklistText = [a.itemTitle ?? "", ...(a.checkpoints ?? [])].join("。");
  if (checklistText.length > 0 && d.set.length > 0) {
    const share = containment(d.set, shingleSet(shingleSeq(normalise(checklistText).text)));
    if (share >= opt.checklistThreshold) flags.push({ kind: "checklist", share: round2(share) });
  }
  const stock = stockShare(d.n.text, phrases);
  if (stock.share >= opt.stockThreshold && !hasConcreteFacts(a.narrative)) {
    flags.push({ kind: "stock", share: round2(stock.share), phrases: stock.found.slice(0, 8) });
  }
  const own = Object.hasOwn(opt.minCharsByItem, a.itemKey) ? opt.minCharsByItem[a.itemKey] : undefined;
  const min = own ?? Math.max(opt.minChars, 10 * (a.checkpoints?.length ?? 0));
  if (d.n.text.length < min) flags.push({ kind: "short", chars: d.n.text.length, min });
  return flags;
}

function noProblemsFlags(answers: readonly FlagAnswer[], opt: FlagOptions): [string, Flag][] {
  const byUnit = new Map<string, FlagAnswer[]>();
  for (const a of answers) {
    if (a.personKey) continue;
    const k = `${a.campaignKey}\u0000${a.unitKey}`;
    const list = byUnit.get(k);
    if (list) list.push(a);
    else byUnit.set(k, [a]);
  }
  const out: [string, Flag][] = [];
  for (const list of byUnit.values()) {
    if (list.length < opt.noProblemsMinItems) continue;
    const clean = list.every((a) => a.conclusion === "compliant" && (a.problems?.length ?? 0) === 0);
    if (!clean) continue;
    for (const a of list) out.push([a.id, { kind: "no_problems", items: list.length }]);
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
