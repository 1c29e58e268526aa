/**
 * Snapshot file: a sequence of BSON documents —
 *   { format: "mongo-wire", version: 1, savedAt }
 *   per collection: { t: "coll", db, name, options, uuid, indexes: [specs], count } followed by `count` documents
 *   { t: "end", collections, documents }
 * Written atomically (temp file in the same directory, fsync, rename).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { UUID } from "bson";
import type { Logger } from "pino";
import { Store } from "./storage";
import type { Doc } from "./types";
import { deserialize, isPlainObject, serialize } from "./values";

const FORMAT = "mongo-wire";
const VERSION = 1;
const WRITE_CHUNK = 4 * 1024 * 1024;

export function encodeSnapshot(store: Store): Uint8Array[] {
  const out: Uint8Array[] = [serialize({ format: FORMAT, version: VERSION, savedAt: new Date() })];
  let collections = 0;
  let documents = 0;
  for (const db of store.dbs.values()) {
    for (const c of db.collections.values()) {
      collections++;
      out.push(
        serialize({
          t: "coll",
          db: db.name,
          name: c.name,
          options: c.options,
          uuid: c.uuid,
          indexes: c.indexSpecs().slice(1),
          count: c.docs.size,
        }),
      );
      for (const d of c.docs.values()) {
        out.push(serialize(d));
        documents++;
      }
    }
  }
  out.push(serialize({ t: "end", collections, documents }));
  return out;
}

export function decodeSnapshot(buf: Buffer): Store {
  const store = new Store();
  let offset = 0;
  const next = (what: string): Doc => {
    if (offset + 4 > buf.length) throw new Error(`unexpected end of file reading ${what} at byte ${offset}`);
    const size = buf.readInt32LE(offset);
    if (size < 5 || offset + size > buf.length)
      throw new Error(`invalid BSON length ${size} for ${what} at byte ${offset}`);
    const doc = deserialize(buf.subarray(offset, offset + size));
    offset += size;
    return doc;
  };
  const header = next("header");
  if (header.format !== FORMAT || header.version !== VERSION)
    throw new Error("not a mongo-wire data file (bad header)");
  for (;;) {
    const rec = next("record");
    if (rec.t === "end") {
      if (offset !== buf.length) throw new Error(`trailing bytes after end record at byte ${offset}`);
      return store;
    }
    if (rec.t !== "coll" || typeof rec.db !== "string" || typeof rec.name !== "string") {
      throw new Error(`unexpected record at byte ${offset}`);
    }
    const [coll] = store.ensureCollection(rec.db, rec.name, isPlainObject(rec.options) ? rec.options : {});
    if (rec.uuid instanceof UUID) coll.uuid = rec.uuid;
    for (const spec of Array.isArray(rec.indexes) ? rec.indexes : []) coll.createIndex(spec as Doc);
    const count = Number(rec.count);
    for (let i = 0; i < count; i++) coll.insert(next(`document ${i} of ${rec.db}.${rec.name}`));
  }
}

/** Loads a data file; a missing file gives an empty store, anything unreadable a clear error. */
export async function loadDataFile(file: string): Promise<Store> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Store();
    throw new Error(`mongo-wire: cannot read data file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return decodeSnapshot(buf);
  } catch (err) {
    throw new Error(`mongo-wire: data file ${file} is corrupt or unreadable: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Writes chunks to `file` atomically: temp file in the same directory, fsync, rename, fsync dir. */
export async function writeFileAtomic(file: string, chunks: Uint8Array[]): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "w", 0o644);
  try {
    try {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const drain = async () => {
        if (!pendingBytes) return;
        await fh.write(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      for (const c of chunks) {
        pending.push(c);
        pendingBytes += c.length;
        if (pendingBytes >= WRITE_CHUNK) await drain();
      }
      await drain();
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // directory fsync is best effort (not supported everywhere)
  }
}

/** Debounced snapshot writer. */
export class Persister {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWriteMs = 0;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly file: string | undefined,
    private readonly logger: Logger,
    private readonly debounceMs = 200,
  ) {}

  markDirty(): void {
    if (!this.file || this.closed) return;
    this.dirty = true;
    if (this.timer) return;
    // with big data sets a snapshot takes a while: never spend more than ~20% of the time writing them
    const delay = Math.max(this.debounceMs, this.lastWriteMs * 4);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) =>
        this.logger.error({ err, file: this.file }, "mongo-wire: snapshot write failed"),
      );
    }, delay);
  }

  flush(): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = this.writing.catch(() => undefined).then(() => this.writeIfDirty());
    this.writing = run;
    return run;
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty || !this.file) return;
    this.dirty = false;
    const started = Date.now();
    try {
      const chunks = encodeSnapshot(this.store);
      await writeFileAtomic(this.file, chunks);
      this.lastWriteMs = Date.now() - started;
      this.logger.debug({ file: this.file, ms: this.lastWriteMs }, "mongo-wire: snapshot written");
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** Stops scheduling snapshots (after the final flush on close). */
  cancel(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
