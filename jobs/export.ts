import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { HandlerDeps } from "../handlers/deps";
import { AppError } from "../src/errors";
import { exportLedger, exportReport, type ExportRequest, type ExportResult } from "../src/exports/index";
import { FeishuApiError } from "../src/feishu/errors";
import type { Logger } from "../src/logger";
import { loadCampaign } from "../src/services/context";
import { todayIn } from "../src/time";
import { outboundUuid } from "./outbound";
import { QUEUE } from "./queue-names";

/**
 * Ledger / report exports asked for in chat (issue 11 §3). The file is built here, off the message
 * path; uploaded from this worker (`im.file.create`); the file message and its note go through the
 * outbound queue, to the asker in private. A failure tells the asker what went wrong.
 */
export type ExportKind = "ledger" | "report";

export interface ExportJob {
  kind: ExportKind;
  campaignKey: string;
  lang: "zh" | "en";
  /** Who asked: the file goes to them privately. */
  asker: { openId: string; personKey?: string };
  /** Unit keys the asker may see; undefined = all (an admin). */
  units?: string[];
  /** A unit the question named (its key): the export is limited to it. */
  unit?: string;
  /** The question's message id: a redelivered question is still one export. */
  requestId: string;
}

/** Feishu refuses uploads over 30 MB. */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;

