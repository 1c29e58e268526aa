import crypto from "node:crypto";
import type { CampaignSpec, PersonSpec } from "../domain/types";
import type { FeishuApi } from "../feishu/types";
import type { Models } from "../repositories/models";
import { DEFAULT_FOLLOW_UP_DAYS } from "./follow-up";

export interface Unresolved {
  personKey: string;
  name: string;
  tried: string[];
  reason: string;
}

export interface ImportReport {
  campaignKey: string;
  created: boolean;
  /** The same file was imported before: nothing was written. */
  unchanged: boolean;
  units: number;
  people: number;
  assignments: { total: number; created: number; updated: number; withdrawn: number };
  unresolved: Unresolved[];
}

export function specHash(spec: CampaignSpec): string {
  return crypto.createHash("sha256").update(JSON.stringify(spec)).digest("hex");
}

export function assignmentKey(item: string, target: "unit" | "person", key: string): string {
  return `${item}:${target === "unit" ? "u" : "p"}:${key}`;
}

/**
 * People given by email or mobile get their open_id from the contact API, in batches of 50. Those that
 * cannot be resolved are reported and stored without an open_id (they receive nothing until resolved).
 * Already-resolved people (same email/mobile as stored) are not looked up again.
 */
export async function resolveIdentities(
  m: Models,
  spec: CampaignSpec,
  lookup: FeishuApi["lookupUsers"] | undefined,
): Promise<{ openIds: Map<string, string>; unresolved: Unresolved[] }> {
  const openIds = new Map<string, string>();
  const need: PersonSpec[] = [];
  const stored = new Map((await m.Person.find({ campaignKey: spec.key }).lean()).map((p) => [p.key, p]));
  for (const p of spec.people) {
    if (p.openId) openIds.set(p.key, p.openId);
    else {
      const s = stored.get(p.key);
      if (s?.openId && (s.email ?? undefined) === p.email && (s.mobile ?? undefined) === p.mobile)
        openIds.set(p.key, s.openId);
      else need.push(p);
    }
  }
  const unresolved: Unresolved[] = [];
  if (!need.length) return { openIds, unresolved };
  const tried = (p: PersonSpec) => [p.email, p.mobile].filter((x): x is string => Boolean(x));
  if (!lookup) {
    for (const p of need)
      unresolved.push({
        personKey: p.key,
        name: p.name,
        tried: tried(p),
        reason: "no Feishu connection to look up",
      });
    return { openIds, unresolved };
  }
  let found: Map<string, string | undefined>;
  try {
    const res = await lookup({
      emails: need.flatMap((p) => (p.email ? [p.email] : [])),
      mobiles: need.flatMap((p) => (p.mobile ? [p.mobile] : [])),
    });
    found = new Map(res.map((r) => [r.query, r.openId]));
  } catch (e) {
    const reason = `lookup failed: ${e instanceof Error ? e.message : String(e)}`;
    for (const p of need) unresolved.push({ personKey: p.key, name: p.name, tried: tried(p), reason });
    return { openIds, unresolved };
  }
  for (const p of need) {
    const id = (p.email && found.get(p.email)) || (p.mobile && found.get(p.mobile)) || undefined;
    if (id) openIds.set(p.key, id);
    else
      unresolved.push({
        personKey: p.key,
        name: p.name,
        tried: tried(p),
        reason: "not found in Feishu (or outside the app's scope)",
      });
  }
  return { openIds, unresolved };
}

export interface WantedAssignment {
  itemKey: string;
  target: "unit" | "person";
  unitKey: string;
  assigneeKey: string;
  dueDate: string;
}

/** The assignments a spec asks for, by assignment key (one per item × unit and item × person). */
export function wantedAssignments(spec: CampaignSpec): Map<string, WantedAssignment> {
  const unitHead = new Map(spec.units.map((u) => [u.key, u.head]));
  const personUnit = new Map(spec.people.map((p) => [p.key, p.unit]));
  const wanted = new Map<string, WantedAssignment>();
  for (const a of spec.assignments) {
    for (const u of a.units)
      wanted.set(assignmentKey(a.item, "unit", u), {
        itemKey: a.item,
        target: "unit",
        unitKey: u,
        assigneeKey: unitHead.get(u) ?? "",
        dueDate: a.due,
      });
    for (const p of a.people)
      wanted.set(assignmentKey(a.item, "person", p), {
        itemKey: a.item,
        target: "person",
        unitKey: personUnit.get(p) ?? "",
        assigneeKey: p,
        dueDate: a.due,
      });
  }
  return wanted;
}

