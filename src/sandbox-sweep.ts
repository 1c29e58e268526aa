import type { SweepQueue } from "../jobs/sweeps";
import type { Models } from "./repositories/models";

/**
 * The sweeps `sandbox sweep` and the page's 现在执行提醒/巡检 run: reminders, then escalations (overdue
 * lists), then 回头看 follow-ups of measures closed long enough ago.
 */
export const SANDBOX_SWEEPS = ["reminder", "escalation", "follow-up"] as const;

/**
 * Queue the reminder, escalation and follow-up sweeps of every active campaign now, for the running bot's sweep
 * worker: it runs them on the sandbox clock and records every notice, so a second run sends nothing
 * twice. Answers the campaigns queued.
 */
export async function queueSandboxSweeps(
  models: Models,
  sweeps: Pick<SweepQueue, "runNow">,
): Promise<string[]> {
  const active = await models.Campaign.find({ status: "active" }, { key: 1 }).sort({ key: 1 }).lean();
  for (const c of active)
    for (const kind of SANDBOX_SWEEPS) await sweeps.runNow({ kind, campaignKey: c.key });
  return active.map((c) => c.key);
}
