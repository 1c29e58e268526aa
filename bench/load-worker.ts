import http from "node:http";

/**
 * The load generator, in its own process (and so on the other core) so the bot's event loop is measured, not
 * the client's. Sends prepared requests with a fixed concurrency over keep-alive connections.
 */
interface Req {
  body: string;
  headers: Record<string, string>;
}
function sendOne(agent: http.Agent, target: URL, r: Req): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(r.body),
          ...r.headers,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0 }));
      },
    );
    req.on("error", () => resolve({ ms: performance.now() - t0, status: 0 }));
    req.end(r.body);
  });
}

interface Plan {
  url: string;
  requests: Req[];
  concurrency: number;
  /** Burst mode: `concurrency` requests fired together, the next burst after all answered plus this pause. */
  burstPauseMs?: number;
}

async function run({ url, requests, concurrency, burstPauseMs }: Plan) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const send = (r: Req) => sendOne(agent, target, r);
  const results: { ms: number; status: number }[] = new Array(requests.length);
  let next = 0;
  const t0 = performance.now();
  if (burstPauseMs !== undefined) {
    for (let i = 0; i < requests.length; i += concurrency) {
      const batch = requests.slice(i, i + concurrency);
      const res = await Promise.all(batch.map((r) => send(r)));
      res.forEach((r, j) => (results[i + j] = r));
      await new Promise((resolve) => setTimeout(resolve, burstPauseMs));
    }
  } else
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) {
          const i = next++;
          results[i] = await send(requests[i]);
        }
      }),
    );
  const wallMs = performance.now() - t0;
  agent.destroy();
  process.send?.({ results, wallMs });
}
process.once("message", (msg) => void run(msg as Plan));
