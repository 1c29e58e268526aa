/**
 * Re-sync of a campaign's organisation with Feishu's address book (同步通讯录; on re-import too):
 * what changed — new units and people, people moved to another unit, people who left, new heads —
 * is computed first and shown (a card with 应用 / 取消, or the CLI's dry run); applying it then:
 * - a new person or unit is added (source "feishu"); a new unit with a head gets what every unit has
 *   (each item assigned to every answering unit, with its most common due date; one whose date has
 *   passed gets until the campaign's end) — other items are the office's to give it (re-import);
 * - a moved person's unit changes, and so does the unit of their assignments not answered yet (their
 *   future cards follow the new unit);
 * - a new head takes over the unit's unanswered assignments;
 * - a person who left is marked (leftAt, undeliverable "left"), nothing of theirs is deleted (their
 *   answers stay), and their open measures go to their unit's head (or its leader when the head is
 *   the one who left and there is no new head), who is told on a card to reassign them.
 * Every change is an audit entry with a natural key, so applying the same diff twice writes nothing twice.
 */
import crypto from "node:crypto";
import { MEASURE_DONE } from "../domain/types";
import type { ContactDirectory } from "../feishu/contact";
import { fetchFeishuOrg, type FeishuOrg, type OrgProblem } from "../campaign/org-feishu";
import type { CampaignSpec } from "../domain/types";
import type { Models } from "../repositories/models";
import { todayIn } from "../time";
import type { OutboundJob } from "../../jobs/outbound";
import { assignmentKey } from "./campaign-import";
import { startCampaign } from "./campaign-start";
import { audit, type Person, type ServiceDeps } from "./context";

export interface OrgChangePerson {
  key: string;
  name: string;
}

export interface OrgDiff {
  campaignKey: string;
  addedUnits: { key: string; name: string; headKey?: string }[];
  added: (OrgChangePerson & {
    openId: string;
    unitKey: string;
    mobile?: string;
    email?: string;
    /** Marked left before, back in the address book now. */
    returned?: boolean;
  })[];
  moved: (OrgChangePerson & { fromUnit: string; toUnit: string; pendingAssignments: number })[];
  left: (OrgChangePerson & { unitKey: string; openMeasures: number; answers: number })[];
  heads: { unitKey: string; from?: string; to: string }[];
  renamed: { key: string; from: string; to: string }[];
  /** Display names of the units and people the lists name. */
  unitNames: Record<string, string>;
  personNames: Record<string, string>;
  /** Identifies this diff: applying checks the address book still says the same. */
  hash: string;
  notes: { zh: string; en: string }[];
}

/** A diff that changes nothing (applying it still finishes what an interrupted apply left). */
export function emptyOrgDiff(campaignKey: string, hash = ""): OrgDiff {
  return {
    campaignKey,
    addedUnits: [],
    added: [],
    moved: [],
    left: [],
    heads: [],
    renamed: [],
    unitNames: {},
    personNames: {},
    hash,
    notes: [],
  };
}

export function isEmptyDiff(d: OrgDiff): boolean {
  return !d.addedUnits.length && !d.added.length && !d.moved.length && !d.left.length && !d.heads.length;
}

type DesiredUnit = { key: string; name: string; head?: string };
type DesiredPerson = {
  key: string;
  name: string;
  unit: string;
  openId: string;
  mobile?: string;
  email?: string;
};

/**
 * The diff between what the campaign stores and the organisation wanted (from the address book).
 * `feishuUnits` are the units the address book owns: a person the file put in another unit is not moved.
 */
