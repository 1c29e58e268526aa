import { SweepQueue } from "../../jobs/sweeps";
import type { Config } from "../config";
import { readLocalRuntime } from "../local-runtime";
import type { Logger } from "../logger";
import { advanceClockBy, parseClockStep, readClockOffset, resetClock } from "../sandbox-clock";
import { queueSandboxSweeps } from "../sandbox-sweep";
import type { Out } from "./campaign";
import { connect, type CliServices } from "./connect";

/**
 * `sandbox clock [+3d|+1w|+2h|reset]` and `sandbox sweep`: the local sandbox's clock and its sweeps,
 * from the command line (the /sandbox page has the same controls). Refused with real Feishu credentials.
 */
export const SANDBOX_CLOCK_USAGE =
  "用法 / usage: sandbox clock [+30m|+2h|+3d|+1w|reset]  (no argument: show the sandbox time)";

function fmt(ms: number): string {
  return `${new Date(ms).toISOString()} (${new Date(ms).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" })} 北京时间)`;
}

/** Show, move forward or reset the sandbox clock (kept in Redis; the running sandbox follows it). */
export async function sandboxClock(s: CliServices, arg: string | undefined, out: Out): Promise<number> {
  if (!s.redis) {
    out.error(
      "需要 Redis：请让 npm start 保持运行 / Redis is needed: keep `npm start` running, then try again",
    );
    return 1;
  }
  if (arg === undefined || arg === "show") {
    const offset = await readClockOffset(s.redis, s.redisPrefix);
    const days = Math.floor(offset / 86_400_000);
    out.print(
      `沙箱时间 / sandbox time: ${fmt(Date.now() + offset)}${offset ? `, ${days} 天 ${Math.round((offset % 86_400_000) / 3_600_000)} 小时 ahead of real time` : ", real time"}`,
    );
    return 0;
  }
  if (arg === "reset") {
    await resetClock(s.redis, s.redisPrefix);
    out.print(`沙箱时间已恢复为真实时间 / the sandbox clock is back to real time: ${fmt(Date.now())}`);
    return 0;
  }
  const ms = parseClockStep(arg);
  if (ms === undefined) {
    out.error(
      `"${arg}" 不是时间步长（如 +3d、+1w、+2h） / "${arg}" is not a step forward\n${SANDBOX_CLOCK_USAGE}`,
    );
    return 2;
  }
  const now = await advanceClockBy(s.redis, s.redisPrefix, ms);
  out.print(`沙箱时间 / sandbox time: ${fmt(now)}`);
  return 0;
}

/** Queue the reminder, escalation and follow-up sweeps of every active campaign for the running sandbox bot. */
export async function sandboxSweep(s: CliServices, logger: Logger, out: Out): Promise<number> {
  if (!s.redis) {
    out.error(
      "需要 Redis：请让 npm start 保持运行 / Redis is needed: keep `npm start` running, then try again",
    );
    return 1;
  }
  const q = new SweepQueue(s.redis, `${s.redisPrefix}:bull`, logger);
  try {
    const keys = await queueSandboxSweeps(s.models, q);
    if (!keys.length) {
      out.error(
        "没有进行中的活动 / no active campaign: start one first (npm run cli -- campaign start <key>)",
      );
      return 1;
    }
    out.print(
      `提醒、巡检和回头看已排队，由运行中的沙箱按沙箱时间执行 / reminder, escalation and follow-up sweeps queued (run by the sandbox on its clock): ${keys.join(", ")}`,
    );
    return 0;
  } finally {
    await q.close();
  }
}

/** The CLI's `sandbox clock|sweep`: only against a running local sandbox, never a real Feishu app. */
export async function runSandboxCommand(
  config: Config,
  logger: Logger,
  sub: "clock" | "sweep",
  arg: string | undefined,
  out: Out,
): Promise<number> {
  if (!config.sandbox) {
    out.error(
      `sandbox ${sub} 只用于本地沙箱：已配置 FEISHU_APP_ID（真实飞书应用），未做任何操作。 / sandbox ${sub} runs only in the local sandbox: FEISHU_APP_ID is set, so this is a real Feishu app. Nothing was done.`,
    );
    return 2;
  }
  if (!readLocalRuntime(config.dataDir)?.sandbox) {
    out.error(
      "没有运行中的本地沙箱：请先 npm start（不配置飞书凭据） / no local sandbox is running: start it with `npm start` (without Feishu credentials), then try again.",
    );
    return 2;
  }
  const s = await connect(config, logger, { redis: true });
  try {
    return sub === "clock" ? await sandboxClock(s, arg, out) : await sandboxSweep(s, logger, out);
  } finally {
    await s.close();
  }
}
