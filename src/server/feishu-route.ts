import express, { type Router } from "express";
import type { Logger } from "../logger";
import { processEvent, type ProcessDeps } from "./process-event";
import { verifyInbound, type VerifyOptions } from "./verify";

export interface FeishuRouteDeps extends ProcessDeps {
  verify: VerifyOptions;
  logger: Logger;
}

/**
 * `POST /feishu/events`: events and card callbacks on one path (Feishu lets both point at the same URL).
 * The raw body is kept: the signature covers the bytes as sent, not re-serialised JSON.
 */
export function feishuRouter(deps: FeishuRouteDeps): Router {
  const router = express.Router();
  router.post("/feishu/events", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const v = verifyInbound(raw, req.headers, deps.verify);
    if (!v.ok) {
      deps.logger.warn({ status: v.status, reason: v.reason, ip: req.ip }, "rejected inbound feishu request");
      res.status(v.status).json({ error: v.reason });
      return;
    }
    if (v.kind === "challenge") {
      res.json({ challenge: v.challenge });
      return;
    }
    const answer = await processEvent(v.payload, deps);
    res.status(answer.status).json(answer.body);
  });
  return router;
}
