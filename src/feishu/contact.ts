/**
 * The address book (contact v3) through the node-sdk: a department's subtree
 * (`contact.department.children` with fetch_child) and the people in each department
 * (`contact.user.findByDepartment`), every page followed (page_token / has_more, page_size ≤ 50).
 * Calls are paced below Feishu's contact limits (50/s and 1000/min per app: FEISHU.md "Rate limits");
 * a 99991400 answer waits `x-ogw-ratelimit-reset` and retries. A missing scope is a ContactScopeError
 * that names the scope to add.
 */
import type * as lark from "@larksuiteoapi/node-sdk";
import type { Logger } from "../logger";
import { FeishuApiError } from "./errors";

export interface DirectoryDepartment {
  /** open_department_id */
  id: string;
  name: string;
  /** open_department_id of the parent, "0" at the top. */
  parentId: string;
  leaderOpenId?: string;
}

export interface DirectoryUser {
  openId: string;
  name: string;
  /** Employee id: only with contact:user.employee_id:readonly. */
  userId?: string;
  /** Only with contact:user.email:readonly. */
  email?: string;
  /** Only with contact:user.phone:readonly. */
  mobile?: string;
  /** open_department_ids, as the user's record lists them. */
  departmentIds: string[];
  /** The department it was found in (first one when in several). */
  foundIn: string;
}

export interface DirectorySnapshot {
  departments: DirectoryDepartment[];
  users: DirectoryUser[];
  /** Fields no user came back with: the app likely lacks the scope (Feishu masks, it does not refuse). */
  masked: { field: "mobile" | "email"; scope: string }[];
  calls: number;
  ms: number;
}

export interface FetchOrgOptions {
  departments: string[];
  includeChildren: boolean;
}

export interface ContactDirectory {
  fetchOrg(o: FetchOrgOptions): Promise<DirectorySnapshot>;
}

export const FIELD_SCOPES = {
  mobile: "contact:user.phone:readonly",
  email: "contact:user.email:readonly",
} as const;

/** The app lacks a scope the address book needs; `scopes` are those Feishu named (any one will do). */
export class ContactScopeError extends Error {
  constructor(
    readonly scopes: string[],
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = "ContactScopeError";
  }
}

/** A department that is not there, or outside the app's contact range (通讯录权限范围). */
export class DepartmentNotFoundError extends Error {
  constructor(
    readonly departmentId: string,
    message: string,
  ) {
    super(message);
    this.name = "DepartmentNotFoundError";
  }
}

/** Scopes named in a Feishu permission message ("… scopes is required: [a, b]"). */
export function scopesInMessage(msg: string): string[] {
  const m = /\[([^\]]*)\]/.exec(msg);
  const list = (m ? m[1] : "").split(/[,\s]+/).filter((x) => /^[a-z]+:[\w.:-]+$/i.test(x));
  return [...new Set(list)];
}

export interface ContactOptions {
  /** Calls per second (default 15: 900 a minute, under both of Feishu's contact limits). */
  perSecond?: number;
  /** Page size asked for (Feishu's max for both APIs is 50). */
  pageSize?: number;
  /** Retries of one call after 99991400 or a transient failure (default 5). */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

type ApiBody = { code?: number; msg?: string; data?: Record<string, unknown> };
type Call = <T extends ApiBody>(what: string, fn: () => Promise<T>) => Promise<T>;

const DEPT_NOT_FOUND = new Set([40003, 40004, 40011, 40012]);

export class FeishuContact implements ContactDirectory {
  private next = 0;
  private readonly interval: number;
  private readonly pageSize: number;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  calls = 0;

  constructor(
    private readonly sdk: lark.Client,
    private readonly call: Call,
    private readonly log: Logger,
    opts: ContactOptions = {},
  ) {
    this.interval = 1000 / Math.max(0.1, opts.perSecond ?? 15);
    this.pageSize = Math.min(50, Math.max(1, opts.pageSize ?? 50));
    this.retries = opts.retries ?? 5;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** One paced call; 99991400 and transient failures wait and retry; a scope problem becomes ContactScopeError. */
  private async paced<T extends ApiBody>(what: string, fn: () => Promise<T>, dept?: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const at = Math.max(now, this.next);
      this.next = at + this.interval;
      if (at > now) await this.sleep(at - now);
      this.calls++;
      try {
        return await this.call(what, fn);
      } catch (e) {
        if (!(e instanceof FeishuApiError)) throw e;
        if (e.kind === "permission_denied") {
          const scopes = scopesInMessage(e.message);
          throw new ContactScopeError(scopes, e.code, e.message);
        }
        if (e.code !== undefined && DEPT_NOT_FOUND.has(e.code) && dept)
          throw new DepartmentNotFoundError(dept, e.message);
        if (e.retryable && attempt < this.retries) {
          const wait = e.kind === "rate_limited" ? (e.retryAfterMs ?? 1000) : 500 * 2 ** attempt;
          this.log.warn(
            { what, code: e.code, wait, attempt },
            "contact call limited or failed; waiting to retry",
          );
          this.next = Math.max(this.next, Date.now() + wait);
          continue;
        }
        throw e;
      }
    }
  }

