import { Worker } from "node:worker_threads";

/** The worker could not start (or died before it said "ready"): the caller may do the work itself. */
export class WorkerStartError extends Error {}

type OneShotMessage<R, E> = { ready?: true; ok?: R; error?: E };

/**
 * One job in a worker thread started for it (the export renderer, the flag engine). The worker posts
 * `{ready: true}` once its modules have loaded, then `{ok}` or `{error}`; anything that goes wrong before
 * "ready" is a `WorkerStartError`. `fromError` turns the worker's error message into the caller's error.
 */
export function runOneShotWorker<R, E>(
  url: URL,
  workerData: unknown,
  o: { what: string; fromError: (e: E | undefined) => Error },
): Promise<R> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(url, { workerData, execArgv: [] });
    } catch (e) {
      reject(new WorkerStartError(e instanceof Error ? e.message : String(e)));
      return;
    }
    let ready = false;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
    };
    worker.on("message", (m: OneShotMessage<R, E>) => {
      if (m.ready) return void (ready = true);
      settle(() => (m.ok !== undefined ? resolve(m.ok) : reject(o.fromError(m.error))));
    });
    worker.once("error", (e) => settle(() => reject(ready ? e : new WorkerStartError(e.message))));
    worker.once("exit", (code) =>
      settle(() =>
        reject(
          ready
            ? new Error(`${o.what} exited with code ${code}`)
            : new WorkerStartError(`exited with code ${code} before it started`),
        ),
      ),
    );
  });
}
