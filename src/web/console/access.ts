import type { Locale } from "../../domain/types";
import { AppError } from "../../errors";
import type { Models } from "../../repositories/models";

/**
 * What a signed-in person may see of one campaign (DESIGN.md §5): an admin everything; a head their
 * unit, a leader the units in their charge; a member their unit's aggregates and only their own
 * assignments and measures. Decided from the campaign's people by open_id, never from the URL.
 */
export interface CampaignAccess {
  campaignKey: string;
  personKey: string;
  personName: string;
  locale: Locale;
  admin: boolean;
  /** Units whose aggregates the person may see; undefined = every unit (admin). */
  units?: string[];
  /** Set for a member: only their own rows in lists, the ledger and histories. */
  self?: string;
  /** May download the ledger and report (admins, heads, leaders). */
  canExport: boolean;
}

export const forbiddenPage = () =>
  new AppError("forbidden", "您无权查看此页面。", "You may not see this page.");

export async function campaignAccess(
  models: Models,
  campaignKey: string,
  openId: string,
): Promise<CampaignAccess> {
  const p = await models.Person.findOne(
    { campaignKey, openId },
    { key: 1, name: 1, unitKey: 1, roles: 1, locale: 1 },
  ).lean();
  if (!p) throw forbiddenPage();
  const locale: Locale = p.locale === "en" ? "en" : "zh";
  const base = { campaignKey, personKey: p.key, personName: p.name, locale };
  if ((p.roles ?? []).includes("admin")) return { ...base, admin: true, canExport: true };
  const led = await models.Unit.find(
    { campaignKey, $or: [{ headKey: p.key }, { leaderKey: p.key }] },
    { key: 1 },
  ).lean();
  if (led.length) return { ...base, admin: false, units: led.map((u) => u.key), canExport: true };
  return { ...base, admin: false, units: [p.unitKey], self: p.key, canExport: false };
}

/** A unit the person may not see is refused, never shown empty. */
export function assertUnit(a: CampaignAccess, unitKey: string): void {
  if (a.units && !a.units.includes(unitKey)) throw forbiddenPage();
}

/** The filter part limiting records to what the person may see (`owner` = the field naming the person). */
export function scopeFilter(a: CampaignAccess, owner: "ownerKey" | "assigneeKey"): Record<string, unknown> {
  return {
    campaignKey: a.campaignKey,
    ...(a.units ? { unitKey: { $in: a.units } } : {}),
    ...(a.self ? { [owner]: a.self } : {}),
  };
}
