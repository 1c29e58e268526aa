/**
 * Fast paths for the commonest query shapes, evaluated without mingo. Each one reproduces exactly
 * what mingo (and so the rest of the store) answers for the cases it accepts, and hands everything
 * else back to mingo:
 *
 * - `compileFastFilter`: filters made of equality / `$eq` / `$ne` / `$in` / `$nin` on scalars,
 *   `$lt`/`$lte`/`$gt`/`$gte` on strings, numbers, booleans and dates, `$exists`, combined by implicit
 *   AND, `$and`, `$or`, `$nor`. Documents it cannot decide (an array or a sub-document on the way, a
 *   Long/Decimal128 value, ...) are answered by mingo, one document at a time.
 * - `fastGroup`: `$group` whose `_id` is a field path, a constant, or an object of field paths and
 *   constants, with `$sum`/`$avg`/`$min`/`$max`/`$first`/`$last`/`$push`/`$addToSet` of a field path,
 *   a literal or a `$cond` on `$eq`/`$ne`, `$sum` of a number and `$count`. Gives up (returns
 *   undefined) on any document it cannot handle; the caller then runs mingo over the same input.
 * - `fastProject`: find projections that include top-level fields.
 *
 * The fast paths never write into their input documents, and every non-scalar value they put into a
 * result is a copy, so results never share mutable state with stored documents.
 */
import { bsonType, cloneValue, isPlainObject } from "./values";
import type { Doc } from "./types";

/** Three-valued result: undefined = "cannot tell here, ask mingo". */
type Tri = boolean | undefined;
type Pred = (doc: Doc) => Tri;

/** Marks a path that went through something the fast path does not model (array, bson value). */
const UNSURE: unique symbol = Symbol("unsure");
type Getter = (doc: Doc) => unknown;

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Reads a (dotted) path the way mingo's `resolve` does for documents made of plain objects: a missing
 * field or a scalar on the way gives undefined. Arrays and non-plain objects on the way give UNSURE.
 */
