import net from "node:net";
import type { CampaignSpec } from "../../../src/domain/types";
import { silentLogger } from "../../../src/logger";
import { createRedis } from "../../../src/redis";
import { advanceClockTo, clockKey, SandboxClock } from "../../../src/sandbox-clock";
import { emulatorUsersFor } from "../../../src/sandbox-users";
import { startTestBot, type TestBot } from "../../helpers/bot";
import { importAndStart, loadSpec } from "../../helpers/campaign";
import { redisUrl, uniqueName } from "../../helpers/services";

/** A free TCP port on 127.0.0.1 (the emulator's URL must be known before the bot starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface SandboxWebBot {
  t: TestBot;
  clock: SandboxClock;
  /** The bot's Redis prefix (the sandbox clock's key is under it). */
  prefix: string;
  spec: CampaignSpec;
  /** http://127.0.0.1:<port>/sandbox */
  pageUrl: string;
  stop(): Promise<void>;
}

/**
 * The bot as `npm start` runs it without credentials: the emulator and the bot sharing a sandbox
 * clock, /sandbox mounted, the example campaign imported and started with its people and group chats.
 */
export async function startSandboxWebBot(file = "examples/bureau.yaml"): Promise<SandboxWebBot> {
  const prefix = uniqueName("rb");
  const clock = await SandboxClock.start(redisUrl(), prefix, silentLogger, 20);
  const port = await freePort();
  const t = await startTestBot({
    emulator: { now: () => clock.now(), port },
    settings: {
      now: () => clock.date(),
      redisPrefix: prefix,
      sandbox: { emulatorUrl: `http://127.0.0.1:${port}` },
    },
  });
  // The example campaign's dates hold from 2026-12-02 on (the clock only moves forward).
  await advanceClockTo(t.bot.redis, prefix, Date.parse("2026-12-02T02:00:00Z"));
  const spec = await loadSpec(file);
  const members = emulatorUsersFor(spec).map((u) => u.open_id);
  for (const c of spec.chats)
    t.emu.addChat({ chat_id: c.chatId, name: c.name ?? c.chatId, members, botIsMember: true });
  await importAndStart(t, spec);
  return {
    t,
    clock,
    prefix,
    spec,
    pageUrl: `${t.bot.url}/sandbox`,
    async stop() {
      const keys = await t.bot.redis.keys(`${prefix}:*`).catch(() => [] as string[]);
      await clock.stop();
      await t.stop();
      // The bot's queues and the clock live under our prefix, not the test bot's own.
      const redis = createRedis(redisUrl(), silentLogger);
      if (keys.length) await redis.del(...keys, clockKey(prefix));
      await redis.quit();
    },
  };
}