  private async department(id: string): Promise<DirectoryDepartment> {
    const res = await this.paced(
      "contact.department.get",
      () =>
        this.sdk.contact.department.get({
          path: { department_id: id },
          params: { department_id_type: "open_department_id", user_id_type: "open_id" },
        }) as Promise<ApiBody>,
      id,
    );
    return toDepartment((res.data?.department ?? {}) as Obj, "0");
  }

  /** Every item of a paged list: each page asked for with the previous page's token until has_more is false. */
  private async allPages(
    what: string,
    dept: string,
    fetch: (pageToken: string | undefined) => Promise<ApiBody>,
  ): Promise<Obj[]> {
    const out: Obj[] = [];
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const res = await this.paced(what, () => fetch(token), dept);
      out.push(...((res.data?.items ?? []) as Obj[]));
      pageToken = res.data?.has_more ? (res.data.page_token as string | undefined) : undefined;
    } while (pageToken);
    return out;
  }

  private async children(id: string, recursive: boolean): Promise<DirectoryDepartment[]> {
    const items = await this.allPages(
      "contact.department.children",
      id,
      (pageToken) =>
        this.sdk.contact.department.children({
          path: { department_id: id },
          params: {
            department_id_type: "open_department_id",
            user_id_type: "open_id",
            fetch_child: recursive,
            page_size: this.pageSize,
            page_token: pageToken,
          },
        }) as Promise<ApiBody>,
    );
    return items.map((d) => toDepartment(d, id));
  }

  private async members(id: string): Promise<DirectoryUser[]> {
    const items = await this.allPages(
      "contact.user.find_by_department",
      id,
      (pageToken) =>
        this.sdk.contact.user.findByDepartment({
          params: {
            department_id: id,
            department_id_type: "open_department_id",
            user_id_type: "open_id",
            page_size: this.pageSize,
            page_token: pageToken,
          },
        }) as Promise<ApiBody>,
    );
    const out: DirectoryUser[] = [];
    for (const u of items) {
      const openId = typeof u.open_id === "string" ? u.open_id : undefined;
      if (!openId) continue;
      const status = (u.status ?? {}) as Obj;
      if (status.is_resigned === true) continue;
      out.push({
        openId,
        name: typeof u.name === "string" && u.name.trim() ? u.name.trim() : openId,
        ...(typeof u.user_id === "string" && u.user_id ? { userId: u.user_id } : {}),
        ...(typeof u.email === "string" && u.email ? { email: u.email } : {}),
        ...(typeof u.mobile === "string" && u.mobile ? { mobile: u.mobile } : {}),
        departmentIds: Array.isArray(u.department_ids) ? (u.department_ids as string[]) : [id],
        foundIn: id,
      });
    }
    return out;
  }

  /** The departments named (and their subtrees when asked) and everyone in them, each person once. */
  async fetchOrg(o: FetchOrgOptions): Promise<DirectorySnapshot> {
    const started = Date.now();
    const callsBefore = this.calls;
    const departments: DirectoryDepartment[] = [];
    const seen = new Set<string>();
    const add = (d: DirectoryDepartment) => {
      if (seen.has(d.id)) return;
      seen.add(d.id);
      departments.push(d);
    };
    for (const id of o.departments) {
      if (id !== "0") add(await this.department(id));
      if (o.includeChildren || id === "0") for (const d of await this.children(id, o.includeChildren)) add(d);
    }
    const users = new Map<string, DirectoryUser>();
    for (const d of departments)
      for (const u of await this.members(d.id)) {
        const had = users.get(u.openId);
        if (!had) users.set(u.openId, u);
      }
    const list = [...users.values()];
    const masked: DirectorySnapshot["masked"] = [];
    if (list.length > 0)
      for (const field of ["mobile", "email"] as const)
        if (!list.some((u) => u[field])) masked.push({ field, scope: FIELD_SCOPES[field] });
    return { departments, users: list, masked, calls: this.calls - callsBefore, ms: Date.now() - started };
  }
}

type Obj = Record<string, unknown>;

function toDepartment(d: Obj, parent: string): DirectoryDepartment {
  const id = String(d.open_department_id ?? d.department_id ?? "");
  const leader = typeof d.leader_user_id === "string" && d.leader_user_id ? d.leader_user_id : undefined;
  return {
    id,
    name: typeof d.name === "string" && d.name.trim() ? d.name.trim() : id,
    parentId: typeof d.parent_department_id === "string" ? d.parent_department_id : parent,
    ...(leader ? { leaderOpenId: leader } : {}),
  };
}
