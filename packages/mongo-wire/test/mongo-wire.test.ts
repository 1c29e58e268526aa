import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import mongoose, { Schema, type Connection } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMongoWire, type MongoWireServer } from "../src/index";
import { Store } from "../src/storage";

/** The embedded MongoDB-wire server driven through a real mongoose connection. */

// The driver's own bson classes (the ESM `bson` build is a different class identity).
const { BSON, Binary, Decimal128, Long, ObjectId } = mongoose.mongo;
type ObjectId = mongoose.Types.ObjectId;

function connect(uri: string, dbName: string): Promise<Connection> {
  return mongoose
    .createConnection(uri, { dbName, serverSelectionTimeoutMS: 5000, monitorCommands: true, maxPoolSize: 20 })
    .asPromise();
}

interface ServerErrorLike {
  code?: number;
  message: string;
  keyValue?: Record<string, unknown>;
  keyPattern?: Record<string, unknown>;
  writeErrors?: Array<{ index: number; code: number }>;
  insertedDocs?: unknown[];
  result?: { insertedCount?: number };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rejection(p: Promise<unknown>): Promise<ServerErrorLike> {
  try {
    await p;
  } catch (err) {
    return err as ServerErrorLike;
  }
  throw new Error("expected the operation to fail");
}

const personSchema = new Schema({
  name: { type: String, required: true, unique: true },
  age: Number,
  tags: [String],
  team: { type: Schema.Types.ObjectId, ref: "Team" },
  born: Date,
});
const teamSchema = new Schema({ name: String });
const membershipSchema = new Schema({ org: String, user: String, role: String });
membershipSchema.index({ org: 1, user: 1 }, { unique: true });
const taskSchema = new Schema({
  title: String,
  state: { type: String, default: "open" },
  owner: String,
  version: { type: Number, default: 0 },
});
const counterSchema = new Schema({ key: { type: String, unique: true }, seq: Number, createdAt: Date });

describe("mongo-wire with mongoose", () => {
  let srv: MongoWireServer;
  let conn: Connection;
  const commands: string[] = [];
  let Person: mongoose.Model<mongoose.InferSchemaType<typeof personSchema>>;
  let Team: mongoose.Model<mongoose.InferSchemaType<typeof teamSchema>>;
  let Membership: mongoose.Model<mongoose.InferSchemaType<typeof membershipSchema>>;
  let Task: mongoose.Model<mongoose.InferSchemaType<typeof taskSchema>>;
  let Counter: mongoose.Model<mongoose.InferSchemaType<typeof counterSchema>>;

  beforeAll(async () => {
    srv = await startMongoWire();
    conn = await connect(srv.uri, "mwtest");
    conn.getClient().on("commandStarted", (e: { commandName: string }) => commands.push(e.commandName));
    Person = conn.model("Person", personSchema);
    Team = conn.model("Team", teamSchema);
    Membership = conn.model("Membership", membershipSchema);
    Task = conn.model("Task", taskSchema);
    Counter = conn.model("Counter", counterSchema);
    await Promise.all([Person.init(), Team.init(), Membership.init(), Task.init(), Counter.init()]);
  });

  afterAll(async () => {
    await conn?.close();
    await srv?.close();
  });

  it("reports a standalone, writable modern server", async () => {
    const hello = await conn.db!.admin().command({ hello: 1 });
    expect(hello).toMatchObject({
      isWritablePrimary: true,
      helloOk: true,
      maxWireVersion: 21,
      minWireVersion: 0,
      logicalSessionTimeoutMinutes: 30,
      ok: 1,
    });
    expect(hello.setName).toBeUndefined();
    expect(hello.localTime).toBeInstanceOf(Date);
    const unknown = await rejection(conn.db!.command({ frobnicate: 1 }));
    expect(unknown.code).toBe(59);
    expect(unknown.message).toBe("no such command: 'frobnicate'");
  });

  it("creates, finds with sort/skip/limit/projection, updates and deletes", async () => {
    const team = await Team.create({ name: "core" });
    await Person.create([
      { name: "ann", age: 31, tags: ["a"], team: team._id },
      { name: "bob", age: 25, tags: [] },
      { name: "cid", age: 40, tags: ["b"] },
      { name: "dee", age: 19 },
      { name: "eve", age: 35 },
    ]);
    const page = await Person.find({ age: { $gte: 20 } })
      .sort({ age: -1 })
      .skip(1)
      .limit(2)
      .select({ name: 1, _id: 0 })
      .lean();
    expect(page).toEqual([{ name: "eve" }, { name: "ann" }]);

    const ann = await Person.findOne({ name: "ann" }).lean();
    expect(ann?.age).toBe(31);
    expect(ann?._id).toBeInstanceOf(ObjectId);

    await Person.updateOne({ name: "ann" }, { $set: { age: 32 }, $inc: { __v: 1 }, $push: { tags: "c" } });
    await Person.updateOne({ name: "ann" }, { $addToSet: { tags: { $each: ["a", "d"] } } });
    await Person.updateOne({ name: "ann" }, { $pull: { tags: "c" } });
    const raw = await conn.db!.collection("people").findOne({ name: "ann" });
    expect(raw).toMatchObject({ name: "ann", age: 32, tags: ["a", "d"], __v: 1 });
    expect(Object.keys(raw!)[0]).toBe("_id");

    const many = await Person.updateMany({ age: { $lt: 30 } }, { $inc: { age: 100 } });
    expect(many).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect((await Person.findOne({ name: "dee" }).lean())?.age).toBe(119);

    const del = await Person.deleteMany({ age: { $gt: 100 } });
    expect(del.deletedCount).toBe(2);
    expect((await Person.find().sort({ name: 1 }).lean()).map((p) => p.name)).toEqual(["ann", "cid", "eve"]);
    expect((await Person.deleteOne({ name: "nobody" })).deletedCount).toBe(0);
  });

  it("upserts with $setOnInsert (only on insert)", async () => {
    const first = await Counter.updateOne(
      { key: "orders" },
      { $inc: { seq: 1 }, $setOnInsert: { createdAt: new Date("2024-01-02T03:04:05Z") } },
      { upsert: true },
    );
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).toBeInstanceOf(ObjectId);
    const second = await Counter.updateOne(
      { key: "orders" },
      { $inc: { seq: 1 }, $setOnInsert: { createdAt: new Date(0) } },
      { upsert: true },
    );
    expect(second).toMatchObject({ upsertedCount: 0, matchedCount: 1, modifiedCount: 1 });
    const stored = await Counter.findOne({ key: "orders" }).lean();
    expect(stored).toMatchObject({ key: "orders", seq: 2, createdAt: new Date("2024-01-02T03:04:05Z") });

    const viaFam = await Counter.findOneAndUpdate(
      { key: "invoices" },
      { $inc: { seq: 5 }, $setOnInsert: { createdAt: new Date(1000) } },
      { upsert: true, returnDocument: "after" },
    ).lean();
    expect(viaFam).toMatchObject({ key: "invoices", seq: 5, createdAt: new Date(1000) });
    const before = await Counter.findOneAndUpdate(
      { key: "invoices" },
      { $inc: { seq: 1 } },
      { returnDocument: "before" },
    ).lean();
    expect(before?.seq).toBe(5);
    expect((await Counter.findOne({ key: "invoices" }).lean())?.seq).toBe(6);
  });

  it("applies positional, arrayFilters, pipeline, replacement and unacknowledged updates", async () => {
    type Shape = {
      _id: string;
      items?: Array<{ k: number; q: number }>;
      n?: number;
      doubled?: number;
      only?: boolean;
      a?: number;
    };
    const coll = conn.db!.collection<Shape>("shapes");
    await coll.insertOne({
      _id: "s1",
      items: [
        { k: 1, q: 1 },
        { k: 2, q: 2 },
      ],
      n: 5,
    });
    await coll.updateOne({ _id: "s1", "items.k": 2 }, { $set: { "items.$.q": 20 } });
    await coll.updateOne(
      { _id: "s1" },
      { $inc: { "items.$[e].q": 100 } } as mongoose.mongo.UpdateFilter<Shape>,
      { arrayFilters: [{ "e.k": 1 }] },
    );
    await coll.updateOne({ _id: "s1" }, [{ $set: { doubled: { $multiply: ["$n", 2] } } }]);
    expect(await coll.findOne({ _id: "s1" })).toEqual({
      _id: "s1",
      items: [
        { k: 1, q: 101 },
        { k: 2, q: 20 },
      ],
      n: 5,
      doubled: 10,
    });
    await coll.replaceOne({ _id: "s1" }, { only: true });
    expect(await coll.findOne({ _id: "s1" })).toEqual({ _id: "s1", only: true });
    expect((await rejection(coll.updateOne({ _id: "s1" }, { $set: { _id: "s2" } }))).code).toBe(66);
    expect(
      (
        await rejection(
          coll.updateOne({ _id: "s1" }, {
            $inc: { only: 1 },
          } as unknown as mongoose.mongo.UpdateFilter<Shape>),
        )
      ).code,
    ).toBe(14);
    expect((await rejection(coll.updateOne({ _id: "s1" }, { $set: { a: 1 }, $unset: { a: "" } }))).code).toBe(
      40,
    );
    expect(await coll.findOne({ _id: "s1" })).toEqual({ _id: "s1", only: true });
    // w:0 -> OP_MSG with moreToCome, no reply; the write still happens
    await coll.insertOne({ _id: "w0" }, { writeConcern: { w: 0 } });
    await eventually(async () => (await coll.countDocuments({ _id: "w0" })) === 1);
  });

  it("findOneAndUpdate with a conditional filter acts as an atomic state transition", async () => {
    const t = await Task.create({ title: "inspect" });
    const claims = await Promise.all(
      ["u1", "u2", "u3", "u4"].map((owner) =>
        Task.findOneAndUpdate(
          { _id: t._id, state: "open" },
          { $set: { state: "claimed", owner }, $inc: { version: 1 } },
          { returnDocument: "after" },
        ).lean(),
      ),
    );
    const winners = claims.filter((c) => c !== null);
    expect(winners).toHaveLength(1);
    const stored = await Task.findById(t._id).lean();
    expect(stored).toMatchObject({ state: "claimed", owner: winners[0]!.owner, version: 1 });
    const again = await Task.findOneAndUpdate(
      { _id: t._id, state: "open" },
      { $set: { state: "claimed" } },
    ).lean();
    expect(again).toBeNull();
    const removed = await Task.findOneAndDelete({ _id: t._id, state: "claimed" }).lean();
    expect(removed?.title).toBe("inspect");
    expect(await Task.countDocuments()).toBe(0);
  });

  it("enforces unique indexes on insert, update and compound keys", async () => {
    await Person.create({ name: "zed", age: 1 });
    const dupInsert = await rejection(Person.create({ name: "zed", age: 2 }));
    expect(dupInsert.code).toBe(11000);
    expect(dupInsert.message).toMatch(
      /^E11000 duplicate key error collection: mwtest\.people index: name_1 dup key: \{ name: "zed" \}/,
    );
    expect(dupInsert.keyValue).toEqual({ name: "zed" });
    expect(dupInsert.keyPattern).toEqual({ name: 1 });

    await Person.create({ name: "yan", age: 3 });
    const dupUpdate = await rejection(Person.updateOne({ name: "yan" }, { $set: { name: "zed" } }));
    expect(dupUpdate.code).toBe(11000);
    expect(dupUpdate.message).toMatch(/^E11000/);
    const dupFam = await rejection(Person.findOneAndUpdate({ name: "yan" }, { $set: { name: "zed" } }));
    expect(dupFam.code).toBe(11000);
    expect((await Person.findOne({ name: "yan" }).lean())?.age).toBe(3);
    expect(await Person.countDocuments({ name: "zed" })).toBe(1);

    await Membership.create({ org: "o1", user: "u1", role: "admin" });
    await Membership.create({ org: "o1", user: "u2" });
    await Membership.create({ org: "o2", user: "u1" });
    const dupCompound = await rejection(Membership.create({ org: "o1", user: "u1" }));
    expect(dupCompound.code).toBe(11000);
    expect(dupCompound.message).toContain('index: org_1_user_1 dup key: { org: "o1", user: "u1" }');
    expect(dupCompound.keyValue).toEqual({ org: "o1", user: "u1" });
    const dupUpsert = await rejection(
      Membership.updateOne({ org: "o1", user: "u9" }, { $set: { user: "u2" } }, { upsert: true }),
    );
    expect(dupUpsert.code).toBe(11000);
    expect(await Membership.countDocuments()).toBe(3);
  });

  it("insertMany reports writeErrors: unordered continues, ordered stops", async () => {
    await Membership.create({ org: "bulk", user: "taken" });
    const docs = [
      { org: "bulk", user: "a" },
      { org: "bulk", user: "taken" },
      { org: "bulk", user: "b" },
      { org: "bulk", user: "a" },
      { org: "bulk", user: "c" },
    ];
    const unordered = await rejection(Membership.insertMany(docs, { ordered: false }));
    expect(unordered.code).toBe(11000);
    expect(unordered.writeErrors?.map((e) => e.index)).toEqual([1, 3]);
    expect((await Membership.find({ org: "bulk" }).sort({ user: 1 }).lean()).map((m) => m.user)).toEqual([
      "a",
      "b",
      "c",
      "taken",
    ]);

    const ordered = await rejection(
      Membership.insertMany(
        [
          { org: "bulk2", user: "x" },
          { org: "bulk2", user: "x" },
          { org: "bulk2", user: "y" },
        ],
        { ordered: true },
      ),
    );
    expect(ordered.code).toBe(11000);
    expect((await Membership.find({ org: "bulk2" }).lean()).map((m) => m.user)).toEqual(["x"]);
  });

  it("syncs, creates, lists and drops indexes", async () => {
    const schema = new Schema({ a: Number, b: String, email: String });
    schema.index({ a: 1, b: -1 });
    schema.index({ email: 1 }, { unique: true, sparse: true });
    const Indexed = conn.model("Indexed", schema);
    await Indexed.syncIndexes();
    const coll = conn.db!.collection("indexeds");
    await coll.createIndex({ stale: 1 });
    const dropped = await Indexed.syncIndexes();
    expect(dropped).toEqual(["stale_1"]);
    const list = await coll.listIndexes().toArray();
    expect(list.map((i) => i.name).sort()).toEqual(["_id_", "a_1_b_-1", "email_1"]);
    expect(list.find((i) => i.name === "email_1")).toMatchObject({
      key: { email: 1 },
      unique: true,
      sparse: true,
    });
    expect(await Indexed.syncIndexes()).toEqual([]);
    // same spec again is a no-op; sparse unique allows many docs without the field
    expect(await coll.createIndex({ email: 1 }, { unique: true, sparse: true })).toBe("email_1");
    await Indexed.create([{ a: 1 }, { a: 2 }, { a: 3, email: "x@y" }]);
    expect((await rejection(Indexed.create({ a: 4, email: "x@y" }))).code).toBe(11000);
    // unique index over existing duplicates fails
    await Indexed.create({ a: 1 });
    const failed = await rejection(coll.createIndex({ a: 1 }, { unique: true, name: "a_unique" }));
    expect(failed.code).toBe(11000);
    expect(failed.message).toMatch(
      /^E11000 duplicate key error collection: mwtest\.indexeds index: a_unique dup key: \{ a: 1 \}/,
    );
    const noDup = await rejection(coll.createIndex({ b: 1 }, { unique: true }));
    expect(noDup.code).toBe(11000); // missing b counts as null, twice
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).not.toContain("a_unique");
    await coll.dropIndex("a_1_b_-1");
    expect((await coll.listIndexes().toArray()).map((i) => i.name).sort()).toEqual(["_id_", "email_1"]);
    expect((await rejection(coll.dropIndex("_id_"))).code).toBe(72);
    expect((await rejection(conn.db!.collection("nope").listIndexes().toArray())).code).toBe(26);
  });

