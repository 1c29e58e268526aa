/**
 * Running a campaign from chat (issue 13 §2): who is an admin, checking a file an admin sent, the
 * pending import behind a preview card (in Mongo, so 确认导入 works after a restart), the import itself,
 * and ending a campaign. The chat side is handlers/file-*.ts; the cards are cards/import-cards.ts and
 * cards/campaign-card.ts.
 */
import crypto from "node:crypto";
import type { FileError, ParseOptions, ParseResult } from "../campaign/file";
import { fetchFeishuOrg, orgProblemText, type FeishuOrg } from "../campaign/org-feishu";
import { openCampaignBytes, type CampaignSource } from "../campaign/source";
import type { CampaignSpec } from "../domain/types";
import { AppError } from "../errors";
import type { FeishuApi } from "../feishu/types";
import type { Logger } from "../logger";
import type { Models } from "../repositories/models";
import { todayIn } from "../time";
import { diffCampaign, type CampaignDiff } from "./campaign-admin-diff";
import {
  importCampaign,
  resolveIdentities,
  specHash,
  type ImportReport,
  type Unresolved,
} from "./campaign-import";
import { audit, type ServiceDeps } from "./context";

/** Files larger than this are not downloaded (and a workbook this large is refused unopened anyway). */
export const MAX_CAMPAIGN_FILE_BYTES = 10 * 1024 * 1024;
/** How long a preview card's 确认导入 holds. */
export const PENDING_IMPORT_TTL_MS = 24 * 3600 * 1000;
/** The file types read as a campaign: a workbook, or the YAML / JSON campaign file. */
export const CAMPAIGN_FILE_TYPES = /\.(xlsx|ya?ml|json)$/i;

export interface AdminDeps extends ServiceDeps {
  feishu: Pick<FeishuApi, "appOwner" | "lookupUsers"> & Partial<Pick<FeishuApi, "contact">>;
  /** ADMIN_OPEN_IDS; empty or absent: the app's owner. */
  adminOpenIds?: readonly string[];
  logger: Logger;
}

const ownerCache = new WeakMap<object, { at: number; owner: Promise<string | undefined> }>();
const OWNER_TTL_MS = 10 * 60 * 1000;

/**
 * The people who may bring in a new campaign: ADMIN_OPEN_IDS, or when that is empty the app's owner
 * (application info API, asked at most every 10 minutes; a failed lookup names no one and is logged).
 */
export async function bootstrapAdmins(d: AdminDeps): Promise<string[]> {
  if (d.adminOpenIds?.length) return [...d.adminOpenIds];
  const hit = ownerCache.get(d.feishu);
  const fresh = hit && Date.now() - hit.at < OWNER_TTL_MS;
  const entry = fresh
    ? hit
    : {
        at: Date.now(),
        owner: d.feishu.appOwner().catch((e: unknown) => {
          d.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "app owner lookup failed");
          ownerCache.delete(d.feishu);
          return undefined;
        }),
      };
  if (!fresh) ownerCache.set(d.feishu, entry);
  const owner = await entry.owner;
  return owner ? [owner] : [];
}

/**
 * No one can bring in a campaign yet: ADMIN_OPEN_IDS is empty, the app's owner could not be read (the
 * app lacks `admin:app.info:readonly`, or has no owner), and no campaign names an admin reachable in
 * Feishu. A refused file then says what the system administrator must set, not only "admins only".
 */
export async function noAdminConfigured(d: AdminDeps): Promise<boolean> {
  if (d.adminOpenIds?.length) return false;
  if ((await bootstrapAdmins(d)).length) return false;
  return !(await d.models.Person.exists({ roles: "admin", openId: { $exists: true, $ne: "" } }));
}

/**
 * May this person run the campaign `key` (chat, console)? An existing campaign: its `admin` people (by
 * open_id); one with no admin reachable in Feishu yet: the bootstrap admins; a new key: an admin of any
 * campaign or a bootstrap admin.
 */
