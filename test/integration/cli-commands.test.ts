import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import mongoose from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModels, type Models } from "../../src/repositories/models";
import { mongoUriFor, uniqueName } from "../helpers/services";

/** What `npm run cli` runs (package.json). */
const CLI = ["--import", "tsx", "src/cli/index.ts"];

/**
 * Admin commands through the real CLI (`npm run cli` = `node --import tsx src/cli/index.ts …`).
 * `leave set` against the shared store: a
 * person by key or by a name only one person has; ambiguous names list the candidates; a bad date says
 * what is wrong with it; nothing is stored on any refusal.
 */
const uri = mongoUriFor(uniqueName("cli_leave"));
let conn: mongoose.Connection;
let models: Models;

beforeAll(async () => {
  conn = await mongoose.createConnection(uri).asPromise();
  models = createModels(conn);
  await models.Campaign.collection.insertOne({ key: "c1", title: "自查", status: "active" });
  const person = (key: string, name: string, unitKey: string) => ({ campaignKey: "c1", key, name, unitKey });
  await models.Person.create([
    person("zhang_wei", "张伟", "office"),
    person("wang_fang", "王芳", "office"),
    person("wang_fang2", "王芳", "finance"),
    person("li_na", "李娜", "finance"),
  ]);
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MONGODB_URI: uri, LOG_LEVEL: "warn" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const leaveOf = async (key: string) =>
  (await models.Person.findOne({ campaignKey: "c1", key }).lean())?.leave ?? [];

describe("leave set", () => {
  it("accepts a name only one person has, and records the same leave once", async () => {
    const r = await cli("leave", "set", "c1", "张伟", "2027-01-04", "2027-01-08");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("zhang_wei (张伟)");
    expect(await leaveOf("zhang_wei")).toEqual([{ from: "2027-01-04", to: "2027-01-08" }]);
    expect((await cli("leave", "set", "c1", "zhang_wei", "2027-01-04", "2027-01-08")).code).toBe(0);
    expect(await leaveOf("zhang_wei")).toEqual([{ from: "2027-01-04", to: "2027-01-08" }]);
  }, 60_000);

  it("lists the candidates for a name two people have, and stores nothing", async () => {
    const r = await cli("leave", "set", "c1", "王芳", "2027-01-04", "2027-01-08");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("wang_fang（王芳，office）");
    expect(r.stderr).toContain("wang_fang2（王芳，finance）");
    expect(r.stderr).toContain('2 people are named "王芳"; give the person key: wang_fang, wang_fang2');
    expect(await leaveOf("wang_fang")).toEqual([]);
    expect(await leaveOf("wang_fang2")).toEqual([]);
  });

  it("names close matches for an unknown person", async () => {
    const r = await cli("leave", "set", "c1", "王", "2027-01-04", "2027-01-08");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'no person with key or name "王" in campaign "c1"; close matches: wang_fang, wang_fang2',
    );
  });

  it("says what is wrong with a bad date, not only the usage line", async () => {
    const r = await cli("leave", "set", "c1", "li_na", "2027-01-32", "2027/02/01");
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe('"2027-01-32" 不是有效日期 / "from" 2027-01-32 is not a real date');
    expect(lines[1]).toContain('"to" must be a date written YYYY-MM-DD (e.g. 2026-12-01), got "2027/02/01"');
    expect(lines[2]).toMatch(/^用法 \/ usage: leave set/);
    const reversed = await cli("leave", "set", "c1", "li_na", "2027-02-01", "2027-01-04");
    expect(reversed.stderr).toContain('"from" 2027-02-01 is after "to" 2027-01-04');
    expect(await leaveOf("li_na")).toEqual([]);
  }, 60_000);
});

describe("refusals say what is wrong and what to do", () => {
  it("an unknown campaign points at campaign list", async () => {
    for (const args of [
      ["campaign", "status", "nosuch"],
      ["campaign", "end", "nosuch"],
    ]) {
      const r = await cli(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /"nosuch".*npm run cli -- campaign list.* \/ no (open )?campaign "nosuch" \(see: npm run cli -- campaign list\)/,
      );
    }
  }, 60_000);

  it("a campaign file in the wrong encoding imports nothing and says how to fix it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cli-import-"));
    const file = path.join(dir, "gbk.yaml");
    writeFileSync(file, Buffer.from([0x6b, 0x65, 0x79, 0x3a, 0x20, 0xc3, 0xd4, 0xc4, 0xe3, 0x0a])); // key: 迷你 (GBK)
    const r = await cli("campaign", "import", file);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("文件编码不对");
    expect(r.stderr).toContain("save it as UTF-8 and import again");
    expect(r.stderr).toContain("nothing was imported");
    expect(await models.Campaign.countDocuments({})).toBe(1);
  });
});