  it("runs aggregation pipelines ($match, $group, $lookup, $unwind, $sort, $project, $count, $facet)", async () => {
    const Customer = conn.model("Customer", new Schema({ name: String, city: String }));
    const Order = conn.model(
      "Order",
      new Schema({ customer: Schema.Types.ObjectId, amount: Number, status: String }),
    );
    const [c1, c2, c3] = await Customer.create([
      { name: "Acme", city: "SH" },
      { name: "Beta", city: "BJ" },
      { name: "Gamma", city: "SH" },
    ]);
    await Order.create([
      { customer: c1._id, amount: 10, status: "paid" },
      { customer: c1._id, amount: 15, status: "paid" },
      { customer: c2._id, amount: 7, status: "paid" },
      { customer: c2._id, amount: 100, status: "void" },
      { customer: c3._id, amount: 1, status: "open" },
    ]);
    const totals = await Order.aggregate<{ _id: ObjectId; total: number; n: number }>([
      { $match: { status: "paid" } },
      { $group: { _id: "$customer", total: { $sum: "$amount" }, n: { $sum: 1 } } },
      { $sort: { total: -1 } },
    ]);
    expect(totals.map((t) => [String(t._id), t.total, t.n])).toEqual([
      [String(c1._id), 25, 2],
      [String(c2._id), 7, 1],
    ]);
    expect(totals[0]._id).toBeInstanceOf(ObjectId);

    const joined = await Order.aggregate([
      { $match: { amount: { $gte: 7 } } },
      { $lookup: { from: "customers", localField: "customer", foreignField: "_id", as: "cust" } },
      { $unwind: "$cust" },
      { $project: { _id: 0, amount: 1, name: "$cust.name" } },
      { $sort: { amount: 1 } },
    ]);
    expect(joined).toEqual([
      { amount: 7, name: "Beta" },
      { amount: 10, name: "Acme" },
      { amount: 15, name: "Acme" },
      { amount: 100, name: "Beta" },
    ]);

    const [counted] = await Order.aggregate([
      { $match: { status: { $in: ["paid", "open"] } } },
      { $count: "n" },
    ]);
    expect(counted).toEqual({ n: 4 });

    const [facets] = await Order.aggregate([
      {
        $facet: {
          byStatus: [{ $group: { _id: "$status", n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          big: [{ $match: { amount: { $gt: 12 } } }, { $count: "n" }],
        },
      },
    ]);
    expect(facets).toEqual({
      byStatus: [
        { _id: "open", n: 1 },
        { _id: "paid", n: 3 },
        { _id: "void", n: 1 },
      ],
      big: [{ n: 2 }],
    });
    // the pipeline must not have modified stored documents
    expect(await Order.countDocuments({ cust: { $exists: true } })).toBe(0);

    expect(await Order.countDocuments({ status: "paid" })).toBe(3);
    expect(
      await Order.countDocuments({ amount: { $gt: 5 } })
        .skip(1)
        .limit(2),
    ).toBe(2);
    expect(await Order.estimatedDocumentCount()).toBe(5);
    expect(await Order.distinct("status")).toEqual(["open", "paid", "void"]);
    expect(await Customer.distinct("city", { name: { $ne: "Beta" } })).toEqual(["SH"]);
    await conn.db!.collection("customers").updateOne({ name: "Acme" }, { $set: { city: ["SH", "HZ"] } });
    expect(await conn.db!.collection("customers").distinct("city")).toEqual(["BJ", "HZ", "SH"]);
  });

  it("pages a 1,000-document result through getMore", async () => {
    const Row = conn.model("Row", new Schema({ k: Number, pad: String }));
    await Row.insertMany(Array.from({ length: 1000 }, (_, k) => ({ k, pad: "x".repeat(50) })));
    commands.length = 0;
    const all = await Row.find().sort({ k: 1 }).lean();
    expect(all).toHaveLength(1000);
    expect(all.every((r, i) => r.k === i)).toBe(true);
    expect(commands.filter((c) => c === "getMore").length).toBeGreaterThanOrEqual(1);
    // ObjectId ordering (keyset pagination by _id)
    expect(await Row.countDocuments({ _id: { $gt: all[499]._id } })).toBe(500);
    const page = await Row.find({ _id: { $lt: all[10]._id } })
      .sort({ _id: -1 })
      .limit(3)
      .lean();
    expect(page.map((r) => r.k)).toEqual([9, 8, 7]);

    commands.length = 0;
    let seen = 0;
    for await (const row of Row.find({ k: { $gte: 100 } })
      .sort({ k: -1 })
      .batchSize(100)
      .lean()
      .cursor()) {
      expect(row.k).toBe(999 - seen);
      seen++;
    }
    expect(seen).toBe(900);
    expect(commands.filter((c) => c === "getMore").length).toBe(8); // 100 + 8 x 100, last batch closes the cursor

    // an abandoned cursor is killed, after which getMore on it fails
    const cursor = conn.db!.collection("rows").find({}, { batchSize: 10 });
    await cursor.next();
    const id = cursor.id!;
    await cursor.close();
    const gone = await rejection(conn.db!.command({ getMore: id, collection: "rows" }));
    expect(gone.code).toBe(43);
  });

  it("round-trips BSON types and queries by ObjectId", async () => {
    const coll = conn.db!.collection("types");
    const ref = new ObjectId();
    const when = new Date("2023-05-06T07:08:09.123Z");
    const { insertedId } = await coll.insertOne({
      ref,
      refs: [ref, new ObjectId()],
      when,
      dec: Decimal128.fromString("12.3400"),
      big: Long.fromString("9007199254740993"),
      small: Long.fromNumber(7),
      bin: new Binary(Buffer.from([1, 2, 3])),
      nested: { at: when, list: [{ id: ref }] },
    });
    const raw = await coll.findOne({ _id: insertedId }, { promoteLongs: false });
    expect(raw!.ref).toBeInstanceOf(ObjectId);
    expect(raw!.ref.equals(ref)).toBe(true);
    expect(raw!.when).toEqual(when);
    expect(raw!.dec).toBeInstanceOf(Decimal128);
    expect(raw!.dec.toString()).toBe("12.3400");
    expect(raw!.big).toBeInstanceOf(Long);
    expect(raw!.big.toString()).toBe("9007199254740993");
    expect(raw!.small).toBeInstanceOf(Long);
    expect(Buffer.from(raw!.bin.buffer)).toEqual(Buffer.from([1, 2, 3]));
    expect(raw!.nested.at).toEqual(when);

    const byRef = new ObjectId(ref.toHexString());
    expect(await coll.countDocuments({ ref: byRef })).toBe(1);
    expect(await coll.countDocuments({ refs: byRef })).toBe(1);
    expect(await coll.countDocuments({ "nested.list.id": byRef })).toBe(1);
    expect(await coll.countDocuments({ ref: { $in: [new ObjectId(), byRef] } })).toBe(1);
    expect(
      await coll.countDocuments({
        ref: { $type: "objectId" },
        big: { $type: "long" },
        dec: { $type: "decimal" },
      }),
    ).toBe(1);
    expect(
      await coll.countDocuments({ when: { $gt: new Date("2023-01-01"), $lt: new Date("2024-01-01") } }),
    ).toBe(1);
    expect(await coll.countDocuments({ when: { $gt: new Date("2024-01-01") } })).toBe(0);
    expect(await coll.countDocuments({ _id: { $in: [insertedId] } })).toBe(1);
    expect(await coll.countDocuments({ _id: { $ne: insertedId } })).toBe(0);

    const team = await Team.create({ name: "ops" });
    await Person.create({ name: "refd", team: team._id, born: when });
    const found = await Person.findOne({ team: team._id })
      .populate<{ team: { name: string } }>("team")
      .lean();
    expect(found?.team.name).toBe("ops");
    expect(found?.born).toEqual(when);
    expect(await Person.countDocuments({ team: { $in: [team._id] } })).toBe(1);
    expect((await Person.findById(String(found!._id)).lean())?.name).toBe("refd");
  });

  it("rejects transactions like a standalone server (IllegalOperation)", async () => {
    const session = await conn.startSession();
    try {
      session.startTransaction();
      const read = await rejection(Team.findOne({ name: "core" }).session(session).lean());
      expect(read.code).toBe(20);
      await session.abortTransaction().catch(() => undefined);
      // for writes the driver rewrites code 20 into its "does not support retryable writes" error
      const write = await rejection(
        session.withTransaction(() => Team.create([{ name: "tx" }], { session })),
      );
      expect(write.message).toMatch(/does not support retryable writes/);
    } finally {
      await session.endSession();
    }
    expect(await Team.countDocuments({ name: "tx" })).toBe(0);
  });

  it("injects failures and delays", async () => {
    // (a non-retryable code: the driver would transparently retry reads on e.g. 91/11600)
    srv.faults.failNext(1, { code: 8000, errmsg: "boom" });
    const failed = await rejection(Team.findOne({ name: "core" }).lean());
    expect(failed.code).toBe(8000);
    expect(failed.message).toBe("boom");
    expect((await Team.findOne({ name: "core" }).lean())?.name).toBe("core");

    srv.faults.failNext(1, { commands: ["insert"] });
    expect((await Team.findOne({ name: "core" }).lean())?.name).toBe("core");
    const failedInsert = await rejection(Team.create({ name: "never" }));
    expect(failedInsert.code).toBe(1);
    expect(failedInsert.message).toBe("injected fault");
    expect(await Team.countDocuments({ name: "never" })).toBe(0);

    srv.faults.delayNext(1, 300);
    const t0 = Date.now();
    await Team.findOne({ name: "core" }).lean();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    const t1 = Date.now();
    await Team.findOne({ name: "core" }).lean();
    expect(Date.now() - t1).toBeLessThan(250);

    srv.faults.failNext(5);
    srv.faults.clear();
    expect(await Team.countDocuments({ name: "core" })).toBe(1);
  });

  it("survives malformed wire messages", async () => {
    // garbage: absurd length -> the server drops that socket
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(srv.port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      s.on("close", () => resolve(true));
      s.on("error", () => undefined);
      setTimeout(() => resolve(false), 2000);
    });
    expect(closed).toBe(true);

    // a well-framed OP_MSG whose body is not BSON -> an error reply on the same socket
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const body = Buffer.from([0x30, 0, 0, 0, 0xff, 0xee, 0xdd, 0xcc]);
      const msg = Buffer.alloc(16 + 4 + 1 + body.length);
      msg.writeInt32LE(msg.length, 0);
      msg.writeInt32LE(42, 4);
      msg.writeInt32LE(0, 8);
      msg.writeInt32LE(2013, 12);
      msg.writeUInt32LE(0, 16);
      msg.writeUInt8(0, 20);
      body.copy(msg, 21);
      const s = net.connect(srv.port, "127.0.0.1", () => s.write(msg));
      let buf = Buffer.alloc(0);
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 4 && buf.length >= buf.readInt32LE(0)) {
          expect(buf.readInt32LE(8)).toBe(42);
          expect(buf.readInt32LE(12)).toBe(2013);
          resolve(BSON.deserialize(buf.subarray(21)));
          s.destroy();
        }
      });
      s.on("error", reject);
    });
    expect(reply.ok).toBe(0);
    expect(String(reply.errmsg)).toMatch(/malformed OP_MSG/);

    expect((await Team.findOne({ name: "core" }).lean())?.name).toBe("core");
  });

  it("stays fast: 5,000 inserts and 5,000 findOne by unique key", async () => {
    const Fast = conn.model("Fast", new Schema({ key: { type: String, unique: true }, n: Number }));
    await Fast.init();
    const t0 = Date.now();
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    const inParallel = async (fn: (k: string, i: number) => Promise<unknown>) => {
      for (let i = 0; i < keys.length; i += 50)
        await Promise.all(keys.slice(i, i + 50).map((k, j) => fn(k, i + j)));
    };
    await inParallel((key, n) => Fast.create({ key, n }));
    let hits = 0;
    await inParallel(async (key, n) => {
      const d = await Fast.findOne({ key }).lean();
      if (d?.n === n) hits++;
    });
    const ms = Date.now() - t0;
    expect(hits).toBe(5000);
    expect(ms).toBeLessThan(8000);

    const t1 = Date.now();
    await conn.db!.collection("bulk").createIndex({ u: 1 }, { unique: true });
    await conn.db!.collection("bulk").insertMany(Array.from({ length: 10_000 }, (_, u) => ({ u })));
    expect(await conn.db!.collection("bulk").countDocuments({ u: { $gte: 5000 } })).toBe(5000);
    expect(Date.now() - t1).toBeLessThan(3000);
  });
});