export async function mayAdminister(d: AdminDeps, openId: string, key: string): Promise<boolean> {
  if (!openId) return false;
  const exists = await d.models.Campaign.exists({ key });
  if (exists) {
    const admins = await d.models.Person.find(
      { campaignKey: key, roles: "admin", openId: { $exists: true, $ne: "" } },
      { openId: 1 },
    ).lean();
    if (admins.length) return admins.some((p) => p.openId === openId);
    return (await bootstrapAdmins(d)).includes(openId);
  }
  // A new campaign: an admin of any campaign, or a bootstrap admin.
  return isSomeAdmin(d, openId);
}

/** Is this person an admin of anything (a campaign's admin, or a bootstrap admin)? */
export async function isSomeAdmin(d: AdminDeps, openId: string): Promise<boolean> {
  if (!openId) return false;
  if (await d.models.Person.exists({ openId, roles: "admin" })) return true;
  return (await bootstrapAdmins(d)).includes(openId);
}

/**
 * Check a campaign source with the organisation's today; a running campaign's re-import may keep due
 * dates that have passed since it started (dates before its start are still refused).
 */
export async function checkCampaignSource(
  m: Models,
  source: CampaignSource,
  today: string,
  /** The organisation read from the address book (`org: from: feishu`), when the file asks for it. */
  org?: ParseOptions["org"],
): Promise<ParseResult> {
  const parsed = source.check({ today, org });
  if (parsed.ok || !source.key) return parsed;
  // Re-importing a running campaign: due dates may have passed since it started; dates before the
  // campaign's start are still refused.
  const existing = await m.Campaign.findOne({ key: source.key }, { startDate: 1 }).lean();
  if (existing && existing.startDate < today) return source.check({ today: existing.startDate, org });
  return parsed;
}

export type FileCheck =
  | { ok: false; errors: FileError[] }
  | { ok: true; spec: CampaignSpec; warnings: FileError[]; fileHash: string; orgOpenIds?: string[] };

/** A file an admin sent, read and checked (nothing written). */
export async function checkCampaignBytes(
  d: AdminDeps & { timezone: string },
  bytes: Buffer,
  name: string,
): Promise<FileCheck> {
  const opened = await openCampaignBytes(bytes, name);
  if (!opened.ok) return opened;
  // `org: from: feishu`: the organisation is read from the address book first; a missing scope or an
  // unknown department is the file's error (naming the scope to add), and nothing is written.
  let org: FeishuOrg | undefined;
  if (opened.source.org) {
    const f = await fetchFeishuOrg(d.feishu.contact, opened.source.org);
    if (!f.ok) {
      const t = orgProblemText(f.problem);
      d.logger.warn({ problem: f.problem.kind, file: name }, "campaign file: address book not read");
      return { ok: false, errors: [{ file: name, line: 0, message: `${t.zh} / ${t.en}` }] };
    }
    org = f.org;
  }
  const parsed = await checkCampaignSource(d.models, opened.source, todayIn(d.timezone, d.now()), org);
  if (!parsed.ok) return parsed;
  const fileHash = crypto.createHash("sha256").update(bytes).digest("hex");
  const orgOpenIds = org ? org.people.map((p) => String(p.open_id)) : undefined;
  return { ok: true, spec: parsed.spec, warnings: parsed.warnings, fileHash, ...(org ? { orgOpenIds } : {}) };
}

export interface ImportPreview {
  id: string;
  spec: CampaignSpec;
  /** Nothing would change: the same campaign was imported before. */
  unchanged: boolean;
  diff: CampaignDiff;
  /** People the contact API could not find by mobile or email (they would receive nothing). */
  unresolved: Unresolved[];
  assignments: number;
}