export class ExportQueue {
  readonly queue: Queue<ExportJob>;
  constructor(connection: Redis, prefix: string, logger: Logger) {
    this.queue = new Queue<ExportJob>(QUEUE.exports, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: 3,
        backoff: { type: "exponential", delay: 2000 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    this.queue.on("error", (err) => logger.warn({ err: err.message }, "exports queue error"));
  }

  async add(job: ExportJob): Promise<void> {
    await this.queue.add(job.kind, job, { jobId: `export-${job.kind}-${job.requestId}`.replace(/:/g, "_") });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what a file name must not carry
const UNSAFE_IN_NAME = /[\\/:*?"<>|\u0000-\u001f]+/g;

/** The file's name as the asker sees it: what it is, of which campaign, as of which day. */
export function exportFileName(kind: ExportKind, title: string, day: string, lang: "zh" | "en"): string {
  const t = title.replace(UNSAFE_IN_NAME, " ").trim().slice(0, 60);
  const d = day.replace(/-/g, "");
  if (lang === "en")
    return kind === "ledger"
      ? `${t} rectification ledger ${d}.xlsx`
      : `${t} self-inspection report (draft) ${d}.docx`;
  // "…专项整治自查" + "自查报告" would say 自查 twice; "…自查" + "整改台账" reads as it should.
  const report = t.endsWith("自查") ? `${t}报告（草稿）` : `${t}自查报告（草稿）`;
  return kind === "ledger" ? `${t}整改台账${d}.xlsx` : `${report}${d}.docx`;
}

function noteText(kind: ExportKind, r: ExportResult, en: boolean): string {
  if (kind === "ledger")
    return en
      ? `Your rectification ledger has been sent to you as a file: ${r.summary}.`
      : `整改台账已生成，文件已发给您：${r.summary}。`;
  return en
    ? `Your self-inspection report has been sent to you as a file (${r.summary}). It is a draft: edit it to fit your office before you hand it upward.`
    : `自查报告已生成，文件已发给您（${r.summary}）。这是一份草稿，请结合本单位实际修改完善后再上报。`;
}

function failureText(e: unknown, en: boolean): string {
  if (e instanceof AppError) return en ? `Export failed: ${e.en}` : `导出失败：${e.zh}`;
  if (e instanceof FeishuApiError)
    return en
      ? "Export failed: the file could not be uploaded to Feishu. Please try again later; if it keeps failing, tell the administrator."
      : "导出失败：文件未能上传到飞书，请稍后再试；多次失败请联系管理员。";
  return en
    ? "Export failed because of an internal error. Please try again later; if it keeps failing, tell the administrator."
    : "导出失败：系统内部错误，请稍后再试；多次失败请联系管理员。";
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export type ExportDeps = Pick<HandlerDeps, "models" | "now" | "feishu" | "outbound" | "logger">;

/** Build, upload, send. Throws to retry (a transient upload error); tells the asker on a final failure. */
export async function runExport(
  d: ExportDeps,
  job: ExportJob,
  log: Logger,
  finalAttempt: boolean,
): Promise<void> {
  const en = job.lang === "en";
  const to = { type: "open_id" as const, id: job.asker.openId };
  const ref = { kind: "export", campaignId: job.campaignKey, personKey: job.asker.personKey };
  const dir = await mkdtemp(path.join(os.tmpdir(), "rectify-export-"));
  try {
    const c = await loadCampaign(d, job.campaignKey);
    const units = job.unit ? [job.unit] : job.units;
    const req: ExportRequest = {
      campaignKey: c.key,
      lang: job.lang,
      units,
      ...(job.kind === "ledger" && job.unit ? { filters: { units: [job.unit] } } : {}),
    };
    const out = path.join(dir, exportFileName(job.kind, c.title, todayIn(c.timezone, d.now()), job.lang));
    const started = performance.now();
    const r = job.kind === "ledger" ? await exportLedger(d, req, out) : await exportReport(d, req, out);
    if (r.bytes > MAX_UPLOAD_BYTES)
      throw new AppError(
        "invalid",
        "文件超过 30 MB，无法通过飞书发送；请缩小范围（按科室导出），或用命令行 npm run cli -- export 导出。",
        "The file is over 30 MB, more than Feishu takes; export one unit at a time, or use the CLI (npm run cli -- export).",
      );
    // The name the chat side chose (language, campaign, sandbox-or-real date), whatever the builder says.
    const fileName = path.basename(out);
    const fileKey = await d.feishu.uploadFile({
      name: fileName,
      type: job.kind === "ledger" ? "xls" : "doc",
      path: r.path,
    });
    // What left the system, and to whom: the file's name, scope and digest.
    await d.models.AuditEntry.create({
      campaignKey: c.key,
      entity: "export",
      entityId: fileKey,
      action: job.kind,
      from: units?.join(",") ?? "all",
      to: fileName,
      byKey: job.asker.personKey,
      byOpenId: job.asker.openId,
      reason: `${r.bytes} bytes sha256:${await sha256Of(r.path)}`,
      at: d.now(),
    });
    await d.outbound.enqueue({
      op: "send",
      to,
      content: { fileKey },
      uuid: outboundUuid("export-file", job.kind, job.requestId),
      ref: { ...ref, refId: fileKey },
    });
    // The note follows the file (sends to one person run in parallel; a second keeps them in order).
    await d.outbound.enqueue(
      {
        op: "send",
        to,
        content: { text: noteText(job.kind, r, en) },
        uuid: outboundUuid("export-note", job.kind, job.requestId),
        ref,
      },
      { delayMs: 1000 },
    );
    log.info(
      {
        export: job.kind,
        campaign: c.key,
        units: units?.length ?? "all",
        bytes: r.bytes,
        ms: Math.round(performance.now() - started),
      },
      "export sent",
    );
  } catch (e) {
    const retry = !finalAttempt && e instanceof FeishuApiError && e.retryable;
    const err = e instanceof Error ? e.message : String(e);
    if (retry) {
      log.warn({ export: job.kind, campaign: job.campaignKey, err }, "export upload failed; will retry");
      throw e;
    }
    log.error({ export: job.kind, campaign: job.campaignKey, err }, "export failed");
    await d.outbound.enqueue({
      op: "send",
      to,
      content: { text: failureText(e, en) },
      uuid: outboundUuid("export-failed", job.kind, job.requestId),
      ref,
    });
    throw new UnrecoverableError(err);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function createExportWorker(
  connection: Redis,
  prefix: string,
  deps: ExportDeps,
  concurrency = 2,
): Worker<ExportJob> {
  const worker = new Worker<ExportJob>(
    QUEUE.exports,
    async (job: Job<ExportJob>) => {
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await runExport(deps, job.data, deps.logger.child({ job: job.id }), final);
    },
    { connection, prefix, concurrency },
  );
  worker.on("error", (err) => deps.logger.warn({ err: err.message }, "exports worker error"));
  return worker;
}
