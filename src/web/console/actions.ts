import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import type { OutboundJob } from "../../../jobs/outbound";
import type { SweepJob } from "../../../jobs/sweeps";
import type { FileError } from "../../campaign/file";
import { openCampaignSource } from "../../campaign/source";
import type { CampaignSpec } from "../../domain/types";
import { AppError } from "../../errors";
import type { FeishuApi } from "../../feishu/types";
import type { Logger } from "../../logger";
import type { Models } from "../../repositories/models";
import { importCampaign, type ImportReport } from "../../services/campaign-import";
import { startCampaign } from "../../services/campaign-start";
import { manualSlot } from "../../services/sweeps";
import { todayIn } from "../../time";

/**
 * The admin's actions in the console: import a campaign file (checked first; errors by sheet and cell;
 * the checked file waits in Redis for the confirm), start, broadcast now, end. Each runs the same
 * services as the CLI and the chat; every one is confirmed on a page of its own and posted with CSRF.
 */
export interface ActionDeps {
  models: Models;
  redis: Redis;
  prefix: string;
  now: () => Date;
  timezone: string;
  logger: Logger;
  outbound: { enqueueMany(jobs: OutboundJob[], opts?: { recorded?: boolean }): Promise<void> };
  sweeps: {
    runNow(job: SweepJob): Promise<void>;
    syncCampaign(c: { key: string; status: string; timezone: string; schedules?: unknown }): Promise<void>;
  };
  lookupUsers?: FeishuApi["lookupUsers"];
}

export type CheckResult =
  | { ok: true; spec: CampaignSpec; warnings: FileError[]; exists: boolean }
  | { ok: false; errors: FileError[] };

const UPLOAD_TTL_S = 30 * 60;
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Check a campaign file's bytes exactly as `campaign import` does (a running campaign keeps its start date). */
export async function checkUpload(d: ActionDeps, fileName: string, bytes: Buffer): Promise<CheckResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "rb-console-import-"));
  try {
    const file = path.join(dir, fileName.replace(/[^\w.\-\u4e00-\u9fff]/g, "_") || "campaign");
    await writeFile(file, bytes);
    const opened = await openCampaignSource(file);
    if (!opened.ok) return { ok: false, errors: opened.errors.map((e) => ({ ...e, file: fileName })) };
    const today = todayIn(d.timezone, d.now());
    let parsed = opened.source.check({ today });
    const key = opened.source.key;
    const existing = key ? await d.models.Campaign.findOne({ key }, { startDate: 1 }).lean() : null;
    if (!parsed.ok && existing && existing.startDate < today)
      parsed = opened.source.check({ today: existing.startDate });
    if (!parsed.ok) return { ok: false, errors: parsed.errors.map((e) => ({ ...e, file: fileName })) };
    return { ok: true, spec: parsed.spec, warnings: parsed.warnings, exists: Boolean(existing) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const uploadKey = (d: ActionDeps, id: string) => `${d.prefix}:console:upload:${id}`;

/** Keep a checked file for its confirm (30 minutes), bound to the session that uploaded it. */
export async function holdUpload(d: ActionDeps, sessionId: string, fileName: string, bytes: Buffer) {
  const id = randomBytes(16).toString("hex");
  await d.redis.set(
    uploadKey(d, id),
    JSON.stringify({ sessionId, fileName, bytes: bytes.toString("base64") }),
    "EX",
    UPLOAD_TTL_S,
  );
  return id;
}

export async function takeUpload(d: ActionDeps, sessionId: string, id: string) {
  if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
  const raw = await d.redis.get(uploadKey(d, id));
  if (!raw) return undefined;
  const v = JSON.parse(raw) as { sessionId: string; fileName: string; bytes: string };
  if (v.sessionId !== sessionId) return undefined;
  await d.redis.del(uploadKey(d, id));
  return { fileName: v.fileName, bytes: Buffer.from(v.bytes, "base64") };
}

export async function runImport(d: ActionDeps, spec: CampaignSpec): Promise<ImportReport> {
  const r = await importCampaign(d.models, spec, { lookupUsers: d.lookupUsers });
  await syncSchedules(d, r.campaignKey);
  return r;
}

async function syncSchedules(d: ActionDeps, key: string) {
  const c = await d.models.Campaign.findOne({ key }, { key: 1, status: 1, timezone: 1, schedules: 1 }).lean();
  if (c) await d.sweeps.syncCampaign(c);
}

export type CampaignAction = "start" | "broadcast" | "end";
export const ACTIONS: CampaignAction[] = ["start", "broadcast", "end"];

/** Run an action; the answer is one line in the asker's language. Refusals are AppErrors. */
export async function runAction(
  d: ActionDeps,
  key: string,
  action: CampaignAction,
  zh: boolean,
): Promise<string> {
  const c = await d.models.Campaign.findOne({ key }, { key: 1, status: 1, timezone: 1 }).lean();
  if (!c) throw new AppError("not_found", "活动不存在。", "No such campaign.");
  if (action === "start") {
    const r = await startCampaign({ models: d.models, now: d.now, outbound: d.outbound }, key);
    await syncSchedules(d, key);
    return zh
      ? `活动已启动：${r.people} 人，待填报 ${r.assignments} 项，本次发出卡片 ${r.enqueued} 张。`
      : `Started: ${r.people} people, ${r.assignments} pending assignments, ${r.enqueued} cards queued.`;
  }
  if (action === "broadcast") {
    if (c.status !== "active")
      throw new AppError(
        "closed",
        c.status === "ended" ? "活动已结束，不再发送进度通报。" : "活动尚未启动，请先启动。",
        c.status === "ended"
          ? "The campaign has ended: no more broadcasts."
          : "The campaign has not started yet.",
      );
    await d.sweeps.runNow({ kind: "broadcast", campaignKey: key, slot: manualSlot(d, c.timezone) });
    return zh ? "进度通报已排队发送到活动群。" : "The progress broadcast is queued for the campaign's chats.";
  }
  const r = await d.models.Campaign.updateOne(
    { key, status: { $ne: "ended" } },
    { $set: { status: "ended", endedAt: d.now() } },
  );
  if (!r.matchedCount) throw new AppError("closed", "活动已经结束。", "The campaign has already ended.");
  await syncSchedules(d, key);
  return zh
    ? "活动已结束：不再提醒、催办或通报，已填报的内容保留。"
    : "Ended: no more reminders, escalations or broadcasts; answers stay.";
}