export async function diffOrganisation(
  m: Models,
  campaignKey: string,
  want: { units: DesiredUnit[]; people: DesiredPerson[]; notes?: OrgDiff["notes"] },
): Promise<OrgDiff> {
  const [units, people] = await Promise.all([
    m.Unit.find({ campaignKey }).lean(),
    m.Person.find({ campaignKey }).lean(),
  ]);
  const unitByKey = new Map(units.map((u) => [u.key, u]));
  const byOpenId = new Map(people.filter((p) => p.openId).map((p) => [p.openId!, p]));
  const feishuUnits = new Set(want.units.map((u) => u.key));
  const keyOfOpenId = (openId: string | undefined) =>
    openId === undefined ? undefined : (byOpenId.get(openId)?.key ?? openId);
  const unitNames: Record<string, string> = {};
  const personNames: Record<string, string> = {};
  for (const u of units) unitNames[u.key] = u.name;
  for (const p of people) personNames[p.key] = p.name;

  const diff: OrgDiff = { ...emptyOrgDiff(campaignKey), unitNames, personNames, notes: want.notes ?? [] };
  for (const p of want.people) personNames[keyOfOpenId(p.openId)!] ??= p.name;
  for (const u of want.units) {
    unitNames[u.key] ??= u.name;
    const head = keyOfOpenId(u.head);
    const have = unitByKey.get(u.key);
    if (!have) diff.addedUnits.push({ key: u.key, name: u.name, ...(head ? { headKey: head } : {}) });
    // No leader in the address book: the head the file set (or had) stays.
    else if (head && have.headKey !== head)
      diff.heads.push({ unitKey: u.key, from: have.headKey ?? undefined, to: head });
  }
  const wanted = new Set<string>();
  for (const p of want.people) {
    wanted.add(p.openId);
    const have = byOpenId.get(p.openId);
    if (!have || have.leftAt) {
      diff.added.push({
        key: have?.key ?? p.key,
        name: p.name,
        openId: p.openId,
        unitKey: p.unit,
        ...(p.mobile ? { mobile: p.mobile } : {}),
        ...(p.email ? { email: p.email } : {}),
        ...(have ? { returned: true } : {}),
      });
      continue;
    }
    if (have.unitKey !== p.unit && (feishuUnits.has(have.unitKey) || !unitByKey.has(have.unitKey))) {
      const pendingAssignments = await m.Assignment.countDocuments({
        campaignKey,
        target: "person",
        assigneeKey: have.key,
        state: "pending",
        withdrawn: false,
      });
      diff.moved.push({
        key: have.key,
        name: have.name,
        fromUnit: have.unitKey,
        toUnit: p.unit,
        pendingAssignments,
      });
    }
    if (have.name !== p.name && have.source === "feishu")
      diff.renamed.push({ key: have.key, from: have.name, to: p.name });
  }
  for (const p of people) {
    if (p.source !== "feishu" || p.leftAt || !p.openId || wanted.has(p.openId)) continue;
    const [openMeasures, answers] = await Promise.all([
      m.Measure.countDocuments({ campaignKey, ownerKey: p.key, state: { $nin: MEASURE_DONE } }),
      m.Assignment.countDocuments({ campaignKey, assigneeKey: p.key, responseVersion: { $gt: 0 } }),
    ]);
    diff.left.push({ key: p.key, name: p.name, unitKey: p.unitKey, openMeasures, answers });
  }
  diff.hash = diffHash(diff);
  return diff;
}

function diffHash(d: OrgDiff): string {
  const core = {
    u: d.addedUnits,
    a: d.added.map((x) => [x.key, x.unitKey]),
    m: d.moved.map((x) => [x.key, x.toUnit]),
    l: d.left.map((x) => x.key),
    h: d.heads,
  };
  return crypto.createHash("sha256").update(JSON.stringify(core)).digest("hex").slice(0, 16);
}

/** The organisation a spec (a checked campaign file with `org:`) wants, for the diff at re-import. */
export function wantedFromSpec(
  spec: CampaignSpec,
  org: FeishuOrg,
): { units: DesiredUnit[]; people: DesiredPerson[] } {
  const feishuUnits = new Set(org.units.map((u) => u.key as string));
  const feishuIds = new Set(org.people.map((p) => p.open_id as string));
  const byKey = new Map(spec.people.map((p) => [p.key, p]));
  return {
    units: spec.units
      .filter((u) => feishuUnits.has(u.key))
      .map((u) => ({
        key: u.key,
        name: u.name,
        head: u.head ? (byKey.get(u.head)?.openId ?? u.head) : undefined,
      })),
    people: spec.people
      .filter((p) => p.openId && feishuIds.has(p.openId))
      .map((p) => ({
        key: p.key,
        name: p.name,
        unit: p.unit,
        openId: p.openId!,
        mobile: p.mobile,
        email: p.email,
      })),
  };
}

export type SyncPlan =
  { ok: true; diff: OrgDiff; org: FeishuOrg } | { ok: false; problem: OrgProblem | { kind: "not_org" } };

