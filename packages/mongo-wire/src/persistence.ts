/**
 * Durable storage of the embedded store: a snapshot file plus the write-ahead journal (journal.ts).
 *
 * Snapshot file (version 2): the 8 bytes `MWSNAP2\n`, then records `u32 LE CRC-32 | BSON document`:
 *   { format: "mongo-wire", version: 2, savedAt, journalFrom }
 *   per collection: { t: "coll", db, name, options, uuid, indexes: [specs], count } followed by `count` documents
 *   { t: "end", collections, documents }
 * `journalFrom` is the first journal generation that is not contained in the snapshot. Version 1 files
 * (the same BSON documents without magic and checksums) are still read.
 * Written atomically (temp file in the same directory, fsync, rename, directory fsync).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, truncate, unlink } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { crc32 } from "node:zlib";
import { UUID } from "bson";
import type { Logger } from "pino";
import { applyRecord, Journal, listJournals, scanJournal, syncDir } from "./journal";
import { Store } from "./storage";
import type { Doc } from "./types";
import { deserialize, isPlainObject, serialize } from "./values";

const FORMAT = "mongo-wire";
const VERSION = 2;
const MAGIC = Buffer.from("MWSNAP2\n", "latin1");
const WRITE_CHUNK = 4 * 1024 * 1024;
const DEFAULT_SNAPSHOT_AFTER = 16 * 1024 * 1024;
/** How long a snapshot encodes before it lets the store answer commands again. */
const ENCODE_SLICE_MS = 1;

function checksummed(out: Uint8Array[], doc: Doc): number {
  const bson = serialize(doc);
  const crc = Buffer.allocUnsafe(4);
  crc.writeUInt32LE(crc32(bson), 0);
  out.push(crc, bson);
  return 4 + bson.length;
}

/**
 * What a snapshot holds, taken in one synchronous step: the collections' metadata and references to
 * their documents. Stored documents are never changed in place (an update stores a new object, as the
 * cursors' result snapshots also rely on), so the plan stays the state of this moment while it is
 * encoded, however many commands run meanwhile.
 */
export interface SnapshotPlan {
  header: Doc;
  collections: { meta: Doc; docs: Doc[] }[];
}

export function planSnapshot(store: Store, journalFrom = 0): SnapshotPlan {
  const collections: SnapshotPlan["collections"] = [];
  for (const db of store.dbs.values()) {
    for (const c of db.collections.values()) {
      collections.push({
        meta: {
          t: "coll",
          db: db.name,
          name: c.name,
          options: c.options,
          uuid: c.uuid,
          indexes: c.indexSpecs().slice(1),
          count: c.docs.size,
        },
        docs: [...c.docs.values()],
      });
    }
  }
  return { header: { format: FORMAT, version: VERSION, savedAt: new Date(), journalFrom }, collections };
}

/**
 * Encodes a plan. With `sliceMs`, the work is cut into pieces of about that long with a turn of the
 * event loop between them, so the store keeps answering commands while a large snapshot is encoded
 * (in one piece, 80,000 documents held every command for 250–450 ms).
 */
