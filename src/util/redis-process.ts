import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { freePort } from "./free-port";

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT = "apt-get install -y redis-server";

/** Is `redis-server` on the PATH? */
export async function hasRedisServer(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn("redis-server", ["--version"], { stdio: "ignore" });
    p.on("error", () => resolve(false));
    p.on("exit", (code) => resolve(code === 0));
  });
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline)
          reject(new Error(`redis-server did not listen on ${port} in ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Start a throw-away `redis-server` on a free loopback port, without persistence.
 * Used by the test setup and by `npm start` when REDIS_URL is unset.
 */
export async function startRedisServer(
  opts: { dir?: string; persist?: boolean } = {},
): Promise<RedisProcess> {
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
  ];
  if (opts.persist && opts.dir) args.push("--dir", opts.dir, "--appendonly", "yes", "--save", "60 1");
  else args.push("--save", "", "--appendonly", "no");
  const child: ChildProcess = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (err) =>
      reject(new Error(`cannot start redis-server (${err.message}); install it with: ${REDIS_INSTALL_HINT}`)),
    );
    waitForPort(port, 10_000).then(resolve, (e: Error) => reject(new Error(`${e.message}\n${stderr}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
