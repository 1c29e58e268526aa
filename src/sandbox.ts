import crypto from "node:crypto";
import { DEMO_CHAT, DEMO_USERS, FeishuEmulator, generateOrgTree } from "@rectify-bot/feishu-emulator";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { loadCampaignFile } from "./campaign/file";
import type { CampaignSpec } from "./domain/types";
import type { Logger } from "./logger";
import { emulatorUsersFor } from "./sandbox-users";

async function exampleCampaigns(dir = "examples"): Promise<CampaignSpec[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const out: CampaignSpec[] = [];
  for (const f of files.filter((x) => /\.(ya?ml|json)$/.test(x))) {
    // Dates are not checked here: this only seeds the emulator's directory.
    const r = await loadCampaignFile(path.join(dir, f), { today: "1970-01-01" });
    if (r.ok) out.push(r.spec);
  }
  return out;
}

/**
 * The local sandbox: `npm start` with no Feishu credentials runs the bot against the Feishu emulator,
 * seeded with demo users and a group. People are played through the emulator's control API.
 */
export async function startSandboxEmulator(
  logger: Logger,
  /** The sandbox clock (src/sandbox-clock.ts); real time by default. */
  now?: () => number,
): Promise<{
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
    now,
  });
  for (const u of DEMO_USERS) emu.addUser(u);
  // The address book (通讯录) for `org: from: feishu` (examples/org-feishu.yaml): a 300-person bureau.
  emu.addOrgTree(generateOrgTree());
  emu.addChat(DEMO_CHAT);
  // The people of the example campaigns exist in the sandbox's Feishu too, and their group chats.
  const examples = await exampleCampaigns();
  for (const spec of examples) {
    for (const u of emulatorUsersFor(spec)) emu.addUser(u);
    for (const c of spec.chats)
      emu.addChat({
        chat_id: c.chatId,
        name: c.name ?? c.chatId,
        members: emulatorUsersFor(spec).map((u) => u.open_id),
        botIsMember: true,
      });
  }
  const url = await emu.start();
  return {
    url,
    credentials,
    connect(botEventsUrl: string) {
      emu.configureDelivery({
        url: botEventsUrl,
        encryptKey: credentials.encryptKey,
        verificationToken: credentials.verificationToken,
      });
      console.log(
        [
          "Sandbox: play a user through the emulator, e.g.",
          `  curl -s -XPOST ${url}/_emulator/user-message -H 'content-type: application/json' -d '{"from":"${DEMO_USERS[0].open_id}","text":"帮助"}'`,
          `  curl -s ${url}/_emulator/messages    # what the bot sent`,
          "Play three weeks of a campaign (answers, measures, reviews; the sandbox clock moves on):",
          "  npm run cli -- campaign import examples/bureau.yaml && npm run cli -- sandbox play wlj-jgzf-2027",
          `Demo users: ${DEMO_USERS.map((u) => `${u.name} (${u.open_id})`).join(", ")}`,
        ].join("\n"),
      );
    },
    close: () => emu.close(),
  };
}
