import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { outboundUuid, type OutboundJob } from "../../jobs/outbound";
import type { SentMessage } from "@rectify-bot/feishu-emulator";
import { silentLogger } from "../../src/logger";
import { startBot, type BotSettings } from "../../src/runtime";
import { emulatorUsersFor } from "../../src/sandbox-users";
import { importCampaign } from "../../src/services/campaign-import";
import { campaignStart } from "../../src/cli/campaign";
import { startTestBot, type TestBot } from "../helpers/bot";
import { loadSpec } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * A proxy in front of the emulator that holds the answers to message sends for `holdMs()`: the send
 * has reached "Feishu", the bot has not heard back yet. Killing the bot then leaves sends that were
 * delivered but not recorded.
 */
async function holdingProxy(target: string, holdMs: () => number) {
  let held = 0;
  const server = http.createServer((req, res) => {
    res.on("error", () => undefined);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v;
        const body = Buffer.concat(chunks);
        const r = await fetch(target + (req.url ?? "/"), {
          method: req.method,
          headers,
          body: body.length ? body : undefined,
        });
        const out = Buffer.from(await r.arrayBuffer());
        const hold = req.method === "POST" && req.url?.startsWith("/open-apis/im/v1/messages") ? holdMs() : 0;
        if (hold) {
          held++;
          await new Promise((x) => setTimeout(x, hold));
          held--;
        }
        const h: Record<string, string> = {};
        r.headers.forEach((v, k) => {
          if (!["content-length", "transfer-encoding", "connection", "content-encoding"].includes(k))
            h[k] = v;
        });
        res.writeHead(r.status, h);
        res.end(out);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The bot in a child process (test/helpers/fanout-child.ts), to be killed with SIGKILL. */
function botProcess(settings: BotSettings, campaignKey?: string) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "test/helpers/fanout-child.ts"], {
    env: {
      PATH: process.env.PATH,
      BOT_SETTINGS: JSON.stringify(settings),
      ...(campaignKey ? { CAMPAIGN_KEY: campaignKey } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return {
    output: () => out,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Messages by uuid: a uuid delivered twice is a duplicate card. */
function deliveriesByUuid(messages: SentMessage[]): Map<string, number> {
  const by = new Map<string, number>();
  for (const m of messages) if (m.uuid) by.set(m.uuid, (by.get(m.uuid) ?? 0) + 1);
  return by;
}

async function queueIdle(t: TestBot): Promise<boolean> {
  const c = await t.bot.outbound.queue.getJobCounts("waiting", "active", "delayed", "prioritized");
  return Object.values(c).every((n) => n === 0);
}

describe("exactly-once delivery across crashes", () => {
  it("kill -9 during fan-out, a re-run past the uuid window: 0 duplicate cards, counts of stored facts", async () => {
    let offset = 0;
    const t = await startTestBot({
      emulator: { now: () => Date.now() + offset },
      settings: { workers: false },
    });
    cleanups.push(() => t.stop());
    const spec = await loadSpec("examples/bureau.yaml");
    for (const u of emulatorUsersFor(spec)) t.emu.addUser(u);
    await importCampaign(t.bot.models, spec, { lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q) });

    // The first start runs in a child process whose sends are answered late, and is killed mid-way.
    const proxy = await holdingProxy(t.settings.feishu.domain, () => 1500);
    cleanups.push(() => proxy.close());
    const child = botProcess(
      { ...t.settings, workers: true, feishu: { ...t.settings.feishu, domain: proxy.url } },
      spec.key,
    );
    // Under way: sends delivered and some of them recorded (a record is written only after the held
    // answer comes back, later than the delivery, the more so on a loaded machine).
    const lostCount = 10;
    await waitFor(
      async () =>
        t.emu.messages().length >= 25 &&
        proxy.held() > 0 &&
        (await t.bot.models.SentCard.countDocuments({ campaignKey: spec.key })) >= lostCount,
      30_000,
      "fan-out under way",
    );
    await child.kill();
    const deliveredAtKill = t.emu.messages().length;
    const expected = await t.bot.models.Outbox.countDocuments({ campaignKey: spec.key });
    expect(expected).toBeGreaterThan(deliveredAtKill); // killed in the middle

    // An hour later: Feishu forgot the uuids, BullMQ removed its completed jobs, and (as in the report)
    // the records written after some sends were lost.
    offset = 61 * 60_000;
    await t.bot.outbound.queue.clean(0, 100_000, "completed");
    const lost = await t.bot.models.SentCard.find({ campaignKey: spec.key }).limit(lostCount).lean();
    expect(lost.length).toBe(lostCount);
    await t.bot.models.SentCard.deleteMany({ _id: { $in: lost.map((s) => s._id) } });
    await t.bot.models.Outbox.updateMany(
      { uuid: { $in: lost.map((s) => s.uuid ?? "") } },
      { $set: { state: "sending" }, $unset: { messageId: "", sentAt: "" } },
    );

    // The records as the re-run finds them: no worker runs yet (one would change them while we count).
    const before = await t.bot.models.Outbox.aggregate<{ _id: string; n: number }>([
      { $match: { campaignKey: spec.key } },
      { $group: { _id: "$state", n: { $sum: 1 } } },
    ]);
    const stateCount = (s: string) => before.find((b) => b._id === s)?.n ?? 0;
    // The re-run is the CLI's `campaign start`, as an admin would type it.
    const printed: string[] = [];
    const out = { print: (l: string) => printed.push(l), error: (l: string) => printed.push(l) };
    const cli = { models: t.bot.models, redis: t.bot.redis, redisPrefix: t.prefix, close: async () => {} };
    expect(await campaignStart(cli, spec.key, silentLogger, out)).toBe(0);
    // Then a bot's workers run: they take over the killed process's jobs and send the rest.
    const later = await startBot(
      { ...t.settings, workers: true, now: () => new Date(Date.now() + offset) },
      silentLogger,
    );
    cleanups.push(() => later.stop());
    // The jobs the killed process held are taken over, the rest sent; nothing is left in flight.
    await waitFor(
      async () =>
        (await t.bot.models.Outbox.countDocuments({
          campaignKey: spec.key,
          state: { $in: ["queued", "sending"] },
        })) === 0 && (await queueIdle(t)),
      60_000,
      "every intent settled",
    );
    await new Promise((x) => setTimeout(x, 500));
    const by = deliveriesByUuid(t.emu.messages());
    const dups = [...by.entries()].filter(([, n]) => n > 1);
    expect(dups).toEqual([]);
    // What it printed counts the records as they were, not what the run meant to do.
    const queuedBefore = stateCount("queued") + stateCount("sending");
    expect(printed).toContain(
      `已发送 ${stateCount("sent")}（有记录），已排队 ${queuedBefore}（未发送，重新入队），本次新排队 0`,
    );
    expect(stateCount("sent") + queuedBefore).toBe(expected);

    const intents = await t.bot.models.Outbox.find({ campaignKey: spec.key }, { uuid: 1, state: 1 }).lean();
    expect(intents).toHaveLength(expected);
    for (const i of intents) {
      // Sent: delivered once. Unknown (interrupted past the window): delivered at most once, not resent.
      if (i.state === "sent") expect(by.get(i.uuid)).toBe(1);
      else expect(i.state).toBe("unknown");
    }
    // Everything the killed process had delivered but not recorded is "unknown", never resent.
    expect(intents.filter((i) => i.state === "unknown").length).toBeGreaterThanOrEqual(10);
    expect(t.emu.messages().length).toBe(by.size);
  }, 120_000);

  it("a job held by a killed process is taken over within a few seconds and sent once", async () => {
    const t = await startTestBot({ settings: { workers: false } });
    cleanups.push(() => t.stop());
    const ids = Array.from({ length: 6 }, (_, i) => `ou_stall_${i}`);
    for (const id of ids) t.emu.addUser({ open_id: id, name: id });
    let hold = 60_000;
    const proxy = await holdingProxy(t.settings.feishu.domain, () => hold);
    cleanups.push(() => proxy.close());
    const child = botProcess({
      ...t.settings,
      workers: true,
      feishu: { ...t.settings.feishu, domain: proxy.url },
    });
    await waitFor(() => child.output().includes("ready"), 20_000, "the child bot");
    const jobs: OutboundJob[] = ids.map((id) => ({
      op: "send",
      to: { type: "open_id", id },
      content: { text: `stall ${id}` },
      uuid: outboundUuid("stall", id),
      ref: { kind: "message", personKey: id },
    }));
    await t.bot.outbound.enqueueMany(jobs);
    // Each send reached the emulator; the answers are held; then the process dies.
    await waitFor(
      () => t.emu.messages().length === ids.length && proxy.held() === ids.length,
      15_000,
      "sends in flight",
    );
    await child.kill();
    hold = 0;
    const killedAt = Date.now();
    const again = await startBot({ ...t.settings, workers: true }, silentLogger);
    cleanups.push(() => again.stop());
    await waitFor(
      async () =>
        (await t.bot.models.Outbox.countDocuments({
          state: "sent",
          uuid: { $in: jobs.map((j) => (j as { uuid: string }).uuid) },
        })) === ids.length,
      15_000,
      "the held jobs taken over and recorded",
    );
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(12_000);
    await new Promise((x) => setTimeout(x, 300));
    // Within the uuid window the retry got the first message back: one message per person.
    for (const id of ids) expect(t.emu.messagesTo(id)).toHaveLength(1);
    const sent = await t.bot.models.SentCard.find({ personKey: { $in: ids } }).lean();
    expect(sent.map((s) => s.messageId).sort()).toEqual(
      t.emu
        .messages()
        .map((m) => m.message_id)
        .sort(),
    );
  }, 60_000);
});
