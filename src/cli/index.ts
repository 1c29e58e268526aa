import "dotenv/config";
import { writeFile } from "node:fs/promises";
import { BUILTIN_TEMPLATE, TEMPLATES } from "../campaign/template";
import { buildCampaignTemplate, writeWorkbook } from "../campaign/xlsx-template";
import { ConfigError, loadConfig } from "../config";
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
import { connect } from "./connect";

const HELP = `npm run cli -- <command>

  template show [--json]                 the built-in checklist (六查 · 六正 · 两提高)
  template xlsx --out <file.xlsx>        write the campaign workbook template (活动模板) to fill in Excel
  campaign import <file> [--today D]     validate and load a campaign file (YAML, JSON or .xlsx)
  campaign list                          campaigns and their state
  campaign start <key>                   send every assignee their digest and self-check cards
  campaign status <key>                  progress, overdue work, people who cannot be reached
  campaign return <assignment-id> --reason <text>
                                         send a submitted answer back to its assignee
  campaign end <key>                     end it: no more reminders, escalations, broadcasts
  summary send <key>                     send the progress broadcast to its group chats now
  leave set <key> <person> <from> <to>   no reminders to a person while on leave
  leave clear <key> <person>
  intent ["question"]                    how the bot reads a question (stdin: one per line)
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

  if (cmd === "summary" && sub === "send" && rest[0]) {
    const s = await connect(config, logger, { redis: true });
    try {
      return await summarySend(s, rest[0], logger, out);
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

  if (cmd === "campaign") {
    const needRedis = sub === "start";
    const s = await connect(config, logger, { redis: needRedis });
    try {
      switch (sub) {
        case "import":
          if (!rest[0]) break;
          return await campaignImport(s, rest[0], {
            today: flag(rest, "today") ?? todayIn(config.timezone),
            out,
            logger,
          });
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
  console.error(`unknown or incomplete command: ${args.join(" ")}\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof ConfigError ? e.message : e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