/** Keep a checked file as a pending import and say what it would do. */
export async function preparePendingImport(
  d: AdminDeps,
  spec: CampaignSpec,
  o: { openId: string; fileName: string; fileHash: string; orgOpenIds?: string[] },
): Promise<ImportPreview> {
  const existing = await d.models.Campaign.findOne({ key: spec.key }, { specHash: 1 }).lean();
  const [diff, ids] = await Promise.all([
    diffCampaign(d.models, spec),
    resolveIdentities(d.models, spec, (q) => d.feishu.lookupUsers(q)),
  ]);
  const id = crypto.randomBytes(12).toString("hex");
  const now = d.now();
  // Previews long past their expiry are of no use (the audit log keeps what was imported).
  await d.models.PendingImport.deleteMany({
    expiresAt: { $lt: new Date(now.getTime() - 7 * 24 * 3600 * 1000) },
  });
  await d.models.PendingImport.create({
    _id: id,
    openId: o.openId,
    campaignKey: spec.key,
    fileName: o.fileName,
    fileHash: o.fileHash,
    specJson: JSON.stringify(spec),
    baseHash: existing?.specHash ?? undefined,
    ...(o.orgOpenIds ? { orgOpenIds: o.orgOpenIds } : {}),
    state: "pending",
    expiresAt: new Date(now.getTime() + PENDING_IMPORT_TTL_MS),
    createdAt: now,
  });
  let assignments = 0;
  for (const a of spec.assignments) assignments += a.units.length + a.people.length;
  return {
    id,
    spec,
    unchanged: existing?.specHash === specHash(spec),
    diff,
    unresolved: ids.unresolved,
    assignments,
  };
}

const STALE = () =>
  new AppError(
    "stale",
    "这张预览卡片已处理或已过期，没有再次导入。如需导入，请重新发送文件。",
    "This preview has been handled or has expired; nothing was imported again. Send the file again to import it.",
  );

/** How long an unfinished import's claim holds before another press may take it over. */
const STALE_CLAIM_MS = 5 * 60_000;

/** Claim a pending import for one step: only its sender, only once, only before it expires. */
async function claim(d: AdminDeps, id: string, openId: string, to: "importing" | "cancelled") {
  const now = d.now();
  // An import claimed by a process that died before it finished stays "importing": after a while it
  // may be claimed again (the import converges, answers are never touched).
  const p = await d.models.PendingImport.findOneAndUpdate(
    {
      _id: id,
      openId,
      expiresAt: { $gt: now },
      $or: [
        { state: "pending" },
        { state: "importing", claimedAt: { $lt: new Date(now.getTime() - STALE_CLAIM_MS) } },
      ],
    },
    { $set: { state: to, claimedAt: now } },
    { returnDocument: "after" },
  ).lean();
  if (p) return p;
  const other = await d.models.PendingImport.findById(id, { openId: 1 }).lean();
  if (other && other.openId !== openId)
    throw new AppError(
      "forbidden",
      "只有发送这个文件的管理员可以确认导入。",
      "Only the admin who sent this file can confirm the import.",
    );
  throw STALE();
}

/** 确认导入: write the campaign (answers already given are never touched; see importCampaign). */
export async function confirmPendingImport(
  d: AdminDeps,
  id: string,
  openId: string,
): Promise<{ report: ImportReport; spec: CampaignSpec }> {
  const p = await claim(d, id, openId, "importing");
  const spec = JSON.parse(p.specJson) as CampaignSpec;
  try {
    if (!(await mayAdminister(d, openId, spec.key)))
      throw new AppError("forbidden", "您不是该活动的管理员。", "You are not an admin of this campaign.");
    const now = await d.models.Campaign.findOne({ key: spec.key }, { specHash: 1 }).lean();
    if ((now?.specHash ?? undefined) !== (p.baseHash ?? undefined))
      throw new AppError(
        "stale",
        "预览之后活动已被另一次导入更新，为避免覆盖，本次没有导入。请重新发送文件查看最新变化。",
        "The campaign was updated by another import since this preview; nothing was imported. Send the file again to see the changes now.",
      );
    const report = await importCampaign(d.models, spec, {
      lookupUsers: (q) => d.feishu.lookupUsers(q),
      ...(p.orgOpenIds?.length ? { orgOpenIds: new Set(p.orgOpenIds) } : {}),
    });
    await d.models.PendingImport.updateOne({ _id: id }, { $set: { state: "imported" } });
    await audit(d, {
      campaignKey: spec.key,
      entity: "campaign",
      entityId: spec.key,
      action: report.created ? "import" : "reimport",
      to: p.fileName ?? undefined,
      byOpenId: openId,
      reason: `sha256:${p.fileHash}`,
    });
    return { report, spec };
  } catch (e) {
    // Refused or failed: the card may be pressed again (after a fix, or a transient failure).
    if (e instanceof AppError && e.kind === "stale")
      await d.models.PendingImport.updateOne({ _id: id }, { $set: { state: "cancelled" } });
    else await d.models.PendingImport.updateOne({ _id: id }, { $set: { state: "pending" } });
    throw e;
  }
}

