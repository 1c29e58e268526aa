/**
 * Run the Feishu emulator on its own:
 *   EMULATOR_PORT=4010 FEISHU_APP_ID=cli_demo FEISHU_APP_SECRET=secret npm run emulator
 * Optional: EMULATOR_DELIVERY_URL (the bot's event endpoint), FEISHU_ENCRYPT_KEY,
 * FEISHU_VERIFICATION_TOKEN, LOG_LEVEL. Seeds a few demo users and one group chat.
 */
import pino from "pino";
import { DEMO_CHAT, DEMO_USERS } from "./demo";
import { FeishuEmulator } from "./index";
import { generateOrgTree } from "./org-seed";

async function main(): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? "info" });
  const emulator = new FeishuEmulator({
    appId: process.env.FEISHU_APP_ID ?? "cli_emulator_demo",
    appSecret: process.env.FEISHU_APP_SECRET ?? "emulator-demo-secret",
    port: process.env.EMULATOR_PORT ? Number(process.env.EMULATOR_PORT) : 4010,
    host: process.env.EMULATOR_HOST ?? "127.0.0.1",
    logger,
  });
  for (const u of DEMO_USERS) emulator.addUser(u);
  emulator.addOrgTree(generateOrgTree());
  emulator.addChat(DEMO_CHAT);
  if (process.env.EMULATOR_DELIVERY_URL) {
    emulator.configureDelivery({
      url: process.env.EMULATOR_DELIVERY_URL,
      encryptKey: process.env.FEISHU_ENCRYPT_KEY || undefined,
      verificationToken: process.env.FEISHU_VERIFICATION_TOKEN ?? "emulator-verification-token",
    });
  }
  const url = await emulator.start();
  console.log(`Feishu emulator listening at ${url}`);
  console.log(`  SDK: new lark.Client({ appId, appSecret, domain: "${url}" })`);
  console.log(`  inspect: ${url}/_emulator/messages  ${url}/_emulator/calls`);
  console.log(`  demo users: ${DEMO_USERS.map((u) => `${u.name} ${u.open_id}`).join(", ")}`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