describe("mongo-wire storage", () => {
  it("answers equality filters from hash indexes instead of scanning", () => {
    const store = new Store();
    const [coll] = store.ensureCollection("db", "c");
    coll.createIndex({ key: { email: 1 }, name: "email_1", unique: true });
    coll.createIndex({ key: { org: 1, user: 1 }, name: "org_1_user_1" });
    const t0 = Date.now();
    for (let i = 0; i < 20_000; i++)
      coll.insert({ _id: i, email: `e${i}`, org: `o${i % 10}`, user: `u${i}`, tags: [`t${i % 3}`] });
    expect([...coll.candidates({ email: "e123" })].map((d) => d._id)).toEqual([123]);
    expect([...coll.candidates({ email: { $eq: "e7" }, other: 1 })].map((d) => d._id)).toEqual([7]);
    expect([...coll.candidates({ org: "o3", user: "u13" })].map((d) => d._id)).toEqual([13]);
    expect([...coll.candidates({ _id: { $in: [5, 6, 999_999] } })].map((d) => d._id)).toEqual([5, 6]);
    expect([...coll.candidates({ email: "nope" })]).toEqual([]);
    expect([...coll.candidates({ email: /e1/ })]).toHaveLength(20_000); // not an equality: full scan
    for (let i = 0; i < 20_000; i++) expect([...coll.candidates({ email: `e${i}` })]).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(3000);
    // unique maintenance on update and delete
    const d5 = [...coll.candidates({ _id: 5 })][0];
    expect(() => coll.replace(d5, { ...d5, email: "e6" })).toThrow(
      /E11000 duplicate key error collection: db\.c index: email_1 dup key: \{ email: "e6" \}/,
    );
    coll.replace(d5, { ...d5, email: "moved" });
    expect([...coll.candidates({ email: "e5" })]).toEqual([]);
    coll.remove([...coll.candidates({ _id: 6 })][0]);
    coll.insert({ _id: "x", email: "e6" });
    expect([...coll.candidates({ email: "e6" })].map((d) => d._id)).toEqual(["x"]);
  });
});

