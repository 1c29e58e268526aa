// A worker thread's entry (plain JS, so Node can start it without a loader): registers tsx, then imports
// the TypeScript module named in workerData.entry. See src/util/worker-url.ts.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
