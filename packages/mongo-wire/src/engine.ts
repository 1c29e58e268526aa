/**
 * mingo set-up: one operator context (all stock operators, plus a BSON-aware `$type`), and thin
 * helpers for matching, projecting, aggregating and updating.
 */
import { Aggregator } from "mingo/aggregator";
import { Context } from "mingo/core";
import * as accumulatorOperators from "mingo/operators/accumulator";
import * as expressionOperators from "mingo/operators/expression";
import * as pipelineOperators from "mingo/operators/pipeline";
import * as projectionOperators from "mingo/operators/projection";
import * as queryOperators from "mingo/operators/query";
import * as windowOperators from "mingo/operators/window";
import { Query } from "mingo/query";
import type { AnyObject, CollectionResolver, Options } from "mingo/types";
import { update as mingoUpdate, updateMany as mingoUpdateMany, type Modifier } from "mingo/updater";
import { resolve } from "mingo/util";
import { compileFastFilter } from "./fastpath";
import { bsonType, idFirst, isPlainObject } from "./values";
import type { Doc } from "./types";

const TYPE_TESTS: Record<string, (v: unknown) => boolean> = {
  double: (v) => (typeof v === "number" && !isInt32(v)) || bsonType(v) === "Double",
  string: (v) => typeof v === "string",
  object: (v) => isPlainObject(v),
  array: (v) => Array.isArray(v),
  binData: (v) => bsonType(v) === "Binary",
  undefined: (v) => v === undefined,
  objectId: (v) => bsonType(v) === "ObjectId",
  bool: (v) => typeof v === "boolean",
  date: (v) => v instanceof Date,
  null: (v) => v === null,
  regex: (v) => v instanceof RegExp || bsonType(v) === "BSONRegExp",
  javascript: (v) => bsonType(v) === "Code",
  symbol: (v) => bsonType(v) === "BSONSymbol",
  int: (v) => (typeof v === "number" && isInt32(v)) || bsonType(v) === "Int32",
  timestamp: (v) => bsonType(v) === "Timestamp",
  long: (v) => bsonType(v) === "Long",
  decimal: (v) => bsonType(v) === "Decimal128",
  minKey: (v) => bsonType(v) === "MinKey",
  maxKey: (v) => bsonType(v) === "MaxKey",
};
const TYPE_NUMBERS: Record<number, string> = {
  1: "double",
  2: "string",
  3: "object",
  4: "array",
  5: "binData",
  6: "undefined",
  7: "objectId",
  8: "bool",
  9: "date",
  10: "null",
  11: "regex",
  13: "javascript",
  14: "symbol",
  16: "int",
  17: "timestamp",
  18: "long",
  19: "decimal",
  [-1]: "minKey",
  127: "maxKey",
};

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

function typeTest(name: unknown): (v: unknown) => boolean {
  if (name === "number") {
    return (v) =>
      typeof v === "number" || ["Long", "Int32", "Double", "Decimal128"].includes(bsonType(v) ?? "");
  }
  const key = typeof name === "number" ? TYPE_NUMBERS[name] : String(name);
  const fn = key ? TYPE_TESTS[key] : undefined;
  if (!fn) throw new Error(`Unknown type name alias: ${String(name)}`);
  return fn;
}

/** `$type` with MongoDB's BSON type names (objectId, long, decimal, binData, ...). */
const $type = (selector: string, value: unknown, _options: Options) => {
  const tests = (Array.isArray(value) ? value : [value]).map(typeTest);
  const wantsArray = (Array.isArray(value) ? value : [value]).some((t) => t === "array" || t === 4);
  return (obj: AnyObject): boolean => {
    const v = resolve(obj, selector);
    if (v === undefined) return false;
    if (tests.some((t) => t(v))) return true;
    if (Array.isArray(v) && !wantsArray) return v.some((el) => tests.some((t) => t(el)));
    return false;
  };
};

const CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: expressionOperators,
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: { ...queryOperators, $type },
  window: windowOperators,
});

export interface EngineOptions {
  variables?: Doc;
  collectionResolver?: CollectionResolver;
}

function options(o: EngineOptions = {}): Partial<Options> {
  return {
    context: CONTEXT,
    scriptEnabled: false,
    ...(o.variables ? { variables: o.variables } : {}),
    ...(o.collectionResolver ? { collectionResolver: o.collectionResolver } : {}),
  };
}

export type Matcher = (doc: Doc) => boolean;

export function compileFilter(filter: Doc | undefined, o?: EngineOptions): Matcher {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const mingo = (): Matcher => {
    const q = new Query(filter, options(o));
    return (doc) => q.test(doc);
  };
  return compileFastFilter(filter, mingo) ?? mingo();
}

/** The mingo-only matcher (what `compileFilter` falls back to), for tests of the fast paths. */
export function compileMingoFilter(filter: Doc, o?: EngineOptions): Matcher {
  const q = new Query(filter, options(o));
  return (doc) => q.test(doc);
}

/** Applies a find-style projection (supports $slice, $elemMatch and positional `$` given the filter). */
export function project(docs: Doc[], projection: Doc, filter: Doc | undefined, o?: EngineOptions): Doc[] {
  const q = new Query(filter ?? {}, options(o));
  return (q.find(docs, projection).all() as Doc[]).map(idFirst);
}

export function aggregate(docs: Doc[], pipeline: Doc[], o?: EngineOptions): Doc[] {
  return new Aggregator(pipeline, options(o)).run(docs) as Doc[];
}

/** Sort (mingo ordering) without mutating the input. */
export function sortDocs(docs: Doc[], sort: Doc): Doc[] {
  return new Aggregator([{ $sort: sort }], options()).run(docs) as Doc[];
}

/** Applies update operators to `doc` in place. `condition` enables the positional `$` operator. */
export function applyOperators(
  doc: Doc,
  modifier: Doc,
  arrayFilters: Doc[] | undefined,
  condition: Doc | undefined,
  o?: EngineOptions,
): void {
  mingoUpdate(doc, modifier as Modifier<Doc>, arrayFilters, condition, {
    cloneMode: "copy",
    queryOptions: options(o),
  });
}

/** Applies the same update operators to many documents in place (compiled once). */
export function applyOperatorsMany(
  docs: Doc[],
  modifier: Doc,
  arrayFilters: Doc[] | undefined,
  condition: Doc | undefined,
  o?: EngineOptions,
): void {
  if (docs.length === 0) return;
  mingoUpdateMany(
    docs,
    condition ?? {},
    modifier as Modifier<Doc>,
    { cloneMode: "copy", ...(arrayFilters ? { arrayFilters } : {}) },
    options(o),
  );
}

const UPDATE_PIPELINE_STAGES = new Set([
  "$addFields",
  "$set",
  "$project",
  "$unset",
  "$replaceRoot",
  "$replaceWith",
]);

/** Applies an aggregation-pipeline update to each document; returns the new documents (same order). */
export function applyPipeline(docs: Doc[], pipeline: Doc[], o?: EngineOptions): Doc[] {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (!UPDATE_PIPELINE_STAGES.has(name)) {
      throw new Error(`${name} is not allowed to be used within an update`);
    }
  }
  if (docs.length === 0) return [];
  const out = aggregate(docs, pipeline, o);
  if (out.length !== docs.length || !out.every(isPlainObject))
    throw new Error("pipeline update must produce one document per input");
  return out;
}
