/**
 * Text normalisation and character shingles for the flag engine (issue 15 §1). Chinese has no spaces,
 * so the unit is the character: punctuation, symbols and whitespace are dropped, full-width forms are
 * folded (NFKC) and Latin letters lower-cased; what remains is cut into overlapping k-grams, each hashed
 * to a 32-bit number. `pos[i]` is where normalised character i sits in the original text, so a shared
 * passage found in normalised text is shown as the user wrote it.
 */

export const SHINGLE_K = 5;

export interface Normalised {
  text: string;
  /** Index in the original string of each character of `text`. */
  pos: Int32Array;
}

const KEEP = /[\p{L}\p{N}]/u;

/** Class of a UTF-16 code unit: 1 keep as is, 2 keep lower-cased, 0 drop, -1 ask Unicode (rare). */
function quickClass(c: number): number {
  if (c >= 0x4e00 && c <= 0x9fff) return 1; // CJK unified ideographs: nearly all of the text
  if (c < 0x80) {
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a)) return 1;
    return c >= 0x41 && c <= 0x5a ? 2 : 0;
  }
  if ((c >= 0x3000 && c <= 0x303f) || (c >= 0xff01 && c <= 0xff0f) || (c >= 0x2000 && c <= 0x206f)) return 0;
  return -1;
}

const UTF16 = new TextDecoder("utf-16le");

export function normalise(raw: string): Normalised {
  const codes = new Uint16Array(raw.length * 2 + 2);
  const pos = new Int32Array(raw.length * 2 + 2);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const q = quickClass(c);
    if (q === 1 || q === 2) {
      codes[n] = q === 2 ? c + 32 : c;
      pos[n++] = i;
    } else if (q < 0) {
      // Fold this character on its own so every normalised character maps back to the original.
      for (const ch of raw[i]!.normalize("NFKC").toLowerCase()) {
        if (!KEEP.test(ch)) continue;
        for (let k = 0; k < ch.length && n < codes.length; k++) {
          codes[n] = ch.charCodeAt(k);
          pos[n++] = i;
        }
      }
    }
  }
  return { text: UTF16.decode(codes.subarray(0, n)), pos: pos.subarray(0, n) };
}

/** FNV-1a over the k UTF-16 code units starting at `start`. */
function hashAt(text: string, start: number, k: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + k; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hash of the shingle starting at each position (length `text.length - k + 1`, or one for short text). */
export function shingleSeq(text: string, k = SHINGLE_K): Uint32Array {
  if (text.length === 0) return new Uint32Array(0);
  if (text.length < k) return Uint32Array.of(hashAt(text, 0, text.length));
  const out = new Uint32Array(text.length - k + 1);
  for (let i = 0; i < out.length; i++) out[i] = hashAt(text, i, k);
  return out;
}

/** The distinct shingles, sorted ascending (cheaper than a Set and intersectable by merging). */
export function shingleSet(seq: Uint32Array): Uint32Array {
  if (seq.length === 0) return seq;
  const sorted = Uint32Array.from(seq).sort();
  let n = 1;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

/** Number of shingles both sorted sets hold. */
export function sharedCount(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      n++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return n;
}

/** Share of `a`'s distinct shingles that occur in `b`. */
export function containment(a: Uint32Array, b: Uint32Array): number {
  return a.length === 0 ? 0 : sharedCount(a, b) / a.length;
}

/** The original text of normalised span [start, end). */
export function originalSpan(raw: string, n: Normalised, start: number, end: number): string {
  if (end <= start) return "";
  return raw.slice(n.pos[start]!, n.pos[Math.min(end, n.pos.length) - 1]! + 1);
}
