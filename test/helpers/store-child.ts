import { spawn, type ChildProcess } from "node:child_process";

export interface StoreChild {
  child: ChildProcess;
  uri: string;
  /** what the child logged so far (pino JSON lines, start-up errors) */
  stderr: () => string;
}

/** Starts test/helpers/store-process.ts: the embedded store with a data file, in a child process. */
export function startStoreChild(dataFile: string, compactBytes?: number): Promise<StoreChild> {
  const args = ["--import", "tsx", "test/helpers/store-process.ts", dataFile];
  if (compactBytes) args.push(String(compactBytes));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, uri: (JSON.parse(line) as { uri: string }).uri, stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`store child exited (${code}): ${err}`)));
  });
}

/** SIGKILL, resolved once the process is gone. */
export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
