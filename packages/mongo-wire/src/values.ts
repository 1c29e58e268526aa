import { BSON, BSONRegExp, ObjectId, type DeserializeOptions } from "bson";
import type { Doc } from "./types";

/**
 * How every BSON buffer (wire messages and the data file) is read: ints/doubles become numbers,
 * but Int64 stays `Long` and regular expressions stay `BSONRegExp` so documents round-trip with
 * their original BSON types.
 */
export const DESERIALIZE_OPTIONS: DeserializeOptions = {
  promoteLongs: false,
  promoteValues: true,
  promoteBuffers: false,
  bsonRegExp: true,
  useBigInt64: false,
};

export function deserialize(buf: Uint8Array): Doc {
  return BSON.deserialize(buf, DESERIALIZE_OPTIONS) as Doc;
}

export function serialize(doc: Doc): Uint8Array {
  return BSON.serialize(doc, { checkKeys: false, ignoreUndefined: false });
}

export function bsonSize(doc: Doc): number {
  return BSON.calculateObjectSize(doc, { ignoreUndefined: false });
}

/** A plain `{}` object (not a bson value class, Date, RegExp, array, ...). */
export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function bsonType(v: unknown): string | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const t = (v as { _bsontype?: unknown })._bsontype;
  return typeof t === "string" ? t : undefined;
}

/** Deep copy of a document: plain objects, arrays and Dates are copied; bson values are shared (immutable). */
export function cloneValue<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => cloneValue(x)) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = cloneValue(v[k]);
    return out as T;
  }
  return v;
}

/**
 * Converts `BSONRegExp` values to JS `RegExp` (for filters handed to mingo). BSON flags i, m, s, u
 * map to the same JS flags; x and l are dropped.
 */
export function toQueryValue<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof BSONRegExp) {
    const flags = [...new Set(v.options.split(""))].filter((f) => "imsu".includes(f)).join("");
    return new RegExp(v.pattern, flags) as T;
  }
  if (Array.isArray(v)) return v.map((x) => toQueryValue(x)) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = toQueryValue(v[k]);
    return out as T;
  }
  return v;
}

/**
 * A canonical string for a BSON value, used as hash key for `_id` and index entries. Numbers of
 * every BSON numeric type with the same value get the same key; null and missing share a key
 * (as they do in MongoDB indexes). Key order of sub-documents matters, as in MongoDB.
 */
