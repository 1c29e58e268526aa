import type { Logger } from "pino";

export interface MongoWireOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 or undefined picks a free port. */
  port?: number;
  /** When given, data is loaded from and persisted to this file. */
  dataFile?: string;
  /** Logger; defaults to a silent pino logger. */
  logger?: Logger;
  /** How often TTL indexes are enforced (ms). Default 60000, like MongoDB's TTL monitor. */
  ttlMonitorIntervalMs?: number;
  /**
   * With `dataFile`: a snapshot (compaction point) is written once the journal has grown past this
   * many bytes (or past the size of the last snapshot, if larger). Default 16 MiB.
   */
  snapshotAfterJournalBytes?: number;
}

export interface FaultInjector {
  /** The next n commands (optionally only those whose command name is in `commands`) answer {ok:0, code, errmsg} (defaults: code 1, errmsg "injected fault"). */
  failNext(n: number, opts?: { code?: number; errmsg?: string; commands?: string[] }): void;
  /** The next n commands (optionally filtered) are delayed by ms before being executed. */
  delayNext(n: number, ms: number, opts?: { commands?: string[] }): void;
  /** Drops every pending fault. */
  clear(): void;
}

export interface MongoWireServer {
  /** e.g. mongodb://127.0.0.1:PORT/?directConnection=true */
  uri: string;
  port: number;
  faults: FaultInjector;
  /** Writes a snapshot now when there are unsaved changes (no-op without dataFile). */
  flush(): Promise<void>;
  /** With `dataFile`: journal fsyncs done and records they carried since start (group commit). */
  journalStats(): { syncs: number; records: number } | undefined;
  /** Stops listening, drops connections and cursors, flushes, and resolves when done. */
  close(): Promise<void>;
}

/** A BSON document as held in memory (deserialised with bson classes for non-JSON types). */
export type Doc = Record<string, unknown>;
