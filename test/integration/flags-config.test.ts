import { readFileSync } from "node:fs";
import mongoose from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCampaignFile } from "../../src/campaign/file";
import type { Flag, FlagsSpec } from "../../src/flags/index";
import { refreshCampaignFlags } from "../../src/flags/index";
import { createModels, type Models } from "../../src/repositories/models";
import { importCampaign } from "../../src/services/campaign-import";
import { flagsRecompute } from "../../src/cli/flags";
import { silentLogger } from "../../src/logger";
import { mongoUriFor, uniqueName } from "../helpers/services";

/**
 * The campaign file's `flags:` section (issue 15 §1): checked with line numbers, stored with the
 * campaign, and read by the engine — the same answers are flagged or not as the thresholds say.
 */
const BUREAU = "examples/bureau.yaml";
const TODAY = "2026-12-02";
const parse = (extra: string) =>
  parseCampaignFile(`${readFileSync(BUREAU, "utf8")}\n${extra}`, "bureau.yaml", { today: TODAY });

describe("the flags: section of a campaign file", () => {
  it("is read into the spec: shares as 0.5 or 50%, min_chars per item, extra phrases", () => {
    const r = parse(
      [
        "flags:",
        "  recycled_share: 60%",
        "  passage_chars: 50",
        "  checklist_share: 0.7",
        "  stock_share: 0.4",
        "  min_chars: { default: 40, c1: 80 }",
        "  stock_phrases: [高位推动, 压茬推进]",
      ].join("\n"),
    );
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).toBe(true);
    if (!r.ok) return;
    expect(r.spec.flags).toEqual({
      enabled: true,
      recycledShare: 0.6,
      passageChars: 50,
      checklistShare: 0.7,
      stockShare: 0.4,
      minChars: 40,
      minCharsByItem: { c1: 80 },
      stockPhrases: ["高位推动", "压茬推进"],
    });
    const off = parse("flags:\n  enabled: false\n");
    expect(off.ok && off.spec.flags).toEqual({ enabled: false });
    const none = parse("");
    expect(none.ok && none.spec.flags).toBeUndefined();
  });

  it("names every wrong value with its line", () => {
    const r = parse(["flags:", "  recycled_share: 2", "  passage_chars: -1", "  enable: false"].join("\n"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.map((e) => `${e.line}: ${e.message}`).join("\n");
    const base = readFileSync(BUREAU, "utf8").split("\n").length;
    expect(text).toMatch(new RegExp(`${base + 2}: .*recycled_share.*不能超过 1`));
    expect(text).toMatch(new RegExp(`${base + 3}: .*passage_chars.*不能为负数`));
    expect(text).toMatch(/enable/);
    const item = parse("flags:\n  min_chars: { default: 20, zz9: 10 }\n");
    expect(item.ok).toBe(false);
    if (item.ok) return;
    expect(item.errors.map((e) => `${e.line}: ${e.message}`).join("\n")).toMatch(
      new RegExp(`${base + 2}: 清单中没有事项 zz9`),
    );
  });
});

const uri = mongoUriFor(uniqueName("flags_config"));
let conn: mongoose.Connection;
let models: Models;

// Two units share one 45-character passage inside otherwise different answers (share below 50%).
const SHARED =
  "对窗口单位办事流程进行了全面梳理，将群众办事需要提交的材料从原来的八项精简为三项并设置帮办代办专窗";
const A = `财政局对照要点组织全体干部逐条自查，重点检查了预算执行和政府采购两个环节，发现审批时限偏长。${SHARED}。下一步将把报销审核压缩到五个工作日，并每月通报一次。`;
const B = `教育局召开专题会议部署自查工作，各科室分别梳理了本领域的服务事项和投诉记录，共收集意见十二条。${SHARED}。同时建立了问题整改销号台账，由分管领导每周调度。`;

async function campaignWith(flags?: FlagsSpec) {
  await models.Campaign.deleteMany({});
  await models.Assignment.deleteMany({});
  await models.Response.deleteMany({});
  await models.Campaign.create({
    key: "k",
    title: "自查",
    status: "active",
    timezone: "Asia/Shanghai",
    startDate: "2026-12-01",
    checklistKey: "cl",
    checklistTitle: "清单",
    sections: [{ key: "s1", code: "一", title: "作风", order: 1 }],
    items: [
      { key: "i1", sectionKey: "s1", title: "服务群众情况", checkpoints: [], order: 1 },
      { key: "i2", sectionKey: "s1", title: "作风建设情况", checkpoints: [], order: 2 },
    ],
    ...(flags ? { flags } : {}),
  });
  const ids: Record<string, string> = {};
  for (const [unit, item, narrative] of [
    ["cz", "i1", A],
    ["jy", "i1", B],
    ["cz", "i2", "我单位高位推动、压茬推进，各项工作稳步向前，干部队伍精神面貌焕然一新，服务意识不断增强。"],
  ] as const) {
    const a = await models.Assignment.create({
      campaignKey: "k",
      key: `${item}:u:${unit}`,
      itemKey: item,
      sectionKey: "s1",
      target: "unit",
      unitKey: unit,
      assigneeKey: `head_${unit}`,
      dueDate: "2026-12-31",
      state: "submitted",
      responseVersion: 1,
    });
    const r = await models.Response.create({
      campaignKey: "k",
      assignmentId: a._id,
      version: 1,
      conclusion: "problems",
      narrative,
      problems: ["问题"],
      byKey: `head_${unit}`,
    });
    ids[`${unit}:${item}`] = String(r._id);
  }
  return ids;
}

const kinds = async (id: string) =>
  (((await models.Response.findById(id).lean())?.flags ?? []) as Flag[]).map((f) => f.kind).sort();
const d = () => ({ models, now: () => new Date() });

beforeAll(async () => {
  conn = await mongoose.createConnection(uri).asPromise();
  models = createModels(conn);
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

describe("the engine reads the campaign's flags settings", () => {
  it("defaults: the shared 45-character passage flags both; the made-up set phrases are not stock", async () => {
    const ids = await campaignWith();
    await refreshCampaignFlags(d(), "k");
    expect(await kinds(ids["cz:i1"])).toEqual(["recycled"]);
    expect(await kinds(ids["jy:i1"])).toEqual(["recycled"]);
    expect(await kinds(ids["cz:i2"])).toEqual([]);
  });

  it("a longer passage_chars leaves the pair alone; extra stock_phrases and min_chars flag the third", async () => {
    const ids = await campaignWith({
      enabled: true,
      passageChars: 60,
      stockPhrases: ["高位推动", "压茬推进", "稳步向前"],
      minCharsByItem: { i2: 50 },
    });
    await refreshCampaignFlags(d(), "k");
    expect(await kinds(ids["cz:i1"])).toEqual([]);
    expect(await kinds(ids["jy:i1"])).toEqual([]);
    expect(await kinds(ids["cz:i2"])).toEqual(["short", "stock"]);
  });

  it("an imported file's flags: section is what the campaign keeps", async () => {
    const r = parse("flags:\n  passage_chars: 60\n  stock_phrases: 高位推动\n");
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    await importCampaign(models, r.spec, {});
    const c = await models.Campaign.findOne({ key: r.spec.key }).lean();
    expect(c?.flags).toEqual({ enabled: true, passageChars: 60, stockPhrases: ["高位推动"] });
  });

  it("enabled: false clears what was stored and reports it as changed", async () => {
    const ids = await campaignWith();
    await refreshCampaignFlags(d(), "k");
    expect(await kinds(ids["cz:i1"])).toEqual(["recycled"]);
    await models.Campaign.updateOne({ key: "k" }, { $set: { flags: { enabled: false } } });
    const r = await refreshCampaignFlags(d(), "k");
    expect(r.enabled).toBe(false);
    expect(r.flagged).toEqual([]);
    expect(r.changed.map((x) => x.responseId).sort()).toEqual([ids["cz:i1"], ids["jy:i1"]].sort());
    expect(await kinds(ids["cz:i1"])).toEqual([]);
    // Run again: nothing left to change.
    expect((await refreshCampaignFlags(d(), "k")).changed).toEqual([]);
  });

  it("npm run cli -- flags recompute <key>: stores them, says how many; an unknown key is refused", async () => {
    const ids = await campaignWith();
    const lines: string[] = [];
    const out = { print: (x: string) => lines.push(x), error: (x: string) => lines.push(`E ${x}`) };
    const s = { models, redisPrefix: "t", close: async () => {} };
    expect(await flagsRecompute(s, "k", silentLogger, out)).toBe(0);
    expect(lines[0]).toBe("疑似敷衍 / suspect answers: 2 of 3 answers flagged, 2 changed");
    expect(lines[1]).toMatch(/^E 没有 Redis/);
    expect(await kinds(ids["jy:i1"])).toEqual(["recycled"]);
    lines.length = 0;
    expect(await flagsRecompute(s, "k", silentLogger, out)).toBe(0);
    expect(lines).toEqual(["疑似敷衍 / suspect answers: 2 of 3 answers flagged, 0 changed"]);
    expect(await flagsRecompute(s, "nosuch", silentLogger, out)).toBe(1);
    expect(lines.at(-1)).toContain("no such campaign: nosuch");
  });
});
