import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import mongoose from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAnswersAndProblems, seedCampaign } from "../../bench/seed";
import { loadExportData } from "../../src/exports/data";
import { exportLedger, exportReport } from "../../src/exports/index";
import { render, renderCounts } from "../../src/exports/render";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { createModels, type Models } from "../../src/repositories/models";

/**
 * Exports render in a worker thread (issue 11 §5): the bot's event loop keeps answering while a large
 * ledger is laid out. Proven by outcome: the file is complete, the render was counted as a worker's, and
 * a 10 ms timer on the main thread never waits long while the render runs (in-thread, it would wait for
 * the whole writer).
 */
const KEY = "xw";
let store: Awaited<ReturnType<typeof startMongoWire>>;
let conn: mongoose.Connection;
let m: Models;
let dir: string;
const d = () => ({ models: m, now: () => new Date("2026-12-15T02:00:00Z") });

beforeAll(async () => {
  store = await startMongoWire({});
  const uri = store.uri.replace(/\/(\?|$)/, "/exports_worker$1");
  const seeded = await seedCampaign(uri, KEY, 300, 3_000, 1_500);
  await seeded.conn.close();
  await addAnswersAndProblems(uri, KEY);
  conn = await mongoose.createConnection(uri).asPromise();
  m = createModels(conn);
  dir = await mkdtemp(path.join(os.tmpdir(), "exports-worker-"));
}, 120_000);
afterAll(async () => {
  await conn?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("exports render in a worker thread", () => {
  it("the ledger and the report are written by the worker, complete", async () => {
    const before = { ...renderCounts };
    const out = path.join(dir, "l.xlsx");
    const r = await exportLedger(d(), { campaignKey: KEY, lang: "zh" }, out);
    expect(r.rows).toBe(1_500);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    expect(wb.getWorksheet("整改台账")!.actualRowCount).toBe(1_501);
    const rep = await exportReport(d(), { campaignKey: KEY, lang: "zh" }, path.join(dir, "r.docx"));
    expect(rep.summary).toContain("整改措施 1500 项");
    expect(renderCounts.worker - before.worker).toBe(2);
    expect(renderCounts.inThread).toBe(before.inThread);
  }, 60_000);

  it("the main thread's timers keep firing while a large ledger renders", async () => {
    const { data, filters } = await loadExportData(d(), KEY, { narratives: false });
    const workingDays = Object.fromEntries(data.measures.map((x) => [x.dueDate, 5]));
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const t0 = performance.now();
    const r = await render({
      kind: "ledger",
      data,
      filters,
      lang: "zh",
      workingDays,
      outPath: path.join(dir, "t.xlsx"),
    });
    const renderMs = performance.now() - t0;
    clearInterval(timer);
    expect(r).toMatchObject({ kind: "ledger", rows: 1_500 });
    // Measured: in a worker the longest wait was 35 ms of a 1.2 s render (cloning the data in); rendered
    // in this thread, 183 ms of 0.3 s. Partly relative, so a loaded machine slows both sides alike.
    expect(maxGap).toBeLessThan(Math.max(100, renderMs / 8));
  }, 60_000);

  it("an error inside the worker reaches the caller (no fallback, no file, the process goes on)", async () => {
    const before = { ...renderCounts };
    const out = path.join(dir, "bad.docx");
    await expect(render({ kind: "report", data: {} as never, outPath: out })).rejects.toThrow();
    expect(renderCounts).toEqual(before);
    await expect(stat(out)).rejects.toThrow();
  });
});
