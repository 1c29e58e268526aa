// The worker thread's entry (plain JS, so Node can start it without a loader): registers tsx, then runs
// the TypeScript worker. See src/exports/render.ts.
import { register } from "tsx/esm/api";

register();
await import("./render-worker.ts");
