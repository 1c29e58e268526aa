import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import cookieParser from "cookie-parser";
import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import type { WorkCalendar } from "../../calendar";
import { AppError } from "../../errors";
import { exportFileName, exportLedger, exportReport } from "../../exports";
import { formatDateTime, todayIn } from "../../time";
import { staticFiles, templates } from "../shared";
import { campaignAccess, type CampaignAccess } from "./access";
import {
  ACTIONS,
  checkUpload,
  holdUpload,
  MAX_UPLOAD_BYTES,
  runAction,
  runImport,
  takeUpload,
  type ActionDeps,
  type CampaignAction,
} from "./actions";
import {
  campaignCounts,
  campaignList,
  dueLists,
  ledger,
  measureHistory,
  MEASURE_STATES,
  notAnswered,
  progress,
  unitPage,
  type PageDeps,
} from "./data";
import { authorizeUrl, LoginError, signInWithCode, type LoginApp } from "./feishu-login";
import { parseMultipart } from "./multipart";
import { safeNext, sameToken, SessionStore, type Session } from "./session";
import { suspectAnswers } from "./suspects";
import { MEASURE_STATE_WORDS } from "../../domain/measure-words";

/**
 * /console: the organising office's web console, server-rendered (web/console/*.eta), signed in with
 * Feishu. helmet headers with a CSP allowing only the console's own files; sessions in Redis behind a
 * signed cookie; a CSRF token on every POST; what a person sees is decided per campaign (./access).
 */
export interface ConsoleDeps extends ActionDeps, PageDeps {
  calendar: WorkCalendar;
  login: LoginApp;
  sessionSecret: string;
  /** The console's public base URL (for redirect_uri); unset: taken from the request's host. */
  publicUrl?: string;
  /**
   * Who may import (the same rule as a file sent in chat, src/services/campaign-admin.ts): with a key,
   * may this person (re-)import that campaign; without, are they an admin of anything (a campaign's
   * admin, ADMIN_OPEN_IDS, or the app's owner). Absent: a campaign's admin people only.
   */
  mayImport?: (openId: string, key?: string) => Promise<boolean>;
}

export const CONSOLE_PATH = "/console";

type Loc = "zh" | "en";

const STATES: Record<string, [string, string]> = {
  draft: ["未启动", "draft"],
  active: ["进行中", "active"],
  ended: ["已结束", "ended"],
  pending: ["待填报", "pending"],
  submitted: ["已填报", "submitted"],
  ...Object.fromEntries(
    Object.entries(MEASURE_STATE_WORDS).map(([k, w]) => [k, [w.zh, w.en.toLowerCase()] as [string, string]]),
  ),
};
const EVENTS: Record<string, [string, string]> = {
  create: ["提出措施", "proposed"],
  start: ["开始整改", "started"],
  progress: ["报告进展", "progress"],
  request_extension: ["申请延期", "extension requested"],
  grant_extension: ["同意延期", "extension granted"],
  refuse_extension: ["不同意延期", "extension refused"],
  request_closure: ["申请销号", "closure requested"],
  close: ["销号", "closed"],
  send_back: ["退回", "sent back"],
  withdraw: ["撤回", "withdrawn"],
};

/** What every template may call: t(zh, en) by the person's language, state and event words, dates. */
function helpers(loc: Loc, timezone: string) {
  const pick = (w: [string, string] | undefined, raw: string) => (w ? w[loc === "en" ? 1 : 0] : raw);
  return {
    t: (zh: string, en: string) => (loc === "en" ? en : zh),
    st: (s: string) => pick(STATES[s], s),
    ev: (k: string) => pick(EVENTS[k], k),
    dt: (v: unknown) =>
      v instanceof Date || typeof v === "string" ? formatDateTime(new Date(v), timezone) : "",
  };
}

