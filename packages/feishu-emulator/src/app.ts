import express, { type NextFunction, type Request, type Response } from "express";
import { authenticate, handleToken } from "./auth";
import { mountApplicationInfo } from "./application-info";
import { mountBotInfo } from "./bot-info";
import { handleChatGet, handleChatMembers } from "./chats";
import { Codes } from "./codes";
import {
  handleBatchGetId,
  handleDepartmentChildren,
  handleDepartmentGet,
  handleFindByDepartment,
  handleUserGet,
} from "./contact";
import { injectFailure, mountControl } from "./control";
import { mountConversations } from "./conversations";
import { randomHex } from "./crypto";
import { handleFileUpload, handleResourceGet } from "./files";
import { handleCardUpdate, handleCreate, handlePatch, handleReply } from "./messages";
import { TOKEN_PATH, asObj } from "./shared";
import { mountWebLogin } from "./web-login";
import type { FeishuEmulator } from "./emulator";
import type { EmulatorState } from "./state";

/** The HTTP app: control API, failure injection, auth, then each Feishu API, then 404 and errors. */
export function buildApp(emu: FeishuEmulator, s: EmulatorState): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.at = s.clock();
    res.setHeader("X-Tt-Logid", `${Date.now()}${randomHex(8)}`.toUpperCase());
    next();
  });
  app.use(express.json({ limit: "10mb", type: ["application/json", "application/*+json"] }));
  app.use(express.raw({ limit: "40mb", type: "multipart/form-data" }));

  mountControl(emu, s, app);
  mountConversations(emu, s, app);

  app.use((req: Request, res: Response, next: NextFunction) => injectFailure(s, req, res, next));
  app.post(TOKEN_PATH, (req, res) => handleToken(s, req, res));
  // Web app login (authorize page, code → user token, user info): no tenant token on these.
  mountWebLogin(s, app);
  app.use("/open-apis", (req: Request, res: Response, next: NextFunction) => authenticate(s, req, res, next));

  app.post("/open-apis/im/v1/messages", (req, res) => handleCreate(s, req, res));
  app.post("/open-apis/im/v1/messages/:message_id/reply", (req, res) => handleReply(s, req, res));
  app.patch("/open-apis/im/v1/messages/:message_id", (req, res) => handlePatch(s, req, res));
  app.post("/open-apis/interactive/v1/card/update", (req, res) => handleCardUpdate(s, req, res));
  app.post("/open-apis/im/v1/files", (req, res) => handleFileUpload(s, req, res));
  app.get("/open-apis/im/v1/messages/:message_id/resources/:file_key", (req, res) =>
    handleResourceGet(s, req, res),
  );
  app.get("/open-apis/im/v1/chats/:chat_id", (req, res) => handleChatGet(s, req, res));
  app.get("/open-apis/im/v1/chats/:chat_id/members", (req, res) => handleChatMembers(s, req, res));
  app.post("/open-apis/contact/v3/users/batch_get_id", (req, res) => handleBatchGetId(s, req, res));
  // address book (before users/:user_id, which would take "find_by_department" for an id)
  app.get("/open-apis/contact/v3/users/find_by_department", (req, res) =>
    handleFindByDepartment(s, req, res),
  );
  app.get("/open-apis/contact/v3/departments/:department_id", (req, res) => handleDepartmentGet(s, req, res));
  app.get("/open-apis/contact/v3/departments/:department_id/children", (req, res) =>
    handleDepartmentChildren(s, req, res),
  );
  app.get("/open-apis/contact/v3/users/:user_id", (req, res) => handleUserGet(s, req, res));
  mountBotInfo(s, app);
  mountApplicationInfo(s, app);

  app.use((req: Request, res: Response) => s.fail(req, res, Codes.notFound(req.method, s.pathOf(req))));
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    void next;
    const e = asObj(err);
    if (e.type === "entity.parse.failed") return s.fail(req, res, Codes.badJson(String(e.message)));
    if (e.type === "entity.too.large") {
      return s.fail(req, res, { status: 413, code: 99992402, msg: "request body too large" });
    }
    s.log.error({ err }, "feishu emulator: unexpected error");
    return s.fail(req, res, {
      status: 500,
      code: 2200,
      msg: `Internal Error (emulator): ${String(e.message ?? err)}`,
    });
  });
  return app;
}
