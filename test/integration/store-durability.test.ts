/**
 * Durability of the embedded store with a data file: the journal (every acknowledged write survives
 * SIGKILL), recovery (torn tail, corrupt snapshot, flipped byte, leftover temp file) and the
 * one-writer lock. The store runs in a child process where it must be killed; over the wire with the
 * mongodb driver mongoose brings.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile, appendFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import mongoose from "mongoose";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { DataFileLockedError, lockFile } from "@rectify-bot/mongo-wire/lock";
import { rng } from "../helpers/chaos";
import { kill9, startStoreChild } from "../helpers/store-child";

const { MongoClient } = mongoose.mongo;
type Client = InstanceType<typeof MongoClient>;

function client(uri: string): Promise<Client> {
  return new MongoClient(uri, {
    serverSelectionTimeoutMS: 5000,
    retryWrites: false,
    maxPoolSize: 20,
  }).connect();
}

/** A logger whose lines the test can read. */
function capture() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "store-durability-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("journal: acknowledged writes survive SIGKILL", () => {
  it("keeps every write acknowledged right before the kill, once each, and takes over the dead process's lock", async () => {
    const dataFile = path.join(dir, "acked", "store.bson");
    let s = await startStoreChild(dataFile);
    let c = await client(s.uri);
    const coll = c.db("app").collection("items");
    await coll.createIndex({ k: 1 }, { unique: true });
    for (let i = 0; i < 150; i++) await coll.insertOne({ k: `k${i}`, text: `值 ${i}`, n: 0 });
    for (let i = 0; i < 150; i += 3) await coll.updateOne({ k: `k${i}` }, { $inc: { n: 1 } });
    await coll.deleteOne({ k: "k149" });
    await coll.insertMany([{ k: "m1" }, { k: "m2" }, { k: "m3" }]);
    // no close: the process dies right after the last acknowledgement
    await kill9(s.child);
    await c.close(true);

    s = await startStoreChild(dataFile);
    c = await client(s.uri);
    try {
      const docs = await c.db("app").collection("items").find().toArray();
      const keys = docs.map((d) => d.k as string);
      expect(new Set(keys).size).toBe(keys.length); // nothing doubled
      expect(keys).toHaveLength(149 + 3);
      expect(keys).not.toContain("k149");
      for (const d of docs.filter((d) => /^k\d+$/.test(d.k as string))) {
        const i = Number((d.k as string).slice(1));
        expect(d.n).toBe(i % 3 === 0 ? 1 : 0);
        expect(d.text).toBe(`值 ${i}`);
      }
      const idx = await c.db("app").collection("items").listIndexes().toArray();
      expect(idx.map((i) => i.name)).toContain("k_1");
      await expect(c.db("app").collection("items").insertOne({ k: "k1" })).rejects.toMatchObject({
        code: 11000,
      });
      expect(s.stderr()).toMatch(/took over the stale lock of process \d+/);
    } finally {
      await c.close(true);
      await kill9(s.child);
    }
  });

  it("loses no acknowledged write over kills in the middle of concurrent bursts (seeded), with compaction between", async () => {
    const dataFile = path.join(dir, "bursts", "store.bson");
    const random = rng(20261201);
    const acked = new Map<string, number>(); // k -> value acknowledged last
    const inFlight = new Map<string, number>(); // k -> value of an update sent but not acknowledged
    const holds = (k: string, v: unknown) => v === acked.get(k) || (inFlight.has(k) && v === inFlight.get(k));
    const ackedBatches: string[][] = [];
    let attempted = 0;
    const kills = 4;
    for (let round = 0; round < kills; round++) {
      // a low compaction threshold, so snapshots and journal rotation happen during the bursts
      const s = await startStoreChild(dataFile, 64 * 1024);
      const c = await client(s.uri);
      const coll = c.db("app").collection("burst");
      if (round === 0) await coll.createIndex({ k: 1 }, { unique: true });
      // check what the previous rounds acknowledged, before writing more
      const docs = await coll.find().toArray();
      const byK = new Map(docs.map((d) => [d.k as string, d]));
      expect(byK.size).toBe(docs.length);
      for (const k of acked.keys()) expect(holds(k, byK.get(k)?.v), k).toBe(true);
      for (const b of ackedBatches) for (const k of b) expect(byK.has(k), k).toBe(true);
      expect(docs.length).toBeLessThanOrEqual(attempted);

      let stop = false;
      const workers = Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; !stop; i++) {
            const k = `r${round}-w${w}-${i}`;
            attempted++;
            try {
              if (i % 5 === 4) {
                const batch = [`${k}-a`, `${k}-b`, `${k}-c`];
                attempted += 2;
                await coll.insertMany(batch.map((x) => ({ k: x, v: 0, pad: "x".repeat(200) })));
                ackedBatches.push(batch);
              } else {
                await coll.insertOne({ k, v: 0, pad: "x".repeat(200) });
                acked.set(k, 0);
                if (i % 3 === 0) {
                  inFlight.set(k, 1);
                  await coll.updateOne({ k }, { $set: { v: 1 } });
                  acked.set(k, 1);
                  inFlight.delete(k);
                }
              }
            } catch {
              return; // the store was killed: this write was not acknowledged
            }
          }
        })(),
      );
      await new Promise((r) => setTimeout(r, 300 + Math.floor(random() * 700)));
      await kill9(s.child);
      stop = true;
      await Promise.all(workers);
      await c.close(true);
    }
    expect(acked.size).toBeGreaterThan(100);
    const s = await startStoreChild(dataFile);
    const c = await client(s.uri);
    try {
      const docs = await c.db("app").collection("burst").find().toArray();
      const byK = new Map(docs.map((d) => [d.k as string, d]));
      expect(byK.size).toBe(docs.length);
      const lost = [...acked.keys()].filter((k) => !holds(k, byK.get(k)?.v));
      expect(lost).toEqual([]);
      for (const b of ackedBatches) for (const k of b) expect(byK.has(k), k).toBe(true);
    } finally {
      await c.close(true);
      await kill9(s.child);
    }
  }, 90_000);
});

