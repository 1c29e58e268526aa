import { parentPort, workerData } from "node:worker_threads";
import { renderHere, toWorkerError, type RenderJob } from "./render";

/** The worker thread of src/exports/render.ts: "ready" once loaded, then one render's result or error. */
parentPort!.postMessage({ ready: true });
renderHere(workerData as RenderJob).then(
  (ok) => parentPort!.postMessage({ ok }),
  (e: unknown) => parentPort!.postMessage({ error: toWorkerError(e) }),
);
