import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { card, md } from "../../cards/kit";
import { CARD_ACTIONS } from "../../handlers/index";
import { schedulerId, SWEEP_KINDS } from "../../jobs/sweeps";
import { silentLogger } from "../../src/logger";
import { startBot } from "../../src/runtime";
import { emulatorUsersFor } from "../../src/sandbox-users";
import { importCampaign } from "../../src/services/campaign-import";
import { startCampaign } from "../../src/services/campaign-start";
import { freePort } from "../../src/util/free-port";
import { startTestBot } from "../helpers/bot";
import { loadSpec } from "../helpers/campaign";
import { waitFor } from "../helpers/services";

const cleanups: (() => Promise<void>)[] = [];
/** The test's own redis-servers stop last: the bots' cleanups still need them. */
const servers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const c of servers) await c();
});

/** A redis-server of this test's own on a fixed port, so it can be killed and started again empty. */
async function ownRedis(port: number) {
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        s.once("connect", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(false));
      }),
    10_000,
    "redis-server",
  );
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  servers.push(kill);
  return { url: `redis://127.0.0.1:${port}`, kill };
}

async function readyz(
  url: string,
): Promise<{ status: number; body: { checks?: Record<string, string> }; ms: number }> {
  const t0 = Date.now();
  const r = await fetch(`${url}/readyz`);
  return {
    status: r.status,
    body: (await r.json()) as { checks?: Record<string, string> },
    ms: Date.now() - t0,
  };
}

describe("Redis loss is noticed and repaired", () => {
  it("down: /readyz 503 and callbacks refused fast; back empty: schedulers and lost sends restored, each card once", async () => {
    const port = await freePort();
    const first = await ownRedis(port);
    const t = await startTestBot({ settings: { redisUrl: first.url, workers: false } });
    cleanups.push(() => t.stop());
    const spec = await loadSpec("examples/bureau.yaml");
    const users = emulatorUsersFor(spec);
    for (const u of users) t.emu.addUser(u);
    await importCampaign(t.bot.models, spec, { lookupUsers: (q) => t.bot.deps.feishu.lookupUsers(q) });
    // Queued, and no worker runs yet: these are the sends Redis will lose.
    const start = await startCampaign(
      { models: t.bot.models, now: t.bot.deps.now, outbound: t.bot.outbound },
      spec.key,
    );
    expect(start.enqueued).toBeGreaterThan(50);
    await t.bot.sweeps.syncCampaign({ ...(await t.bot.models.Campaign.findOne({ key: spec.key }).lean())! });
    expect((await readyz(t.bot.url)).status).toBe(200);

    await first.kill();
    await waitFor(() => t.bot.redis.status !== "ready", 5000, "the bot to notice");
    const down = await readyz(t.bot.url);
    expect(down.status).toBe(503);
    expect(down.body.checks?.redis).toMatch(/Redis/);
    expect(down.ms).toBeLessThan(1000);
    // A message event while Redis has been away for a while (reconnect attempts are seconds apart by
    // now): refused at once, so Feishu delivers it again.
    await new Promise((r) => setTimeout(r, 4000));
    const d = await t.emu.sendUserMessage({ from: users[0]!.open_id, text: "进度" });
    expect(d.status).toBe(503);
    expect(d.ms).toBeLessThan(1000);

    await ownRedis(port); // back, and empty
    const ready = await waitFor(
      async () => {
        const r = await readyz(t.bot.url);
        return r.status === 200 && r;
      },
      15_000,
      "ready again after the repair",
    );
    expect(ready.body.checks?.redis).toBe("ok");
    // Every schedule of the active campaign is back.
    for (const kind of SWEEP_KINDS)
      expect(await t.bot.sweeps.queue.getJobScheduler(schedulerId(spec.key, kind))).toBeTruthy();
    // The lost sends were queued again from the intents: a worker delivers each card exactly once.
    const worker = await startBot({ ...t.settings, workers: true }, silentLogger);
    cleanups.push(() => worker.stop());
    await waitFor(
      async () => (await t.bot.models.Outbox.countDocuments({ state: "sent" })) === start.enqueued,
      30_000,
      "every lost card delivered",
    );
    await new Promise((r) => setTimeout(r, 300));
    const uuids = t.emu.messages().map((m) => m.uuid);
    expect(uuids).toHaveLength(start.enqueued);
    expect(new Set(uuids).size).toBe(start.enqueued);
    // Events are taken again.
    const again = await t.emu.sendUserMessage({ from: users[0]!.open_id, text: "进度" });
    expect(again.status).toBe(200);
  }, 90_000);

  it("SIGTERM (stop) waits for slow card actions to queue their delayed card update", async () => {
    const t = await startTestBot();
    cleanups.push(() => t.stop());
    t.emu.addUser({ open_id: "ou_slow", name: "Slow" });
    const sent = await t.bot.deps.feishu.send(
      { type: "open_id", id: "ou_slow" },
      { card: card({ title: "before", elements: [md("before")] }) },
    );
    const slowMs = 3500;
    CARD_ACTIONS["test.slow"] = async () => {
      await new Promise((r) => setTimeout(r, slowMs));
      return { card: card({ title: "after", elements: [md("after")] }) };
    };
    cleanups.push(async () => void delete CARD_ACTIONS["test.slow"]);
    const clicks = Array.from({ length: 5 }, () =>
      t.emu.clickCard({ operator: "ou_slow", messageId: sent!.messageId, value: { action: "test.slow" } }),
    );
    const answers = await Promise.all(clicks);
    for (const a of answers) expect(a.toast?.content).toMatch(/正在处理/);
    // The actions are still running; stop now, as SIGTERM does.
    await t.bot.stop();
    // Each action queued its update before the stop finished; the next process sends what is left.
    const next = await startBot(t.settings, silentLogger);
    cleanups.push(() => next.stop());
    const updates = () =>
      t.emu.message(sent!.messageId)?.updates.filter((u) => u.via !== "patch").length ?? 0;
    await waitFor(() => updates() >= 5, 10_000, "the delayed updates delivered");
    await new Promise((r) => setTimeout(r, 300));
    expect(updates()).toBe(5);
    expect(t.emu.message(sent!.messageId)?.card).toMatchObject({ header: { title: { content: "after" } } });
  }, 60_000);
});
