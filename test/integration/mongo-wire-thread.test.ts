import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import mongoose from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger";
import { startMongoWireThread } from "../../src/util/mongo-wire-thread";

/**
 * The embedded store in a thread of its own (`npm start` without MONGODB_URI): what is written is there
 * after a restart, a second store on the same data file is refused with the lock's error, the store's
 * logs reach the bot's logger, and close() stops it with its data flushed.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "store-thread-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger("info", dest) };
}

describe("the embedded store in its own thread", () => {
  it("keeps what was written across a restart; refuses a second store on its data file", async () => {
    const dataFile = path.join(dir, "store.bson");
    const { lines, logger } = capture();
    const store = await startMongoWireThread({ dataFile, logger });
    const conn = await mongoose.createConnection(store.uri.replace(/\/(\?|$)/, "/t$1")).asPromise();
    await conn.db!.collection("people").insertMany([{ name: "张三" }, { name: "李四" }]);
    expect(await store.journalStats()).toMatchObject({ syncs: expect.any(Number) });

    const second = await startMongoWireThread({ dataFile }).catch((e: unknown) => e);
    expect(second).toMatchObject({ name: "DataFileLockedError" });

    await conn.close();
    await store.close();
    await store.close(); // a second close is a no-op
    await expect(store.journalStats()).rejects.toThrow(/stopped|exited/);
    // The store's own log lines went through the bot's logger, with its fields.
    expect(lines.some((l) => l.component === "mongo-wire" && l.service === "rectify-bot")).toBe(true);

    const again = await startMongoWireThread({ dataFile });
    const conn2 = await mongoose.createConnection(again.uri.replace(/\/(\?|$)/, "/t$1")).asPromise();
    const names = (await conn2.db!.collection("people").find().toArray()).map((p) => p.name);
    expect(names.sort()).toEqual(["张三", "李四"].sort());
    await conn2.close();
    await again.close();
  }, 30_000);
});
