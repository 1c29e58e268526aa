import net from "node:net";

/**
 * The load generator, in its own process so the bot's event loop is measured, not the client's. Like wrk,
 * it is deliberately lean so that on a 2-core machine it leaves the CPU to the bot: every request is
 * rendered to bytes before the clock starts, each of `concurrency` keep-alive connections carries one
 * request at a time, and a response is read just far enough to know its status and where it ends.
 */
interface Req {
  body: string;
  headers: Record<string, string>;
}
interface Plan {
  url: string;
  /** Sent first over the same connections and not measured: both processes' JITs warm up. */
  warmup: Req[];
  requests: Req[];
  concurrency: number;
  /** Burst mode: `concurrency` requests fired together, the next burst after all answered plus this pause. */
  burstPauseMs?: number;
}
interface Result {
  ms: number;
  status: number;
}

function render(target: URL, r: Req): Buffer {
  const body = Buffer.from(r.body);
  const head = [
    `POST ${target.pathname} HTTP/1.1`,
    `host: ${target.host}`,
    "content-type: application/json",
    `content-length: ${body.length}`,
    ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ].join("\r\n");
  return Buffer.concat([Buffer.from(head), body]);
}

/** One keep-alive connection; `send` resolves with the status once the whole response has arrived. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting?: { t0: number; resolve: (r: Result) => void };
  private readonly socket: net.Socket;

  constructor(target: URL) {
    this.socket = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", () => this.fail());
    this.socket.on("close", () => this.fail());
  }

  send(bytes: Buffer): Promise<Result> {
    return new Promise((resolve) => {
      this.waiting = { t0: performance.now(), resolve };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.buf.toString("latin1", 0, end);
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    const total = end + 4 + (m ? Number(m[1]) : 0);
    if (this.buf.length < total) return;
    this.buf = this.buf.subarray(total);
    const status = Number(head.slice(9, 12));
    this.finish(status);
  }

  private fail(): void {
    this.finish(0);
  }

  private finish(status: number): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve({ ms: performance.now() - w.t0, status });
  }
}

/** Closed loop: every connection sends its next request as soon as the previous one was answered. */
async function closedLoop(conns: Connection[], bytes: Buffer[], results: Result[]): Promise<void> {
  let next = 0;
  await Promise.all(
    conns.map(async (c) => {
      while (next < bytes.length) {
        const i = next++;
        results[i] = await c.send(bytes[i]);
      }
    }),
  );
}

async function run({ url, warmup, requests, concurrency, burstPauseMs }: Plan) {
  const target = new URL(url);
  const conns = Array.from({ length: concurrency }, () => new Connection(target));
  // Everything the measured run sends and keeps is allocated before the warm-up, so this process's own
  // garbage collection of it does not fall into the measured run.
  const bytes = requests.map((r) => render(target, r));
  const results: Result[] = Array.from({ length: requests.length }, () => ({ ms: 0, status: 0 }));
  await closedLoop(
    conns,
    warmup.map((r) => render(target, r)),
    new Array<Result>(warmup.length),
  );
  process.send?.({ warm: true });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (burstPauseMs !== undefined) {
    for (let i = 0; i < bytes.length; i += concurrency) {
      const batch = bytes.slice(i, i + concurrency);
      const res = await Promise.all(batch.map((b, j) => conns[j].send(b)));
      res.forEach((r, j) => (results[i + j] = r));
      await new Promise((resolve) => setTimeout(resolve, burstPauseMs));
    }
  } else await closedLoop(conns, bytes, results);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  conns.forEach((c) => c.close());
  process.send?.({ results, wallMs, cpuUs: cpu.user + cpu.system });
}
process.once("message", (msg) => void run(msg as Plan));
