/** Bot info: `GET /open-apis/bot/v3/info` (the bot's open_id, for the @mention gate). */
import express, { type Request, type Response } from "express";
import { EmulatorState } from "./state";

/**
 * `GET /open-apis/bot/v3/info` with a tenant token: `{code: 0, msg: "ok", bot: {activate_status,
 * app_name, avatar_url, ip_white_list, open_id}}`, `bot` at the top level as Feishu answers it.
 */
export function mountBotInfo(s: EmulatorState, app: express.Express): void {
  app.get("/open-apis/bot/v3/info", (req: Request, res: Response) => {
    if (!s.appLimit(req, res, "bot.info")) return;
    s.reply(req, res, 200, {
      code: 0,
      msg: "ok",
      bot: {
        activate_status: 2,
        app_name: s.botName,
        avatar_url: "https://s1-imfile.feishucdn.com/static-resource/v1/emulator-bot-avatar",
        ip_white_list: [],
        open_id: s.botOpenId,
      },
    });
  });
}
