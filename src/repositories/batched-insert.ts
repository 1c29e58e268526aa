import type { Collection, Document, MongoBulkWriteError, OptionalUnlessRequiredId } from "mongodb";

/**
 * Group commit for append-only records (audit entries): inserts asked for in the same turn of the event
 * loop go to the database as one unordered `insertMany`, and each caller's promise settles with its own
 * document's outcome. Under load (many card presses at once) this turns N round trips into one; alone, a
 * write waits one `setImmediate` at most.
 */
export class BatchedInsert<T extends Document> {
  private pending: { doc: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly collection: Pick<Collection<T>, "insertMany">,
    private readonly maxBatch = 500,
  ) {}

  insert(doc: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ doc, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const docs = batch.map((b) => b.doc as OptionalUnlessRequiredId<T>);
    this.collection.insertMany(docs, { ordered: false, ignoreUndefined: true }).then(
      () => batch.forEach((b) => b.resolve()),
      (err: unknown) => {
        // Per-document failures (a duplicate key) fail only their own callers, when the database
        // accounted for every document; anything else (the command failed) fails the whole batch.
        const e = err as Partial<MongoBulkWriteError>;
        const writeErrors = e.writeErrors === undefined ? [] : [e.writeErrors].flat();
        const inserted = e.insertedCount ?? e.result?.insertedCount ?? 0;
        if (writeErrors.length === 0 || inserted + writeErrors.length !== batch.length) {
          batch.forEach((b) => b.reject(err));
          return;
        }
        const failed = new Map(writeErrors.map((we) => [we.index, we]));
        batch.forEach((b, i) => {
          const we = failed.get(i);
          if (we) b.reject(Object.assign(new Error(we.errmsg ?? "write error"), { code: we.code }));
          else b.resolve();
        });
      },
    );
  }
}
