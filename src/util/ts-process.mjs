// A child process's entry (plain JS, so Node can start it without a loader): registers tsx, then imports
// the TypeScript module whose file URL is the first argument. See src/util/worker-url.ts (processEntry).
import process from "node:process";
import { register } from "tsx/esm/api";

register();
await import(process.argv[2]);