/**
 * Write a validated campaign spec. Idempotent: the same spec twice changes nothing the second time; an
 * edited spec updates in place (answers, problems and measures are never touched; assignments dropped
 * from the file are marked withdrawn, not deleted). Only single-document upserts on natural keys.
 */
export async function importCampaign(
  m: Models,
  spec: CampaignSpec,
  deps: {
    lookupUsers?: FeishuApi["lookupUsers"];
    /** open_ids of the people the address book gave (`org: from: feishu`): stored as source "feishu". */
    orgOpenIds?: ReadonlySet<string>;
  },
): Promise<ImportReport> {
  const hash = specHash(spec);
  const existing = await m.Campaign.findOne({ key: spec.key }).lean();
  const base = {
    campaignKey: spec.key,
    created: !existing,
    units: spec.units.length,
    people: spec.people.length,
  };
  if (existing?.specHash === hash) {
    const unresolved = (
      await m.Person.find({ campaignKey: spec.key, openId: { $exists: false } }).lean()
    ).map((p) => ({
      personKey: p.key,
      name: p.name,
      tried: [p.email, p.mobile].filter((x): x is string => Boolean(x)),
      reason: "not resolved at import",
    }));
    const total = await m.Assignment.countDocuments({ campaignKey: spec.key, withdrawn: false });
    return {
      ...base,
      created: false,
      unchanged: true,
      assignments: { total, created: 0, updated: 0, withdrawn: 0 },
      unresolved,
    };
  }
  const { openIds, unresolved } = await resolveIdentities(m, spec, deps.lookupUsers);

  const sections = spec.checklist.sections.map((s, i) => ({
    key: s.key,
    code: s.code,
    title: s.title,
    order: i,
  }));
  let order = 0;
  const items = spec.checklist.sections.flatMap((s) =>
    s.items.map((it) => ({
      key: it.key,
      sectionKey: s.key,
      title: it.title,
      checkpoints: it.checkpoints,
      order: order++,
    })),
  );

  await m.Campaign.updateOne(
    { key: spec.key },
    {
      $set: {
        title: spec.title,
        timezone: spec.timezone,
        startDate: spec.startDate,
        endDate: spec.endDate,
        checklistKey: spec.checklist.key,
        checklistTitle: spec.checklist.title,
        sections,
        items,
        chats: spec.chats.map((c) => ({ chatId: c.chatId, name: c.name })),
        schedules: spec.schedules,
        escalation: spec.escalation,
        reviewer: spec.reviewer,
        remindBefore: spec.remindBefore,
        followUp: { afterDays: spec.followUp?.afterDays ?? DEFAULT_FOLLOW_UP_DAYS },
        ledgerColumns: spec.ledger?.columns ?? [],
        report: { basis: spec.report?.basis, organisation: spec.report?.organisation },
        ...(spec.org ? { org: spec.org } : {}),
        flags: spec.flags ?? null,
      },
      ...(spec.org ? {} : { $unset: { org: "" } }),
      $setOnInsert: { status: "draft" },
    },
    { upsert: true },
  );

  const unitOps = spec.units.map((u, i) => ({
    updateOne: {
      filter: { campaignKey: spec.key, key: u.key },
      update: { $set: { name: u.name, headKey: u.head, leaderKey: u.leader, order: i } },
      upsert: true,
    },
  }));
  if (unitOps.length) await m.Unit.bulkWrite(unitOps, { ordered: true });

  // People and assignments new to the campaign are inserted in bulk (an upsert per row is ten times
  // slower in the store); rows already there are updated in place. See bench/import.ts.
  const storedPeople = new Set(
    (await m.Person.find({ campaignKey: spec.key }, { key: 1 }).lean()).map((p) => p.key),
  );
  const now = new Date();
  const freshPeople = spec.people
    .filter((p) => !storedPeople.has(p.key))
    .map((p) => {
      const openId = openIds.get(p.key);
      return {
        campaignKey: spec.key,
        key: p.key,
        name: p.name,
        unitKey: p.unit,
        roles: p.roles,
        ...(p.email !== undefined ? { email: p.email } : {}),
        ...(p.mobile !== undefined ? { mobile: p.mobile } : {}),
        locale: p.locale ?? "zh",
        leave: [],
        ...(openId ? { openId } : {}),
        ...(openId && deps.orgOpenIds?.has(openId) ? { source: "feishu" } : {}),
        createdAt: now,
        updatedAt: now,
      };
    });
  await insertInChunks(m.Person.collection, freshPeople);
  const personOps = spec.people
    .filter((p) => storedPeople.has(p.key))
    .map((p) => {
      const openId = openIds.get(p.key);
      return {
        updateOne: {
          filter: { campaignKey: spec.key, key: p.key },
          update: {
            $set: {
              name: p.name,
              unitKey: p.unit,
              roles: p.roles,
              email: p.email,
              mobile: p.mobile,
              locale: p.locale ?? "zh",
              ...(openId ? { openId } : {}),
              ...(openId && deps.orgOpenIds?.has(openId) ? { source: "feishu" } : {}),
            },
            ...(openId ? {} : { $unset: { openId: "" } }),
          },
          upsert: true,
        },
      };
    });
  if (personOps.length) await m.Person.bulkWrite(personOps, { ordered: true });

  const itemSection = new Map(items.map((it) => [it.key, it.sectionKey]));
  const wanted = wantedAssignments(spec);
  const before = new Map((await m.Assignment.find({ campaignKey: spec.key }).lean()).map((a) => [a.key, a]));
  let created = 0;
  let updated = 0;
  const ops = [];
  const fresh = [];
  const fields = (w: typeof wanted extends Map<string, infer W> ? W : never) => ({
    itemKey: w.itemKey,
    sectionKey: itemSection.get(w.itemKey) ?? "",
    target: w.target,
    unitKey: w.unitKey,
    assigneeKey: w.assigneeKey,
    dueDate: w.dueDate,
    withdrawn: false,
  });
  for (const [key, w] of wanted) {
    const b = before.get(key);
    if (!b) {
      created++;
      fresh.push({
        campaignKey: spec.key,
        key,
        ...fields(w),
        state: "pending",
        rev: 0,
        responseVersion: 0,
        createdAt: now,
        updatedAt: now,
      });
      continue;
    }
    if (b.dueDate !== w.dueDate || b.assigneeKey !== w.assigneeKey || b.withdrawn) updated++;
    else continue;
    ops.push({
      updateOne: {
        filter: { campaignKey: spec.key, key },
        update: {
          $set: fields(w),
          $setOnInsert: { state: "pending", rev: 0, responseVersion: 0 },
        },
        upsert: true,
      },
    });
  }
  const gone = [...before.values()].filter((b) => !wanted.has(b.key) && !b.withdrawn);
  for (const g of gone)
    ops.push({ updateOne: { filter: { _id: g._id }, update: { $set: { withdrawn: true } } } });
  await insertInChunks(m.Assignment.collection, fresh);
  for (let i = 0; i < ops.length; i += 500)
    await m.Assignment.bulkWrite(ops.slice(i, i + 500), { ordered: true });

  // Last: the hash marks the import complete, so an interrupted import runs again in full.
  await m.Campaign.updateOne({ key: spec.key }, { $set: { specHash: hash } });
  return {
    ...base,
    unchanged: false,
    assignments: { total: wanted.size, created, updated, withdrawn: gone.length },
    unresolved,
  };
}

/**
 * Insert rows known to be new. A row that appeared meanwhile (an import running twice at once) is a
 * duplicate key and is left as the other import wrote it.
 */
async function insertInChunks(
  coll: { insertMany(docs: Record<string, unknown>[], o: { ordered: boolean }): Promise<unknown> },
  docs: Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < docs.length; i += 1000) {
    try {
      await coll.insertMany(docs.slice(i, i + 1000), { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { code?: number }[] }).writeErrors;
      const onlyDuplicates =
        (err as { code?: number }).code === 11000 ||
        (Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000));
      if (!onlyDuplicates) throw err;
    }
  }
}
