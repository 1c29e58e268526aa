import { parentPort, workerData } from "node:worker_threads";
import { computeFlags, type FlagAnswer, type FlagOptions } from "./engine";

/** The worker thread of src/flags/off-thread.ts: "ready" once loaded, then the flags or an error. */
export interface ComputeJob {
  answers: FlagAnswer[];
  options: Partial<FlagOptions>;
  sources: FlagAnswer[];
}

parentPort!.postMessage({ ready: true });
try {
  const job = workerData as ComputeJob;
  parentPort!.postMessage({ ok: [...computeFlags(job.answers, job.options, job.sources)] });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
