/**
 * `/sandbox`: the local sandbox as a Feishu look-alike in the browser (mounted only when the bot runs
 * against its in-process emulator). The page (web/sandbox/) picks a person, shows their chats with what
 * the bot sent, renders the cards, and plays the person: every message typed and every card press goes
 * through the emulator's control API, which delivers it to the bot signed and encrypted, as Feishu does.
 * The clock controls move the shared sandbox clock (src/sandbox-clock.ts) and queue the sweeps.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import type { Redis } from "ioredis";
import type { ConversationView, Delivery, EmulatorChat, EmulatorUser } from "@rectify-bot/feishu-emulator";
import type { SweepQueue } from "../../../jobs/sweeps";
import type { Logger } from "../../logger";
import type { Models } from "../../repositories/models";
import { advanceClockBy, parseClockStep, readClockOffset } from "../../sandbox-clock";
import { queueSandboxSweeps } from "../../sandbox-sweep";
import { eta, packageFile, staticDir } from "../shared";

export interface SandboxWebDeps {
  /** The sandbox emulator's base URL (its control API is under /_emulator). */
  emulatorUrl: string;
  models: Models;
  redis: Redis;
  redisPrefix: string;
  sweeps: Pick<SweepQueue, "runNow">;
  now: () => Date;
  logger: Logger;
}

/** A person the page can play: from the emulator's directory, with their units and roles in campaigns. */
export interface SandboxPerson {
  open_id: string;
  name: string;
  locale: "zh_cn" | "en_us";
  units: string[];
  roles: string[];
  note?: string;
}

class BadRequest extends Error {
  readonly status = 400;
}

class EmulatorError extends Error {
  readonly status = 502;
}

const MAX_TEXT = 4000;

/** Roles as the page lists them under a person. */
const ROLE_LABEL: Record<string, string> = {
  admin: "管理员",
  leader: "分管领导",
  head: "科室负责人",
  member: "填报人",
};