describe("mongo-wire persistence", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "mongo-wire-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps data and unique indexes across a restart, writing atomically", async () => {
    const dataFile = path.join(dir, "nested", "store.bson");
    const schema = new Schema({
      email: { type: String, unique: true },
      at: Date,
      ref: Schema.Types.ObjectId,
    });
    const ref = new ObjectId();

    const srv1 = await startMongoWire({ dataFile });
    const c1 = await connect(srv1.uri, "persist");
    const A = c1.model("Account", schema);
    await A.init();
    await A.create([
      { email: "a@x", at: new Date(5), ref },
      { email: "b@x", at: new Date(6) },
    ]);
    await A.updateOne({ email: "b@x" }, { $set: { at: new Date(7) } });
    await c1.close();
    await srv1.close();
    expect(await readdir(path.dirname(dataFile))).toEqual(["store.bson"]);

    const srv2 = await startMongoWire({ dataFile });
    const c2 = await connect(srv2.uri, "persist");
    try {
      const B = c2.model("Account", schema);
      const docs = await B.find().sort({ email: 1 }).lean();
      expect(docs.map((d) => [d.email, d.at?.getTime()])).toEqual([
        ["a@x", 5],
        ["b@x", 7],
      ]);
      expect(docs[0].ref).toBeInstanceOf(ObjectId);
      expect(String(docs[0].ref)).toBe(String(ref));
      const dup = await rejection(B.create({ email: "a@x" }));
      expect(dup.code).toBe(11000);
      const idx = await c2.db!.collection("accounts").listIndexes().toArray();
      expect(idx.map((i) => i.name).sort()).toEqual(["_id_", "email_1"]);

      // explicit flush: a snapshot, the journal compacted away, the lock held while running
      await B.create({ email: "c@x" });
      await srv2.flush();
      expect(await readdir(path.dirname(dataFile))).toEqual(["store.bson", "store.bson.lock"]);
    } finally {
      await c2.close();
      await srv2.close();
    }
    const srv3 = await startMongoWire({ dataFile });
    const c3 = await connect(srv3.uri, "persist");
    try {
      expect(await c3.db!.collection("accounts").countDocuments()).toBe(3);
    } finally {
      await c3.close();
      await srv3.close();
    }
  });

  it("answers commands while a large snapshot is encoded, and the snapshot holds the state of its moment", async () => {
    const dataFile = path.join(dir, "large.bson");
    const srv = await startMongoWire({ dataFile, snapshotAfterJournalBytes: 1 << 30 });
    const c = await connect(srv.uri, "large");
    const things = c.db!.collection("things");
    const N = 80_000;
    try {
      for (let i = 0; i < N; i += 10_000)
        await things.insertMany(
          Array.from({ length: 10_000 }, (_, j) => ({
            i: i + j,
            text: `整改措施 ${i + j}：`.padEnd(60, "述"),
            tags: ["a", "b", "c"],
            at: new Date(i + j),
          })),
        );
      // While the snapshot is written, one write after the other, each timed.
      let done = false;
      const t0 = performance.now();
      const flushed = srv.flush().then(() => (done = true));
      const waits: number[] = [];
      let n = 0;
      while (!done) {
        const t0 = performance.now();
        await things.updateOne({ i: n }, { $set: { text: "during" } });
        await things.insertOne({ i: N + n, text: "during" });
        waits.push(performance.now() - t0);
        n++;
      }
      await flushed;
      const flushMs = performance.now() - t0;
      // Encoded in one piece, 80,000 documents held these writes for most of the snapshot's time
      // (250–450 ms of 300–550 here); in slices no write waits more than a fraction of it.
      expect(n).toBeGreaterThanOrEqual(5);
      expect(Math.max(...waits)).toBeLessThan(flushMs / 3);
      await c.close();
      await srv.close();
      const again = await startMongoWire({ dataFile });
      const c2 = await connect(again.uri, "large");
      try {
        const t = c2.db!.collection("things");
        expect(await t.countDocuments()).toBe(N + n);
        expect(await t.countDocuments({ text: "during" })).toBe(2 * n);
        expect((await t.findOne({ i: N - 1 }))?.text).toMatch(/^整改措施 79999/);
      } finally {
        await c2.close();
        await again.close();
      }
    } finally {
      await c.close().catch(() => undefined);
      await srv.close();
    }
  }, 60_000);

  it("has an acknowledged write in the journal on disk before the reply arrives", async () => {
    const dataFile = path.join(dir, "journaled.bson");
    const srv = await startMongoWire({ dataFile });
    const c = await connect(srv.uri, "deb");
    try {
      await c.db!.collection("things").insertOne({ x: "written-before-the-reply" });
      const journals = (await readdir(dir)).filter((n) => n.startsWith("journaled.bson.journal."));
      expect(journals).toHaveLength(1);
      expect((await readFile(path.join(dir, journals[0]))).includes("written-before-the-reply")).toBe(true);
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it("enforces TTL indexes", async () => {
    const srv = await startMongoWire({ ttlMonitorIntervalMs: 50 });
    const c = await connect(srv.uri, "ttl");
    try {
      const coll = c.db!.collection("sessions");
      await coll.createIndex({ at: 1 }, { expireAfterSeconds: 2 });
      await coll.insertMany([
        { k: "old", at: new Date(Date.now() - 5000) },
        { k: "fresh", at: new Date() },
        { k: "not-a-date", at: "yesterday" },
      ]);
      await eventually(async () => (await coll.countDocuments()) === 2);
      expect((await coll.find().sort({ k: 1 }).toArray()).map((d) => d.k)).toEqual(["fresh", "not-a-date"]);
    } finally {
      await c.close();
      await srv.close();
    }
  });

  it("refuses to start on a corrupt data file, naming it", async () => {
    const dataFile = path.join(dir, "corrupt.bson");
    await writeFile(dataFile, Buffer.from("this is not bson at all"));
    await expect(startMongoWire({ dataFile })).rejects.toThrow(dataFile);
  });
});