function pathGetter(path: string): Getter | undefined {
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

function isObjectId(v: unknown): v is { toHexString(): string; constructor: unknown } {
  return bsonType(v) === "ObjectId" && typeof (v as { toHexString?: unknown }).toHexString === "function";
}

/**
 * Values whose comparisons the fast paths model: string, number, boolean, null, undefined, Date and
 * ObjectId. Anything else (arrays, sub-documents, Long, Decimal128, Binary, regexes, ...) is left to mingo.
 */
function isSimple(v: unknown): boolean {
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
const simpleCmp = (a: number | string | boolean, b: number | string | boolean) =>
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

// ------------------------------------------------------------------------------------------ $group

/** Gives up the fast $group for this input. */
class GiveUp extends Error {}
const GIVE_UP = new GiveUp();

/** A field-path expression ("$a.b"), or undefined for anything else (variables, literals, ...). */
function fieldPath(expr: unknown): Getter | undefined {
  if (typeof expr !== "string" || !expr.startsWith("$") || expr.startsWith("$$")) return undefined;
  return pathGetter(expr.slice(1));
}

/** mingo's `$eq` (query and expression alike) on two simple values. */
function eqSimple(a: unknown, b: unknown): boolean {
  if (a === b || Object.is(a, b)) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (isObjectId(a))
    return isObjectId(b) && a.constructor === b.constructor && a.toHexString() === b.toHexString();
  return false;
}

/**
 * An accumulator operand: a field path, a literal (number, boolean, null, a string not starting with
 * "$"), or `$cond` whose condition is `$eq`/`$ne` of two field paths or literals (dates and ObjectIds
 * too). The compiled function returns UNSURE where mingo's answer is not modelled (a condition over
 * an array or a sub-document).
 */
function operand(expr: unknown): Getter | undefined {
  if (isKeyConstant(expr)) return () => expr;
  const path = fieldPath(expr);
  if (path) return path;
  if (!isPlainObject(expr)) return undefined;
  const ops = Object.keys(expr);
  if (ops.length !== 1 || ops[0] !== "$cond") return undefined;
  const spec = expr.$cond;
  let parts: unknown[];
  if (Array.isArray(spec)) parts = spec;
  else if (
    isPlainObject(spec) &&
    Object.keys(spec).length === 3 &&
    ["if", "then", "else"].every((k) => hasOwn(spec, k))
  )
    parts = [spec.if, spec.then, spec.else];
  else return undefined;
  if (parts.length !== 3 || !isPlainObject(parts[0])) return undefined;
  const cond = parts[0];
  const condOps = Object.keys(cond);
  if (condOps.length !== 1 || (condOps[0] !== "$eq" && condOps[0] !== "$ne")) return undefined;
  const args = cond[condOps[0]];
  if (!Array.isArray(args) || args.length !== 2) return undefined;
  const [lhs, rhs] = args.map((a) =>
    isKeyConstant(a) || a instanceof Date || isObjectId(a) ? () => a : fieldPath(a),
  );
  const yes = operand(parts[1]);
  const no = operand(parts[2]);
  if (!lhs || !rhs || !yes || !no) return undefined;
  const negate = condOps[0] === "$ne";
  return (doc) => {
    const a = lhs(doc);
    const b = rhs(doc);
    if (a === UNSURE || b === UNSURE || !isSimple(a) || !isSimple(b)) return UNSURE;
    return eqSimple(a, b) !== negate ? yes(doc) : no(doc);
  };
}

function read(get: Getter, doc: Doc): unknown {
  const v = get(doc);
  if (v === UNSURE) throw GIVE_UP;
  return v;
}

/**
 * Turns a group-key value into a Map key that is equal exactly when mingo's HashMap would equate the
 * values: strings, numbers, booleans, null and undefined stand for themselves (a Map already equates 0
 * with -0 and NaN with NaN, and keeps undefined apart from null); a date or an ObjectId becomes one
 * token object per value (ObjectIds of two bson builds never meet, as in mingo). Throws GIVE_UP for
 * any other value. One instance per $group run, so the tokens do not outlive it.
 */
class KeyNormalizer {
  private readonly dates = new Map<number, object>();
  private readonly oids = new Map<unknown, Map<string, object>>();

  norm(v: unknown): unknown {
    if (typeof v !== "object" || v === null) {
      const t = typeof v;
      if (t === "string" || t === "number" || t === "boolean" || v === null || v === undefined) return v;
      throw GIVE_UP;
    }
    if (v instanceof Date) {
      const time = v.getTime();
      if (Number.isNaN(time)) throw GIVE_UP;
      let token = this.dates.get(time);
      if (!token) this.dates.set(time, (token = {}));
      return token;
    }
    if (isObjectId(v)) {
      let byHex = this.oids.get(v.constructor);
      if (!byHex) this.oids.set(v.constructor, (byHex = new Map()));
      const hex = v.toHexString();
      let token = byHex.get(hex);
      if (!token) byHex.set(hex, (token = {}));
      return token;
    }
    throw GIVE_UP;
  }
}

function copy(v: unknown): unknown {
  return typeof v === "object" && v !== null ? cloneValue(v) : v;
}

/** Constants allowed in a group key (what mingo evaluates to themselves). */
function isKeyConstant(v: unknown): boolean {
  return (
    v === null ||
    typeof v === "number" ||
    typeof v === "boolean" ||
    (typeof v === "string" && !v.startsWith("$"))
  );
}

interface KeySpec {
  /** the values that make up a document's group key (none for a constant _id) */
  getters: Getter[];
  /** a field path _id: missing counts as null (an object _id keeps undefined apart from null) */
  single: boolean;
  /** the group's _id, computed (as a copy) from its first document */
  id(doc: Doc): unknown;
}

function compileKey(idExpr: unknown): KeySpec | undefined {
  if (isKeyConstant(idExpr)) {
    const id = idExpr === 0 ? 0 : idExpr; // a primitive key comes out of mingo's Map as +0
    return { getters: [], single: false, id: () => id };
  }
  const get = fieldPath(idExpr);
  if (get) {
    return {
      getters: [get],
      single: true,
      id: (doc) => {
        const v = read(get, doc) ?? null;
        return v === 0 ? 0 : copy(v);
      },
    };
  }
  if (!isPlainObject(idExpr)) return undefined;
  const names = Object.keys(idExpr);
  if (names.some((n) => n === "" || n.startsWith("$") || n.includes(".") || n === "__proto__"))
    return undefined;
  const parts: Array<{ name: string; get?: Getter; value?: unknown }> = [];
  for (const name of names) {
    const e = idExpr[name];
    const g = fieldPath(e);
    if (g) parts.push({ name, get: g });
    else if (isKeyConstant(e)) parts.push({ name, value: e });
    else return undefined;
  }
  return {
    getters: parts.filter((p) => p.get).map((p) => p.get!),
    single: false,
    id: (doc) => {
      const id: Doc = {};
      for (const p of parts) id[p.name] = p.get ? copy(read(p.get, doc)) : p.value;
      return id;
    },
  };
}

/** mingo's sort order across the types the fast $min/$max accept (null < number < string < bool < date). */
function rank(v: unknown): number {
  if (v === null || v === undefined) return 2;
  switch (typeof v) {
    case "number":
      if (Number.isNaN(v)) throw GIVE_UP;
      return 3;
    case "string":
      return 4;
    case "boolean":
      return 9;
    default:
      if (v instanceof Date && !Number.isNaN(v.getTime())) return 10;
      throw GIVE_UP;
  }
}

function cmpValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 2) return 0;
  if (ra === 10) return simpleCmp((a as Date).getTime(), (b as Date).getTime());
  return simpleCmp(a as string, b as string);
}

