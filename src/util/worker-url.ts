import { fileURLToPath } from "node:url";

/**
 * How to start a worker thread on a module of this code base, which runs as TypeScript under tsx: a .ts
 * module starts through ts-worker.mjs (which registers tsx first); compiled .js starts directly.
 * `name` is the worker module's path relative to the caller, without extension; it gets the caller's.
 * Pass the returned `workerData` along with your own fields.
 */
export function workerEntry(callerUrl: string, name: string): { url: URL; workerData: { entry: string } } {
  const ts = callerUrl.endsWith(".ts");
  const entry = new URL(`${name}${ts ? ".ts" : ".js"}`, callerUrl);
  if (ts) return { url: new URL("./ts-worker.mjs", import.meta.url), workerData: { entry: entry.href } };
  return { url: entry, workerData: { entry: entry.href } };
}

/**
 * The same for a child process (child_process.fork): the file to fork and its arguments. A .ts module
 * starts through ts-process.mjs, which registers tsx first; compiled .js is forked directly.
 */
export function processEntry(callerUrl: string, name: string): { file: string; args: string[] } {
  const ts = callerUrl.endsWith(".ts");
  const entry = new URL(`${name}${ts ? ".ts" : ".js"}`, callerUrl);
  if (ts) return { file: fileURLToPath(new URL("./ts-process.mjs", import.meta.url)), args: [entry.href] };
  return { file: fileURLToPath(entry), args: [] };
}
