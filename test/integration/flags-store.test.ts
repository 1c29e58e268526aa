import mongoose, { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignStatus } from "../../src/cli/campaign";
import { loadExportData } from "../../src/exports/data";
import { ledgerView } from "../../src/exports/ledger-view";
import { createModels, type Models } from "../../src/repositories/models";
import { seedPoints } from "../helpers/seed-points";
import { mongoUriFor, uniqueName } from "../helpers/services";

/**
 * Flags stored and shown (issue 15 §1): `campaign status` against the embedded store recomputes the
 * flags of the current answers, stores them on the Response and lists the 疑似敷衍 answers with their
 * evidence. Answers are the seed report's points; two units answered with the passage the report
 * repeats, one unit wrote stock phrases only, and last year's answer of a unit is reused.
 */
const uri = mongoUriFor(uniqueName("flags_store"));
let conn: mongoose.Connection;
let models: Models;
const point = (id: string) => seedPoints().find((p) => p.id === id)!.text;
const STOCK = "我单位高度重视，认真落实，扎实推进，进一步加强作风建设，不断提升服务水平，取得了积极成效。";

async function campaign(key: string, startDate: string) {
  await models.Campaign.create({
    key,
    title: `自查 ${key}`,
    status: "active",
    timezone: "Asia/Shanghai",
    startDate,
    checklistKey: "cl",
    checklistTitle: "清单",
    sections: [{ key: "s1", code: "一", title: "作风", order: 1 }],
    items: [
      { key: "i1", sectionKey: "s1", title: "服务群众情况", checkpoints: [], order: 1 },
      { key: "i2", sectionKey: "s1", title: "作风建设情况", checkpoints: [], order: 2 },
    ],
  });
}

async function answer(campaignKey: string, unitKey: string, itemKey: string, narrative: string, version = 1) {
  const a = await models.Assignment.create({
    campaignKey,
    key: `${itemKey}:u:${unitKey}`,
    itemKey,
    sectionKey: "s1",
    target: "unit",
    unitKey,
    assigneeKey: `head_${unitKey}`,
    dueDate: "2026-12-31",
    state: "submitted",
    responseVersion: version,
  });
  const r = await models.Response.create({
    campaignKey,
    assignmentId: a._id,
    version,
    conclusion: "problems",
    narrative,
    problems: ["问题"],
    byKey: `head_${unitKey}`,
  });
  return { a, r };
}

beforeAll(async () => {
  conn = await mongoose.createConnection(uri).asPromise();
  models = createModels(conn);
  await campaign("y2025", "2025-03-01");
  await campaign("y2026", "2026-03-01");
  await models.Unit.create([
    { campaignKey: "y2026", key: "wl", name: "文旅局", order: 1 },
    { campaignKey: "y2026", key: "jy", name: "教育局", order: 2 },
    { campaignKey: "y2026", key: "cz", name: "财政局", order: 3 },
  ]);
  await answer("y2025", "cz", "i1", point("L9.4"));
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

describe("flags stored on answers and shown in campaign status", () => {
  it("flags the copied, the stock and the reused answer, and leaves the distinct one alone", async () => {
    const wl = await answer("y2026", "wl", "i1", point("L5.3"));
    const jy = await answer("y2026", "jy", "i1", point("L8.3"));
    const jyOwn = await answer("y2026", "jy", "i2", point("L7.4"));
    const cz = await answer("y2026", "cz", "i1", point("L9.4"));
    const czStock = await answer("y2026", "cz", "i2", STOCK);

    const lines: string[] = [];
    const s = { models, redisPrefix: "t", close: async () => {} };
    const code = await campaignStatus(s, "y2026", {
      print: (x) => lines.push(x),
      error: (x) => lines.push(x),
    });
    expect(code).toBe(0);
    const text = lines.join("\n");
    expect(text).toContain("疑似敷衍 / suspect answers: 4 of 5 answers flagged");
    expect(text).toContain("文旅局 · i1");
    expect(text).toMatch(/与其他单位的回答相同/);
    expect(text).toMatch(/与本单位往期的回答相同/);
    expect(text).toMatch(/套话/);

    const stored = async (id: Types.ObjectId) =>
      ((await models.Response.findById(id).lean())?.flags ?? []) as { kind: string; otherId?: string }[];
    expect(await stored(wl.r._id)).toContainEqual(
      expect.objectContaining({ kind: "recycled", otherId: String(jy.r._id) }),
    );
    expect((await stored(cz.r._id)).map((f) => f.kind)).toContain("recycled");
    expect((await stored(czStock.r._id)).map((f) => f.kind)).toContain("stock");
    expect(await stored(jyOwn.r._id)).toEqual([]);
    expect((await models.Response.findById(jyOwn.r._id).lean())?.flaggedAt).toBeInstanceOf(Date);
  });

  it("the ledger's 自查情况 sheet notes the flagged answers and leaves the others as they were", async () => {
    const d = { models, now: () => new Date() };
    const { data, filters } = await loadExportData(d, "y2026", { narratives: false });
    const model = ledgerView({ data, filters, lang: "zh", workingDaysUntil: () => 10 });
    const row = (name: string) => model.coverage.rows.find((r) => r.name === name)!;
    expect(row("文旅局").cells[0]!.text).toContain("疑似敷衍：疑似复制");
    expect(row("财政局").cells[1]!.text).toContain("套话为主");
    expect(row("教育局").cells[1]!.text).not.toContain("疑似敷衍");
  });
});
