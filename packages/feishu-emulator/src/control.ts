/** Control API (`/_emulator/*`, for the sandbox and scripts; not recorded as calls) and failure injection. */
import express, { type NextFunction, type Request, type Response } from "express";
import { clickCard } from "./card-callbacks";
import { FeishuEmulator } from "./emulator";
import { addBotToChat, sendUserMessage } from "./events";
import { Obj, TOKEN_PATH, asObj, str } from "./shared";
import { EmulatorState } from "./state";
import {
  type ClickCardOptions,
  type DeliveryConfig,
  type EmulatorChat,
  type EmulatorDepartment,
  type EmulatorUser,
  type UserMessageOptions,
} from "./types";

export function injectFailure(s: EmulatorState, req: Request, res: Response, next: NextFunction): void {
  const path = s.pathOf(req);
  const i = s.failures.findIndex((f) => (f.match?.path ? f.match.path.test(path) : path !== TOKEN_PATH));
  if (i < 0 || !path.startsWith("/open-apis/")) return next();
  const f = s.failures[i];
  f.remaining--;
  if (f.remaining <= 0) s.failures.splice(i, 1);
  s.reply(req, res, f.answer.status, { code: f.answer.code, msg: f.answer.msg }, f.answer.headers ?? {});
}

export function mountControl(emu: FeishuEmulator, s: EmulatorState, app: express.Express): void {
  const guard =
    (fn: (body: Obj) => unknown) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        res.json(await fn(asObj(req.body)));
      } catch (err) {
        res.status(400).json({ error: (err as Error).message });
      }
    };
  app.get("/_emulator/messages", (_req, res) => {
    res.json(emu.messages());
  });
  app.get("/_emulator/calls", (_req, res) => {
    res.json(s.calls);
  });
  app.get("/_emulator/deliveries", (_req, res) => {
    res.json(emu.deliveries());
  });
  app.get("/_emulator/messages/:message_id", (req, res) => {
    const m = emu.message(String(req.params.message_id));
    if (!m) return void res.status(404).json({ error: `unknown message ${String(req.params.message_id)}` });
    res.json(m);
  });
  app.get("/_emulator/clock", (_req, res) => {
    res.json({ now: s.clock(), iso: new Date(s.clock()).toISOString() });
  });
  app.get("/_emulator/files/:file_key", (req, res) => {
    const f = s.files.get(String(req.params.file_key));
    if (!f) return void res.status(404).json({ error: `unknown file_key ${String(req.params.file_key)}` });
    res.setHeader("content-type", "application/octet-stream");
    res.setHeader("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(f.file_name)}`);
    res.setHeader("x-file-type", f.file_type);
    res.end(f.bytes);
  });
  app.post(
    "/_emulator/users",
    guard((b) => (emu.addUser(b as unknown as EmulatorUser), { ok: true })),
  );
  app.post(
    "/_emulator/chats",
    guard((b) => (emu.addChat(b as unknown as EmulatorChat), { ok: true })),
  );
  app.post(
    "/_emulator/delivery",
    guard((b) => (emu.configureDelivery(b as unknown as DeliveryConfig), { ok: true })),
  );
  app.post(
    "/_emulator/user-message",
    guard((b) => sendUserMessage(s, b as unknown as UserMessageOptions)),
  );
  app.post(
    "/_emulator/click-card",
    guard((b) => clickCard(s, b as unknown as ClickCardOptions)),
  );
  app.post(
    "/_emulator/bot-added",
    guard((b) => addBotToChat(s, String(b.chatId), str(b.operator))),
  );
  // address book: the app's scopes, departments, a user's changes (move, leave)
  app.get("/_emulator/scopes", (_req, res) => {
    res.json({ scopes: emu.scopes });
  });
  app.post(
    "/_emulator/scopes",
    guard((b) => {
      if (!Array.isArray(b.scopes) || b.scopes.some((x) => typeof x !== "string"))
        throw new Error("scopes must be an array of strings");
      emu.setScopes(b.scopes as string[]);
      return { ok: true, scopes: emu.scopes };
    }),
  );
  app.post(
    "/_emulator/departments",
    guard((b) => (emu.addDepartment(b as unknown as EmulatorDepartment), { ok: true })),
  );
  app.post(
    "/_emulator/users/update",
    guard((b) => (emu.updateUser(String(b.open_id), b as Partial<EmulatorUser>), { ok: true })),
  );
  app.post(
    "/_emulator/reset",
    guard(() => (emu.reset(), { ok: true })),
  );
}
