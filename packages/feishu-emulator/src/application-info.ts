/** App info: `GET /open-apis/application/v6/applications/:app_id` (the app's owner, who may administer the bot). */
import express, { type Request, type Response } from "express";
import { Codes, fieldValidation } from "./codes";
import { EmulatorState } from "./state";
import { APP_INFO_SCOPE } from "./types";

/**
 * `GET /open-apis/application/v6/applications/:app_id?lang=zh_cn` with a tenant token: `{code: 0, data:
 * {app: {app_id, app_name, creator_id, owner: {type, owner_id, name}, status, …}}}`. Only the app itself
 * (`:app_id` = `me` or the token's app) is known; another id answers 400 `99992402` (the emulator's
 * choice). The owner is `appOwnerOpenId` (default: the first demo user, the sandbox's admin). Without the
 * scope `admin:app.info:readonly` it answers 99991672 naming it, as Feishu does.
 */
export function mountApplicationInfo(s: EmulatorState, app: express.Express): void {
  app.get("/open-apis/application/v6/applications/:app_id", (req: Request, res: Response) => {
    if (!s.appLimit(req, res, "application.get")) return;
    if (!s.scopes.has(APP_INFO_SCOPE)) return s.fail(req, res, Codes.scopeMissing([APP_INFO_SCOPE]));
    const id = String(req.params.app_id);
    if (id !== s.opts.appId && id !== "me")
      return s.fail(req, res, fieldValidation([{ field: "app_id", description: "app_id is invalid" }]));
    const lang = typeof req.query.lang === "string" ? req.query.lang : "zh_cn";
    const owner = s.appOwnerOpenId ? s.users.get(s.appOwnerOpenId) : undefined;
    s.ok(req, res, {
      app: {
        app_id: s.opts.appId,
        app_name: s.botName,
        primary_language: lang,
        creator_id: s.appOwnerOpenId ?? "",
        status: 1,
        scene_type: 0,
        ...(s.appOwnerOpenId
          ? {
              owner: {
                type: 2,
                owner_id: s.appOwnerOpenId,
                name: owner?.name ?? "",
                email: owner?.email ?? "",
              },
            }
          : {}),
      },
    });
  });
}
