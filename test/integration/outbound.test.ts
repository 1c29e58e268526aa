import { afterEach, describe, expect, it } from "vitest";
import {
  OutboundQueue,
  OutboundWorker,
  outboundUuid,
  type OutboundHooks,
  type OutboundJob,
} from "../../jobs/outbound";
import { FeishuEmulator, type EmulatorOptions } from "@rectify-bot/feishu-emulator";
import { FeishuClient } from "../../src/feishu/client";
import { FeishuApiError } from "../../src/feishu/errors";
import { silentLogger } from "../../src/logger";
import { createRedis } from "../../src/redis";
import { redisUrl, uniqueName, waitFor } from "../helpers/services";

const APP = { appId: "cli_outbound", appSecret: "secret-outbound" };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(o: { emulator?: Partial<EmulatorOptions>; rate?: number; hooks?: OutboundHooks } = {}) {
  const emu = new FeishuEmulator({ ...APP, ...o.emulator });
  const url = await emu.start();
  const prefix = uniqueName("rbout");
  const redis = createRedis(redisUrl(), silentLogger, { forBullmq: true });
  const feishu = new FeishuClient({ ...APP, domain: url, redis, redisPrefix: prefix, logger: silentLogger });
  const queue = new OutboundQueue({ connection: redis, prefix, logger: silentLogger });
  const worker = new OutboundWorker({
    connection: redis,
    prefix,
    logger: silentLogger,
    feishu,
    ratePerSecond: o.rate ?? 40,
    hooks: o.hooks,
  });
  cleanups.push(async () => {
    await worker.close();
    await queue.queue.obliterate({ force: true });
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await emu.close();
  });
  return { emu, feishu, queue, worker, redis, prefix };
}

const text = (to: string, n: number, tag = "t"): OutboundJob => ({
  op: "send",
  to: { type: "open_id", id: to },
  content: { text: `message ${n}` },
  uuid: outboundUuid(tag, to, n),
});

/** The largest number of items in any window of `ms`. */
function maxInWindow(times: number[], ms: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i] - s[j] >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe("outbound queue against the emulator", () => {
  it("holds 5/s to one receiver: every message arrives once, none refused", async () => {
    const { emu, queue } = await setup();
    emu.addUser({ open_id: "ou_one", name: "One" });
    await queue.enqueueMany(Array.from({ length: 12 }, (_, i) => text("ou_one", i)));
    const msgs = await waitFor(
      () => emu.messagesTo("ou_one").length === 12 && emu.messagesTo("ou_one"),
      10_000,
      "12 messages",
    );
    expect(new Set(msgs.map((m) => m.text)).size).toBe(12);
    expect(emu.calls.filter((c) => c.status !== 200 && c.path.includes("/im/v1/messages"))).toHaveLength(0);
    expect(
      maxInWindow(
        msgs.map((m) => m.createdAt),
        1000,
      ),
    ).toBeLessThanOrEqual(5);
  });

  it("waits out the app-wide 429 and delivers everything exactly once", async () => {
    const { emu, queue, worker } = await setup({ emulator: { limits: { appPerSecond: 8 } }, rate: 40 });
    const users = Array.from({ length: 10 }, (_, i) => `ou_u${i}`);
    for (const u of users) emu.addUser({ open_id: u, name: u });
    await queue.enqueueMany(users.flatMap((u) => [text(u, 1), text(u, 2)]));
    await waitFor(() => emu.messages().length === 20, 15_000, "20 messages");
    await new Promise((r) => setTimeout(r, 300));
    expect(emu.messages()).toHaveLength(20);
    const refused = emu.calls.filter((c) => c.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect((await worker.metrics()).retried).toBeGreaterThanOrEqual(1);
  });

  it("sends one message for one uuid, even when the job is enqueued twice", async () => {
    const { emu, queue } = await setup();
    emu.addUser({ open_id: "ou_dup", name: "Dup" });
    await queue.enqueue(text("ou_dup", 1, "same"));
    await queue.enqueue(text("ou_dup", 1, "same"));
    await waitFor(() => emu.messagesTo("ou_dup").length === 1, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(emu.messagesTo("ou_dup")).toHaveLength(1);
  });

  it("fails a permanent error once, reports it, and does not retry", async () => {
    const failed: { kind: string }[] = [];
    const { emu, queue, worker } = await setup({
      hooks: { onFailed: async (_j, kind) => void failed.push({ kind }) },
    });
    emu.addUser({ open_id: "ou_gone", name: "Gone", outOfScope: true });
    await queue.enqueue(text("ou_gone", 1));
    await waitFor(() => failed.length === 1, 5000, "failure hook");
    await new Promise((r) => setTimeout(r, 300));
    expect(failed).toEqual([{ kind: "permission_denied" }]);
    expect(emu.calls.filter((c) => c.path.includes("/im/v1/messages") && c.method === "POST")).toHaveLength(
      1,
    );
    expect((await worker.metrics()).failed).toEqual({ permission_denied: 1 });
  });

  it("shares the token through Redis and refetches it once when Feishu says it is invalid", async () => {
    const { emu, feishu } = await setup();
    emu.addUser({ open_id: "ou_tok", name: "Tok" });
    await feishu.send({ type: "open_id", id: "ou_tok" }, { text: "a" });
    await feishu.send({ type: "open_id", id: "ou_tok" }, { text: "b" });
    const tokenCalls = () => emu.calls.filter((c) => c.path.endsWith("/tenant_access_token/internal")).length;
    expect(tokenCalls()).toBe(1);
    emu.expireTokens();
    await feishu.send({ type: "open_id", id: "ou_tok" }, { text: "c" });
    expect(tokenCalls()).toBe(2);
    expect(emu.messagesTo("ou_tok").map((m) => m.text)).toEqual(["a", "b", "c"]);
  });

  it("classifies Feishu errors", async () => {
    const { emu, feishu } = await setup();
    emu.addUser({ open_id: "ou_cls", name: "Cls" });
    const err = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as FeishuApiError,
      );
    expect((await err(feishu.send({ type: "open_id", id: "ou_nobody" }, { text: "x" })))?.kind).toBe(
      "invalid_receiver",
    );
    const bad = await err(
      feishu.send(
        { type: "open_id", id: "ou_cls" },
        { card: { schema: "2.0", body: { elements: [{ tag: "note" }] } } },
      ),
    );
    expect(bad?.kind).toBe("card_invalid");
    expect(bad?.code).toBe(230099);
    emu.failNext(1, { status: 500, code: 1500, msg: "internal error" });
    const transient = await err(feishu.send({ type: "open_id", id: "ou_cls" }, { text: "x" }));
    expect(transient?.kind).toBe("transient");
    expect(transient?.retryable).toBe(true);
  });
});
