import { readFileSync } from "node:fs";

/** A process's state letter from /proc/<pid>/stat: R running, S sleeping, T stopped, Z zombie. */
export function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** Keeps this thread's event loop busy for `ms`. */
export function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}