/** 同步通讯录: read the campaign's departments again and diff them with what is stored. Writes nothing. */
export async function planOrgSync(
  d: ServiceDeps,
  contact: ContactDirectory | undefined,
  campaignKey: string,
): Promise<SyncPlan> {
  const c = await d.models.Campaign.findOne({ key: campaignKey }, { org: 1 }).lean();
  const req = c?.org?.departments?.length
    ? { departments: c.org.departments, includeChildren: c.org.includeChildren !== false }
    : undefined;
  if (!req) return { ok: false, problem: { kind: "not_org" } };
  const fetched = await fetchFeishuOrg(contact, req);
  if (!fetched.ok) return fetched;
  const org = fetched.org;
  const diff = await diffOrganisation(d.models, campaignKey, {
    units: org.units.map((u) => ({
      key: u.key as string,
      name: u.name as string,
      head: u.head as string | undefined,
    })),
    people: org.people.map((p) => ({
      key: p.key as string,
      name: p.name as string,
      unit: p.unit as string,
      openId: p.open_id as string,
      mobile: p.mobile as string | undefined,
      email: p.email as string | undefined,
    })),
    notes: org.notes,
  });
  return { ok: true, diff, org };
}

export interface Reassigned {
  measureId: string;
  seq: number;
  content: string;
  fromKey: string;
  toKey: string;
}

export interface ApplyResult {
  addedUnits: number;
  /** Self-check items given to the new units (what every unit has). */
  assigned: number;
  added: number;
  moved: number;
  left: number;
  heads: number;
  reassigned: Reassigned[];
  /** Open measures of people who left with nobody to take them (no head, no leader): listed for the admins. */
  orphaned: { measureId: string; seq: number; ownerKey: string }[];
}

export interface ApplyDeps extends ServiceDeps {
  /** Tell a head which measures came to them (a card through the outbound queue). */
  notifyHead?: (head: Person, measures: Reassigned[], leftNames: string[]) => Promise<void>;
}

/**
 * A unit new to the campaign gets the items every answering unit has (`units: all` in the file becomes
 * one assignment per unit, so "all" is seen as: every unit that answers unit items has it), each with
 * the due date most of them have (the later on a tie); a date already past becomes the campaign's end.
 * Items only some units or people have are left for the office (re-import the file). The units are those
 * stored with `syncAssign` (set when a sync adds them): one whose apply was killed before its items were
 * given still has it, so the next apply gives them; a unit without a head keeps it until it has one.
 * Natural keys: applying twice assigns once. Answers the number of assignments created.
 */
async function assignNewUnits(
  d: ServiceDeps,
  campaignKey: string,
  by: Person | null | undefined,
  tag: string,
): Promise<number> {
  const units = await d.models.Unit.find({ campaignKey, syncAssign: true }, { key: 1, headKey: 1 }).lean();
  const heads = units.filter((u) => u.headKey);
  if (!heads.length) return 0;
  const fresh = new Set(units.map((u) => u.key));
  const rows = (
    await d.models.Assignment.find(
      { campaignKey, target: "unit", withdrawn: false },
      { itemKey: 1, sectionKey: 1, unitKey: 1, dueDate: 1 },
    ).lean()
  ).filter((r) => !fresh.has(r.unitKey));
  const answering = new Set(rows.map((r) => r.unitKey));
  if (!answering.size) return 0;
  const byItem = new Map<string, { sectionKey: string; units: Set<string>; dues: Map<string, number> }>();
  for (const r of rows) {
    const x = byItem.get(r.itemKey) ?? { sectionKey: r.sectionKey, units: new Set(), dues: new Map() };
    x.units.add(r.unitKey);
    x.dues.set(r.dueDate, (x.dues.get(r.dueDate) ?? 0) + 1);
    byItem.set(r.itemKey, x);
  }
  const campaign = await d.models.Campaign.findOne({ key: campaignKey }, { endDate: 1, timezone: 1 }).lean();
  const today = todayIn(campaign?.timezone ?? "Asia/Shanghai", d.now());
  let created = 0;
  for (const u of heads)
    for (const [itemKey, x] of byItem) {
      if (x.units.size < answering.size) continue;
      const [due] = [...x.dues].sort((a, b) => b[1] - a[1] || b[0].localeCompare(a[0]))[0]!;
      const dueDate = due < today && campaign?.endDate ? campaign.endDate : due;
      const w = await d.models.Assignment.updateOne(
        { campaignKey, key: assignmentKey(itemKey, "unit", u.key) },
        {
          $setOnInsert: {
            itemKey,
            sectionKey: x.sectionKey,
            target: "unit",
            unitKey: u.key,
            assigneeKey: u.headKey,
            dueDate,
            state: "pending",
            rev: 0,
            responseVersion: 0,
            withdrawn: false,
          },
        },
        { upsert: true },
      );
      if (!w.upsertedCount) continue;
      created++;
      await audit(d, {
        campaignKey,
        entity: "assignment",
        entityId: assignmentKey(itemKey, "unit", u.key),
        action: "org.assign",
        to: dueDate,
        by,
        key: `${tag}:assign:${u.key}:${itemKey}`,
      });
    }
  // Last, once every item of theirs is stored.
  await d.models.Unit.updateMany(
    { campaignKey, key: { $in: heads.map((u) => u.key) } },
    { $unset: { syncAssign: "" } },
  );
  return created;
}

