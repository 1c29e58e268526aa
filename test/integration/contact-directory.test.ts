/**
 * The address book through the real node-sdk against the emulator: a 300-person tree fetched with
 * every page followed, fields masked by scope, a missing scope named, a rate limit waited out.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { APP_SCOPES, FeishuEmulator, generateOrgTree } from "@rectify-bot/feishu-emulator";
import { FeishuClient } from "../../src/feishu/client";
import { ContactScopeError, DepartmentNotFoundError } from "../../src/feishu/contact";
import { silentLogger } from "../../src/logger";
import { createRedis } from "../../src/redis";
import { redisUrl, uniqueName } from "../helpers/services";

const APP = { appId: "cli_contact_itest", appSecret: "contact-itest-secret" };
const emu = new FeishuEmulator(APP);
const tree = generateOrgTree({ people: 300 });
const bureau = tree.departments[0];
let redis: Redis;
let client: FeishuClient;

beforeAll(async () => {
  await emu.start();
  emu.addOrgTree(tree);
  redis = createRedis(redisUrl(), silentLogger);
  client = new FeishuClient({
    ...APP,
    domain: emu.url,
    redis,
    redisPrefix: uniqueName("contact"),
    logger: silentLogger,
    contact: { perSecond: 200 },
  });
});
afterAll(async () => {
  await emu.close();
  await redis.quit();
});
beforeEach(() => {
  emu.reset();
  emu.setScopes([...APP_SCOPES]);
});

describe("address book", () => {
  it("fetches the bureau's subtree and its 300 people, following two pages per office", async () => {
    const snap = await client.contact.fetchOrg({
      departments: [bureau.open_department_id],
      includeChildren: true,
    });
    expect(snap.departments.map((d) => d.id).sort()).toEqual(
      tree.departments.map((d) => d.open_department_id).sort(),
    );
    expect(snap.users).toHaveLength(300);
    const byId = new Map(snap.users.map((u) => [u.openId, u]));
    for (const u of tree.users) {
      const got = byId.get(u.open_id);
      expect(got?.name).toBe(u.name);
      expect(got?.foundIn).toBe(u.department_ids![0]);
      expect(got?.mobile).toBe(u.mobile);
      expect(got?.email).toBe(u.email);
    }
    for (const d of tree.departments)
      expect(snap.departments.find((x) => x.id === d.open_department_id)?.leaderOpenId).toBe(
        d.leader_user_id,
      );
    expect(snap.masked).toEqual([]);
    const userCalls = emu.calls.filter((c) => c.path.endsWith("/users/find_by_department"));
    // 1 page for the bureau's 4 leaders, 2 for each office and team (51–64 people each)
    expect(userCalls).toHaveLength(1 + 2 * (tree.departments.length - 1));
    expect(userCalls.every((c) => Number(c.query.page_size) <= 50)).toBe(true);
    expect(userCalls.filter((c) => c.query.page_token).length).toBe(tree.departments.length - 1);
  });

  it("without the phone and email scopes: no mobile or email, and the scopes named", async () => {
    emu.setScopes(APP_SCOPES.filter((s) => !/phone|email/.test(s)));
    const snap = await client.contact.fetchOrg({
      departments: [bureau.open_department_id],
      includeChildren: false,
    });
    expect(snap.users).toHaveLength(4);
    expect(snap.users.every((u) => !u.mobile && !u.email)).toBe(true);
    expect(snap.masked.map((m) => m.scope).sort()).toEqual([
      "contact:user.email:readonly",
      "contact:user.phone:readonly",
    ]);
  });

  it("without the department scope: a ContactScopeError naming it", async () => {
    emu.setScopes(APP_SCOPES.filter((s) => s !== "contact:department.base:readonly"));
    const e = await client.contact
      .fetchOrg({ departments: [bureau.open_department_id], includeChildren: true })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ContactScopeError);
    expect((e as ContactScopeError).scopes).toEqual(["contact:department.base:readonly"]);
  });

  it("an unknown department is named", async () => {
    const e = await client.contact
      .fetchOrg({ departments: ["od-nosuchdepartment"], includeChildren: true })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DepartmentNotFoundError);
    expect((e as DepartmentNotFoundError).departmentId).toBe("od-nosuchdepartment");
  });

  it("over the emulator's own contact limit: limited calls are waited out, every person still read", async () => {
    const fast = new FeishuClient({
      ...APP,
      domain: emu.url,
      redis,
      redisPrefix: uniqueName("contact-fast"),
      logger: silentLogger,
      contact: { perSecond: 1000 },
    });
    emu.setLimits({ appPerSecond: 5 });
    try {
      const snap = await fast.contact.fetchOrg({
        departments: [bureau.open_department_id],
        includeChildren: true,
      });
      expect(snap.users).toHaveLength(300);
      const limited = emu.calls.filter((c) => c.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited.every((c) => (c.response as { code: number }).code === 99991400)).toBe(true);
    } finally {
      emu.setLimits({ appPerSecond: 50 });
    }
  }, 30_000);

  it("a 99991400 answer is waited out and the call retried", async () => {
    emu.failNext(
      1,
      {
        status: 429,
        code: 99991400,
        msg: "request trigger frequency limit",
        headers: { "x-ogw-ratelimit-reset": "1" },
      },
      { path: /find_by_department/ },
    );
    const started = Date.now();
    const snap = await client.contact.fetchOrg({
      departments: [bureau.open_department_id],
      includeChildren: false,
    });
    expect(snap.users).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(emu.calls.filter((c) => c.path.endsWith("/find_by_department")).map((c) => c.status)).toEqual([
      429, 200,
    ]);
  });
});
