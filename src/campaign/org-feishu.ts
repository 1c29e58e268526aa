/**
 * `org: { from: feishu, departments: [od-…], include_children: true }` in a campaign file: the
 * organisation comes from Feishu's address book. Departments become units (their leader the head),
 * their members people (open_id, name, and mobile / email as the app's scopes allow). Entries the file
 * itself writes for the same unit or person (by key or open_id) win field by field, so leaders in
 * charge (分管领导), admins and extra people stay in the file. The fetch happens before the check
 * (the checker is synchronous); the merged organisation then goes through the same checker as a
 * typed one.
 */
import type { ContactDirectory, DirectorySnapshot } from "../feishu/contact";
import { ContactScopeError, DepartmentNotFoundError } from "../feishu/contact";
import type { FeishuApi } from "../feishu/types";
import { EMAIL_PATTERN, normaliseMobile } from "./schema";

type Dict = Record<string, unknown>;

export interface OrgRequest {
  departments: string[];
  includeChildren: boolean;
}

/** The organisation as fetched, in the raw (file) shape, ready to merge into a campaign object. */
export interface FeishuOrg {
  request: OrgRequest;
  units: Dict[];
  people: Dict[];
  /** Things the clerk should know (masked fields, departments without a leader), Chinese / English. */
  notes: { zh: string; en: string }[];
  /** Scopes whose fields came back masked. */
  maskedScopes: string[];
  stats: { departments: number; people: number; calls: number; ms: number };
}

export type OrgProblem =
  | { kind: "scope"; scopes: string[]; detail: string }
  | { kind: "department"; departmentId: string; detail: string }
  | { kind: "no_connection" }
  | { kind: "failed"; detail: string };

export type OrgFetch = { ok: true; org: FeishuOrg } | { ok: false; problem: OrgProblem };

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** What a raw campaign object asks of the address book (read loosely; the checker checks `org`). */
export function orgRequestOf(raw: unknown): OrgRequest | undefined {
  if (!isDict(raw) || !isDict(raw.org) || raw.org.from !== "feishu") return undefined;
  const d = raw.org.departments;
  const list = (Array.isArray(d) ? d : [d]).filter(
    (x): x is string => typeof x === "string" && x.trim() !== "",
  );
  if (!list.length) return undefined;
  return {
    departments: [...new Set(list.map((x) => x.trim()))],
    includeChildren: raw.org.include_children !== false,
  };
}

/** The snapshot in the campaign file's shape: units keyed by open_department_id, people by open_id. */
export function orgFromSnapshot(snap: DirectorySnapshot, request: OrgRequest): FeishuOrg {
  const inSet = new Set(snap.departments.map((d) => d.id));
  const byId = new Map(snap.departments.map((d) => [d.id, d]));
  const nameCount = new Map<string, number>();
  for (const d of snap.departments) nameCount.set(d.name, (nameCount.get(d.name) ?? 0) + 1);
  const users = new Set(snap.users.map((u) => u.openId));
  const notes: FeishuOrg["notes"] = [];
  const units = snap.departments.map((d) => {
    const parent = byId.get(d.parentId);
    // Unit names are unique in a campaign: a repeated department name gets its parent's in front.
    const name = (nameCount.get(d.name) ?? 0) > 1 && parent ? `${parent.name}·${d.name}` : d.name;
    const head = d.leaderOpenId && users.has(d.leaderOpenId) ? d.leaderOpenId : undefined;
    if (!head)
      notes.push({
        zh: `部门“${d.name}”在通讯录中没有设置部门负责人（或负责人不在所选部门内），该单位没有负责人`,
        en: `department "${d.name}" has no leader in the address book (or the leader is outside the departments chosen): the unit has no head`,
      });
    return { key: d.id, name, ...(head ? { head } : {}) };
  });
  const people = snap.users.map((u) => {
    const unit = u.departmentIds.find((x) => inSet.has(x)) ?? u.foundIn;
    const mobile = u.mobile && normaliseMobile(u.mobile) ? u.mobile : undefined;
    const email = u.email && EMAIL_PATTERN.test(u.email) ? u.email : undefined;
    return {
      key: u.openId,
      name: u.name,
      unit,
      open_id: u.openId,
      ...(mobile ? { mobile } : {}),
      ...(email ? { email } : {}),
    };
  });
  for (const m of snap.masked)
    notes.push({
      zh: `通讯录没有返回任何人的${m.field === "mobile" ? "手机号" : "邮箱"}：应用可能缺少权限 ${m.scope}（不影响发送卡片）`,
      en: `the address book returned nobody's ${m.field}: the app probably lacks the scope ${m.scope} (cards are still sent by open_id)`,
    });
  return {
    request,
    units,
    people,
    notes,
    maskedScopes: snap.masked.map((m) => m.scope),
    stats: {
      departments: snap.departments.length,
      people: snap.users.length,
      calls: snap.calls,
      ms: snap.ms,
    },
  };
}

/**
 * The campaign object with the fetched organisation in it. File entries keep their place (errors in
 * them still name their own line or cell) and win field by field over the address book; units and
 * people only the address book has come after them.
 */
