import path from "node:path";
import mongoose from "mongoose";
import { loadCampaignFile } from "../src/campaign/file";
import { exportLedger, exportReport } from "../src/exports/index";
import { startMongoWire } from "@rectify-bot/mongo-wire";
import { createModels, ensureIndexes } from "../src/repositories/models";
import { playCampaign } from "../test/helpers/export-campaign";

/**
 * A ledger and a report from a campaign file played three weeks in (answers, problems, measures in every
 * state) on an in-memory store: `tsx scripts/sample-exports.ts [campaign-file] [out-dir]`. Used by
 * scripts/render-report.sh to look at real pages; touches no database of yours.
 */
const file = process.argv[2] ?? "examples/bureau.yaml";
const outDir = process.argv[3] ?? "tmp/exports";

const parsed = await loadCampaignFile(file, { today: "2026-12-01" });
if (!parsed.ok) {
  for (const e of parsed.errors) console.error(`${e.file}:${e.line}: ${e.message}`);
  process.exit(1);
}
const store = await startMongoWire({});
const conn = await mongoose.createConnection(store.uri.replace(/\/(\?|$)/, "/sample$1")).asPromise();
try {
  const models = createModels(conn);
  await ensureIndexes(models);
  let now = 0;
  const clock = { set: (ms: number) => void (now = ms), now: () => new Date(now) };
  const spec = parsed.spec;
  const played = await playCampaign(models, { spec, start: spec.startDate, clock });
  const d = { models, now: played.now };
  const base = path.join(outDir, spec.key);
  for (const r of [
    await exportReport(d, { campaignKey: spec.key, lang: "zh" }, `${base}-自查报告.docx`),
    await exportLedger(d, { campaignKey: spec.key, lang: "zh" }, `${base}-整改台账.xlsx`),
  ])
    console.log(`${r.path}\t${r.summary}`);
} finally {
  await conn.close();
  await store.close();
}
