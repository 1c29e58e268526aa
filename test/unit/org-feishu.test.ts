/**
 * `org: from: feishu` in the checker: the fetched organisation merged under the file's own entries
 * (which keep their lines and win field by field), and the errors a clerk can make in `org:`.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { generateOrgTree } from "@rectify-bot/feishu-emulator";
import { parseCampaignFile } from "../../src/campaign/file";
import { readCampaignWorkbook } from "../../src/campaign/xlsx-reader";
import { appendRows, clearRows, setSetting, templateWorkbook, toBuffer } from "../helpers/workbook";
import { orgFromSnapshot, orgRequestOf } from "../../src/campaign/org-feishu";
import type { DirectorySnapshot } from "../../src/feishu/contact";

const OPEN = (n: number) => `ou_${String(n).padStart(32, "0")}`;
const snap: DirectorySnapshot = {
  departments: [
    { id: "od-bureau", name: "市局", parentId: "0", leaderOpenId: OPEN(1) },
    { id: "od-office", name: "办公室", parentId: "od-bureau", leaderOpenId: OPEN(2) },
    { id: "od-team", name: "综合组", parentId: "od-office" },
  ],
  users: [
    {
      openId: OPEN(1),
      name: "局长",
      departmentIds: ["od-bureau"],
      foundIn: "od-bureau",
      mobile: "+8613900000001",
    },
    {
      openId: OPEN(2),
      name: "主任",
      departmentIds: ["od-office"],
      foundIn: "od-office",
      email: "zr@example.cn",
    },
    { openId: OPEN(3), name: "科员", departmentIds: ["od-x", "od-team"], foundIn: "od-team", mobile: "bad" },
  ],
  masked: [],
  calls: 5,
  ms: 10,
};

const file = (extra = "") => `key: org-unit
title: 测试
start: 2026-12-02
template: jgzf-6-6-2
org: { from: feishu, departments: [od-bureau] }
units:
  - key: od-office
    leader: fg
people:
  - key: fg
    name: 分管领导
    unit: od-bureau
    email: fg@example.cn
    roles: [leader, admin]
  - key: boss
    name: 局长（文件）
    mobile: "13900000001"
    roles: [admin]
assignments:
  - { item: c1, units: [od-office, od-bureau], due: 2026-12-20 }
${extra}`;

describe("org: from: feishu", () => {
  it("reads the request loosely from the raw file (include_children defaults to true)", () => {
    expect(orgRequestOf({ org: { from: "feishu", departments: "od-a" } })).toEqual({
      departments: ["od-a"],
      includeChildren: true,
    });
    expect(orgRequestOf({ org: { from: "excel", departments: ["od-a"] } })).toBeUndefined();
  });

  it("merges the address book under the file: file entries win, Feishu fills the rest", () => {
    const req = { departments: ["od-bureau"], includeChildren: true };
    const r = parseCampaignFile(file(), "org.yaml", { today: "2026-12-02", org: orgFromSnapshot(snap, req) });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const s = r.spec;
    expect(s.org).toEqual(req);
    expect(s.units.map((u) => [u.key, u.name, u.head, u.leader])).toEqual([
      ["od-office", "办公室", OPEN(2), "fg"],
      ["od-bureau", "市局", "boss", undefined],
      ["od-team", "综合组", undefined, undefined],
    ]);
    // 局长 matched by mobile: the file's key, name and roles; open_id and unit from Feishu; head of the bureau.
    const boss = s.people.find((p) => p.key === "boss")!;
    expect(boss).toMatchObject({ openId: OPEN(1), unit: "od-bureau", name: "局长（文件）" });
    expect(boss.roles).toEqual(["admin", "head"]);
    const clerk = s.people.find((p) => p.openId === OPEN(3))!;
    // The first of its departments that is in the set; a mobile Feishu gave in a shape we cannot read is dropped.
    expect(clerk).toMatchObject({ key: OPEN(3), unit: "od-team" });
    expect(clerk.mobile).toBeUndefined();
    expect(s.people.find((p) => p.key === "fg")).toMatchObject({
      unit: "od-bureau",
      roles: ["admin", "leader"],
    });
    expect(s.people).toHaveLength(4);
  });

  it("an error in the file's own entries still names its own line", () => {
    const org = orgFromSnapshot(snap, { departments: ["od-bureau"], includeChildren: true });
    const r = parseCampaignFile(file().replace("unit: od-bureau", "unit: od-nowhere"), "org.yaml", {
      today: "2026-12-02",
      org,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].line).toBe(12);
    expect(r.errors[0].message).toContain("od-nowhere");
  });

  it("checked without the address book, or with a bad department id: an error at org", () => {
    const r = parseCampaignFile(file(), "org.yaml", { today: "2026-12-02" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.some((e) => e.line === 5 && e.message.includes("飞书通讯录"))).toBe(true);
    const bad = parseCampaignFile(file().replace("[od-bureau]", "[财务科]"), "org.yaml", {
      today: "2026-12-02",
      org: orgFromSnapshot(snap, { departments: ["od-bureau"], includeChildren: true }),
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.message).join("\n")).toContain("须是飞书部门 ID");
  });
});

describe("the 单位 sheet's 飞书部门ID column", () => {
  it("makes the workbook an org: from: feishu campaign, the department rows its units", async () => {
    const wb = await templateWorkbook();
    setSetting(wb, "活动编号", "org-xlsx");
    setSetting(wb, "活动名称", "通讯录导入");
    setSetting(wb, "开始日期", "2026-12-02");
    const units = wb.getWorksheet("单位")!;
    const people = wb.getWorksheet("人员")!;
    const assignments = wb.getWorksheet("分工")!;
    for (const ws of [units, people, assignments]) clearRows(ws);
    appendRows(units, [
      { 飞书部门ID: "od-bureau", 单位编号: "ju" },
      { 飞书部门ID: "od-office", 分管领导: "分管领导" },
    ]);
    appendRows(people, [
      { 姓名: "分管领导", 所在单位: "ju", 角色: "分管领导、管理员", 邮箱: "fg@example.cn" },
    ]);
    appendRows(assignments, [{ 事项: "查立场是否坚定", 单位: "全部", 完成时限: "2026-12-20" }]);
    const read = await readCampaignWorkbook(await toBuffer(wb), "org.xlsx");
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.raw.org).toEqual({
      from: "feishu",
      departments: ["od-bureau", "od-office"],
      include_children: true,
    });
    const org = orgFromSnapshot(snap, { departments: ["od-bureau", "od-office"], includeChildren: true });
    const noHead = read.check({ today: "2026-12-02", org });
    // 综合组 has no leader in the address book and gets 全部: the message says where to fix it.
    expect(noHead.ok).toBe(false);
    if (!noHead.ok)
      expect(noHead.errors.map((e) => [e.cell, e.message])).toEqual([
        ["分工!B2", expect.stringContaining("请在飞书通讯录为该部门设置部门负责人")],
      ]);
    const led = structuredClone(snap);
    led.departments[2].leaderOpenId = OPEN(3);
    const r = read.check({
      today: "2026-12-02",
      org: orgFromSnapshot(led, { departments: ["od-bureau", "od-office"], includeChildren: true }),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.spec.units.map((u) => [u.key, u.name, u.head])).toEqual([
      ["od-bureau", "市局", OPEN(1)],
      ["od-office", "办公室", OPEN(2)],
      ["od-team", "综合组", OPEN(3)],
    ]);
    const fg = r.spec.people.find((p) => p.name === "分管领导")!;
    expect(fg.unit).toBe("od-bureau");
    expect(r.spec.units[1].leader).toBe(fg.key);
    expect(r.spec.assignments.map((a) => a.units)).toEqual([["od-bureau", "od-office", "od-team"]]);
  });
});

describe("examples/org-feishu.yaml", () => {
  it("checks against the sandbox's seeded address book", async () => {
    const tree = generateOrgTree();
    const snapshot: DirectorySnapshot = {
      departments: tree.departments.map((d) => ({
        id: d.open_department_id,
        name: d.name,
        parentId: d.parent_department_id,
        leaderOpenId: d.leader_user_id,
      })),
      users: tree.users.map((u) => ({
        openId: u.open_id,
        name: u.name,
        mobile: u.mobile,
        email: u.email,
        departmentIds: u.department_ids!,
        foundIn: u.department_ids![0],
      })),
      masked: [],
      calls: 0,
      ms: 0,
    };
    const text = await readFile("examples/org-feishu.yaml", "utf8");
    const req = orgRequestOf(parseYaml(text))!;
    const r = parseCampaignFile(text, "examples/org-feishu.yaml", {
      today: "2026-12-01",
      org: orgFromSnapshot(snapshot, req),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.spec.people).toHaveLength(300);
    expect(r.spec.people.find((p) => p.key === "fenguan")?.openId).toBe(tree.users[1].open_id);
    expect(r.spec.units).toHaveLength(tree.departments.length);
  });
});