export function consoleRouter(d: ConsoleDeps): express.Router {
  const r = express.Router();
  const eta = templates("console");
  const secure = (d.publicUrl ?? "").startsWith("https://");
  const sessions = new SessionStore(d.redis, d.prefix, secure);
  const redirectUri = (req: Request) =>
    `${(d.publicUrl ?? `${req.protocol}://${req.get("host")}`).replace(/\/$/, "")}${CONSOLE_PATH}/callback`;

  r.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
        },
      },
      strictTransportSecurity: secure,
    }),
  );
  r.use((_req, res, next) => {
    res.locals.t0 = performance.now();
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  r.use("/static", staticFiles("console"));
  r.use(cookieParser(d.sessionSecret));
  r.use(express.urlencoded({ extended: false, limit: "100kb" }));
  r.use(express.raw({ type: "multipart/form-data", limit: MAX_UPLOAD_BYTES + 64 * 1024 }));

  const render = (res: Response, status: number, view: string, data: Record<string, unknown>) => {
    const s = res.locals.session as Session | undefined;
    const loc: Loc = (res.locals.loc as Loc | undefined) ?? "zh";
    const html = eta.render(view, {
      ...data,
      ...helpers(loc, d.timezone),
      loc,
      session: s,
      csrf: s?.csrf ?? "",
      base: CONSOLE_PATH,
    });
    // The server's time for the page (queries + template), for bench/console.ts and the browser's devtools.
    res.setHeader("Server-Timing", `page;dur=${(performance.now() - (res.locals.t0 as number)).toFixed(1)}`);
    res.status(status).type("html").send(html);
  };

  // Who is signed in; every POST must carry the session's CSRF token (forms: _csrf, scripts: x-csrf-token).
  r.use(async (req: Request, res: Response, next: NextFunction) => {
    res.locals.session = await sessions.load(req);
    if (req.method === "GET" || req.method === "HEAD") return next();
    if (Buffer.isBuffer(req.body)) {
      const parts = parseMultipart(req.body, req.get("content-type"));
      req.body = parts?.fields ?? {};
      res.locals.file = parts?.file;
    }
    const s = res.locals.session as Session | undefined;
    const sent: unknown = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get("x-csrf-token");
    if (!s || typeof sent !== "string" || !sameToken(sent, s.csrf)) {
      d.logger.warn(
        { path: req.path, session: Boolean(s) },
        "console: POST refused, CSRF token missing or wrong",
      );
      return render(res, 403, "error", {
        title: "403",
        message: s
          ? "请求被拒绝：缺少或错误的 CSRF 令牌，请刷新页面后重试。 / Refused: missing or invalid CSRF token; reload the page and try again."
          : "请求被拒绝：未登录或登录已过期（CSRF 检查）。 / Refused: not signed in or the session expired (CSRF check).",
      });
    }
    next();
  });

  r.get("/login", (req, res) => {
    const state = sessions.beginLogin(res, safeNext(req.query.next));
    res.redirect(302, authorizeUrl(d.login, redirectUri(req), state));
  });

  r.get("/callback", async (req, res) => {
    const login = sessions.finishLogin(req, res, req.query.state);
    if (!login)
      return render(res, 400, "error", {
        title: "登录失败 / Sign-in failed",
        message:
          "登录请求已失效或不是从本浏览器发起的，请重新登录。 / The sign-in request expired or did not start in this browser; sign in again.",
        retry: true,
      });
    const code = typeof req.query.code === "string" ? req.query.code : "";
    if (!code)
      return render(res, 400, "error", {
        title: "登录失败 / Sign-in failed",
        message:
          "飞书没有返回授权码（可能取消了授权）。 / Feishu returned no code (the sign-in was cancelled?).",
        retry: true,
      });
    try {
      const who = await signInWithCode(d.login, code, redirectUri(req));
      await sessions.destroy(req, res);
      await sessions.create(res, who, d.now().getTime());
      d.logger.info({ openId: who.openId }, "console: signed in");
      res.redirect(302, login.next);
    } catch (e) {
      if (!(e instanceof LoginError)) throw e;
      d.logger.warn({ err: e.message, code: e.code }, "console: sign-in refused by Feishu");
      render(res, 400, "error", {
        title: "登录失败 / Sign-in failed",
        message: `飞书拒绝了登录（${e.code ?? "?"}）：${e.message}。请重新登录。 / Feishu refused the sign-in: ${e.message}.`,
        retry: true,
      });
    }
  });

  r.post("/logout", async (req, res) => {
    await sessions.destroy(req, res);
    res.redirect(303, `${CONSOLE_PATH}/`);
  });

  // Everything below needs a session.
  r.use((req, res, next) => {
    if (res.locals.session) return next();
    if (req.method !== "GET")
      return render(res, 401, "error", { title: "401", message: "请先登录。 / Sign in first." });
    // A page opened without a session answers the sign-in page itself (200: nothing is wrong with the page).
    render(res, 200, "login", { next: safeNext(`${CONSOLE_PATH}${req.path === "/" ? "" : req.path}`) });
  });

  const sess = (res: Response) => res.locals.session as Session;

  r.get("/", async (_req, res) => {
    const s = sess(res);
    const list = await campaignList(d, s.openId);
    const rows = [];
    let admin = false;
    for (const c of list) {
      const a = await campaignAccess(d.models, c.key, s.openId);
      admin ||= a.admin;
      res.locals.loc = a.locale;
      rows.push({ ...c, admin: a.admin, counts: await campaignCounts(d, a, c.timezone) });
    }
    // A bootstrap admin (ADMIN_OPEN_IDS / the app's owner) may bring in the first campaign.
    if (!admin && d.mayImport) admin = await d.mayImport(s.openId);
    render(res, 200, "campaigns", { rows, admin });
  });

  // The campaign pages: the access is looked up first; another campaign or unit is a 403, never empty.
  const withAccess =
    (page: (req: Request, res: Response, a: CampaignAccess) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const a = await campaignAccess(d.models, String(req.params.key), sess(res).openId);
      res.locals.loc = a.locale;
      res.locals.access = a;
      await page(req, res, a);
    };

  r.get(
    "/c/:key",
    withAccess(async (req, res, a) => {
      const p = await progress(d, a);
      render(res, 200, "progress", { ...p, a, flash: flash(req) });
    }),
  );
  r.get(
    "/c/:key/lists",
    withAccess(async (_req, res, a) => render(res, 200, "lists", { ...(await dueLists(d, a)), a })),
  );
  r.get(
    "/c/:key/pending",
    withAccess(async (_req, res, a) => render(res, 200, "pending", { ...(await notAnswered(d, a)), a })),
  );
  r.get(
    "/c/:key/suspects",
    withAccess(async (_req, res, a) => render(res, 200, "suspects", { ...(await suspectAnswers(d, a)), a })),
  );
  r.get(
    "/c/:key/units/:unit",
    withAccess(async (req, res, a) =>
      render(res, 200, "unit", { ...(await unitPage(d, a, String(req.params.unit))), a }),
    ),
  );
  r.get(
    "/c/:key/measures/:seq",
    withAccess(async (req, res, a) => {
      const seq = Number(req.params.seq);
      if (!Number.isInteger(seq) || seq <= 0)
        throw new AppError("not_found", "没有这项整改措施。", "No such measure.");
      render(res, 200, "measure", { ...(await measureHistory(d, a, seq)), a });
    }),
  );
  r.get(
    "/c/:key/ledger",
    withAccess(async (req, res, a) => {
      const q = ledgerQuery(req);
      const data = await ledger(d, a, q);
      render(res, 200, "ledger", { ...data, a, q, states: MEASURE_STATES, qs: ledgerQs(q) });
    }),
  );

  // Downloads: the same files `export ledger|report` writes, scoped to the person's units.
  r.get(
    "/c/:key/export/:kind",
    withAccess(async (req, res, a) => {
      const kind =
        req.params.kind === "report" ? "report" : req.params.kind === "ledger" ? "ledger" : undefined;
      if (!kind) throw new AppError("not_found", "没有这种导出。", "No such export.");
      if (!a.canExport)
        throw new AppError(
          "forbidden",
          "只有管理员、科室负责人和分管领导可以导出。",
          "Only admins, heads and leaders may export.",
        );
      const dir = await mkdtemp(path.join(os.tmpdir(), "rb-console-export-"));
      try {
        const c = await d.models.Campaign.findOne({ key: a.campaignKey }, { timezone: 1 }).lean();
        const name = exportFileName(
          a.campaignKey,
          kind,
          a.locale,
          todayIn(c?.timezone ?? d.timezone, d.now()),
        );
        const out = path.join(dir, name);
        const q = ledgerQuery(req);
        const req2 = {
          campaignKey: a.campaignKey,
          lang: a.locale,
          units: a.units,
          calendar: d.calendar,
          ...(kind === "ledger"
            ? {
                filters: {
                  ...(q.unit ? { units: [q.unit] } : {}),
                  ...(q.section ? { sections: [q.section] } : {}),
                  ...(q.state ? { states: [q.state] } : {}),
                  ...(q.overdue ? { overdue: true } : {}),
                },
              }
            : {}),
        };
        if (q.unit && a.units && !a.units.includes(q.unit))
          throw new AppError("forbidden", "您无权查看此页面。", "You may not see this page.");
        const result =
          kind === "ledger" ? await exportLedger(d, req2, out) : await exportReport(d, req2, out);
        d.logger.info(
          { campaignKey: a.campaignKey, kind, bytes: result.bytes, by: a.personKey },
          "console: export downloaded",
        );
        await new Promise<void>((resolve, reject) =>
          res.download(out, name, (err) => (err ? reject(err) : resolve())),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
  );

  // Admin actions: a confirm page (GET), then the POST with the CSRF token.
  const actionOf = (req: Request): CampaignAction => {
    const act = String(req.params.action) as CampaignAction;
    if (!ACTIONS.includes(act)) throw new AppError("not_found", "没有这个操作。", "No such action.");
    return act;
  };
  const mustAdmin = (a: CampaignAccess) => {
    if (!a.admin) throw new AppError("forbidden", "只有管理员可以执行此操作。", "Only an admin may do this.");
  };
  r.get(
    "/c/:key/do/:action",
    withAccess(async (req, res, a) => {
      mustAdmin(a);
      const c = await d.models.Campaign.findOne(
        { key: a.campaignKey },
        { key: 1, title: 1, status: 1 },
      ).lean();
      render(res, 200, "confirm", { a, campaign: c, action: actionOf(req) });
    }),
  );
  r.post(
    "/c/:key/do/:action",
    withAccess(async (req, res, a) => {
      mustAdmin(a);
      const action = actionOf(req);
      const msg = await runAction(d, a.campaignKey, action, a.locale !== "en");
      d.logger.info({ campaignKey: a.campaignKey, action, by: a.personKey }, "console: campaign action");
      res.redirect(
        303,
        `${CONSOLE_PATH}/c/${encodeURIComponent(a.campaignKey)}?done=${encodeURIComponent(msg)}`,
      );
    }),
  );

  // Import: upload → check (errors in place) → preview with 确认导入 → import.
  const importAdmin = async (res: Response, key?: string) => {
    const s = sess(res);
    if (d.mayImport) {
      if (await d.mayImport(s.openId)) {
        if (!key || (await d.mayImport(s.openId, key))) return;
        throw new AppError(
          "forbidden",
          "您不是这个活动的管理员，不能重新导入。",
          "You are not an admin of this campaign.",
        );
      }
      throw new AppError(
        "forbidden",
        "只有管理员可以导入活动文件。",
        "Only an admin may import a campaign file.",
      );
    }
    const people = await d.models.Person.find(
      { openId: s.openId, roles: "admin" },
      { campaignKey: 1 },
    ).lean();
    if (!people.length)
      throw new AppError(
        "forbidden",
        "只有管理员可以导入活动文件。",
        "Only an admin may import a campaign file.",
      );
    if (key && (await d.models.Campaign.exists({ key })) && !people.some((p) => p.campaignKey === key))
      throw new AppError(
        "forbidden",
        "您不是这个活动的管理员，不能重新导入。",
        "You are not an admin of this campaign.",
      );
  };
  r.get("/import", async (_req, res) => {
    await importAdmin(res);
    render(res, 200, "import", {});
  });
  r.post("/import", async (req, res) => {
    await importAdmin(res);
    const file = res.locals.file as { name: string; bytes: Buffer } | undefined;
    if (!file || !file.bytes.length)
      return render(res, 400, "import", {
        problem: "请选择一个活动文件（.xlsx 或 .yaml）。 / Choose a campaign file (.xlsx or .yaml).",
      });
    if (file.bytes.length > MAX_UPLOAD_BYTES)
      return render(res, 413, "import", { problem: "文件超过 10 MB。 / The file is over 10 MB." });
    const checked = await checkUpload(d, file.name, file.bytes);
    if (!checked.ok) {
      d.logger.info(
        { file: file.name, errors: checked.errors.length },
        "console: import refused, file has errors",
      );
      return render(res, 422, "import", { fileName: file.name, errors: checked.errors });
    }
    await importAdmin(res, checked.spec.key);
    const upload = await holdUpload(d, sess(res).id, file.name, file.bytes);
    render(res, 200, "import-preview", {
      fileName: file.name,
      spec: checked.spec,
      warnings: checked.warnings,
      exists: checked.exists,
      upload,
    });
  });
  r.post("/import/confirm", async (req, res) => {
    await importAdmin(res);
    const id = String((req.body as Record<string, unknown>).upload ?? "");
    const held = await takeUpload(d, sess(res).id, id);
    if (!held)
      return render(res, 410, "import", {
        problem: "上传已过期，请重新选择文件。 / The upload expired; choose the file again.",
      });
    const checked = await checkUpload(d, held.fileName, held.bytes);
    if (!checked.ok) return render(res, 422, "import", { fileName: held.fileName, errors: checked.errors });
    await importAdmin(res, checked.spec.key);
    const rep = await runImport(d, checked.spec);
    d.logger.info({ campaignKey: rep.campaignKey, by: sess(res).openId }, "console: campaign imported");
    const zh =
      `已导入：${rep.units} 个单位，${rep.people} 人，${rep.assignments.total} 项分派` +
      (rep.unchanged ? "（文件与上次相同，未改动）" : "") +
      (rep.unresolved.length ? `；${rep.unresolved.length} 人未找到飞书账号` : "");
    const en =
      `Imported: ${rep.units} units, ${rep.people} people, ${rep.assignments.total} assignments` +
      (rep.unchanged ? " (unchanged)" : "") +
      (rep.unresolved.length ? `; ${rep.unresolved.length} unresolved` : "");
    res.redirect(
      303,
      `${CONSOLE_PATH}/c/${encodeURIComponent(rep.campaignKey)}?done=${encodeURIComponent(`${zh} / ${en}`)}`,
    );
  });

  r.use((_req, res) =>
    render(res, 404, "error", { title: "404", message: "没有这个页面。 / No such page." }),
  );
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    void _next;
    if (err instanceof AppError) {
      const status = { not_found: 404, forbidden: 403, invalid: 400, stale: 409, conflict: 409, closed: 409 }[
        err.kind
      ];
      d.logger.info({ path: req.path, kind: err.kind }, "console: refused");
      return render(res, status, "error", { title: String(status), message: `${err.zh} / ${err.en}` });
    }
    const status =
      typeof err === "object" && err && "status" in err && typeof err.status === "number" ? err.status : 500;
    d.logger.error({ err, path: req.path, status }, "console: request failed");
    if (res.headersSent) return;
    render(res, status, "error", {
      title: String(status),
      message:
        status === 413
          ? "文件太大。 / The file is too large."
          : "出错了，请稍后再试。 / Something went wrong; try again later.",
    });
  };
  r.use(onError);
  return r;
}

function flash(req: Request): string | undefined {
  const v = req.query.done;
  return typeof v === "string" && v.length < 500 ? v : undefined;
}

function ledgerQuery(req: Request) {
  const s = (k: string) => {
    const v = req.query[k];
    return typeof v === "string" && v && v.length < 100 ? v : undefined;
  };
  const page = Math.max(1, Math.min(10_000, Number(s("page") ?? 1) || 1));
  return { unit: s("unit"), section: s("section"), state: s("state"), overdue: s("overdue") === "1", page };
}

function ledgerQs(q: ReturnType<typeof ledgerQuery>): string {
  const p = new URLSearchParams();
  if (q.unit) p.set("unit", q.unit);
  if (q.section) p.set("section", q.section);
  if (q.state) p.set("state", q.state);
  if (q.overdue) p.set("overdue", "1");
  return p.toString();
}
