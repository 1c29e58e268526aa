/** Finding the documents a filter may match through `_id` or a secondary index instead of a scan. */
import { Index } from "./store-index";
import type { Doc } from "./types";
import { bsonType, isOperatorDoc, isPlainObject, keyOf } from "./values";

/** Most index keys looked up for one filter (a product of `$in` lists); more falls back to a scan. */
const MAX_LOOKUP_KEYS = 1000;

/** Plain equality value of a filter field, or undefined when the field's condition is not an equality. */
function equalityValue(cond: unknown): { value: unknown } | undefined {
  if (cond instanceof RegExp || bsonType(cond) === "BSONRegExp" || Array.isArray(cond)) return undefined;
  if (isOperatorDoc(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 1 && keys[0] === "$eq") return equalityValue(cond.$eq);
    return undefined;
  }
  return { value: cond };
}

/** The values of `{ $in: [...] }` (scalars only; a sub-document or regex in the list gives undefined). */
function inValues(cond: unknown): unknown[] | undefined {
  if (!isOperatorDoc(cond) || !Array.isArray(cond.$in)) return undefined;
  const list = cond.$in as unknown[];
  for (const v of list) {
    if (isPlainObject(v) || equalityValue(v) === undefined) return undefined;
  }
  return list;
}

/**
 * Per field, the values a matching document must hold: one for an equality, the list for a `$in` of
 * scalars (from the top level and `$and`s). Other conditions on the field may narrow it further.
 */
function collectEqualities(filter: Doc, out: Map<string, unknown[]>): void {
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) collectEqualities(sub, out);
      continue;
    }
    if (k.startsWith("$")) continue;
    const eq = equalityValue(v);
    const values = eq ? [eq.value] : inValues(v);
    if (values && (!out.has(k) || out.get(k)!.length > values.length)) out.set(k, values);
  }
}

/** `Collection.candidateList` over its documents, indexes and insertion numbers. */
export function lookupCandidates(
  filter: Doc | undefined,
  docs: Map<string, Doc>,
  indexes: Map<string, Index>,
  seq: Map<string, number>,
): Doc[] | undefined {
  if (!filter || docs.size === 0) return undefined;
  const idCond = filter._id;
  if (idCond !== undefined) {
    const eq = equalityValue(idCond);
    if (eq) {
      const d = docs.get(keyOf(eq.value));
      return d ? [d] : [];
    }
    if (isOperatorDoc(idCond) && Object.keys(idCond).length === 1 && Array.isArray(idCond.$in)) {
      const list = idCond.$in as unknown[];
      if (list.every((v) => equalityValue(v) !== undefined && !isPlainObject(v))) {
        const out = new Map<string, Doc>();
        for (const v of list) {
          const k = keyOf(v);
          const d = docs.get(k);
          if (d) out.set(k, d);
        }
        return [...out.values()];
      }
    }
  }
  if (indexes.size === 0) return undefined;
  const eqs = new Map<string, unknown[]>();
  collectEqualities(filter, eqs);
  if (eqs.size === 0) return undefined;
  let best: Set<string> | undefined;
  for (const idx of indexes.values()) {
    if (!idx.usableForLookup || !idx.fields.every((f) => eqs.has(f))) continue;
    const lists = idx.fields.map((f) => eqs.get(f)!);
    const combos = lists.reduce((n, l) => n * l.length, 1);
    if (combos > MAX_LOOKUP_KEYS) continue;
    let ids: Set<string> | undefined;
    if (combos === 1) {
      ids = idx.entries.get(Index.keyOfValues(lists.map((l) => l[0])));
    } else {
      // `$in`: the union over every combination of the listed values
      ids = new Set<string>();
      const at = new Array<number>(lists.length).fill(0);
      for (let c = 0; c < combos; c++) {
        const hit = idx.entries.get(Index.keyOfValues(lists.map((l, i) => l[at[i]])));
        if (hit) for (const id of hit) ids.add(id);
        for (let i = lists.length - 1; i >= 0; i--) {
          if (++at[i] < lists[i].length) break;
          at[i] = 0;
        }
      }
    }
    if (!ids || ids.size === 0) return [];
    if (!best || ids.size < best.size) best = ids;
  }
  if (!best) return undefined;
  // In natural (insertion) order, as a scan would give them: an index changes speed, not results.
  if (best.size > docs.size / 4) {
    const ids = best;
    const out: Doc[] = [];
    docs.forEach((d, id) => {
      if (ids.has(id)) out.push(d);
    });
    return out;
  }
  const ids = [...best];
  if (ids.length > 1) ids.sort((a, b) => seq.get(a)! - seq.get(b)!);
  const out: Doc[] = [];
  for (const id of ids) {
    const d = docs.get(id);
    if (d) out.push(d);
  }
  return out;
}
