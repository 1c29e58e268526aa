import { parentPort, workerData } from "node:worker_threads";
import { AppError } from "../errors";
import { renderHere, type RenderJob } from "./render";

/** The worker thread of src/exports/render.ts: "ready" once loaded, then one render's result or error. */
parentPort!.postMessage({ ready: true });
renderHere(workerData as RenderJob).then(
  (ok) => parentPort!.postMessage({ ok }),
  (e: unknown) =>
    parentPort!.postMessage({
      error:
        e instanceof AppError
          ? { message: e.message, name: e.name, app: { kind: e.kind, zh: e.zh, en: e.en } }
          : e instanceof Error
            ? { message: e.message, name: e.name }
            : { message: String(e) },
    }),
);