/** One group's accumulator state (classes, not closures: one cheap instance per group). */
interface Acc {
  add(doc: Doc): void;
  result(): unknown;
}
type AccFactory = (keys: KeyNormalizer) => Acc;

class CountAcc implements Acc {
  n = 0;
  constructor(private readonly times: number) {}
  add(): void {
    this.n++;
  }
  result(): unknown {
    return this.n * this.times;
  }
}

/** mingo's $sum/$avg: numbers only (NaN, Long, Decimal128, strings... are skipped), in input order. */
class SumAcc implements Acc {
  sum = 0;
  n = 0;
  constructor(
    private readonly get: Getter,
    private readonly avg: boolean,
  ) {}
  add(doc: Doc): void {
    const v = read(this.get, doc);
    if (typeof v === "number" && !Number.isNaN(v)) {
      this.sum += v;
      this.n++;
    }
  }
  result(): unknown {
    if (!this.avg) return this.sum;
    return this.n === 0 ? null : this.sum / this.n;
  }
}

class FirstAcc implements Acc {
  seen = false;
  value: unknown = null;
  constructor(private readonly get: Getter) {}
  add(doc: Doc): void {
    if (this.seen) return;
    this.seen = true;
    this.value = read(this.get, doc) ?? null;
  }
  result(): unknown {
    return copy(this.value);
  }
}

class LastAcc implements Acc {
  value: unknown = null;
  constructor(private readonly get: Getter) {}
  add(doc: Doc): void {
    this.value = read(this.get, doc) ?? null;
  }
  result(): unknown {
    return copy(this.value);
  }
}

class PushAcc implements Acc {
  list: unknown[] = [];
  constructor(private readonly get: Getter) {}
  add(doc: Doc): void {
    this.list.push(read(this.get, doc) ?? null);
  }
  result(): unknown {
    const out = this.list;
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (typeof v === "object" && v !== null) out[i] = cloneValue(v);
    }
    return out;
  }
}

/** mingo's $addToSet: unique values by value equality, in order of first appearance. */
class AddToSetAcc implements Acc {
  seen = new Map<unknown, unknown>();
  constructor(
    private readonly get: Getter,
    private readonly keys: KeyNormalizer,
  ) {}
  add(doc: Doc): void {
    const v = read(this.get, doc) ?? null;
    const k = this.keys.norm(v);
    if (!this.seen.has(k)) this.seen.set(k, v === 0 ? 0 : v);
  }
  result(): unknown {
    return [...this.seen.values()].map(copy);
  }
}

/**
 * mingo's $min drops null/missing, sorts and takes the first (earliest of equal values); $max sorts
 * everything (null first) and takes the last (latest of equal values).
 */