describe("group commit", () => {
  it("acknowledges concurrent writes from many connections with far fewer fsyncs than writes", async () => {
    const dataFile = path.join(dir, "group", "store.bson");
    const srv = await startMongoWire({ dataFile });
    const c = await client(srv.uri);
    try {
      const coll = c.db("app").collection("many");
      await coll.insertOne({ k: "first" });
      const before = srv.journalStats()!;
      await Promise.all(Array.from({ length: 200 }, (_, i) => coll.insertOne({ k: `c${i}` })));
      const after = srv.journalStats()!;
      expect(after.records - before.records).toBe(200);
      expect(after.syncs - before.syncs).toBeLessThan(100);
      expect(await coll.countDocuments()).toBe(201);
    } finally {
      await c.close(true);
      await srv.close();
    }
    expect(srv.journalStats()).toBeDefined();
  });
});

describe("a journal that cannot be written", () => {
  it("fails the write with a clear error, refuses later writes, keeps reads, and logs it", async () => {
    const dataFile = path.join(dir, "unwritable", "store.bson");
    const { logger, lines } = capture();
    const srv = await startMongoWire({ dataFile, logger });
    const c = await client(srv.uri);
    try {
      const { mkdir } = await import("node:fs/promises");
      await mkdir(`${dataFile}.journal.00000000`); // the journal file cannot be opened for appending
      const coll = c.db("app").collection("notes");
      await expect(coll.insertOne({ k: "a" })).rejects.toThrow(/journal write failed/);
      await expect(coll.insertOne({ k: "b" })).rejects.toThrow(/journal write failed/);
      expect(await coll.countDocuments({ k: "b" })).toBe(0); // refused, not applied
      expect(lines.find((l) => l.msg.includes("journal write failed"))).toMatchObject({ level: 50 });
    } finally {
      await c.close(true);
      await srv.close();
    }
  });
});

/** Runs a store in this process and leaves it running (as a crash would leave the files). */
async function writeAndAbandon(dataFile: string, n: number, snapshotFirst = false) {
  const srv = await startMongoWire({ dataFile });
  const c = await client(srv.uri);
  const coll = c.db("app").collection("notes");
  if (snapshotFirst) {
    await coll.insertOne({ k: "in-snapshot", text: "snapshot string 快照里的字符串" });
    await srv.flush();
  }
  for (let i = 0; i < n; i++) await coll.insertOne({ k: `j${i}`, text: `journal string ${i}` });
  await c.close(true);
  return srv;
}

async function copyCrashState(from: string, to: string): Promise<void> {
  const { cp } = await import("node:fs/promises");
  await cp(path.dirname(from), path.dirname(to), {
    recursive: true,
    filter: (src) => !src.endsWith(".lock"),
  });
}

async function journalsOf(dataFile: string): Promise<string[]> {
  const d = path.dirname(dataFile);
  return (await readdir(d))
    .filter((n) => n.startsWith(`${path.basename(dataFile)}.journal.`))
    .map((n) => path.join(d, n));
}

