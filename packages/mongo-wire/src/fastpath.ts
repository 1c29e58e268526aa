/**
 * Fast paths for the commonest query shapes, evaluated without mingo. Each one reproduces exactly
 * what mingo (and so the rest of the store) answers for the cases it accepts, and hands everything
 * else back to mingo:
 *
 * - `compileFastFilter`: filters made of equality / `$eq` / `$ne` / `$in` / `$nin` on scalars,
 *   `$lt`/`$lte`/`$gt`/`$gte` on strings, numbers, booleans and dates, `$exists`, combined by implicit
 *   AND, `$and`, `$or`, `$nor`. Documents it cannot decide (an array or a sub-document on the way, a
 *   Long/Decimal128 value, ...) are answered by mingo, one document at a time.
 * - `fastGroup` (fastpath-group.ts): `$group` whose `_id` is a field path, a constant, or an object of field paths and
 *   constants, with `$sum`/`$avg`/`$min`/`$max`/`$first`/`$last`/`$push`/`$addToSet` of a field path,
 *   a literal or a `$cond` on `$eq`/`$ne`, `$sum` of a number and `$count`. Gives up (returns
 *   undefined) on any document it cannot handle; the caller then runs mingo over the same input.
 * - `fastProject`: find projections that include top-level fields.
 *
 * The fast paths never write into their input documents, and every non-scalar value they put into a
 * result is a copy, so results never share mutable state with stored documents.
 */
import { bsonType, isPlainObject } from "./values";
import type { Doc } from "./types";

/** Three-valued result: undefined = "cannot tell here, ask mingo". */
type Tri = boolean | undefined;
type Pred = (doc: Doc) => Tri;

/** Marks a path that went through something the fast path does not model (array, bson value). */
export const UNSURE: unique symbol = Symbol("unsure");
export type Getter = (doc: Doc) => unknown;

export const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Reads a (dotted) path the way mingo's `resolve` does for documents made of plain objects: a missing
 * field or a scalar on the way gives undefined. Arrays and non-plain objects on the way give UNSURE.
 */
export function pathGetter(path: string): Getter | undefined {
  if (typeof path !== "string" || path === "" || path.startsWith("$")) return undefined;
  const parts = path.split(".");
  if (parts.some((p) => p === "" || p === "__proto__")) return undefined;
  // Documents are plain objects: a name Object.prototype does not have can be read directly.
  if (parts.length === 1) {
    const k = parts[0];
    if (k in Object.prototype) return (doc) => (hasOwn(doc, k) ? doc[k] : undefined);
    return (doc) => doc[k];
  }
  const last = parts.length - 1;
  return (doc) => {
    let cur: unknown = doc;
    for (let i = 0; i < last; i++) {
      const o = cur as Doc;
      if (!hasOwn(o, parts[i])) return undefined;
      cur = o[parts[i]];
      if (cur === null || typeof cur !== "object") return undefined;
      if (!isPlainObject(cur)) return UNSURE;
    }
    const o = cur as Doc;
    return hasOwn(o, parts[last]) ? o[parts[last]] : undefined;
  };
}

export function isObjectId(v: unknown): v is { toHexString(): string; constructor: unknown } {
  return bsonType(v) === "ObjectId" && typeof (v as { toHexString?: unknown }).toHexString === "function";
}

/**
 * Values whose comparisons the fast paths model: string, number, boolean, null, undefined, Date and
 * ObjectId. Anything else (arrays, sub-documents, Long, Decimal128, Binary, regexes, ...) is left to mingo.
 */
export function isSimple(v: unknown): boolean {
  if (v === null) return true;
  const t = typeof v;
  if (t === "string" || t === "number" || t === "boolean" || t === "undefined") return true;
  if (t !== "object") return false;
  return v instanceof Date || isObjectId(v);
}

/** A query operand the fast filter accepts. */
function isScalarOperand(q: unknown): boolean {
  if (q === null) return true;
  const t = typeof q;
  if (t === "string" || t === "number" || t === "boolean") return true;
  if (q instanceof Date) return !Number.isNaN(q.getTime());
  return isObjectId(q);
}

// ------------------------------------------------------------------------------------------ filter

