import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";

const full = {
  FEISHU_APP_ID: "cli_a1b2",
  FEISHU_APP_SECRET: "s3cret-value",
  FEISHU_ENCRYPT_KEY: "ek",
  FEISHU_VERIFICATION_TOKEN: "vt",
  FEISHU_DOMAIN: "http://127.0.0.1:4010",
  MONGODB_URI: "mongodb://127.0.0.1:27017/rb",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: "3100",
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("loadConfig", () => {
  it("parses a full environment with defaults applied", () => {
    const c = loadConfig(full);
    expect(c.sandbox).toBe(false);
    expect(c.feishu.domain).toBe("http://127.0.0.1:4010");
    expect(c.feishu.transport).toBe("webhook");
    expect(c.port).toBe(3100);
    expect(c.timezone).toBe("Asia/Shanghai");
    expect(c.logLevel).toBe("info");
    expect(c.feishu.signatureWindowSeconds).toBe(300);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("runs as a sandbox when no Feishu credentials are set", () => {
    const c = loadConfig({});
    expect(c.sandbox).toBe(true);
    expect(c.mongodbUri).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
  });

  it("names every missing or malformed variable at once", () => {
    const p = problems({
      FEISHU_APP_ID: "cli_x",
      PORT: "http",
      ORG_TIMEZONE: "Mars/Base",
      REDIS_URL: "localhost:6379",
      FEISHU_TRANSPORT: "smoke",
    });
    const text = p.join("\n");
    expect(text).toMatch(/FEISHU_APP_SECRET .*missing/);
    expect(text).toMatch(/FEISHU_VERIFICATION_TOKEN/);
    expect(text).toMatch(/FEISHU_ENCRYPT_KEY is required/);
    expect(text).toMatch(/PORT/);
    expect(text).toMatch(/ORG_TIMEZONE must be an IANA time zone/);
    expect(text).toMatch(/REDIS_URL must start with redis:\/\//);
    expect(text).toMatch(/FEISHU_TRANSPORT/);
    expect(p.length).toBeGreaterThanOrEqual(7);
  });

  it("requires the encrypt key unless the insecure development flag is set", () => {
    const { FEISHU_ENCRYPT_KEY: _k, ...noKey } = full;
    expect(problems(noKey).join()).toMatch(/FEISHU_ENCRYPT_KEY/);
    expect(loadConfig({ ...noKey, FEISHU_INSECURE_NO_ENCRYPTION: "true" }).feishu.insecureNoEncryption).toBe(
      true,
    );
  });

  it("rejects a malformed domain and never echoes secrets", () => {
    const p = problems({ ...full, FEISHU_DOMAIN: "ftp://x", MONGODB_URI: "postgres://user:pw@host/db" });
    expect(p.join()).toMatch(/FEISHU_DOMAIN must be "feishu", "lark" or a base URL/);
    expect(p.join()).toMatch(/MONGODB_URI must start with mongodb/);
    expect(p.join()).not.toContain("pw@host");
  });

  it("accepts feishu and lark as domains", () => {
    expect(loadConfig({ ...full, FEISHU_DOMAIN: "lark" }).feishu.domain).toBe("lark");
    expect(loadConfig({ ...full, FEISHU_DOMAIN: undefined }).feishu.domain).toBe("feishu");
  });
  it("reads ADMIN_OPEN_IDS as a list of open_ids (empty: the app's owner decides)", () => {
    expect(loadConfig(full).adminOpenIds).toEqual([]);
    expect(loadConfig({ ...full, ADMIN_OPEN_IDS: " ou_a1, ou_b2，ou_c3  ou_d4" }).adminOpenIds).toEqual([
      "ou_a1",
      "ou_b2",
      "ou_c3",
      "ou_d4",
    ]);
    expect(problems({ ...full, ADMIN_OPEN_IDS: "ou_a1, zhangsan" })).toEqual([
      'ADMIN_OPEN_IDS must be open_ids (ou_…) separated by commas or spaces (got "ou_a1, zhangsan")',
    ]);
  });
});