describe("recovery", () => {
  it("replays the journal after the snapshot and leaves only the snapshot after a clean close", async () => {
    const src = path.join(dir, "replay-src", "store.bson");
    const crashed = path.join(dir, "replay", "store.bson");
    const abandoned = await writeAndAbandon(src, 20, true);
    await copyCrashState(src, crashed);
    await abandoned.close();

    const { logger, lines } = capture();
    const srv = await startMongoWire({ dataFile: crashed, logger });
    const c = await client(srv.uri);
    try {
      const keys = (await c.db("app").collection("notes").find().toArray()).map((d) => d.k);
      expect(keys).toEqual(["in-snapshot", ...Array.from({ length: 20 }, (_, i) => `j${i}`)]);
      expect(lines.find((l) => l.msg.includes("replayed journal"))).toMatchObject({ replayed: 20 });
    } finally {
      await c.close(true);
      await srv.close();
    }
    expect(await readdir(path.dirname(crashed))).toEqual(["store.bson"]);
  });

  it("discards a torn journal tail with a log line saying how much, keeping the records before it", async () => {
    const src = path.join(dir, "torn-src", "store.bson");
    const crashed = path.join(dir, "torn", "store.bson");
    const abandoned = await writeAndAbandon(src, 10);
    await copyCrashState(src, crashed);
    await abandoned.close();
    const [journal] = await journalsOf(crashed);
    const size = (await stat(journal)).size;
    await truncate(journal, size - 7); // the last record cut short, as a crash during its write leaves it

    const { logger, lines } = capture();
    const srv = await startMongoWire({ dataFile: crashed, logger });
    const c = await client(srv.uri);
    try {
      const keys = (await c.db("app").collection("notes").find().toArray()).map((d) => d.k);
      expect(keys).toEqual(Array.from({ length: 9 }, (_, i) => `j${i}`));
      const warn = lines.find((l) => l.msg.includes("discarded a torn journal tail"));
      expect(warn).toMatchObject({ level: 40, file: journal, keptRecords: 9 });
      expect(warn?.discardedBytes).toBeGreaterThan(0);
      expect(warn?.msg).toMatch(/\d+ bytes/);
      // the tail is cut off the file: a further write and restart replays cleanly
      await c.db("app").collection("notes").insertOne({ k: "after" });
    } finally {
      await c.close(true);
    }
    const reopened = path.join(dir, "torn2", "store.bson");
    await copyCrashState(crashed, reopened);
    await srv.close();
    const again = capture();
    const srv2 = await startMongoWire({ dataFile: reopened, logger: again.logger });
    const c2 = await client(srv2.uri);
    try {
      expect(await c2.db("app").collection("notes").countDocuments()).toBe(10);
      expect(again.lines.some((l) => l.msg.includes("torn"))).toBe(false);
    } finally {
      await c2.close(true);
      await srv2.close();
    }
  });

  it("discards garbage appended after the last record (a torn header) with a log line", async () => {
    const src = path.join(dir, "garbage-src", "store.bson");
    const crashed = path.join(dir, "garbage", "store.bson");
    const abandoned = await writeAndAbandon(src, 5);
    await copyCrashState(src, crashed);
    await abandoned.close();
    const [journal] = await journalsOf(crashed);
    await appendFile(journal, Buffer.from([0x10, 0, 0]));
    const { logger, lines } = capture();
    const srv = await startMongoWire({ dataFile: crashed, logger });
    const c = await client(srv.uri);
    try {
      expect(await c.db("app").collection("notes").countDocuments()).toBe(5);
      expect(lines.find((l) => l.msg.includes("discarded a torn journal tail"))).toMatchObject({
        discardedBytes: 3,
      });
    } finally {
      await c.close(true);
      await srv.close();
    }
  });

  it("refuses a journal with a flipped byte inside a stored string that intact records follow", async () => {
    const src = path.join(dir, "jflip-src", "store.bson");
    const crashed = path.join(dir, "jflip", "store.bson");
    const abandoned = await writeAndAbandon(src, 10);
    await copyCrashState(src, crashed);
    await abandoned.close();
    const [journal] = await journalsOf(crashed);
    const buf = await readFile(journal);
    const at = buf.indexOf("journal string 3");
    buf[at + 3] ^= 0x01;
    await writeFile(journal, buf);
    const err = await startMongoWire({ dataFile: crashed }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(journal);
    expect(err?.message).toMatch(/corrupt at byte \d+ \(checksum mismatch\)/);
    // refused means untouched: the file is still there to be looked at, and the lock is not left behind
    expect((await readFile(journal)).length).toBe(buf.length);
    expect(await readdir(path.dirname(crashed))).not.toContain("store.bson.lock");
  });

  it("refuses a snapshot with a flipped byte inside a stored string, naming the file and byte offset", async () => {
    const dataFile = path.join(dir, "sflip", "store.bson");
    const srv = await startMongoWire({ dataFile });
    const c = await client(srv.uri);
    await c
      .db("app")
      .collection("notes")
      .insertMany([{ k: "a", text: "整改措施：更换门锁" }, { k: "b" }]);
    await c.close(true);
    await srv.close();
    const buf = await readFile(dataFile);
    const at = buf.indexOf(Buffer.from("更换门锁"));
    expect(at).toBeGreaterThan(0);
    buf[at + 1] ^= 0x20;
    await writeFile(dataFile, buf);
    const err = await startMongoWire({ dataFile }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(dataFile);
    expect(err?.message).toMatch(/checksum mismatch in document 0 of app\.notes at byte \d+/);
    const offset = Number(/at byte (\d+)/.exec(err!.message)![1]);
    expect(offset).toBeLessThan(at);
    expect(offset).toBeGreaterThan(at - 100);
  });

  it("refuses a truncated snapshot, naming the file and offset", async () => {
    const dataFile = path.join(dir, "struncated", "store.bson");
    const srv = await startMongoWire({ dataFile });
    const c = await client(srv.uri);
    await c.db("app").collection("notes").insertOne({ k: "a" });
    await c.close(true);
    await srv.close();
    const size = (await stat(dataFile)).size;
    await truncate(dataFile, size - 20);
    await expect(startMongoWire({ dataFile })).rejects.toThrow(
      new RegExp(`${dataFile.replace(/[.\\/]/g, "\\$&")} is corrupt.*at byte \\d+`),
    );
  });

  it("removes a temp file left by a crash during a snapshot write, with a log line", async () => {
    const dataFile = path.join(dir, "tmp", "store.bson");
    const srv0 = await startMongoWire({ dataFile });
    await srv0.close();
    const leftover = path.join(path.dirname(dataFile), ".store.bson.4242.0123456789ab.tmp");
    await writeFile(leftover, Buffer.alloc(1000, 7));
    const { logger, lines } = capture();
    const srv = await startMongoWire({ dataFile, logger });
    try {
      expect(await readdir(path.dirname(dataFile))).not.toContain(path.basename(leftover));
      expect(lines.find((l) => l.msg.includes("temp file"))).toMatchObject({
        level: 40,
        files: [path.basename(leftover)],
      });
    } finally {
      await srv.close();
    }
  });
});

describe("one writer per data file", () => {
  it("refuses a second opener in this process and in another one, naming the holder's pid", async () => {
    const dataFile = path.join(dir, "locked", "store.bson");
    const srv = await startMongoWire({ dataFile });
    try {
      const err = await startMongoWire({ dataFile }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(DataFileLockedError);
      expect(err?.message).toContain(`进程 ${process.pid}`);
      expect(err?.message).toContain(`process ${process.pid}`);
      await expect(startStoreChild(dataFile)).rejects.toThrow(`process ${process.pid}`);
    } finally {
      await srv.close();
    }
    // released on close
    const again = await startMongoWire({ dataFile });
    await again.close();
  });

  it("takes over the stale lock of a process that is gone, with a log line", async () => {
    const dataFile = path.join(dir, "stale", "store.bson");
    const dead = spawn(process.execPath, ["-e", ""]);
    const pid = dead.pid!;
    await new Promise((r) => dead.once("exit", r));
    const { mkdir } = await import("node:fs/promises");
    await mkdir(path.dirname(dataFile), { recursive: true });
    await writeFile(
      lockFile(dataFile),
      JSON.stringify({ pid, startedAt: "2026-01-01T00:00:00.000Z", host: os.hostname(), token: "x" }),
    );
    const { logger, lines } = capture();
    const srv = await startMongoWire({ dataFile, logger });
    try {
      expect(lines.find((l) => l.msg.includes("stale lock"))).toMatchObject({ level: 40, stalePid: pid });
      const held = JSON.parse(await readFile(lockFile(dataFile), "utf8")) as { pid: number };
      expect(held.pid).toBe(process.pid);
    } finally {
      await srv.close();
    }
    expect(await readdir(path.dirname(dataFile))).toEqual([]);
  });
});
