/** The aggregate command: pipeline checks, the read-only fast path, $out/$merge refused. */
import { type CommandContext, type CommandExecutor } from "./commands";
import { cursorReply, DEFAULT_FIRST_BATCH } from "./cursors";
import { aggregate } from "./engine";
import { CommandError, ErrorCodes } from "./errors";
import { fastGroup } from "./fastpath-group";
import { type Doc } from "./types";
import { cloneValue, isPlainObject, toQueryValue } from "./values";

/** Aggregation stages that need server features mongo-wire does not have. */
const UNSUPPORTED_STAGES = new Set([
  "$out",
  "$merge",
  "$changeStream",
  "$changeStreamSplitLargeEvent",
  "$search",
  "$searchMeta",
  "$vectorSearch",
  "$geoNear",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$listLocalSessions",
  "$planCacheStats",
  "$shardedDataDistribution",
]);

/**
 * Stages that never write into (or hand out parts of) their input documents in mingo, so a pipeline
 * made only of them can run over the stored documents without copying them first. Their results may
 * be stored documents themselves, as `find` results are: stored documents are never modified in place
 * (updates store a new version), so a cursor holding them still serialises what was read.
 */
const READ_ONLY_STAGES = new Set(["$match", "$sort", "$skip", "$limit", "$count"]);

export function aggregateCommand(x: CommandExecutor, cmd: Doc, ctx: CommandContext): Doc {
  const target = cmd.aggregate;
  if (!Array.isArray(cmd.pipeline))
    throw new CommandError(ErrorCodes.TypeMismatch, "'pipeline' option must be specified as an array");
  if (cmd.explain === true)
    throw new CommandError(ErrorCodes.CommandNotSupported, "explain is not supported by mongo-wire");
  if (!isPlainObject(cmd.cursor)) {
    throw new CommandError(
      ErrorCodes.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  let pipeline = toQueryValue(cmd.pipeline as Doc[]);
  for (const stage of pipeline) {
    const op = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (!op)
      throw new CommandError(ErrorCodes.BadValue, "each pipeline stage must be an object with one field");
    if (UNSUPPORTED_STAGES.has(op)) {
      throw new CommandError(ErrorCodes.CommandNotSupported, `${op} is not supported by mongo-wire`);
    }
  }
  const eo = x.engineOptions(cmd, ctx.db);
  let input: Doc[] = [];
  let ns: string;
  if (typeof target === "string") {
    ns = `${ctx.db}.${target}`;
    const coll = x.store.collection(ctx.db, target);
    if (pipeline.length && isPlainObject(pipeline[0].$match)) {
      input = x.matching(coll, pipeline[0].$match, eo);
      pipeline = pipeline.slice(1);
    } else if (coll) {
      input = [...coll.docs.values()];
    }
    // `input` holds the stored documents themselves. A leading $group the fast path can do builds
    // fresh result documents; mingo gets copies unless every stage left only reads its input.
    const first = pipeline[0];
    const grouped =
      first && Object.keys(first).length === 1 && "$group" in first
        ? fastGroup(input, first.$group)
        : undefined;
    if (grouped) {
      input = grouped;
      pipeline = pipeline.slice(1);
    } else if (!pipeline.every((stage) => READ_ONLY_STAGES.has(Object.keys(stage)[0]))) {
      input = input.map(cloneValue);
    }
  } else {
    ns = `${ctx.db}.$cmd.aggregate`;
  }
  const results = pipeline.length ? aggregate(input, pipeline, eo) : input;
  return cursorReply(x.cursors.open(ns, results, cmd.cursor.batchSize ?? DEFAULT_FIRST_BATCH), true);
}
