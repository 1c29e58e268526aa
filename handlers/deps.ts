import type { ExportJob } from "../jobs/export";
import type { OutboundJob } from "../jobs/outbound";
import type { SweepJob, SweepQueue } from "../jobs/sweeps";
import type { WorkCalendar } from "../src/calendar";
import type { ExportProcess } from "../src/exports/export-process";
import type { FeishuApi } from "../src/feishu/types";
import type { Logger } from "../src/logger";
import type { Models } from "../src/repositories/models";

/** What every handler may use. Built once in main (or by a test) and passed in. */
export interface HandlerDeps {
  logger: Logger;
  models: Models;
  feishu: FeishuApi;
  outbound: {
    enqueue(job: OutboundJob, opts?: { delayMs?: number }): Promise<void>;
    /** Many jobs at once; `recorded`: their intents are written already (a campaign start). */
    enqueueMany?(jobs: OutboundJob[], opts?: { recorded?: boolean }): Promise<void>;
  };
  timezone: string;
  now: () => Date;
  calendar: WorkCalendar;
  workingHours?: { start: number; end: number };
  /** Card actions finishing after their answer (delayed updates): a stop waits for them. */
  lateWork?: Set<Promise<unknown>>;
  /** Run a sweep now (an admin's "发送进度通报"). */
  sweeps: {
    runNow(job: SweepJob): Promise<void>;
    /** Bring a campaign's schedulers in line with its state (after a start or end from chat). */
    syncCampaign?: SweepQueue["syncCampaign"];
  };
  /** Build a ledger / report off the message path and send it to the asker (absent: not offered). */
  exports?: { add(job: ExportJob): Promise<void> };
  /** Exports read and render in this long-lived child process (src/exports/export-process.ts); absent: in the caller's. */
  exportProcess?: ExportProcess;
  /** ADMIN_OPEN_IDS: who may send a new campaign file in chat (empty or absent: the app's owner). */
  adminOpenIds?: readonly string[];
  /** Compute an answer's flags after its submission (jobs/flags.ts). */
  flags?: { enqueue(job: { campaignKey: string; answer?: string; at?: string }): Promise<void> };
}