class MinMaxAcc implements Acc {
  best: unknown = null;
  any = false;
  constructor(
    private readonly get: Getter,
    private readonly max: boolean,
  ) {}
  add(doc: Doc): void {
    const v = read(this.get, doc) ?? null;
    rank(v);
    if (this.max) {
      if (!this.any || cmpValues(v, this.best) >= 0) this.best = v;
      this.any = true;
    } else if (v !== null) {
      if (!this.any || cmpValues(v, this.best) < 0) this.best = v;
      this.any = true;
    }
  }
  result(): unknown {
    return this.any ? copy(this.best) : null;
  }
}

const ACCUMULATORS = new Set([
  "$sum",
  "$avg",
  "$min",
  "$max",
  "$first",
  "$last",
  "$push",
  "$addToSet",
  "$count",
]);

function compileAccumulator(spec: unknown): AccFactory | undefined {
  if (!isPlainObject(spec)) return undefined;
  const ops = Object.keys(spec);
  if (ops.length !== 1 || !ACCUMULATORS.has(ops[0])) return undefined;
  const op = ops[0];
  const arg = spec[op];
  if (op === "$count") {
    if (!isPlainObject(arg) || Object.keys(arg).length !== 0) return undefined;
    return () => new CountAcc(1);
  }
  // mingo: `$sum: <number>` is the group's size times that number
  if (op === "$sum" && typeof arg === "number" && !Number.isNaN(arg)) return () => new CountAcc(arg);
  // mingo: a null operand stands for the documents themselves (`$push: null` pushes them)
  if (arg === null || arg === undefined) return undefined;
  const get = operand(arg);
  if (!get) return undefined;
  switch (op) {
    case "$sum":
      return () => new SumAcc(get, false);
    case "$avg":
      return () => new SumAcc(get, true);
    case "$first":
      return () => new FirstAcc(get);
    case "$last":
      return () => new LastAcc(get);
    case "$push":
      return () => new PushAcc(get);
    case "$addToSet":
      return (keys) => new AddToSetAcc(get, keys);
    case "$min":
      return () => new MinMaxAcc(get, false);
    case "$max":
      return () => new MinMaxAcc(get, true);
    default:
      return undefined;
  }
}

/**
 * `$group` over `docs` without mingo; undefined when the stage or a document is outside the fast
 * subset (the caller runs mingo then). Groups come out in order of first appearance, as from mingo.
 */
export function fastGroup(docs: Doc[], spec: unknown): Doc[] | undefined {
  if (!isPlainObject(spec) || !hasOwn(spec, "_id")) return undefined;
  const key = compileKey(spec._id);
  if (!key) return undefined;
  const fields: Array<[string, AccFactory]> = [];
  for (const name of Object.keys(spec)) {
    if (name === "_id") continue;
    if (name === "" || name.startsWith("$") || name.includes(".") || name === "__proto__") return undefined;
    const f = compileAccumulator(spec[name]);
    if (!f) return undefined;
    fields.push([name, f]);
  }
  interface Group {
    id: unknown;
    accs: Acc[];
  }
  const keys = new KeyNormalizer();
  const groups: Group[] = [];
  const newGroup = (doc: Doc): Group => {
    const g = { id: key.id(doc), accs: fields.map(([, f]) => f(keys)) };
    groups.push(g);
    return g;
  };
  // Groups are found through nested Maps, one level per key part.
  const root = new Map<unknown, unknown>();
  const getters = key.getters;
  const last = getters.length - 1;
  try {
    for (const doc of docs) {
      if (!isPlainObject(doc)) return undefined;
      let g: Group | undefined;
      if (last < 0) g = groups[0] ?? newGroup(doc);
      else {
        let node = root;
        for (let i = 0; i < last; i++) {
          const k = keys.norm(read(getters[i], doc));
          let next = node.get(k) as Map<unknown, unknown> | undefined;
          if (!next) node.set(k, (next = new Map()));
          node = next;
        }
        const v = read(getters[last], doc);
        const k = keys.norm(key.single ? (v ?? null) : v);
        g = node.get(k) as Group | undefined;
        if (!g) node.set(k, (g = newGroup(doc)));
      }
      for (const a of g.accs) a.add(doc);
    }
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
  const out: Doc[] = [];
  for (const g of groups) {
    const o: Doc = { _id: g.id };
    for (let i = 0; i < fields.length; i++) o[fields[i][0]] = g.accs[i].result();
    out.push(o);
  }
  return out;
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
