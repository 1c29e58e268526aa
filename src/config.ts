import { z } from "zod";

/**
 * The environment, parsed once. `loadConfig(env)` takes the environment as a parameter so tests can
 * pass their own; it throws a ConfigError naming every missing or malformed variable.
 */

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .optional()
  .transform((v) => v === "true" || v === "1" || v === "yes");

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const domain = z
  .string()
  .optional()
  .transform((v) => (v ?? "feishu").trim())
  .refine((v) => v === "feishu" || v === "lark" || /^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(v), {
    message: 'must be "feishu", "lark" or a base URL such as http://127.0.0.1:4010',
  });

const timezone = z
  .string()
  .optional()
  .transform((v) => (v ?? "Asia/Shanghai").trim())
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: "must be an IANA time zone such as Asia/Shanghai" },
  );

const schema = z.object({
  FEISHU_APP_ID: optionalString,
  FEISHU_APP_SECRET: optionalString,
  FEISHU_ENCRYPT_KEY: optionalString,
  FEISHU_VERIFICATION_TOKEN: optionalString,
  FEISHU_DOMAIN: domain,
  FEISHU_TRANSPORT: z.enum(["webhook", "ws"]).optional().default("webhook"),
  FEISHU_INSECURE_NO_ENCRYPTION: bool,
  FEISHU_SIGNATURE_WINDOW_SECONDS: z.coerce.number().int().positive().optional().default(300),
  MONGODB_URI: optionalString.refine((v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v), {
    message: "must start with mongodb:// or mongodb+srv://",
  }),
  REDIS_URL: optionalString.refine((v) => v === undefined || /^rediss?:\/\//.test(v), {
    message: "must start with redis:// or rediss://",
  }),
  REDIS_PREFIX: z.string().optional().default("rb"),
  PORT: z.coerce.number().int().min(0).max(65535).optional().default(3000),
  ORG_TIMEZONE: timezone,
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .optional()
    .default("info"),
  DATA_DIR: z.string().optional().default("./data"),
  OUTBOUND_RATE_PER_SECOND: z.coerce.number().int().min(1).max(50).optional().default(40),
  CALENDAR_FILE: optionalString,
  WORKING_HOURS: z
    .string()
    .optional()
    .default("9-18")
    .refine(
      (v) =>
        /^\d{1,2}-\d{1,2}$/.test(v) &&
        Number(v.split("-")[0]) < Number(v.split("-")[1]) &&
        Number(v.split("-")[1]) <= 24,
      {
        message: 'must be "START-END" hours, e.g. 9-18',
      },
    ),
  OUTBOUND_RATE_PER_MINUTE: z.coerce.number().int().min(0).max(1000).optional().default(950),
  ADMIN_OPEN_IDS: z
    .string()
    .optional()
    .default("")
    .refine((v) => splitIds(v).every((id) => /^ou_[0-9a-zA-Z_-]+$/.test(id)), {
      message: "must be open_ids (ou_…) separated by commas or spaces",
    }),
  CONSOLE_SESSION_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: "must be at least 32 characters (e.g. openssl rand -hex 32)",
  }),
  CONSOLE_PUBLIC_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
    message: "must be the console's base URL, e.g. https://bot.example.gov.cn",
  }),
});

function splitIds(v: string): string[] {
  return v.split(/[\s,，;；]+/).filter(Boolean);
}

/** Rules across variables, checked on the raw environment so they are reported with shape errors. */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => Boolean(env[k]?.trim());
  const out: string[] = [];
  if (set("FEISHU_APP_ID") !== set("FEISHU_APP_SECRET")) {
    for (const k of ["FEISHU_APP_ID", "FEISHU_APP_SECRET"])
      if (!set(k)) out.push(`${k} is required when the other Feishu credential is set (missing)`);
  }
  if (set("FEISHU_APP_ID")) {
    if (!set("FEISHU_VERIFICATION_TOKEN"))
      out.push("FEISHU_VERIFICATION_TOKEN is required with Feishu credentials (missing)");
    const insecure = ["true", "1", "yes"].includes(env.FEISHU_INSECURE_NO_ENCRYPTION ?? "");
    if (!set("FEISHU_ENCRYPT_KEY") && !insecure)
      out.push(
        "FEISHU_ENCRYPT_KEY is required (set it in the Feishu console); FEISHU_INSECURE_NO_ENCRYPTION=true only for local development (missing)",
      );
  }
  return out;
}

