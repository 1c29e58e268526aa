/** Contact: `POST /open-apis/contact/v3/users/batch_get_id` and `GET /open-apis/contact/v3/users/:user_id`. */
import { type Request, type Response } from "express";
import { Codes, type FieldViolation, fieldValidation } from "./codes";
import { MEMBER_ID_TYPES, Obj, asObj, str } from "./shared";
import { EmulatorState } from "./state";
import { type EmulatorUser } from "./types";

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
