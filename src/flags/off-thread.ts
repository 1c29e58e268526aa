/**
 * The flag engine off the bot's event loop: a campaign's flags take up to a few seconds of CPU for
 * 10,000 answers (bench/flags.ts), which in the main thread would hold up every card callback
 * meanwhile. From `OFF_THREAD_MIN` answers the engine runs in a worker thread (one per run, like the
 * export renderer, src/exports/render.ts); below, in the calling thread (milliseconds). If a worker
 * cannot start, it runs here, with a log line.
 */
import type { Logger } from "../logger";
import { runOneShotWorker, WorkerStartError } from "../util/one-shot-worker";
import type { ComputeJob } from "./compute-worker";
import { computeFlags, type Flag, type FlagAnswer, type FlagOptions } from "./engine";

/** Answers (own and earlier campaigns') from which a worker thread is worth its start-up time. */
export const OFF_THREAD_MIN = 1000;

/** How many runs used a worker thread and how many ran in the calling thread (for tests, logs). */
export const computeCounts = { worker: 0, inThread: 0 };

function workerUrl(): URL {
  const self = import.meta.url;
  return new URL(self.endsWith(".ts") ? "./compute-thread.mjs" : "./compute-worker.js", self);
}

async function inWorker(job: ComputeJob): Promise<Map<string, Flag[]>> {
  const ok = await runOneShotWorker<[string, Flag[]][], string>(workerUrl(), job, {
    what: "flags worker",
    fromError: (e) => new Error(e ?? "flags worker failed"),
  });
  return new Map(ok);
}

/** `computeFlags` for many answers in a worker thread; the same result as in the calling thread. */
export async function computeFlagsOffThread(
  answers: FlagAnswer[],
  options: Partial<FlagOptions>,
  sources: FlagAnswer[],
  opts: { log?: Logger; min?: number } = {},
): Promise<Map<string, Flag[]>> {
  if (answers.length + sources.length < (opts.min ?? OFF_THREAD_MIN)) {
    computeCounts.inThread++;
    return computeFlags(answers, options, sources);
  }
  try {
    const r = await inWorker({ answers, options, sources });
    computeCounts.worker++;
    return r;
  } catch (e) {
    if (!(e instanceof WorkerStartError)) throw e;
    opts.log?.warn({ err: e.message }, "flags worker could not start; computing in the main thread");
    computeCounts.inThread++;
    return computeFlags(answers, options, sources);
  }
}