/** 取消: the pending import is dropped; nothing was written. */
export async function cancelPendingImport(d: AdminDeps, id: string, openId: string): Promise<string> {
  const p = await claim(d, id, openId, "cancelled");
  return p.campaignKey;
}

/**
 * What 启动 would send now: the cards startCampaign would queue (a digest per person without one yet,
 * a self-check card per pending assignment without one), to people with an open_id; and how many
 * assignees cannot be reached.
 */
export async function startPlan(
  m: Models,
  key: string,
): Promise<{ people: number; cards: number; unreachable: number }> {
  const kinds = { $in: ["selfcheck", "digest-start"] };
  const [assignments, people, sent, intents] = await Promise.all([
    m.Assignment.find({ campaignKey: key, withdrawn: false, state: "pending" }, { assigneeKey: 1 }).lean(),
    m.Person.find({ campaignKey: key }, { key: 1, openId: 1 }).lean(),
    m.SentCard.find({ campaignKey: key, kind: kinds }, { kind: 1, refId: 1 }).lean(),
    m.Outbox.find({ campaignKey: key, kind: kinds }, { kind: 1, refId: 1 }).lean(),
  ]);
  const known = new Set([...sent, ...intents].map((r) => `${r.kind}:${r.refId}`));
  const reachable = new Set(people.filter((p) => p.openId).map((p) => p.key));
  const per = new Map<string, number>();
  for (const a of assignments)
    if (!known.has(`selfcheck:${String(a._id)}`)) per.set(a.assigneeKey, (per.get(a.assigneeKey) ?? 0) + 1);
  let cards = 0;
  let n = 0;
  let unreachable = 0;
  for (const [k, count] of per) {
    if (!reachable.has(k)) unreachable++;
    else {
      n++;
      cards += count + (known.has(`digest-start:${k}`) ? 0 : 1);
    }
  }
  return { people: n, cards, unreachable };
}

/** End a campaign: no more reminders, escalations or broadcasts; answers stay. False when already ended or unknown. */
export async function endCampaign(d: ServiceDeps, key: string, by?: { openId?: string }): Promise<boolean> {
  const r = await d.models.Campaign.updateOne(
    { key, status: { $ne: "ended" } },
    { $set: { status: "ended", endedAt: d.now() } },
  );
  if (!r.matchedCount) return false;
  await audit(d, {
    campaignKey: key,
    entity: "campaign",
    entityId: key,
    action: "end",
    to: "ended",
    byOpenId: by?.openId,
  });
  return true;
}

/** What the campaign card shows: the campaign, its counts and what 启动 would send now. */
export async function campaignCardData(m: Models, key: string) {
  const c = await m.Campaign.findOne({ key }).lean();
  if (!c) throw new AppError("not_found", "活动不存在。", "No such campaign.");
  const [units, people, assignments, submitted, plan] = await Promise.all([
    m.Unit.countDocuments({ campaignKey: key }),
    m.Person.countDocuments({ campaignKey: key }),
    m.Assignment.countDocuments({ campaignKey: key, withdrawn: false }),
    m.Assignment.countDocuments({ campaignKey: key, withdrawn: false, state: "submitted" }),
    startPlan(m, key),
  ]);
  return {
    key: c.key,
    title: c.title,
    status: c.status,
    startDate: c.startDate,
    endDate: c.endDate,
    timezone: c.timezone,
    schedules: c.schedules,
    units,
    people,
    assignments,
    submitted,
    plan,
  };
}