/** Equality as mingo's `$eq` on a simple (non-array) value. */
function equalsTo(q: unknown): (v: unknown) => boolean {
  if (q === null) return (v) => v === null || v === undefined;
  if (typeof q === "number" && Number.isNaN(q)) return (v) => typeof v === "number" && Number.isNaN(v);
  if (typeof q !== "object") return (v) => v === q;
  if (q instanceof Date) {
    const t = q.getTime();
    return (v) => v instanceof Date && v.getTime() === t;
  }
  const oid = q as { toHexString(): string; constructor: unknown };
  const hex = oid.toHexString();
  const ctor = oid.constructor;
  return (v) => isObjectId(v) && v.constructor === ctor && v.toHexString() === hex;
}

/** Membership as mingo's `$in` on a simple value (intersection by value, null also matches missing). */
function inList(list: unknown[]): (v: unknown) => boolean {
  const prims = new Set<unknown>();
  const dates = new Set<number>();
  const oids = new Map<string, Set<unknown>>();
  let hasNull = false;
  for (const q of list) {
    if (q === null) hasNull = true;
    else if (q instanceof Date) dates.add(q.getTime());
    else if (typeof q === "object") {
      const o = q as { toHexString(): string; constructor: unknown };
      const hex = o.toHexString();
      const s = oids.get(hex) ?? new Set<unknown>();
      s.add(o.constructor);
      oids.set(hex, s);
    } else prims.add(q);
  }
  return (v) => {
    if (v === null || v === undefined) return hasNull;
    if (typeof v !== "object") return prims.has(v);
    if (v instanceof Date) return dates.has(v.getTime());
    const o = v as { toHexString(): string; constructor: unknown };
    return oids.get(o.toHexString())?.has(o.constructor) === true;
  };
}

/** mingo's ordering within one type (numbers, strings, booleans: `<`/`>`; dates by time). */
export const simpleCmp = (a: number | string | boolean, b: number | string | boolean) =>
  a < b ? -1 : a > b ? 1 : 0;

/** `$lt` & co. as mingo does them: only values of the operand's own type compare. */
function rangeTest(op: string, q: unknown): ((v: unknown) => boolean) | undefined {
  const test =
    op === "$lt"
      ? (c: number) => c < 0
      : op === "$lte"
        ? (c: number) => c <= 0
        : op === "$gt"
          ? (c: number) => c > 0
          : (c: number) => c >= 0;
  if (q instanceof Date) {
    if (Number.isNaN(q.getTime())) return undefined;
    const t = q.getTime();
    return (v) => v instanceof Date && test(simpleCmp(v.getTime(), t));
  }
  const t = typeof q;
  if (t !== "string" && t !== "number" && t !== "boolean") return undefined;
  const b = q as string | number | boolean;
  return (v) => typeof v === t && test(simpleCmp(v as typeof b, b));
}

