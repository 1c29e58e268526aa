import "dotenv/config";
import { writeFile } from "node:fs/promises";
import { BUILTIN_TEMPLATE, TEMPLATES } from "../campaign/template";
import { buildCampaignTemplate, writeWorkbook } from "../campaign/xlsx-template";
import { ConfigError, loadConfig } from "../config";
import { AppError } from "../errors";
import { buildDictionary, runIntentCli } from "../intent/index";
import { createLogger } from "../logger";
import { campaignChecklist } from "../services/views";
import { todayIn } from "../time";
import {
  campaignEnd,
  campaignImport,
  campaignList,
  campaignReturn,
  campaignStart,
  campaignStatus,
  leave,
  summarySend,
  type Out,
} from "./campaign";
import { campaignSyncOrg } from "./org";
import { connect, nowOf } from "./connect";
import { EXPORT_HELP, exportCommand } from "./export";
import { flagsRecompute } from "./flags";

const HELP = `npm run cli -- <command>

  template show [--json]                 the built-in checklist (六查 · 六正 · 两提高)
  template xlsx --out <file.xlsx>        write the campaign workbook template (活动模板) to fill in Excel
  campaign import <file> [--today D]     validate and load a campaign file (YAML, JSON or .xlsx)
                   [--apply]             org: from: feishu re-import: apply who left or moved
  campaign sync-org <key> [--apply]      re-read the address book (org: from: feishu): who left, moved, is new; --apply applies
  campaign list                          campaigns and their state
  campaign start <key>                   send every assignee their digest and self-check cards
  campaign status <key>                  progress, overdue work, people who cannot be reached
  campaign return <assignment-id> --reason <text>
                                         send a submitted answer back to its assignee
  campaign end <key>                     end it: no more reminders, escalations, broadcasts
  summary send <key>                     send the progress broadcast to its group chats now
  flags recompute <key>                  compute and store the 疑似敷衍 flags of every current answer
${EXPORT_HELP}
  leave set <key> <person> <from> <to>   no reminders to a person while on leave
                                         (person: key, or a name only one person has)
  leave clear <key> <person>
  intent ["question"]                    how the bot reads a question (stdin: one per line)
  sandbox play <key>                     local sandbox only: play three weeks of the campaign
  sandbox clock [+3d|+1w|+2h|reset]      local sandbox only: show or move the sandbox clock
  sandbox sweep                          local sandbox only: run the reminder/escalation/follow-up sweeps now
`;

