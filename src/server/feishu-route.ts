import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger";
import { DedupUnavailableError } from "./event-dedup";
import { processEvent, type ProcessDeps } from "./process-event";
import { verifyInbound, type VerifyOptions } from "./verify";

export interface FeishuRouteDeps extends ProcessDeps {
  verify: VerifyOptions;
  logger: Logger;
}

const MAX_BODY = 1024 * 1024;

/** The raw bytes as sent: the signature covers them, not re-serialised JSON. */
function readBody(req: IncomingMessage): Promise<Buffer | "too_large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve("too_large");
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** JSON answer without express' extras (etag, content negotiation): this path answers every callback. */
function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
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
      send(res, 413, { error: "body too large" });
      return;
    }
    const v = verifyInbound(raw, req.headers, deps.verify);
    if (!v.ok) {
      deps.logger.warn(
        { status: v.status, reason: v.reason, ip: req.socket.remoteAddress },
        "rejected inbound feishu request",
      );
      send(res, v.status, { error: v.reason });
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
