/** Contact: `POST /open-apis/contact/v3/users/batch_get_id` and `GET /open-apis/contact/v3/users/:user_id`. */
import { type Request, type Response } from "express";
import { Codes, type FieldViolation, fieldValidation } from "./codes";
import { MEMBER_ID_TYPES, Obj, asObj, str } from "./shared";
import { EmulatorState } from "./state";
import { type EmulatorDepartment, type EmulatorUser } from "./types";

const MAX_BATCH_IDS = 50;

function normaliseMobile(m: string): string {
  const s = m.replace(/[\s-]/g, "");
  return s.startsWith("+86") ? s.slice(3) : s;
}

function idOf(s: EmulatorState, u: EmulatorUser, idType: string): string | undefined {
  if (idType === "open_id") return u.open_id;
  if (idType === "union_id") return u.union_id;
  return u.user_id;
}

export function handleBatchGetId(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "contact.batch_get_id")) return;
  const idType = str(req.query.user_id_type) ?? "open_id";
  const body = asObj(req.body);
  const v: FieldViolation[] = [];
  if (!MEMBER_ID_TYPES.includes(idType))
    v.push({
      field: "user_id_type",
      description: `user_id_type is optional, options: [${MEMBER_ID_TYPES.join(",")}]`,
    });
  const list = (field: "emails" | "mobiles"): string[] => {
    const raw = body[field];
    if (raw === undefined) return [];
    if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string")) {
      v.push({ field, description: `${field} must be an array of strings` });
      return [];
    }
    if (raw.length > MAX_BATCH_IDS) v.push({ field, description: `the max len is ${MAX_BATCH_IDS}` });
    return raw as string[];
  };
  const emails = list("emails");
  const mobiles = list("mobiles");
  if (body.include_resigned !== undefined && typeof body.include_resigned !== "boolean") {
    v.push({ field: "include_resigned", description: "include_resigned must be a boolean" });
  }
  if (v.length) return s.fail(req, res, fieldValidation(v));
  const includeResigned = body.include_resigned === true;
  const users = [...s.users.values()];
  const entry = (u: EmulatorUser | undefined, key: "email" | "mobile", value: string): Obj => {
    if (!u || (u.departed && !includeResigned)) return { [key]: value };
    const out: Obj = {};
    const id = idOf(s, u, idType);
    if (id) out.user_id = id;
    out[key] = value;
    if (includeResigned) out.status = userStatus(s, u);
    return out;
  };
  const user_list = [
    ...emails.map((e) =>
      entry(
        users.find((u) => u.email?.toLowerCase() === e.toLowerCase()),
        "email",
        e,
      ),
    ),
    ...mobiles.map((m) =>
      entry(
        users.find((u) => u.mobile && normaliseMobile(u.mobile) === normaliseMobile(m)),
        "mobile",
        m,
      ),
    ),
  ];
  s.ok(req, res, { user_list });
}

function userStatus(s: EmulatorState, u: EmulatorUser): Obj {
  return {
    is_frozen: false,
    is_resigned: u.departed === true,
    is_activated: u.departed !== true,
    is_exited: false,
    is_unjoin: false,
  };
}

export function handleUserGet(s: EmulatorState, req: Request, res: Response): void {
  const idType = str(req.query.user_id_type) ?? "open_id";
  if (!MEMBER_ID_TYPES.includes(idType)) {
    return s.fail(
      req,
      res,
      fieldValidation([
        {
          field: "user_id_type",
          description: `user_id_type is optional, options: [${MEMBER_ID_TYPES.join(",")}]`,
        },
      ]),
    );
  }
  const id = String(req.params.user_id);
  const u = [...s.users.values()].find((x) => idOf(s, x, idType) === id);
  if (!u) return s.fail(req, res, idType === "open_id" ? Codes.openIdCrossApp() : Codes.noUserAuthority());
  const user: Obj = { open_id: u.open_id, union_id: u.union_id };
  if (u.user_id) user.user_id = u.user_id;
  Object.assign(user, { name: u.name, en_name: u.name });
  if (u.email) user.email = u.email;
  if (u.mobile) user.mobile = u.mobile;
  Object.assign(user, { status: userStatus(s, u), department_ids: [], tenant_key: s.tenantKey });
  if (u.locale) user.locale = u.locale;
  s.ok(req, res, { user });
}

