import crypto from "node:crypto";
import { DEMO_CHAT, DEMO_USERS, FeishuEmulator } from "./emulator/index";
import type { Logger } from "./logger";

/**
 * The local sandbox: `npm start` with no Feishu credentials runs the bot against the Feishu emulator,
 * seeded with demo users and a group. People are played through the emulator's control API.
 */
export async function startSandboxEmulator(logger: Logger): Promise<{
  url: string;
  credentials: { appId: string; appSecret: string; encryptKey: string; verificationToken: string };
  connect(botEventsUrl: string): void;
  close(): Promise<void>;
}> {
  const credentials = {
    appId: "cli_sandbox",
    appSecret: crypto.randomBytes(16).toString("hex"),
    encryptKey: crypto.randomBytes(16).toString("hex"),
    verificationToken: crypto.randomBytes(16).toString("hex"),
  };
  const emu = new FeishuEmulator({
    appId: credentials.appId,
    appSecret: credentials.appSecret,
    port: process.env.EMULATOR_PORT ? Number(process.env.EMULATOR_PORT) : 4010,
    logger: logger.child({ component: "emulator" }),
  });
  for (const u of DEMO_USERS) emu.addUser(u);
  emu.addChat(DEMO_CHAT);
  const url = await emu.start();
  return {
    url,
    credentials,
    connect(botEventsUrl: string) {
      emu.configureDelivery({ url: botEventsUrl, encryptKey: credentials.encryptKey, verificationToken: credentials.verificationToken });
      console.log(
        [
          "Sandbox: play a user through the emulator, e.g.",
          `  curl -s -XPOST ${url}/_emulator/user-message -H 'content-type: application/json' -d '{"from":"${DEMO_USERS[0].open_id}","text":"帮助"}'`,
          `  curl -s ${url}/_emulator/messages    # what the bot sent`,
          `Demo users: ${DEMO_USERS.map((u) => `${u.name} (${u.open_id})`).join(", ")}`,
        ].join("\n"),
      );
    },
    close: () => emu.close(),
  };
}
