import mongoose, { type Connection } from "mongoose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { BatchedInsert } from "../../src/repositories/batched-insert";
import { uniqueName } from "../helpers/services";

/** Group commit of audit-style inserts, against the real store (or MONGODB_URI). */
let conn: Connection;
const inserts: number[] = [];
beforeAll(async () => {
  conn = await mongoose
    .createConnection(inject("mongoUri"), { dbName: uniqueName("batched"), monitorCommands: true })
    .asPromise();
  conn.getClient().on("commandStarted", (e) => {
    if (e.commandName === "insert") inserts.push((e.command.documents as unknown[]).length);
  });
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

describe("BatchedInsert", () => {
  it("sends inserts of the same event-loop turn as one insertMany and stores every document", async () => {
    const coll = conn.collection("rows");
    const w = new BatchedInsert(coll);
    inserts.length = 0;
    await Promise.all(Array.from({ length: 120 }, (_, i) => w.insert({ n: i })));
    expect(inserts).toEqual([120]);
    const stored = await coll.find({}, { projection: { _id: 0, n: 1 } }).toArray();
    expect(stored.map((d) => d.n as number).sort((a, b) => a - b)).toEqual([...Array(120).keys()]);
    // A later turn is a new batch.
    await w.insert({ n: 120 });
    expect(inserts).toEqual([120, 1]);
  });

  it("splits at the batch limit", async () => {
    const coll = conn.collection("limited");
    const w = new BatchedInsert(coll, 50);
    inserts.length = 0;
    await Promise.all(Array.from({ length: 120 }, (_, i) => w.insert({ n: i })));
    expect(inserts).toEqual([50, 50, 20]);
    expect(await coll.countDocuments()).toBe(120);
  });

  it("fails only the caller whose document was refused; the others are stored", async () => {
    const coll = conn.collection("dups");
    await coll.insertOne({ _id: "taken" as never });
    const w = new BatchedInsert(coll);
    const results = await Promise.allSettled([
      w.insert({ _id: "a" }),
      w.insert({ _id: "taken" }),
      w.insert({ _id: "b" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(((results[1] as PromiseRejectedResult).reason as { code: number }).code).toBe(11000);
    expect(await coll.countDocuments()).toBe(3);
  });

  it("rejects every caller of a batch the database did not take, and the next batch goes through", async () => {
    // A store of its own, for its fault injector.
    const store = await startMongoWire({});
    const own = await mongoose.createConnection(store.uri, { dbName: "faulty" }).asPromise();
    try {
      const coll = own.collection("rows");
      const w = new BatchedInsert(coll);
      store.faults.failNext(1, { code: 2, errmsg: "refused", commands: ["insert"] });
      const results = await Promise.allSettled([w.insert({ n: 1 }), w.insert({ n: 2 })]);
      expect(results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "ok"))).toEqual([
        "refused",
        "refused",
      ]);
      await w.insert({ n: 3 });
      expect(await coll.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ n: 3 }]);
    } finally {
      await own.close();
      await store.close();
    }
  });
});