// ---- Address book: departments' children and users by department (contact v3), paged and masked by scope.

const MAX_PAGE_SIZE = 50;
const DEFAULT_PAGE_SIZE = 10;
const DEPARTMENT_ID_TYPES = ["open_department_id", "department_id"];

/** `department_id_type` and `user_id_type`, with their defaults; a wrong one is a field violation. */
function idTypes(req: Request, v: FieldViolation[]): { idType: string; userIdType: string } {
  const idType = str(req.query.department_id_type) ?? "open_department_id";
  const userIdType = str(req.query.user_id_type) ?? "open_id";
  if (!DEPARTMENT_ID_TYPES.includes(idType))
    v.push({ field: "department_id_type", description: `options: [${DEPARTMENT_ID_TYPES.join(",")}]` });
  if (!MEMBER_ID_TYPES.includes(userIdType))
    v.push({ field: "user_id_type", description: `options: [${MEMBER_ID_TYPES.join(",")}]` });
  return { idType, userIdType };
}

/** `page_size` and `page_token` as Feishu checks them: 1..50, and a token this emulator issued. */
function paging(req: Request, v: FieldViolation[]): { size: number; offset: number } {
  const rawSize = str(req.query.page_size);
  let size = DEFAULT_PAGE_SIZE;
  if (rawSize !== undefined) {
    size = Number(rawSize);
    if (!Number.isInteger(size) || size < 1)
      v.push({ field: "page_size", description: "page_size must be a positive integer" });
    else if (size > MAX_PAGE_SIZE)
      v.push({ field: "page_size", description: `the max value is ${MAX_PAGE_SIZE}` });
  }
  const token = str(req.query.page_token);
  let offset = 0;
  if (token) {
    const m = /^pt_(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!m) v.push({ field: "page_token", description: "page_token is invalid" });
    else offset = Number(m[1]);
  }
  return { size, offset };
}

function page<T>(
  list: T[],
  size: number,
  offset: number,
): { items: T[]; has_more: boolean; page_token?: string } {
  const items = list.slice(offset, offset + size);
  const next = offset + size;
  return next < list.length
    ? { items, has_more: true, page_token: Buffer.from(`pt_${next}`).toString("base64url") }
    : { items, has_more: false };
}

/** Feishu's answer when the app lacks a scope: 99991672, the scopes that would do named in `msg`. */
function missingScope(s: EmulatorState, req: Request, res: Response, scope: string): boolean {
  if (s.scopes.has(scope)) return false;
  s.fail(req, res, Codes.scopeMissing([scope]));
  return true;
}

function findDepartment(s: EmulatorState, id: string, idType: string): EmulatorDepartment | undefined {
  if (idType === "open_department_id") return s.departments.get(id);
  return [...s.departments.values()].find((d) => d.department_id === id);
}

function departmentJson(s: EmulatorState, d: EmulatorDepartment, idType: string, deptIdType: string): Obj {
  const parent = d.parent_department_id === "0" ? undefined : s.departments.get(d.parent_department_id);
  const leader = d.leader_user_id ? s.users.get(d.leader_user_id) : undefined;
  const leaderId = leader ? idOf(s, leader, idType) : undefined;
  const members = [...s.users.values()].filter(
    (u) => !u.departed && u.department_ids?.includes(d.open_department_id),
  ).length;
  return {
    name: d.name,
    i18n_name: { zh_cn: d.name },
    parent_department_id: !parent
      ? "0"
      : deptIdType === "department_id"
        ? (parent.department_id ?? parent.open_department_id)
        : parent.open_department_id,
    department_id: d.department_id ?? d.open_department_id,
    open_department_id: d.open_department_id,
    ...(leaderId ? { leader_user_id: leaderId, leaders: [{ leaderType: 1, leaderID: leaderId }] } : {}),
    order: String(d.order ?? 0),
    member_count: members,
    status: { is_deleted: false },
  };
}

