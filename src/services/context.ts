import { AppError, closed, forbidden, isDuplicateKey, notFound } from "../errors";
import type { CampaignDoc, Models, PersonDoc } from "../repositories/models";
import type { Document } from "mongodb";
import { BatchedInsert } from "../repositories/batched-insert";
import { todayIn } from "../time";

export interface ServiceDeps {
  models: Models;
  now: () => Date;
  /** Flags computed off the submit (jobs/flags.ts); absent: computed by `campaign status` / the CLI. */
  flags?: { enqueue(job: { campaignKey: string; answer?: string; at?: string }): Promise<void> };
}

export function toObjectId(id: unknown): string | undefined {
  return typeof id === "string" && /^[0-9a-f]{24}$/i.test(id) ? id : undefined;
}

export async function loadCampaign(d: ServiceDeps, key: string, opts: { mustBeOpen?: boolean } = {}) {
  const c = await d.models.Campaign.findOne({ key }).lean();
  if (!c) throw notFound("活动不存在。", "No such campaign.");
  if (opts.mustBeOpen && c.status === "ended") throw closed();
  return c;
}
export type Campaign = Awaited<ReturnType<typeof loadCampaign>>;

/** The operator as a person of this campaign, by open_id (never by what a card says about itself). */
export async function operatorIn(d: ServiceDeps, campaignKey: string, openId: string) {
  const p = await d.models.Person.findOne({ campaignKey, openId }).lean();
  if (!p) throw forbidden("您不在本次活动的名单中。", "You are not part of this campaign.");
  return p;
}
export type Person = Awaited<ReturnType<typeof operatorIn>>;

export function isAdmin(p: Pick<PersonDoc, "roles">): boolean {
  return (p.roles ?? []).includes("admin");
}

export function today(d: ServiceDeps, c: Pick<CampaignDoc, "timezone">): string {
  return todayIn(c.timezone, d.now());
}

export async function nextSeq(d: ServiceDeps, name: string): Promise<number> {
  const r = await d.models.Counter.findOneAndUpdate(
    { _id: name },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: "after" },
  ).lean();
  if (!r) throw new AppError("conflict", "编号生成失败，请重试。", "Could not number the record; try again.");
  return r.seq;
}

/**
 * A number for a record that may be written again after a failure: the number is taken once per
 * `claimKey` (a claim is kept in the counters), so a retried or concurrent duplicate gets the same one
 * and a rejected duplicate never uses one up. Concurrent callers wait briefly for the first to number
 * it; a claim left unnumbered by a failed writer is numbered by the next caller.
 */
export async function claimSeq(d: ServiceDeps, name: string, claimKey: string): Promise<number> {
  const id = `${name}:claim:${claimKey}`;
  const before = await d.models.Counter.findOneAndUpdate(
    { _id: id },
    { $setOnInsert: { seq: 0 } },
    { upsert: true, returnDocument: "before" },
  ).lean();
  if (before?.seq) return before.seq;
  if (before) {
    // Someone else claimed it: wait for their number, then take over a claim they left unnumbered.
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const c = await d.models.Counter.findById(id).lean();
      if (c?.seq) return c.seq;
    }
  }
  const n = await nextSeq(d, name);
  const set = await d.models.Counter.findOneAndUpdate(
    { _id: id, seq: 0 },
    { $set: { seq: n } },
    { returnDocument: "after" },
  ).lean();
  if (set) return n;
  const c = await d.models.Counter.findById(id).lean();
  if (!c?.seq)
    throw new AppError("conflict", "编号生成失败，请重试。", "Could not number the record; try again.");
  return c.seq;
}

/** Text length as people count it: characters (code points), not UTF-16 units. */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Append an audit entry. With a `key` (the natural key of the step that writes it) a retried step
 * records it once: the answer says whether this call wrote it.
 */
export async function audit(
  d: ServiceDeps,
  e: {
    campaignKey: string;
    entity: string;
    entityId: string;
    action: string;
    from?: string;
    to?: string;
    by?: Person | null;
    byOpenId?: string;
    reason?: string;
    key?: string;
    /** When the step happened (a completed retry keeps the original time); default now. */
    at?: Date;
  },
): Promise<boolean> {
  // Append-only and on every card action's path: a plain insert, without a mongoose document, grouped
  // with the other card presses of the same moment into one insertMany.
  const doc = {
    campaignKey: e.campaignKey,
    entity: e.entity,
    entityId: e.entityId,
    action: e.action,
    from: e.from,
    to: e.to,
    byKey: e.by?.key,
    byOpenId: e.byOpenId ?? e.by?.openId ?? undefined,
    reason: e.reason,
    at: e.at ?? d.now(),
    ...(e.key ? { key: e.key } : {}),
  };
  try {
    await auditWriter(d.models).insert(doc);
    return true;
  } catch (err) {
    if (e.key && isDuplicateKey(err)) return false;
    throw err;
  }
}

const auditWriters = new WeakMap<Models, BatchedInsert<Document>>();
function auditWriter(models: Models): BatchedInsert<Document> {
  let w = auditWriters.get(models);
  if (!w) auditWriters.set(models, (w = new BatchedInsert<Document>(models.AuditEntry.collection)));
  return w;
}