export async function encodePlan(plan: SnapshotPlan, sliceMs?: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [MAGIC];
  checksummed(out, plan.header);
  let documents = 0;
  let sliceStart = performance.now();
  for (const c of plan.collections) {
    checksummed(out, c.meta);
    for (let i = 0; i < c.docs.length; i++) {
      checksummed(out, c.docs[i]);
      documents++;
      if (sliceMs !== undefined && (i & 63) === 63 && performance.now() - sliceStart >= sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }
  checksummed(out, { t: "end", collections: plan.collections.length, documents });
  return out;
}

export interface Snapshot {
  store: Store;
  /** size of the snapshot file (0 when there was none) */
  bytes: number;
  /** first journal generation to replay after the snapshot */
  journalFrom: number;
}

export function decodeSnapshot(buf: Buffer): Snapshot {
  const store = new Store();
  const v2 = buf.length >= MAGIC.length && buf.subarray(0, MAGIC.length).equals(MAGIC);
  let offset = v2 ? MAGIC.length : 0;
  const next = (what: string): Doc => {
    const at = offset;
    const crcBytes = v2 ? 4 : 0;
    if (offset + crcBytes + 4 > buf.length)
      throw new Error(`unexpected end of file reading ${what} at byte ${at}`);
    const size = buf.readInt32LE(offset + crcBytes);
    if (size < 5 || offset + crcBytes + size > buf.length)
      throw new Error(`invalid BSON length ${size} for ${what} at byte ${at}`);
    const bson = buf.subarray(offset + crcBytes, offset + crcBytes + size);
    if (v2 && crc32(bson) !== buf.readUInt32LE(offset))
      throw new Error(`checksum mismatch in ${what} at byte ${at}`);
    let doc: Doc;
    try {
      doc = deserialize(bson);
    } catch (err) {
      throw new Error(`undecodable ${what} at byte ${at}: ${(err as Error).message}`, { cause: err });
    }
    offset += crcBytes + size;
    return doc;
  };
  const header = next("header");
  if (header.format !== FORMAT || header.version !== (v2 ? VERSION : 1))
    throw new Error("not a mongo-wire data file (bad header)");
  const journalFrom = v2 ? Number(header.journalFrom ?? 0) : 0;
  for (;;) {
    const at = offset;
    const rec = next("record");
    if (rec.t === "end") {
      if (offset !== buf.length) throw new Error(`trailing bytes after end record at byte ${offset}`);
      return { store, journalFrom, bytes: buf.length };
    }
    if (rec.t !== "coll" || typeof rec.db !== "string" || typeof rec.name !== "string") {
      throw new Error(`unexpected record at byte ${at}`);
    }
    const [coll] = store.ensureCollection(rec.db, rec.name, isPlainObject(rec.options) ? rec.options : {});
    if (rec.uuid instanceof UUID) coll.uuid = rec.uuid;
    for (const spec of Array.isArray(rec.indexes) ? rec.indexes : []) coll.createIndex(spec as Doc);
    const count = Number(rec.count);
    for (let i = 0; i < count; i++) coll.insert(next(`document ${i} of ${rec.db}.${rec.name}`));
  }
}

/** Loads a snapshot file; a missing file gives an empty store, anything unreadable a clear error. */
export async function loadSnapshot(file: string): Promise<Snapshot> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      return { store: new Store(), journalFrom: 0, bytes: 0 };
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

/** Loads a data file (snapshot only, no journal); kept for tools that read a copy. */
export async function loadDataFile(file: string): Promise<Store> {
  return (await loadSnapshot(file)).store;
}

function tmpPrefix(file: string): string {
  return `.${path.basename(file)}.`;
}

/** Writes chunks to `file` atomically: temp file in the same directory, fsync, rename, fsync dir. */
export async function writeFileAtomic(file: string, chunks: Uint8Array[]): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${tmpPrefix(file)}${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
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
  await syncDir(dir);
}

/** Removes temp files a crash left behind while writing a snapshot of `file`. Returns their names. */
export async function cleanTempFiles(file: string, logger: Logger): Promise<string[]> {
  const dir = path.dirname(file);
  const prefix = tmpPrefix(file);
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith(".tmp")) continue;
    await unlink(path.join(dir, n)).catch(() => undefined);
    removed.push(n);
  }
  if (removed.length)
    logger.warn(
      { dir, files: removed },
      `mongo-wire: removed ${removed.length} temp file(s) left by a crash`,
    );
  return removed;
}

export interface Recovered {
  store: Store;
  journal: Journal;
  /** journal records replayed on top of the snapshot */
  replayed: number;
  snapshotBytes: number;
}

/**
 * Start-up: the snapshot, then every journal generation after it, in order. A torn or corrupt tail
 * of the last generation is cut off (logged with how much); a bad record followed by more journal
 * files, or a record that does not apply, refuses the start with the file and byte offset.
 */
