/** Server-side cursors: result snapshots handed out in batches through getMore. */
import { Long } from "bson";
import { CommandError, ErrorCodes } from "./errors";
import type { Doc } from "./types";
import { bsonSize, toNumber } from "./values";

export const DEFAULT_FIRST_BATCH = 101;
/** Stay below the 16 MiB reply limit, leaving room for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface CursorState {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
}

export interface Batch {
  id: Long;
  ns: string;
  batch: Doc[];
}

/** Takes up to `max` docs from `docs[start..]`, stopping early before the reply would exceed ~16 MiB. */
function takeBatch(docs: Doc[], start: number, max: number): Doc[] {
  const out: Doc[] = [];
  let bytes = 0;
  for (let i = start; i < docs.length && out.length < max; i++) {
    const size = bsonSize(docs[i]) + 16;
    if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    out.push(docs[i]);
  }
  return out;
}

export class CursorManager {
  private readonly cursors = new Map<number, CursorState>();
  private nextId = 1 + Math.floor(Math.random() * 1_000_000_000);
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  get size(): number {
    return this.cursors.size;
  }

  /**
   * Builds a first batch from a full result list. When results remain (and !singleBatch) a
   * cursor is registered and its id returned; otherwise id is 0.
   */
  open(ns: string, docs: Doc[], batchSize: unknown, singleBatch = false): Batch {
    const max =
      batchSize === undefined || batchSize === null ? DEFAULT_FIRST_BATCH : Math.max(0, toNumber(batchSize));
    const batch = takeBatch(docs, 0, max);
    if (singleBatch || batch.length >= docs.length) return { id: Long.ZERO, ns, batch };
    const id = this.nextId++;
    this.cursors.set(id, { id, ns, docs, pos: batch.length, lastUsed: Date.now() });
    return { id: Long.fromNumber(id), ns, batch };
  }

  getMore(idValue: unknown, ns: string, batchSize: unknown): Batch {
    const id = toNumber(idValue);
    const c = this.cursors.get(id);
    if (!c) throw new CommandError(ErrorCodes.CursorNotFound, `cursor id ${id} not found`);
    if (c.ns !== ns) {
      throw new CommandError(
        13,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`,
      );
    }
    const n = toNumber(batchSize);
    const batch = takeBatch(c.docs, c.pos, n > 0 ? n : Number.MAX_SAFE_INTEGER);
    c.pos += batch.length;
    c.lastUsed = Date.now();
    if (c.pos >= c.docs.length) {
      this.cursors.delete(id);
      return { id: Long.ZERO, ns, batch };
    }
    return { id: Long.fromNumber(id), ns, batch };
  }

  kill(ids: unknown[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = toNumber(raw);
      if (this.cursors.delete(id)) killed.push(Long.fromNumber(id));
      else notFound.push(Long.fromNumber(id));
    }
    return { killed, notFound };
  }

  /** Drops cursors over a namespace (collection) or database ("db." prefix). */
  dropNamespace(prefix: string, exact: boolean): void {
    for (const [id, c] of this.cursors) {
      if (exact ? c.ns === prefix : c.ns.startsWith(prefix)) this.cursors.delete(id);
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const [id, c] of this.cursors) if (c.lastUsed < cutoff) this.cursors.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.cursors.clear();
  }
}

export function cursorReply(b: Batch, first: boolean): Doc {
  return { cursor: { [first ? "firstBatch" : "nextBatch"]: b.batch, id: b.id, ns: b.ns }, ok: 1 };
}