/**
 * After an apply: in a running campaign the cards of what it assigned go out now (only cards not sent
 * yet; the start's own idempotence). `running: false` when the campaign has not started (its start sends
 * them); `sent` undefined when there is no outbound queue (the CLI without Redis).
 */
export async function sendAssignedCards(
  d: Pick<ServiceDeps, "models" | "now"> & {
    outbound?: { enqueueMany?: (jobs: OutboundJob[], o?: { recorded?: boolean }) => Promise<void> };
  },
  campaignKey: string,
  assigned: number,
): Promise<{ running: boolean; sent?: number }> {
  const running = Boolean(await d.models.Campaign.exists({ key: campaignKey, status: "active" }));
  if (!assigned || !running) return { running };
  const enqueueMany = d.outbound?.enqueueMany?.bind(d.outbound);
  if (!enqueueMany) return { running };
  const r = await startCampaign({ models: d.models, now: d.now, outbound: { enqueueMany } }, campaignKey);
  return { running, sent: r.enqueued };
}

const LEFT_REASON = "已离职（通讯录同步） / left the organisation (address book sync)";

/** Apply a diff computed by diffOrganisation. Idempotent: a second run finds nothing left to change. */
export async function applyOrgDiff(d: ApplyDeps, diff: OrgDiff, by?: Person | null): Promise<ApplyResult> {
  const m = d.models;
  const campaignKey = diff.campaignKey;
  const now = d.now();
  const tag = `orgsync:${diff.hash}`;
  const result: ApplyResult = {
    addedUnits: 0,
    assigned: 0,
    added: 0,
    moved: 0,
    left: 0,
    heads: 0,
    reassigned: [],
    orphaned: [],
  };

  const lastOrder =
    (await m.Unit.findOne({ campaignKey }, { order: 1 }).sort({ order: -1 }).lean())?.order ?? 0;
  let order = lastOrder;
  for (const u of diff.addedUnits) {
    const w = await m.Unit.updateOne(
      { campaignKey, key: u.key },
      {
        $setOnInsert: {
          name: uniqueUnitName(u.name, diff),
          headKey: u.headKey,
          order: ++order,
          syncAssign: true,
        },
      },
      { upsert: true },
    );
    if (w.upsertedCount) result.addedUnits++;
    await audit(d, {
      campaignKey,
      entity: "unit",
      entityId: u.key,
      action: "org.add",
      to: u.name,
      by,
      key: `${tag}:unit:${u.key}`,
    });
  }
  for (const p of diff.added) {
    await m.Person.updateOne(
      { campaignKey, key: p.key },
      {
        $set: {
          name: p.name,
          unitKey: p.unitKey,
          openId: p.openId,
          source: "feishu",
          email: p.email,
          mobile: p.mobile,
        },
        $unset: { leftAt: "", ...(p.returned ? { undeliverable: "" } : {}) },
        $setOnInsert: { roles: ["member"], locale: "zh" },
      },
      { upsert: true },
    );
    result.added++;
    await audit(d, {
      campaignKey,
      entity: "person",
      entityId: p.key,
      action: p.returned ? "org.return" : "org.add",
      to: p.unitKey,
      by,
      key: `${tag}:add:${p.key}`,
    });
  }
  // Heads of new units have the role (their person may be new too).
  for (const u of diff.addedUnits)
    if (u.headKey)
      await m.Person.updateOne({ campaignKey, key: u.headKey }, { $addToSet: { roles: "head" } });
  result.assigned = await assignNewUnits(d, campaignKey, by, tag);
  for (const p of diff.moved) {
    await m.Person.updateOne({ campaignKey, key: p.key }, { $set: { unitKey: p.toUnit } });
    // Cards not answered yet follow the new unit; what was answered stays where it was answered.
    await m.Assignment.updateMany(
      { campaignKey, target: "person", assigneeKey: p.key, state: "pending", withdrawn: false },
      { $set: { unitKey: p.toUnit } },
    );
    result.moved++;
    await audit(d, {
      campaignKey,
      entity: "person",
      entityId: p.key,
      action: "org.move",
      from: p.fromUnit,
      to: p.toUnit,
      by,
      key: `${tag}:move:${p.key}`,
    });
  }
  for (const h of diff.heads) {
    await m.Unit.updateOne({ campaignKey, key: h.unitKey }, { $set: { headKey: h.to } });
    await m.Person.updateOne({ campaignKey, key: h.to }, { $addToSet: { roles: "head" } });
    if (h.from && !(await m.Unit.exists({ campaignKey, headKey: h.from })))
      await m.Person.updateOne({ campaignKey, key: h.from }, { $pull: { roles: "head" } });
    // The new head answers the unit's items not answered yet.
    await m.Assignment.updateMany(
      { campaignKey, target: "unit", unitKey: h.unitKey, state: "pending", withdrawn: false },
      { $set: { assigneeKey: h.to } },
    );
    result.heads++;
    await audit(d, {
      campaignKey,
      entity: "unit",
      entityId: h.unitKey,
      action: "org.head",
      from: h.from,
      to: h.to,
      by,
      key: `${tag}:head:${h.unitKey}`,
    });
  }

  const byHead = new Map<string, { measures: Reassigned[]; left: Set<string> }>();
  for (const p of diff.left) {
    await m.Person.updateOne(
      { campaignKey, key: p.key },
      { $set: { leftAt: now, undeliverable: { kind: "left", reason: LEFT_REASON, at: now } } },
    );
    result.left++;
    await audit(d, {
      campaignKey,
      entity: "person",
      entityId: p.key,
      action: "org.left",
      from: p.unitKey,
      by,
      reason: LEFT_REASON,
      key: `${tag}:left:${p.key}`,
    });
    const unit = await m.Unit.findOne({ campaignKey, key: p.unitKey }).lean();
    const to =
      unit?.headKey && unit.headKey !== p.key
        ? unit.headKey
        : unit?.leaderKey && unit.leaderKey !== p.key
          ? unit.leaderKey
          : undefined;
    const open = await m.Measure.find({ campaignKey, ownerKey: p.key, state: { $nin: MEASURE_DONE } }).lean();
    for (const x of open) {
      if (!to) {
        result.orphaned.push({ measureId: String(x._id), seq: x.seq, ownerKey: p.key });
        continue;
      }
      const w = await m.Measure.updateOne(
        { _id: x._id, ownerKey: p.key },
        { $set: { ownerKey: to }, $inc: { rev: 1 } },
      );
      if (!w.modifiedCount) continue;
      const r: Reassigned = {
        measureId: String(x._id),
        seq: x.seq,
        content: x.content,
        fromKey: p.key,
        toKey: to,
      };
      result.reassigned.push(r);
      await audit(d, {
        campaignKey,
        entity: "measure",
        entityId: String(x._id),
        action: "reassign",
        from: p.key,
        to,
        by,
        reason: `原责任人${p.name}已离职，转单位负责人重新指定 / owner ${p.name} left; to the head for reassignment`,
        key: `${tag}:measure:${String(x._id)}`,
      });
      const e = byHead.get(to) ?? { measures: [], left: new Set<string>() };
      e.measures.push(r);
      e.left.add(p.name);
      byHead.set(to, e);
    }
    // Reviews they would have done go to the same person.
    if (to)
      await m.Measure.updateMany(
        { campaignKey, reviewerKey: p.key, state: { $nin: MEASURE_DONE } },
        { $set: { reviewerKey: to }, $inc: { rev: 1 } },
      );
  }
  if (d.notifyHead)
    for (const [key, e] of byHead) {
      const head = await m.Person.findOne({ campaignKey, key }).lean();
      if (head) await d.notifyHead(head, e.measures, [...e.left]);
    }
  return result;
}

/** A new unit whose name another unit already has (the unique index) gets its key in brackets. */
function uniqueUnitName(name: string, diff: OrgDiff): string {
  const taken = Object.entries(diff.unitNames).filter(([, n]) => n === name).length;
  return taken > 1 ? `${name}（${diff.addedUnits.find((u) => u.name === name)?.key ?? ""}）` : name;
}