export interface Config {
  /** Real Feishu credentials present? Without them `npm start` runs the local sandbox. */
  readonly sandbox: boolean;
  readonly feishu: {
    readonly appId?: string;
    readonly appSecret?: string;
    readonly encryptKey?: string;
    readonly verificationToken?: string;
    readonly domain: string;
    readonly transport: "webhook" | "ws";
    readonly insecureNoEncryption: boolean;
    readonly signatureWindowSeconds: number;
  };
  readonly mongodbUri?: string;
  readonly redisUrl?: string;
  readonly redisPrefix: string;
  readonly port: number;
  readonly timezone: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly dataDir: string;
  readonly outboundRatePerSecond: number;
  readonly outboundRatePerMinute: number;
  /** Local overrides of the statutory-holiday calendar (YAML/JSON: workdays, holidays). */
  readonly calendarFile?: string;
  /** Reminders and escalations go out only within these hours on working days. */
  readonly workingHours: { start: number; end: number };
  /**
   * Who may send a new campaign file to the bot in chat (open_ids). Empty: the app's owner (application
   * info API). An existing campaign is administered by its own `admin` people.
   */
  readonly adminOpenIds: readonly string[];
  /** The web console: cookie-signing secret (unset: random per process) and its public base URL. */
  readonly console: { readonly sessionSecret?: string; readonly publicUrl?: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}\nSee .env.example for every variable.`,
    );
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  const cross = crossFieldProblems(env);
  if (!parsed.success || cross.length) {
    const shape = (parsed.error?.issues ?? []).map((i) => {
      const key = String(i.path[0] ?? "environment");
      const value = env[key];
      const shown = value === undefined ? "missing" : `got "${redact(key, value)}"`;
      return `${key} ${i.message} (${shown})`;
    });
    throw new ConfigError([...shape, ...cross]);
  }
  const e = parsed.data;
  return Object.freeze({
    sandbox: !e.FEISHU_APP_ID,
    feishu: Object.freeze({
      appId: e.FEISHU_APP_ID,
      appSecret: e.FEISHU_APP_SECRET,
      encryptKey: e.FEISHU_ENCRYPT_KEY,
      verificationToken: e.FEISHU_VERIFICATION_TOKEN,
      domain: e.FEISHU_DOMAIN,
      transport: e.FEISHU_TRANSPORT,
      insecureNoEncryption: e.FEISHU_INSECURE_NO_ENCRYPTION,
      signatureWindowSeconds: e.FEISHU_SIGNATURE_WINDOW_SECONDS,
    }),
    mongodbUri: e.MONGODB_URI,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    port: e.PORT,
    timezone: e.ORG_TIMEZONE,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    outboundRatePerSecond: e.OUTBOUND_RATE_PER_SECOND,
    outboundRatePerMinute: e.OUTBOUND_RATE_PER_MINUTE,
    calendarFile: e.CALENDAR_FILE,
    workingHours: {
      start: Number(e.WORKING_HOURS.split("-")[0]),
      end: Number(e.WORKING_HOURS.split("-")[1]),
    },
    adminOpenIds: Object.freeze(splitIds(e.ADMIN_OPEN_IDS)),
    console: Object.freeze({
      sessionSecret: e.CONSOLE_SESSION_SECRET,
      publicUrl: e.CONSOLE_PUBLIC_URL?.replace(/\/$/, ""),
    }),
  });
}

function redact(key: string, value: string): string {
  return /SECRET|KEY|TOKEN|URI|URL/.test(key) ? "***" : value;
}
