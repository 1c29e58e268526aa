import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import mongoose from "mongoose";
import type { CampaignSpec } from "../../src/domain/types";
import { createModels, ensureIndexes } from "../../src/repositories/models";
import { loadSpec } from "./campaign";
import { playCampaign } from "./export-campaign";
import { mongoUriFor, uniqueName } from "./services";

/**
 * A database of the test's own on the shared store with the "四查四看" fixture played three weeks in
 * (starting 2026-12-07, so "today" is 2026-12-28), and a temporary folder for the files.
 */
export async function playedDatabase(label: string, patch: (spec: CampaignSpec) => void = () => {}) {
  const uri = mongoUriFor(uniqueName(label));
  const conn = await mongoose.createConnection(uri).asPromise();
  const m = createModels(conn);
  await ensureIndexes(m);
  const dir = await mkdtemp(path.join(os.tmpdir(), `${label}-`));
  let nowMs = 0;
  const clock = { set: (ms: number) => void (nowMs = ms), now: () => new Date(nowMs) };
  const spec = await loadSpec("test/fixtures/campaigns/sicha-sikan.yaml");
  patch(spec);
  const played = await playCampaign(m, { spec, start: "2026-12-07", clock });
  return {
    uri,
    m,
    dir,
    played,
    deps: () => ({ models: m, now: clock.now }),
    async close() {
      await conn.dropDatabase();
      await conn.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
export type PlayedDatabase = Awaited<ReturnType<typeof playedDatabase>>;