const out: Out = { print: (s) => console.log(s), error: (s) => console.error(s) };

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const [cmd, sub, ...rest] = args;
  if (!cmd || cmd === "help" || cmd === "--help") {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? "warn");

  if (cmd === "template" && sub === "show") {
    if (rest.includes("--json")) console.log(JSON.stringify(BUILTIN_TEMPLATE, null, 2));
    else {
      console.log(
        `${BUILTIN_TEMPLATE.title} [${BUILTIN_TEMPLATE.key}]  (templates: ${Object.keys(TEMPLATES).join(", ")})`,
      );
      for (const s of BUILTIN_TEMPLATE.sections) {
        console.log(`\n${s.code} · ${s.title}`);
        for (const it of s.items) {
          console.log(`  ${it.key}  ${it.title}`);
          for (const cp of it.checkpoints) console.log(`        - ${cp}`);
        }
      }
    }
    return 0;
  }

  if (cmd === "template" && sub === "xlsx") {
    const file = flag(rest, "out");
    if (!file) {
      console.error("usage: npm run cli -- template xlsx --out <file.xlsx>");
      return 2;
    }
    await writeFile(file, await writeWorkbook(buildCampaignTemplate()));
    console.log(`wrote ${file}: fill it in and load it with: npm run cli -- campaign import ${file}`);
    return 0;
  }

  if (cmd === "intent") {
    // Item titles from the active campaign, else the built-in template.
    const text = [sub, ...rest].filter((x): x is string => x !== undefined);
    let dict = buildDictionary({ units: [], checklist: BUILTIN_TEMPLATE });
    {
      const s = await connect(config, logger).catch(() => undefined);
      if (s) {
        const c = await s.models.Campaign.findOne({ status: "active" }).sort({ updatedAt: -1 }).lean();
        if (c) {
          const units = await s.models.Unit.find({ campaignKey: c.key }, { name: 1 }).lean();
          dict = buildDictionary({
            units: units.map((u) => u.name),
            checklist: campaignChecklist(c),
          });
        }
        await s.close();
      }
    }
    return runIntentCli(text, { stdin: process.stdin, stdout: process.stdout }, dict);
  }

  if (cmd === "flags" && sub === "recompute" && rest[0]) {
    const s = await connect(config, logger);
    try {
      return await flagsRecompute(s, rest[0], logger, out);
    } finally {
      await s.close();
    }
  }

  if (cmd === "summary" && sub === "send" && rest[0]) {
    const s = await connect(config, logger, { redis: true });
    try {
      return await summarySend(s, rest[0], logger, out);
    } finally {
      await s.close();
    }
  }

  if (cmd === "export") {
    const s = await connect(config, logger);
    try {
      return await exportCommand(s, sub, rest, out, nowOf(s));
    } finally {
      await s.close();
    }
  }

  if (cmd === "leave") {
    const s = await connect(config, logger);
    try {
      return await leave(s, [sub ?? "", ...rest], out);
    } finally {
      await s.close();
    }
  }

  if (cmd === "sandbox" && sub === "play" && rest[0]) {
    const { runSandboxPlay } = await import("../sandbox-play");
    return runSandboxPlay(config, logger, rest[0], out);
  }

  if (cmd === "sandbox" && (sub === "clock" || sub === "sweep")) {
    const { runSandboxCommand } = await import("./sandbox");
    return runSandboxCommand(config, logger, sub, rest[0], out);
  }

  if (cmd === "campaign") {
    const needRedis = sub === "start" || sub === "sync-org";
    const s = await connect(config, logger, { redis: needRedis });
    try {
      switch (sub) {
        case "import":
          if (!rest[0]) break;
          return await campaignImport(s, rest[0], {
            today: flag(rest, "today") ?? todayIn(config.timezone, nowOf(s)()),
            out,
            logger,
            applyOrg: rest.includes("--apply"),
          });
        case "sync-org":
          if (!rest[0]) break;
          return await campaignSyncOrg(s, rest[0], { apply: rest.includes("--apply"), logger, out });
        case "list":
          return await campaignList(s, out);
        case "start":
          if (!rest[0]) break;
          return await campaignStart(s, rest[0], logger, out);
        case "status":
          if (!rest[0]) break;
          return await campaignStatus(s, rest[0], out);
        case "end":
          if (!rest[0]) break;
          return await campaignEnd(s, rest[0], logger, out);
        case "return": {
          const reason = flag(rest, "reason");
          if (!rest[0] || !reason) break;
          return await campaignReturn(s, rest[0], reason, logger, out);
        }
      }
    } finally {
      await s.close();
    }
  }
  console.error(`未知或不完整的命令 / unknown or incomplete command: ${args.join(" ")}\n\n${HELP}`);
  return 2;
}

/** What went wrong, in one line, with what to do about it (Chinese first, English second). */
function failureLine(e: unknown): string {
  if (e instanceof ConfigError) return e.message;
  if (e instanceof AppError) return `${e.zh} / ${e.en}`;
  const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  const code = (e as { code?: unknown } | null)?.code;
  const name = e instanceof Error ? e.name : "";
  const unreachable =
    /Server ?Selection|MongoNetwork/.test(name) ||
    ["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"].includes(String(code)) ||
    /ECONNREFUSED|ETIMEDOUT|timed out/.test(msg);
  if (unreachable)
    return (
      `连接不上数据库或 Redis（${msg}）。请确认 npm start 在运行，或 MONGODB_URI / REDIS_URL 正确，然后重新运行。` +
      ` / Cannot reach MongoDB or Redis (${msg}): keep \`npm start\` running or check MONGODB_URI / REDIS_URL, then run the command again.`
    );
  return (
    `命令出错：${msg}。重新运行是安全的；如再次出错，请用 LOG_LEVEL=debug 运行并把输出交给管理员。` +
    ` / The command failed: ${msg}. Running it again is safe; if it fails again, run it with LOG_LEVEL=debug and pass the output on.`
  );
}

/** Killed by SIGINT (Ctrl-C) or SIGTERM: say so, and that running the command again is safe. */
function interruptedLine(signal: string): string {
  return (
    `已中断（${signal}）：命令没有做完。重新运行同一条命令是安全的，已完成的部分不会重复。` +
    ` / Interrupted (${signal}) before the command finished; running the same command again is safe: what was done is not done twice.`
  );
}

function fail(e: unknown): never {
  console.error(failureLine(e));
  if (process.env.LOG_LEVEL === "debug" && e instanceof Error && e.stack) console.error(e.stack);
  process.exit(1);
}

// Output piped into a reader that stops early (`| head`): stop quietly, no stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    fail(e);
  });
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.error(interruptedLine(signal));
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

main(process.argv.slice(2)).then((code) => process.exit(code), fail);