function str(v: unknown, field: string, max = 200): string {
  if (typeof v !== "string" || !v.trim() || v.length > max)
    throw new BadRequest(`缺少或无效的 ${field} / missing or invalid ${field}`);
  return v;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

async function emulator<T>(d: SandboxWebDeps, path: string, body?: unknown): Promise<T> {
  let res: globalThis.Response;
  try {
    res = await fetch(`${d.emulatorUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new EmulatorError(`飞书模拟器无响应 / the Feishu emulator did not answer: ${(e as Error).message}`);
  }
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (res.status === 400 || res.status === 404) throw new BadRequest(data.error ?? `emulator ${res.status}`);
  if (!res.ok) throw new EmulatorError(`飞书模拟器出错 / emulator error ${res.status}: ${data.error ?? ""}`);
  return data;
}

/** Everyone in the sandbox's Feishu, campaign people (with their units) first. */
export async function sandboxPeople(d: SandboxWebDeps): Promise<SandboxPerson[]> {
  const dir = await emulator<{ users: EmulatorUser[]; chats: EmulatorChat[] }>(d, "/_emulator/directory");
  const persons = await d.models.Person.find({ openId: { $in: dir.users.map((u) => u.open_id) } })
    .select({ openId: 1, unitKey: 1, roles: 1, campaignKey: 1 })
    .lean();
  const units = await d.models.Unit.find({
    campaignKey: { $in: [...new Set(persons.map((p) => p.campaignKey))] },
  })
    .select({ campaignKey: 1, key: 1, name: 1 })
    .lean();
  const unitName = new Map(units.map((u) => [`${u.campaignKey}\u0000${u.key}`, u.name]));
  const people = dir.users.map((u): SandboxPerson => {
    const mine = persons.filter((p) => p.openId === u.open_id);
    return {
      open_id: u.open_id,
      name: u.name,
      locale: u.locale === "en_us" ? "en_us" : "zh_cn",
      units: [...new Set(mine.map((p) => unitName.get(`${p.campaignKey}\u0000${p.unitKey}`) ?? p.unitKey))],
      roles: [...new Set(mine.flatMap((p) => p.roles ?? []))].map((r) => ROLE_LABEL[r] ?? r),
      ...(u.departed
        ? { note: "已离职 / departed" }
        : u.outOfScope
          ? { note: "不在可用范围 / out of scope" }
          : {}),
    };
  });
  const rank = (p: SandboxPerson) => (p.units.length ? 0 : p.note ? 2 : 1);
  return people.sort(
    (a, b) => rank(a) - rank(b) || (a.units[0] ?? "").localeCompare(b.units[0] ?? "", "zh") || 0,
  );
}

/** What the page needs to show a delivery's outcome: the toast, whether the card changed, what failed. */
function outcome(dl: Delivery): Record<string, unknown> {
  return {
    status: dl.status,
    ...(dl.toast ? { toast: dl.toast } : {}),
    ...(dl.cardUpdated ? { cardUpdated: true } : {}),
    ...(dl.error ? { error: dl.error } : {}),
  };
}

/** The conversation's revision: changes when a message arrives or any card changes. */
function rev(chats: ConversationView[]): string {
  let n = 0;
  let latest = 0;
  for (const c of chats)
    for (const m of c.messages) {
      n += 1 + m.updates;
      latest = Math.max(latest, m.updatedAt);
    }
  return `${n}.${latest}`;
}

async function clockView(d: SandboxWebDeps): Promise<{ now: number; iso: string; offsetMs: number }> {
  const offsetMs = await readClockOffset(d.redis, d.redisPrefix);
  const now = Date.now() + offsetMs;
  return { now, iso: new Date(now).toISOString(), offsetMs };
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // VChart and the page set element styles from script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'none'",
  "base-uri 'none'",
].join("; ");

export function sandboxRouter(d: SandboxWebDeps): express.Router {
  const r = express.Router();
  r.use((_req, res, next) => {
    res.setHeader("content-security-policy", CSP);
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    next();
  });
  // Only JSON bodies: a cross-site page cannot send one without a CORS preflight, which is never granted.
  const json = express.json({ limit: "256kb", type: "application/json" });
  const api =
    (fn: (req: Request) => Promise<unknown>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        if (req.method === "POST" && !req.is("application/json"))
          throw new BadRequest("需要 JSON 请求体 / a JSON body is required");
        res.setHeader("cache-control", "no-store");
        res.json(await fn(req));
      } catch (e) {
        if (e instanceof BadRequest || e instanceof EmulatorError) {
          d.logger.warn({ path: req.path, err: e.message }, "sandbox page request refused");
          res.status(e.status).json({ error: e.message });
        } else next(e);
      }
    };

  r.get("/vchart.js", (_req, res) => {
    res.setHeader("cache-control", "public, max-age=3600");
    res.sendFile(packageFile("@visactor/vchart/build/index.min.js"));
  });
  r.use("/static", staticDir("sandbox"));

  r.get("/", async (_req, res, next) => {
    try {
      const people = await sandboxPeople(d);
      res.setHeader("cache-control", "no-store");
      res.type("html").send(eta.render("sandbox/page", { people }));
    } catch (e) {
      next(e);
    }
  });
  r.get(
    "/api/people",
    api(() => sandboxPeople(d)),
  );
  r.get(
    "/api/conversations/:openId",
    api(async (req) => {
      const openId = str(req.params.openId, "openId");
      const v = await emulator<{ user: EmulatorUser; chats: ConversationView[] }>(
        d,
        `/_emulator/conversations/${encodeURIComponent(openId)}`,
      );
      return { ...v, rev: rev(v.chats) };
    }),
  );
  r.post(
    "/api/say",
    json,
    api(async (req) => {
      const b = obj(req.body) ?? {};
      const from = str(b.from, "from");
      const text = str(b.text, "text", MAX_TEXT);
      const chatId = b.chatId === undefined ? undefined : str(b.chatId, "chatId");
      const group = b.chatType === "group";
      const dl = await emulator<Delivery>(d, "/_emulator/user-message", {
        from,
        text,
        ...(group ? { chatId, chatType: "group" } : { chatType: "p2p" }),
      });
      return outcome(dl);
    }),
  );
  r.post(
    "/api/click",
    json,
    api(async (req) => {
      const b = obj(req.body) ?? {};
      const click: Record<string, unknown> = {
        operator: str(b.operator, "operator"),
        messageId: str(b.messageId, "messageId"),
        tag: typeof b.tag === "string" ? b.tag : "button",
        value: obj(b.value) ?? {},
      };
      if (typeof b.name === "string" && b.name) click.name = b.name;
      if (obj(b.formValue)) click.formValue = b.formValue;
      if (typeof b.option === "string") click.option = b.option;
      if (Array.isArray(b.options)) click.options = b.options.map(String);
      if (typeof b.inputValue === "string") click.inputValue = b.inputValue;
      if (typeof b.checked === "boolean") click.checked = b.checked;
      return outcome(await emulator<Delivery>(d, "/_emulator/click-card", click));
    }),
  );
  // A file the bot sent (an export): the emulator's bytes, under the page's own origin.
  r.get("/api/files/:key", async (req, res, next) => {
    try {
      const key = str(req.params.key, "file_key");
      const up = await fetch(`${d.emulatorUrl}/_emulator/files/${encodeURIComponent(key)}`);
      if (!up.ok) return void res.status(404).json({ error: `没有这个文件 / unknown file ${key}` });
      res.setHeader("content-type", "application/octet-stream");
      res.setHeader("content-disposition", up.headers.get("content-disposition") ?? "attachment");
      res.end(Buffer.from(await up.arrayBuffer()));
    } catch (e) {
      next(e);
    }
  });
  r.get(
    "/api/clock",
    api(() => clockView(d)),
  );
  r.post(
    "/api/clock",
    json,
    api(async (req) => {
      const step = str(obj(req.body)?.step, "step", 10);
      const ms = parseClockStep(step);
      if (ms === undefined)
        throw new BadRequest(`"${step}" 不是时间步长（如 +1d、+1w） / not a step forward`);
      await advanceClockBy(d.redis, d.redisPrefix, ms);
      d.logger.info({ step }, "sandbox clock moved from the page");
      return clockView(d);
    }),
  );
  r.post(
    "/api/sweep",
    json,
    api(async () => {
      const campaigns = await queueSandboxSweeps(d.models, d.sweeps);
      return { campaigns };
    }),
  );
  return r;
}