export function keyOf(v: unknown): string {
  if (v === undefined || v === null) return "N";
  switch (typeof v) {
    case "number":
      return Number.isNaN(v) ? "nNaN" : `n${v === 0 ? 0 : v}`;
    case "string":
      return `s${JSON.stringify(v)}`;
    case "boolean":
      return v ? "T" : "F";
    case "bigint":
      return `n${v.toString()}`;
    case "object":
      break;
    default:
      return `?${String(v)}`;
  }
  if (Array.isArray(v)) return `[${v.map(keyOf).join(",")}]`;
  if (v instanceof Date) return `d${v.getTime()}`;
  if (v instanceof RegExp) return `r${JSON.stringify(`${v.source}/${v.flags}`)}`;
  if (isPlainObject(v)) {
    const parts: string[] = [];
    for (const k of Object.keys(v)) {
      if (v[k] === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${keyOf(v[k])}`);
    }
    return `{${parts.join(",")}}`;
  }
  const t = bsonType(v);
  const any = v as { toString(): string; toHexString?: () => string };
  switch (t) {
    case "ObjectId":
      return `o${(v as ObjectId).toHexString()}`;
    case "Long":
    case "Int32":
    case "Double":
      return `n${numericString(any.toString())}`;
    case "Decimal128":
      return `n${numericString(any.toString())}`;
    case "Binary": {
      const b = v as { sub_type: number; buffer: Uint8Array };
      return `b${b.sub_type}:${Buffer.from(b.buffer).toString("base64")}`;
    }
    case "BSONRegExp": {
      const r = v as BSONRegExp;
      return `r${JSON.stringify(`${r.pattern}/${r.options}`)}`;
    }
    case "MinKey":
      return "<min>";
    case "MaxKey":
      return "<max>";
    default:
      return `${t ?? "x"}:${JSON.stringify(any.toString())}`;
  }
}

/** "1.50" -> "1.5" when the number round-trips through a double, so Decimal128/Long keys meet doubles. */
function numericString(s: string): string {
  const n = Number(s);
  if (Number.isFinite(n) && Number.isSafeInteger(n) && /^-?\d+$/.test(s)) return String(n === 0 ? 0 : n);
  if (Number.isFinite(n) && String(n) === s.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")) return String(n);
  return s;
}

/** `{ name: "x", n: 1 }` in MongoDB's error-message style. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof RegExp) return String(v);
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(", ")} ]`;
  if (isPlainObject(v)) {
    const entries = Object.keys(v).map((k) => `${k}: ${formatValue(v[k])}`);
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  const t = bsonType(v);
  if (t === "ObjectId") return `ObjectId('${(v as ObjectId).toHexString()}')`;
  return `${t ?? "Object"}(${JSON.stringify(String(v))})`;
}

/** Returns the value at a dotted path, or undefined (array elements are not traversed). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else if (isPlainObject(cur)) {
      cur = Object.prototype.hasOwnProperty.call(cur, part) ? cur[part] : undefined;
    } else return undefined;
  }
  return cur;
}

/** Sets a value at a dotted path, creating intermediate objects. */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (isPlainObject(next)) cur = next;
    else {
      const created: Doc = {};
      cur[parts[i]] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1]] = value;
}

/** Marker for "array was empty" in index keys (MongoDB indexes [] as undefined, distinct from null). */
export const EMPTY_ARRAY = Symbol("emptyArray");

/**
 * The index-key values of a dotted path, MongoDB style: arrays along the path and at the leaf
 * fan out (multikey); a missing field yields `undefined`.
 */
export function indexValues(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const parts = path.split(".");
  const walk = (value: unknown, i: number): void => {
    if (i === parts.length) {
      if (Array.isArray(value)) {
        if (value.length === 0) out.push(EMPTY_ARRAY);
        else for (const el of value) out.push(el);
      } else out.push(value);
      return;
    }
    if (Array.isArray(value)) {
      const part = parts[i];
      if (/^\d+$/.test(part) && Number(part) < value.length) {
        walk(value[Number(part)], i + 1);
        return;
      }
      let any = false;
      for (const el of value) {
        if (isPlainObject(el)) {
          any = true;
          walk(el, i);
        }
      }
      if (!any) out.push(undefined);
      return;
    }
    if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, parts[i]))
      walk(value[parts[i]], i + 1);
    else out.push(undefined);
  };
  walk(doc, 0);
  return out;
}

/** MongoDB puts `_id` first; returns the doc itself when it already is. */
export function idFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (keys[0] === "_id" || !("_id" in doc)) return doc;
  const out: Doc = { _id: doc._id };
  for (const k of keys) if (k !== "_id") out[k] = doc[k];
  return out;
}

export function newObjectId(): ObjectId {
  return new ObjectId();
}

/** Reads a numeric command argument that may arrive as number, Long or Int32/Double. */
export function toNumber(v: unknown, fallback = 0): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v !== null && typeof v === "object") {
    const t = bsonType(v);
    if (t === "Long" || t === "Int32" || t === "Double" || t === "Decimal128") return Number(String(v));
  }
  return fallback;
}

export function isNumeric(v: unknown): boolean {
  if (typeof v === "number") return true;
  const t = bsonType(v);
  return t === "Long" || t === "Int32" || t === "Double" || t === "Decimal128";
}

/** true for `{ $op: ... }` documents (first key starts with "$"). */
export function isOperatorDoc(v: unknown): v is Doc {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys[0].startsWith("$");
}
