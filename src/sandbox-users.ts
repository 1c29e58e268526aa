import crypto from "node:crypto";
import type { CampaignSpec } from "./domain/types";
import type { EmulatorUser } from "@rectify-bot/feishu-emulator";

/**
 * The people of a campaign as emulator users, so a local run (and the tests) can play them. People
 * given only by email or mobile get a stable made-up open_id, found through the contact lookup as in
 * Feishu.
 */
export function emulatorUsersFor(spec: CampaignSpec): EmulatorUser[] {
  return spec.people.map((p) => ({
    open_id:
      p.openId ??
      `ou_${crypto.createHash("sha256").update(`${spec.key}:${p.key}`).digest("hex").slice(0, 32)}`,
    name: p.name,
    email: p.email,
    mobile: p.mobile,
    locale: p.locale === "en" ? "en_us" : "zh_cn",
  }));
}
