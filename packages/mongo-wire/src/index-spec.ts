/** Index specs: default names, the options that make two specs equal, and checking a new spec against the existing indexes. */
import { CommandError, ErrorCodes } from "./errors";
import type { Index } from "./store-index";
import type { Doc } from "./types";
import { bsonType, formatValue, isPlainObject, keyOf } from "./values";

/** Options of an index spec that matter for equality of two specs. */
const SIGNIFICANT_OPTIONS = [
  "unique",
  "sparse",
  "partialFilterExpression",
  "expireAfterSeconds",
  "collation",
  "hidden",
];
/** Spec fields that are not stored (or are set by the server). */
const DROPPED_SPEC_FIELDS = new Set(["v", "ns", "background", "key", "name"]);

export function defaultIndexName(key: Doc): string {
  return Object.keys(key)
    .map((k) => `${k}_${String(key[k])}`)
    .join("_");
}

export function optionsKey(spec: Doc): string {
  return SIGNIFICANT_OPTIONS.map((o) => {
    let v = spec[o];
    if ((o === "unique" || o === "sparse" || o === "hidden") && !v) v = undefined;
    return keyOf(v);
  }).join("|");
}

/**
 * The spec to store for `input`, or false when an identical index already exists. Throws on invalid
 * keys and on conflicts with an existing index.
 */
export function indexSpecFor(input: Doc, indexes: Map<string, Index>): Doc | false {
  const key = input.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError(ErrorCodes.CannotCreateIndex, "index key pattern must be a non-empty object");
  }
  for (const [f, v] of Object.entries(key)) {
    const num =
      typeof v === "number" || bsonType(v) === "Long" || bsonType(v) === "Int32" || bsonType(v) === "Double";
    if (num ? Number(v) === 0 : v !== "hashed") {
      throw new CommandError(
        ErrorCodes.CannotCreateIndex,
        `mongo-wire does not support index type ${JSON.stringify(v)} on field '${f}' (only ascending/descending/hashed indexes)`,
      );
    }
  }
  const name = typeof input.name === "string" && input.name ? input.name : defaultIndexName(key);
  const spec: Doc = { v: 2, key: { ...key }, name };
  for (const [k, v] of Object.entries(input)) if (!DROPPED_SPEC_FIELDS.has(k)) spec[k] = v;
  const keyStr = keyOf(key);
  if (name === "_id_" || keyStr === keyOf({ _id: 1 })) {
    if (name !== "_id_" || keyStr !== keyOf({ _id: 1 })) {
      throw new CommandError(
        ErrorCodes.IndexKeySpecsConflict,
        `index name _id_ is reserved for the { _id: 1 } index`,
      );
    }
    return false;
  }
  const optKey = optionsKey(spec);
  const sameName = indexes.get(name);
  if (sameName) {
    if (keyOf(sameName.key) !== keyStr) {
      throw new CommandError(
        ErrorCodes.IndexKeySpecsConflict,
        `An existing index has the same name as the requested index but a different key: ${name}`,
      );
    }
    if (sameName.optionsKey() !== optKey) {
      throw new CommandError(
        ErrorCodes.IndexOptionsConflict,
        `An equivalent index already exists with the same name but different options. Requested index: ${formatValue(spec)}, existing index: ${formatValue(sameName.spec)}`,
      );
    }
    return false;
  }
  for (const other of indexes.values()) {
    if (
      keyOf(other.key) === keyStr &&
      keyOf(other.spec.partialFilterExpression) === keyOf(spec.partialFilterExpression)
    ) {
      throw new CommandError(
        ErrorCodes.IndexOptionsConflict,
        `Index already exists with a different name: ${other.name}`,
      );
    }
  }
  return spec;
}
