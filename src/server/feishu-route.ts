import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger";
import { DedupUnavailableError } from "./event-dedup";
import { processEvent, type ProcessDeps } from "./process-event";
import { REJECTED, verifyInbound, type VerifyOptions } from "./verify";

export interface FeishuRouteDeps extends ProcessDeps {
  verify: VerifyOptions;
  logger: Logger;
}

const MAX_BODY = 1024 * 1024;
/** After a 413, how much more of the body is read and dropped (and for how long) before the socket is cut. */
const DRAIN_MAX_BYTES = 32 * MAX_BODY;
const DRAIN_MAX_MS = 10_000;

/**
 * The raw bytes as sent: the signature covers them, not re-serialised JSON. A body over MAX_BODY
 * (declared by content-length or found while reading a chunked body) stops being kept, but the rest is
 * still read and dropped: destroying the socket with unread bytes makes the kernel reset the
 * connection, and the client never sees the 413.
 */
function readBody(req: IncomingMessage): Promise<Buffer | "too_large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const overflow = () => {
      tooLarge = true;
      chunks.length = 0;
      resolve("too_large");
    };
    if (Number(req.headers["content-length"]) > MAX_BODY) overflow();
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (tooLarge) {
        if (size > DRAIN_MAX_BYTES) req.socket.destroy();
        return;
      }
      if (size > MAX_BODY) return overflow();
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Answer 413 and close the connection gently: our side is ended once the answer is written, what the
 * client still sends is read and dropped until it stops (or the drain limits are hit).
 */
function sendTooLarge(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  // Node ends *and destroys* a `connection: close` socket once the answer is written; destroying with
  // unread input is what turns into a reset. Linger instead.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), DRAIN_MAX_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
  const json = JSON.stringify({ error: "body too large", max_bytes: MAX_BODY });
  res.writeHead(413, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(json),
    connection: "close",
  });
  res.end(json);
}

/** JSON answer without express' extras (etag, content negotiation): this path answers every callback. */
function send(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(json),
  });
  res.end(json);
}

/**
 * `POST /feishu/events`: events and card callbacks on one path (Feishu lets both point at the same URL).
 * A plain Node request handler, not an express route: every callback goes through it, and express'
 * router and response helpers cost more than the rest of the path. Nothing reaches a handler before
 * `verifyInbound` accepted the request.
 */
export function feishuEventsHandler(
  deps: FeishuRouteDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    if (raw === "too_large") {
      deps.logger.warn({ ip: req.socket.remoteAddress }, "rejected inbound feishu request: body too large");
      sendTooLarge(req, res);
      return;
    }
    const v = verifyInbound(raw, req.headers, deps.verify);
    if (!v.ok) {
      // The real reason stays in the log; the answer is the same for every refusal (no oracle).
      deps.logger.warn({ reason: v.reason, ip: req.socket.remoteAddress }, "rejected inbound feishu request");
      res.sendDate = false;
      sendRaw(res, REJECTED.status, REJECTED.body);
      return;
    }
    if (v.kind === "challenge") {
      send(res, 200, { challenge: v.challenge });
      return;
    }
    const answer = await processEvent(v.payload, deps);
    send(res, answer.status, answer.body);
  };
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.logger.error({ err, path: req.url }, "request failed");
      // Redis away: 503 at once, Feishu delivers again later.
      if (!res.headersSent && err instanceof DedupUnavailableError) send(res, 503, { error: "unavailable" });
      else if (!res.headersSent) send(res, 500, { error: "internal error" });
      else res.destroy();
    });
  };
}
