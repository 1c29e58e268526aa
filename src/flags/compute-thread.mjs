// The worker thread's entry (plain JS, so Node can start it without a loader): registers tsx, then runs
// the TypeScript worker. See src/flags/off-thread.ts.
import { register } from "tsx/esm/api";

register();
await import("./compute-worker.ts");
