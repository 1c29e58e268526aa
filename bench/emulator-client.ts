import { fork, type ChildProcess } from "node:child_process";
import type { EmulatorOptions, EmulatorUser } from "@rectify-bot/feishu-emulator";

/** Parent side of bench/emulator-process.ts. */
export interface Stats {
  messages: { createdAt: number; to: string; uuid?: string }[];
  calls: { status: number; code?: number }[];
}

/** The emulator in its own process (see bench/emulator-process.ts). */
export async function startEmulatorProcess(options: EmulatorOptions, users: EmulatorUser[]) {
  const child: ChildProcess = fork(new URL("./emulator-process.ts", import.meta.url), {
    execArgv: ["--import", "tsx"],
  });
  child.setMaxListeners(100);
  let seq = 0;
  const ask = <T>(msg: object, answer: string) =>
    new Promise<T>((resolve) => {
      const id = ++seq;
      const on = (m: unknown) => {
        if ((m as { type: string; id?: number }).type === answer && (m as { id?: number }).id === id) {
          child.off("message", on);
          resolve(m as T);
        }
      };
      child.on("message", on);
      child.send({ ...msg, id });
    });
  const { url } = await ask<{ url: string }>({ type: "start", options, users }, "started");
  return {
    url,
    stats: () => ask<Stats>({ type: "stats" }, "stats"),
    stop: () =>
      new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.send({ type: "stop" }))),
  };
}
