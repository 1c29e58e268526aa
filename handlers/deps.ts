import type { ExportJob } from "../jobs/export";
import type { OutboundJob } from "../jobs/outbound";
import type { SweepJob } from "../jobs/sweeps";
import type { WorkCalendar } from "../src/calendar";
import type { FeishuApi } from "../src/feishu/types";
import type { Logger } from "../src/logger";
import type { Models } from "../src/repositories/models";

/** What every handler may use. Built once in main (or by a test) and passed in. */
export interface HandlerDeps {
  logger: Logger;
  models: Models;
  feishu: FeishuApi;
  outbound: { enqueue(job: OutboundJob, opts?: { delayMs?: number }): Promise<void> };
  timezone: string;
  now: () => Date;
  calendar: WorkCalendar;
  workingHours?: { start: number; end: number };
  /** Card actions finishing after their answer (delayed updates): a stop waits for them. */
  lateWork?: Set<Promise<unknown>>;
  /** Run a sweep now (an admin's "发送进度通报"). */
  sweeps: { runNow(job: SweepJob): Promise<void> };
  /** Build a ledger / report off the message path and send it to the asker (absent: not offered). */
  exports?: { add(job: ExportJob): Promise<void> };
  /** Compute an answer's flags after its submission (jobs/flags.ts). */
  flags?: { enqueue(job: { campaignKey: string; answer?: string; at?: string }): Promise<void> };
}
