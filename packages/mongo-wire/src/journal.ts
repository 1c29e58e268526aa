/**
 * Write-ahead journal of the embedded store.
 *
 * Files `<dataFile>.journal.<generation>` (generation: 8 decimal digits). Each holds a sequence of
 * records, one per command that changed data:
 *   u32 LE payload length | u32 LE CRC-32 of the payload | payload (BSON { s: sequence, c: [changes] })
 * A command's changes are one record, so replay applies a command entirely or not at all.
 *
 * Group commit: records appended during one event-loop turn are written with one `write` and one
 * `fdatasync`; records appended while that sync runs share the next one. Batches are written strictly
 * one after the other, so a record is on disk only when every earlier record is.
 *
 * A snapshot is a compaction point: the snapshot records the first generation to replay after it; the
 * journal moves to a new generation when a snapshot is taken and older generations are deleted once
 * the snapshot is durable.
 */
import { open, readdir, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { Logger } from "pino";
import type { Change, CollectionMeta, Store } from "./storage";
import type { Doc } from "./types";
import { deserialize, isPlainObject, keyOf, serialize } from "./values";

const HEADER = 8;
/** A record longer than this is taken for garbage (a torn or corrupt length field). */
const MAX_RECORD = 64 * 1024 * 1024;

export function journalFile(dataFile: string, generation: number): string {
  return `${dataFile}.journal.${String(generation).padStart(8, "0")}`;
}

/** Journal generations present next to `dataFile`, ascending. */
export async function listJournals(dataFile: string): Promise<{ generation: number; file: string }[]> {
  const dir = path.dirname(dataFile);
  const prefix = `${path.basename(dataFile)}.journal.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ generation: Number(n.slice(prefix.length)), file: path.join(dir, n) }))
    .sort((a, b) => a.generation - b.generation);
}

/** Frames one payload as a record: length, CRC-32, bytes. */
export function frameRecord(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, HEADER);
  return out;
}

export interface ScanResult {
  /** decoded payloads, in file order */
  records: Doc[];
  /** byte offset of each record */
  offsets: number[];
  /** bytes of the valid prefix */
  validBytes: number;
  /** set when the file does not end with a complete, intact record */
  bad?: {
    offset: number;
    reason: string;
    discardedBytes: number;
    discardedRecords: number;
    /** intact records follow the bad one: damage inside the file, not a torn tail */
    intactAfter: number;
  };
}

/** Reads records until the end or the first torn/corrupt one. */
export function scanJournal(buf: Buffer): ScanResult {
  const records: Doc[] = [];
  const offsets: number[] = [];
  let offset = 0;
  const fail = (reason: string, skipTo?: number): ScanResult => {
    const intactAfter = skipTo === undefined ? 0 : scanJournal(buf.subarray(skipTo)).records.length;
    // how many (still length-framed) records the discarded part seems to hold, for the log line
    let n = 0;
    for (let at = offset; at + HEADER <= buf.length; n++) {
      const len = buf.readUInt32LE(at);
      if (len === 0 || len > MAX_RECORD) {
        n++;
        break;
      }
      at += HEADER + len;
    }
    return {
      records,
      offsets,
      validBytes: offset,
      bad: {
        offset,
        reason,
        discardedBytes: buf.length - offset,
        discardedRecords: Math.max(1, n),
        intactAfter,
      },
    };
  };
  while (offset < buf.length) {
    if (offset + HEADER > buf.length) return fail("incomplete record header");
    const len = buf.readUInt32LE(offset);
    if (len < 5 || len > MAX_RECORD) return fail(`invalid record length ${len}`);
    if (offset + HEADER + len > buf.length) return fail("record cut short");
    const payload = buf.subarray(offset + HEADER, offset + HEADER + len);
    if (crc32(payload) !== buf.readUInt32LE(offset + 4))
      return fail("checksum mismatch", offset + HEADER + len);
    let rec: Doc;
    try {
      rec = deserialize(payload);
    } catch (err) {
      return fail(`undecodable record: ${(err as Error).message}`);
    }
    records.push(rec);
    offsets.push(offset);
    offset += HEADER + len;
  }
  return { records, offsets, validBytes: offset };
}

/** Applies one journal record's changes to `store` (whose sink must be unset). Throws when they do not fit. */
export function applyRecord(store: Store, rec: Doc): void {
  const changes = rec.c;
  if (!Array.isArray(changes)) throw new Error("record without changes");
  for (const ch of changes as Change[]) {
    const { db, c } = ch;
    if (ch.o === "m") {
      if (ch.meta === null) {
        store.dropCollection(db, c);
        continue;
      }
      const meta = ch.meta as CollectionMeta;
      const options = isPlainObject(meta.options) ? meta.options : {};
      const [coll] = store.ensureCollection(db, c, options);
      coll.options = options;
      coll.uuid = meta.uuid;
      const wanted = new Map((meta.indexes ?? []).map((s) => [String(s.name), s]));
      for (const [name, idx] of [...coll.indexes]) {
        const spec = wanted.get(name);
        if (!spec || keyOf(spec) !== keyOf(idx.spec)) coll.indexes.delete(name);
      }
      for (const [name, spec] of wanted) if (!coll.indexes.has(name)) coll.createIndex(spec);
      continue;
    }
    const coll = store.collection(db, c) ?? store.ensureCollection(db, c)[0];
    if (ch.o === "i") coll.insert(ch.d);
    else if (ch.o === "u") {
      const old = coll.docs.get(keyOf(ch.d._id));
      if (old) coll.replace(old, ch.d);
      else coll.insert(ch.d);
    } else if (ch.o === "d") {
      const old = coll.docs.get(keyOf(ch.id));
      if (old) coll.remove(old);
    } else if (ch.o === "x") coll.clear();
    else throw new Error(`unknown change ${JSON.stringify((ch as { o: unknown }).o)}`);
  }
}

interface Pending {
  generation: number;
  seq: number;
  buf: Buffer;
  done?: { resolve: () => void; reject: (err: Error) => void };
}

/** The appending side: group commit into the current generation. */
export class Journal {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private handle: { generation: number; fh: FileHandle } | undefined;
  private seq = 0;
  /** highest sequence number whose write finished (synced, or failed) */
  private processed = 0;
  /** bytes appended to the current generation */
  bytes = 0;
  /** records appended since the last snapshot */
  records = 0;
  /** set after a write or sync failed: later writes are refused */
  failed: Error | undefined;
  /** fsyncs done and records written, for the numbers in the docs */
  readonly stats = { syncs: 0, records: 0 };

  constructor(
    private readonly dataFile: string,
    public generation: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Appends one command's changes; resolves once they are on disk. The record is encoded now, so
   * records are in the order of the calls (the order commands ran in).
   */
  append(changes: Change[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const buf = frameRecord(serialize({ s: ++this.seq, c: changes }));
    this.bytes += buf.length;
    this.records++;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ generation: this.generation, seq: this.seq, buf, done: { resolve, reject } });
      this.schedule();
    });
  }

  /** Starts a new generation (a snapshot taken now replays from it); returns its number. */
  rotate(): number {
    this.generation++;
    this.bytes = 0;
    this.records = 0;
    return this.generation;
  }

  /**
   * Resolves when everything appended so far is on disk (or failed). Records appended meanwhile are
   * not waited for, so this ends under a steady stream of writes too.
   */
  async drain(): Promise<void> {
    const upTo = this.seq;
    while (this.processed < upTo) {
      if (!this.flushing && !this.scheduled) this.flushing = this.flushLoop();
      await (this.flushing ?? new Promise<void>((r) => setImmediate(r))).catch(() => undefined);
    }
  }

  /** Deletes generations older than `generation` (after a snapshot that covers them is durable). */
  async removeBefore(generation: number): Promise<void> {
    await this.drain();
    for (const j of await listJournals(this.dataFile)) {
      if (j.generation >= generation) continue;
      if (this.handle?.generation === j.generation) await this.closeHandle();
      await unlink(j.file).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      });
    }
  }

  async close(): Promise<void> {
    await this.drain();
    await this.closeHandle();
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.fh.close().catch(() => undefined);
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // everything appended during this turn of the event loop joins the same write + sync
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length) {
        const generation = this.pending[0].generation;
        let n = 0;
        while (n < this.pending.length && this.pending[n].generation === generation) n++;
        const batch = this.pending.splice(0, n);
        const last = batch[batch.length - 1].seq;
        try {
          if (this.failed) throw this.failed;
          if (this.handle?.generation !== generation) {
            await this.closeHandle();
            const file = journalFile(this.dataFile, generation);
            this.handle = { generation, fh: await open(file, "a", 0o644) };
            await syncDir(path.dirname(file));
          }
          const fh = this.handle.fh;
          await fh.write(batch.length === 1 ? batch[0].buf : Buffer.concat(batch.map((p) => p.buf)));
          await fh.datasync();
          this.stats.syncs++;
          this.stats.records += batch.length;
          this.processed = last;
          for (const p of batch) p.done?.resolve();
        } catch (err) {
          this.processed = last;
          if (!this.failed) {
            this.failed = new Error(`mongo-wire: journal write failed: ${(err as Error).message}`, {
              cause: err,
            });
            this.logger.error(
              { err, file: journalFile(this.dataFile, generation) },
              "mongo-wire: journal write failed; refusing further writes until restart",
            );
          }
          for (const p of batch) p.done?.reject(this.failed);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}

/** fsync of a directory (so a created/renamed/removed entry is durable); best effort. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // not supported everywhere
  }
}