/** `GET /open-apis/contact/v3/departments/:department_id/children` (root "0"; fetch_child for the whole subtree). */
export function handleDepartmentChildren(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "contact.department.children")) return;
  if (missingScope(s, req, res, "contact:department.base:readonly")) return;
  const v: FieldViolation[] = [];
  const { idType, userIdType } = idTypes(req, v);
  const { size, offset } = paging(req, v);
  if (v.length) return s.fail(req, res, fieldValidation(v));
  const id = String(req.params.department_id);
  const parent = id === "0" ? undefined : findDepartment(s, id, idType);
  if (id !== "0" && !parent) return s.fail(req, res, Codes.departmentNotFound());
  const root = parent ? parent.open_department_id : "0";
  const all = [...s.departments.values()].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const recursive = str(req.query.fetch_child) === "true";
  const out: EmulatorDepartment[] = [];
  const walk = (p: string) => {
    for (const d of all.filter((x) => x.parent_department_id === p)) {
      out.push(d);
      if (recursive) walk(d.open_department_id);
    }
  };
  walk(root);
  const p = page(out, size, offset);
  s.ok(req, res, { ...p, items: p.items.map((d) => departmentJson(s, d, userIdType, idType)) });
}

/** `GET /open-apis/contact/v3/users/find_by_department`: the people directly in a department, fields by scope. */
export function handleFindByDepartment(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "contact.user.find_by_department")) return;
  if (missingScope(s, req, res, "contact:user.base:readonly")) return;
  const v: FieldViolation[] = [];
  const deptId = str(req.query.department_id);
  if (!deptId) v.push({ field: "department_id", description: "department_id is required" });
  const { idType } = idTypes(req, v);
  const { size, offset } = paging(req, v);
  if (v.length) return s.fail(req, res, fieldValidation(v));
  const dept = deptId === "0" ? undefined : findDepartment(s, deptId!, idType);
  if (deptId !== "0" && !dept) return s.fail(req, res, Codes.departmentNotFound());
  const members = [...s.users.values()].filter(
    (u) =>
      !u.departed && (dept ? u.department_ids?.includes(dept.open_department_id) : !u.department_ids?.length),
  );
  const p = page(members, size, offset);
  const items = p.items.map((u) => {
    const o: Obj = { open_id: u.open_id, union_id: u.union_id, name: u.name, en_name: u.name };
    if (s.scopes.has("contact:user.employee_id:readonly") && u.user_id) o.user_id = u.user_id;
    if (s.scopes.has("contact:user.email:readonly") && u.email) o.email = u.email;
    if (s.scopes.has("contact:user.phone:readonly") && u.mobile) o.mobile = u.mobile;
    o.department_ids = (u.department_ids ?? []).map((d) => {
      const x = s.departments.get(d);
      return idType === "department_id" ? (x?.department_id ?? d) : d;
    });
    o.status = userStatus(s, u);
    return o;
  });
  s.ok(req, res, { ...p, items });
}

/** `GET /open-apis/contact/v3/departments/:department_id`: one department. */
export function handleDepartmentGet(s: EmulatorState, req: Request, res: Response): void {
  if (!s.appLimit(req, res, "contact.department.get")) return;
  if (missingScope(s, req, res, "contact:department.base:readonly")) return;
  const v: FieldViolation[] = [];
  const { idType, userIdType } = idTypes(req, v);
  if (v.length) return s.fail(req, res, fieldValidation(v));
  const d = findDepartment(s, String(req.params.department_id), idType);
  if (!d) return s.fail(req, res, Codes.departmentNotFound());
  s.ok(req, res, { department: departmentJson(s, d, userIdType, idType) });
}