export function mergeOrg(root: Dict, org: FeishuOrg): Dict {
  const fileUnits = Array.isArray(root.units) ? (root.units as unknown[]) : [];
  const filePeople = Array.isArray(root.people) ? (root.people as unknown[]) : [];
  const unitById = new Map(org.units.map((u) => [u.key as string, u]));
  const usedUnits = new Set<string>();
  const units = fileUnits.map((u) => {
    const key = isDict(u) && typeof u.key === "string" ? u.key : undefined;
    const from = key ? unitById.get(key) : undefined;
    if (!from) return u;
    usedUnits.add(key!);
    return { ...from, ...(u as Dict) };
  });
  for (const u of org.units) if (!usedUnits.has(u.key as string)) units.push(u);

  // A file person is the Feishu person with the same open_id (or key), mobile or email.
  const match = new Map<string, Dict>();
  for (const p of org.people) {
    match.set(`id:${p.key as string}`, p);
    if (typeof p.mobile === "string") match.set(`m:${normaliseMobile(p.mobile)}`, p);
    if (typeof p.email === "string") match.set(`e:${p.email.toLowerCase()}`, p);
  }
  const usedPeople = new Set<string>();
  const people = filePeople.map((p) => {
    if (!isDict(p)) return p;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const mobile = str(p.mobile) && normaliseMobile(str(p.mobile)!);
    const from =
      match.get(`id:${str(p.open_id) ?? str(p.key)}`) ??
      (mobile ? match.get(`m:${mobile}`) : undefined) ??
      (str(p.email) ? match.get(`e:${str(p.email)!.toLowerCase()}`) : undefined);
    if (!from || usedPeople.has(from.key as string)) return p;
    usedPeople.add(from.key as string);
    // The file's key wins, so references in the file keep working; the unit comes from Feishu unless written.
    return { ...from, ...p };
  });
  for (const p of org.people) if (!usedPeople.has(p.key as string)) people.push(p);
  // A file person standing in for a Feishu one under another key: heads pointing at the open_id follow.
  const renamed = new Map<string, string>();
  for (const p of people)
    if (isDict(p) && typeof p.open_id === "string" && typeof p.key === "string" && p.key !== p.open_id)
      renamed.set(p.open_id, p.key);
  if (renamed.size)
    for (const u of units)
      if (isDict(u) && typeof u.head === "string" && renamed.has(u.head)) u.head = renamed.get(u.head);
  return { ...root, units, people };
}

/** Fetch the organisation a campaign file asks for; a missing scope or department is a problem, not a throw. */
export async function fetchFeishuOrg(
  contact: ContactDirectory | undefined,
  request: OrgRequest,
): Promise<OrgFetch> {
  if (!contact) return { ok: false, problem: { kind: "no_connection" } };
  try {
    const snap = await contact.fetchOrg(request);
    return { ok: true, org: orgFromSnapshot(snap, request) };
  } catch (e) {
    if (e instanceof ContactScopeError)
      return { ok: false, problem: { kind: "scope", scopes: e.scopes, detail: e.message } };
    if (e instanceof DepartmentNotFoundError)
      return { ok: false, problem: { kind: "department", departmentId: e.departmentId, detail: e.message } };
    return { ok: false, problem: { kind: "failed", detail: e instanceof Error ? e.message : String(e) } };
  }
}

/** What to tell the clerk (and the CLI) about a problem, Chinese first. */
export function orgProblemText(p: OrgProblem): { zh: string; en: string } {
  switch (p.kind) {
    case "scope": {
      const scopes = p.scopes.length ? p.scopes.join("、") : "通讯录读取权限";
      const en = p.scopes.length ? p.scopes.join(", ") : "a contact (address book) read scope";
      return {
        zh: `应用缺少飞书权限 ${scopes}：请在飞书开放平台的“权限管理”中开通，发布新版本后重试。什么都没有导入。`,
        en: `the app lacks the Feishu scope ${en}: add it under Permissions & Scopes in the developer console, publish a version and try again. Nothing was imported.`,
      };
    }
    case "department":
      return {
        zh: `通讯录中找不到部门 ${p.departmentId}（或不在应用的通讯录权限范围内）：请检查部门 ID，或在开放平台把它加入“通讯录权限范围”。什么都没有导入。`,
        en: `department ${p.departmentId} is not in the address book (or outside the app's contact range): check the id, or add it to the app's contact range. Nothing was imported.`,
      };
    case "no_connection":
      return {
        zh: "活动文件要求从飞书通讯录读取组织架构（org: from: feishu），但没有飞书连接：请在 npm start 运行时导入。什么都没有导入。",
        en: "the campaign file takes its organisation from Feishu's address book (org: from: feishu) but there is no Feishu connection: import while `npm start` runs. Nothing was imported.",
      };
    case "failed":
      return {
        zh: `读取飞书通讯录失败（${p.detail}）：稍后重试。什么都没有导入。`,
        en: `reading Feishu's address book failed (${p.detail}): try again later. Nothing was imported.`,
      };
  }
}

/** The FeishuApi's address book, when there is a connection. */
export function contactOf(feishu: FeishuApi | undefined): ContactDirectory | undefined {
  return feishu?.contact;
}
