/**
 * Files through the real node-sdk against the emulator: the bot's FeishuClient uploads from disk (a
 * stream) and sends a file message; the emulator keeps the bytes for the control API; a file a user
 * sent is downloaded from its message.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as lark from "@larksuiteoapi/node-sdk";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeishuEmulator } from "@rectify-bot/feishu-emulator";
import { FeishuClient } from "../../src/feishu/client";
import { FeishuApiError } from "../../src/feishu/errors";
import { silentLogger } from "../../src/logger";
import { createRedis } from "../../src/redis";
import { redisUrl, uniqueName } from "../helpers/services";

const APP = { appId: "cli_files_itest", appSecret: "files-itest-secret" };
const emu = new FeishuEmulator(APP);
let redis: Redis;
let client: FeishuClient;
let dir: string;

beforeAll(async () => {
  await emu.start();
  emu.addUser({ open_id: "ou_alice", name: "Alice" });
  redis = createRedis(redisUrl(), silentLogger);
  client = new FeishuClient({
    ...APP,
    domain: emu.url,
    redis,
    redisPrefix: uniqueName("files"),
    logger: silentLogger,
  });
  dir = mkdtempSync(path.join(os.tmpdir(), "emu-files-"));
});
afterAll(async () => {
  await emu.close();
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

function fileOf(name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function uploadError(p: Promise<unknown>): Promise<FeishuApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FeishuApiError);
  return e as FeishuApiError;
}

describe("upload and send a file", () => {
  it("uploads from disk, sends it as a file message; the control API serves the same bytes", async () => {
    const bytes = Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(200_000, 7)]);
    const key = await client.uploadFile({
      name: "整改台账.xlsx",
      type: "xls",
      path: fileOf("ledger.xlsx", bytes),
    });
    expect(key).toMatch(/^file_v3_/);
    const sent = await client.sendFile({ type: "open_id", id: "ou_alice" }, key, { uuid: "file-1" });

    const [m] = emu.messagesTo("ou_alice");
    expect(m.message_id).toBe(sent.messageId);
    expect(m.msg_type).toBe("file");
    expect(m.file).toEqual({
      file_key: key,
      file_name: "整改台账.xlsx",
      file_type: "xls",
      size: bytes.length,
    });

    const log = (await (await fetch(`${emu.url}/_emulator/messages`)).json()) as {
      file?: { file_key: string };
    }[];
    expect(log.map((x) => x.file?.file_key)).toContain(key);
    const res = await fetch(`${emu.url}/_emulator/files/${key}`);
    expect(res.status).toBe(200);
    expect(decodeURIComponent(res.headers.get("content-disposition") ?? "")).toContain("整改台账.xlsx");
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(`${emu.url}/_emulator/files/file_v3_nope`)).status).toBe(404);
  });

  it("refuses an empty file, a wrong file_type, more than 30 MB, and a file message with an unknown key", async () => {
    const empty = await uploadError(
      client.uploadFile({ name: "a.doc", type: "doc", path: fileOf("e", Buffer.alloc(0)) }),
    );
    expect(empty.code).toBe(99992402);
    const wrongType = await uploadError(
      client.uploadFile({ name: "a.doc", type: "docx" as "doc", path: fileOf("w", Buffer.from("x")) }),
    );
    expect(wrongType.code).toBe(99992402);
    const big = await uploadError(
      client.uploadFile({
        name: "big.xls",
        type: "xls",
        path: fileOf("big", Buffer.alloc(30 * 1024 * 1024 + 1)),
      }),
    );
    expect(big.code).toBe(99992402);
    const unknownKey = await uploadError(
      client.sendFile({ type: "open_id", id: "ou_alice" }, "file_v3_unknown"),
    );
    expect(unknownKey.code).toBe(230001);
    expect(emu.messagesTo("ou_alice").filter((m) => m.file?.file_key === "file_v3_unknown")).toHaveLength(0);
  });
});

describe("a file a user sent", () => {
  it("downloads from its message; a key of another message is refused", async () => {
    emu.configureDelivery({ url: "http://127.0.0.1:9/closed", verificationToken: "t" }); // nobody listens: the message is kept anyway
    const bytes = Buffer.from("各科室自查材料\n".repeat(50));
    const d = await emu.sendUserMessage({
      from: "ou_alice",
      text: "",
      messageId: "om_user_file",
      file: { name: "材料.txt", data: bytes },
    });
    const key = { file_key: d.fileKey! };
    expect(key.file_key).toMatch(/^file_v3_/);
    const sdk = new lark.Client({
      ...APP,
      domain: emu.url,
      cache: new lark.DefaultCache(),
      // The refused download below is on purpose: keep the SDK's own error log quiet.
      logger: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
    });
    const r = await sdk.im.messageResource.get({
      path: { message_id: "om_user_file", file_key: key.file_key },
      params: { type: "file" },
    });
    const chunks: Buffer[] = [];
    for await (const c of r.getReadableStream()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    const refused = await sdk.im.messageResource
      .get({ path: { message_id: "om_other", file_key: key.file_key }, params: { type: "file" } })
      .then(
        () => undefined,
        (e: { response?: { status: number; data: unknown } }) => e.response,
      );
    expect(refused?.status).toBe(400);
  });
});

describe("a file a user sent, through FeishuClient; the app's owner", () => {
  it("downloads within the cap, stops at the declared size over it, and classifies a wrong key", async () => {
    const bytes = Buffer.alloc(4096, 7);
    const d = await emu.sendUserMessage({
      from: "ou_alice",
      text: "",
      messageId: "om_user_file_2",
      file: { name: "活动.xlsx", data: bytes },
    });
    const got = await client.downloadMessageFile("om_user_file_2", d.fileKey!, 10_000);
    expect(got.tooLarge === false && got.bytes.equals(bytes)).toBe(true);
    expect(await client.downloadMessageFile("om_user_file_2", d.fileKey!, 4095)).toEqual({
      tooLarge: true,
      size: 4096,
    });
    const wrong = await uploadError(client.downloadMessageFile("om_user_file_2", "file_v3_nope", 10_000));
    expect(wrong.code).toBe(234001);
    expect(wrong.httpStatus).toBe(400);
  });

  it("answers 234001 for a file message's resource asked as an image", async () => {
    const d = await emu.sendUserMessage({
      from: "ou_alice",
      text: "",
      messageId: "om_user_file_3",
      file: { name: "a.xlsx", data: Buffer.from("x") },
    });
    const sdk = new lark.Client({
      ...APP,
      domain: emu.url,
      cache: new lark.DefaultCache(),
      logger: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
    });
    const status = await sdk.im.messageResource
      .get({ path: { message_id: "om_user_file_3", file_key: d.fileKey! }, params: { type: "image" } })
      .then(
        () => 200,
        (e: { response?: { status: number } }) => e.response?.status,
      );
    expect(status).toBe(400);
  });

  it("application info names the owner set in the emulator (the demo admin by default), or none", async () => {
    expect(await client.appOwner()).toBe("ou_0a87a1503f6cce3aa6317040d2c01fb3");
    emu.setAppOwner("ou_alice");
    expect(await client.appOwner()).toBe("ou_alice");
    emu.setAppOwner(undefined);
    expect(await client.appOwner()).toBeUndefined();
    const call = emu.calls
      .filter((c) => c.path.startsWith("/open-apis/application/v6/applications/"))
      .at(-1)!;
    expect(call.path).toBe(`/open-apis/application/v6/applications/${APP.appId}`);
    expect(call.query).toMatchObject({ lang: "zh_cn" });
  });
});
