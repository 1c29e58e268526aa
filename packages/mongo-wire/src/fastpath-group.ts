/** The `$group` fast path (see fastpath.ts): `_id` of field paths and constants, the common accumulators; gives up on anything else. */
import { cloneValue, isPlainObject } from "./values";
import type { Doc } from "./types";
import { UNSURE, type Getter, hasOwn, pathGetter, isObjectId, isSimple, simpleCmp } from "./fastpath";

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
