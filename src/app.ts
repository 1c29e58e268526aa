import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler } from "express";
import type { Logger } from "./logger";
import { feishuEventsHandler, type FeishuRouteDeps } from "./server/feishu-route";
import { sandboxRouter, type SandboxWebDeps } from "./web/sandbox/routes";
import { CONSOLE_PATH, consoleRouter, type ConsoleDeps } from "./web/console/index";

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface AppDeps extends FeishuRouteDeps {
  logger: Logger;
  health: HealthCheck[];
  /** Set only when the bot runs against the sandbox's emulator: serves /sandbox (404 otherwise). */
  sandbox?: SandboxWebDeps;
  /** The web console (/console), when given. */
  console?: ConsoleDeps;
}

/** The path Feishu posts events and card callbacks to. */
export const FEISHU_EVENTS_PATH = "/feishu/events";

/**
 * The server's request listener, built from its dependencies, without listening. `POST /feishu/events`
 * goes straight to its handler (the hot path: every card press); the rest is a small express app.
 */
export function createApp(deps: AppDeps): RequestListener {
  const feishu = feishuEventsHandler(deps);
  const app = expressApp(deps);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (
      req.method === "POST" &&
      (req.url === FEISHU_EVENTS_PATH || req.url?.startsWith(`${FEISHU_EVENTS_PATH}?`))
    )
      feishu(req, res);
    else app(req, res);
  };
}

function expressApp(deps: AppDeps) {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", async (_req, res) => {
    const results = await Promise.all(
      deps.health.map(async (h) => {
        try {
          await withTimeout(h.check(), 2000);
          return [h.name, "ok"] as const;
        } catch (e) {
          return [h.name, e instanceof Error ? e.message : String(e)] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r === "ok");
    res.status(ok ? 200 : 503).json({ ok, checks: Object.fromEntries(results) });
  });
  if (deps.sandbox) app.use("/sandbox", sandboxRouter(deps.sandbox));
  if (deps.console) app.use(CONSOLE_PATH, consoleRouter(deps.console));
  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  // The one final destination for errors thrown by routes.
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status =
      typeof err === "object" && err && "status" in err && typeof err.status === "number" ? err.status : 500;
    deps.logger.error({ err, path: req.path, status }, "request failed");
    if (res.headersSent) return;
    res
      .status(status)
      .json({ error: status >= 500 ? "internal error" : err instanceof Error ? err.message : "bad request" });
  };
  app.use(onError);
  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