/** Compiles one field's condition; undefined when any part of it is outside the fast subset. */
function compileField(path: string, cond: unknown): Pred | undefined {
  const get = pathGetter(path);
  if (!get) return undefined;
  const tests: Array<(v: unknown) => boolean> = [];
  let exists: boolean | undefined;
  if (isPlainObject(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 0 || !keys.every((k) => k.startsWith("$"))) return undefined;
    for (const op of keys) {
      const q = cond[op];
      switch (op) {
        case "$eq":
        case "$ne": {
          if (!isScalarOperand(q)) return undefined;
          const eq = equalsTo(q);
          tests.push(op === "$eq" ? eq : (v) => !eq(v));
          break;
        }
        case "$in":
        case "$nin": {
          if (!Array.isArray(q) || !q.every(isScalarOperand)) return undefined;
          const member = inList(q);
          tests.push(op === "$in" ? member : (v) => !member(v));
          break;
        }
        case "$lt":
        case "$lte":
        case "$gt":
        case "$gte": {
          const t = rangeTest(op, q);
          if (!t) return undefined;
          tests.push(t);
          break;
        }
        case "$exists":
          if (typeof q !== "boolean" && typeof q !== "number") return undefined;
          exists = !!q;
          break;
        default:
          return undefined;
      }
    }
  } else {
    if (!isScalarOperand(cond)) return undefined;
    const t = typeof cond;
    if (t === "string" || t === "boolean" || (t === "number" && !Number.isNaN(cond))) {
      // The commonest condition, `{ field: "value" }`, without the generic machinery.
      return (doc) => {
        const v = get(doc);
        if (v === cond) return true;
        if (typeof v !== "object") return typeof v === "symbol" ? undefined : false;
        return v === null || v instanceof Date || isObjectId(v) ? false : undefined;
      };
    }
    tests.push(equalsTo(cond));
  }
  const want = exists;
  if (tests.length === 0) {
    // $exists alone: any value counts (arrays included), only the path must be readable.
    return (doc) => {
      const v = get(doc);
      if (v === UNSURE) return undefined;
      return (v !== undefined) === want;
    };
  }
  const single = tests.length === 1 ? tests[0] : undefined;
  return (doc) => {
    const v = get(doc);
    if (v === UNSURE || !isSimple(v)) return undefined;
    if (want !== undefined && (v !== undefined) !== want) return false;
    if (single) return single(v);
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}

function allOf(preds: Pred[]): Pred {
  if (preds.length === 1) return preds[0];
  return (doc) => {
    let unsure = false;
    for (const p of preds) {
      const r = p(doc);
      if (r === false) return false;
      if (r === undefined) unsure = true;
    }
    return unsure ? undefined : true;
  };
}

function anyOf(preds: Pred[]): Pred {
  return (doc) => {
    let unsure = false;
    for (const p of preds) {
      const r = p(doc);
      if (r === true) return true;
      if (r === undefined) unsure = true;
    }
    return unsure ? undefined : false;
  };
}

function compileTri(filter: Doc): Pred | undefined {
  const preds: Pred[] = [];
  for (const key of Object.keys(filter)) {
    const cond = filter[key];
    if (key === "$and" || key === "$or" || key === "$nor") {
      if (!Array.isArray(cond) || cond.length === 0 || !cond.every(isPlainObject)) return undefined;
      const subs: Pred[] = [];
      for (const sub of cond as Doc[]) {
        const p = compileTri(sub);
        if (!p) return undefined;
        subs.push(p);
      }
      if (key === "$and") preds.push(allOf(subs));
      else if (key === "$or") preds.push(anyOf(subs));
      else {
        const or = anyOf(subs);
        preds.push((doc) => {
          const r = or(doc);
          return r === undefined ? undefined : !r;
        });
      }
      continue;
    }
    if (key.startsWith("$")) return undefined;
    const p = compileField(key, cond);
    if (!p) return undefined;
    preds.push(p);
  }
  if (preds.length === 0) return () => true;
  return allOf(preds);
}

/**
 * The fast filter's own verdict for a document: true/false, or undefined where it would ask mingo.
 * undefined (no function) when the filter is outside the fast subset. For tests.
 */
export function fastFilterVerdict(filter: Doc): ((doc: Doc) => boolean | undefined) | undefined {
  const tri = compileTri(filter);
  return tri && ((doc) => (isPlainObject(doc) ? tri(doc) : undefined));
}

/**
 * A matcher for `filter` that answers without mingo when it can, calling `fallback` (mingo) for the
 * documents it cannot decide. undefined when the filter is outside the fast subset altogether.
 */
export function compileFastFilter(
  filter: Doc,
  fallback: () => (doc: Doc) => boolean,
): ((doc: Doc) => boolean) | undefined {
  const tri = compileTri(filter);
  if (!tri) return undefined;
  let slow: ((doc: Doc) => boolean) | undefined;
  return (doc) => {
    const r = isPlainObject(doc) ? tri(doc) : undefined;
    if (r !== undefined) return r;
    slow ??= fallback();
    return slow(doc);
  };
}

// ------------------------------------------------------------------------------------------ projection

/**
 * A find projection that only includes top-level fields (`{ a: 1, b: true }`, `_id` included or not),
 * applied as mingo applies it: `_id` first (unless excluded), then the included fields that are
 * present, in sorted name order. undefined for any other projection. The results share field values
 * with `docs` (stored documents are never modified in place, so that is safe for a cursor).
 */
export function fastProject(docs: Doc[], projection: Doc): Doc[] | undefined {
  let withId = true;
  const fields: string[] = [];
  for (const k of Object.keys(projection)) {
    const v = projection[k];
    if (k === "_id") {
      if (v === 0 || v === false) withId = false;
      else if (v !== 1 && v !== true) return undefined;
      continue;
    }
    if (v !== 1 && v !== true) return undefined;
    // plain names only: no paths, operators, positional or array-index-like keys
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || k === "__proto__") return undefined;
    fields.push(k);
  }
  if (fields.length === 0 && !withId) return undefined; // `{ _id: 0 }` alone excludes, not includes
  fields.sort();
  const out: Doc[] = new Array(docs.length);
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i];
    if (!isPlainObject(doc)) return undefined;
    const o: Doc = {};
    if (withId && hasOwn(doc, "_id")) o._id = doc._id;
    for (const f of fields) {
      if (!hasOwn(doc, f)) continue;
      const v = doc[f];
      if (v !== undefined) o[f] = v;
    }
    out[i] = o;
  }
  return out;
}