export async function recover(dataFile: string, logger: Logger): Promise<Recovered> {
  await mkdir(path.dirname(dataFile), { recursive: true });
  await cleanTempFiles(dataFile, logger);
  const { store, journalFrom, bytes: snapshotBytes } = await loadSnapshot(dataFile);
  const journals = await listJournals(dataFile);
  let replayed = 0;
  let next = journalFrom;
  const live = journals.filter((j) => j.generation >= journalFrom);
  for (const j of journals) {
    if (j.generation >= journalFrom) continue;
    await unlink(j.file).catch(() => undefined);
    logger.info({ file: j.file }, "mongo-wire: removed a journal file already contained in the snapshot");
  }
  for (let i = 0; i < live.length; i++) {
    const j = live[i];
    const buf = await readFile(j.file);
    const scan = scanJournal(buf);
    scan.records.forEach((rec, n) => {
      try {
        applyRecord(store, rec);
      } catch (err) {
        throw new Error(
          `mongo-wire: journal ${j.file} has a record at byte ${scan.offsets[n]} that does not apply: ${(err as Error).message}`,
          { cause: err },
        );
      }
      replayed++;
    });
    if (scan.bad) {
      const { offset: at, reason, discardedBytes, discardedRecords, intactAfter } = scan.bad;
      if (intactAfter > 0 || i < live.length - 1) {
        const after =
          intactAfter > 0 ? `${intactAfter} intact record(s) follow it` : "later journal files follow";
        throw new Error(
          `mongo-wire: journal ${j.file} is corrupt at byte ${at} (${reason}) and ${after}: this is damage, not a torn write; refusing to start (move the data directory away or restore a backup)`,
        );
      }
      await truncate(j.file, scan.validBytes);
      logger.warn(
        {
          file: j.file,
          offset: at,
          reason,
          discardedBytes,
          discardedRecords,
          keptRecords: scan.records.length,
        },
        `mongo-wire: discarded a torn journal tail: ${discardedBytes} bytes (~${discardedRecords} record(s)) at byte ${at} of ${j.file} (${reason}); ${scan.records.length} earlier record(s) kept`,
      );
    }
    next = j.generation + 1;
  }
  if (replayed)
    logger.info({ dataFile, replayed, journals: live.length }, "mongo-wire: replayed journal after snapshot");
  return { store, journal: new Journal(dataFile, next, logger), replayed, snapshotBytes };
}

/**
 * Snapshots as compaction points: taken when the journal has grown past `minJournalBytes` (or the
 * size of the last snapshot, if larger), on flush() and on close. The journal moves to a new
 * generation at the moment the snapshot is encoded; older generations go once the snapshot is durable.
 */
export class Persister {
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private lastSnapshotBytes = 0;
  private dirty: boolean;
  private readonly minJournalBytes: number;

  constructor(
    private readonly store: Store,
    private readonly file: string,
    private readonly journal: Journal,
    private readonly logger: Logger,
    recovered: { replayed: number; snapshotBytes: number },
    minJournalBytes: number | undefined,
  ) {
    this.dirty = recovered.replayed > 0;
    this.lastSnapshotBytes = recovered.snapshotBytes;
    this.minJournalBytes = minJournalBytes ?? DEFAULT_SNAPSHOT_AFTER;
  }

  /** Called after each journal append. */
  noteWrite(): void {
    this.dirty = true;
    if (this.scheduled || this.journal.bytes < Math.max(this.minJournalBytes, this.lastSnapshotBytes)) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.snapshot().catch((err: unknown) =>
        this.logger.error({ err, file: this.file }, "mongo-wire: snapshot write failed"),
      );
    });
  }

  /** Writes a snapshot now when anything changed since the last one. */
  snapshot(): Promise<void> {
    const run = this.writing.catch(() => undefined).then(() => this.write());
    this.writing = run;
    return run;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    const started = Date.now();
    // synchronous: no command runs between the rotation and the plan (the state the snapshot holds);
    // commands run again while it is encoded, in slices, and go to the new journal generation
    const from = this.journal.rotate();
    const plan = planSnapshot(this.store, from);
    this.dirty = false;
    let chunks: Uint8Array[];
    try {
      chunks = await encodePlan(plan, ENCODE_SLICE_MS);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    try {
      await writeFileAtomic(this.file, chunks);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.lastSnapshotBytes = chunks.reduce((n, c) => n + c.length, 0);
    await this.journal.removeBefore(from);
    this.logger.debug(
      { file: this.file, ms: Date.now() - started, bytes: this.lastSnapshotBytes },
      "mongo-wire: snapshot written, journal compacted",
    );
  }
}
