/**
 * The campaign file's `flags:` section (docs/campaign-file.md) as engine options. Stored on the Campaign
 * as written in the spec (`FlagsSpec`); absent = the defaults of docs/flags.md, flags on.
 */
import type { FlagOptions } from "./engine.js";

export interface FlagsSpec {
  /** false: no flags are computed or shown for this campaign (stored ones are cleared). */
  enabled: boolean;
  recycledShare?: number;
  passageChars?: number;
  checklistShare?: number;
  stockShare?: number;
  minChars?: number;
  /** Item key → the minimum length of that item's answer. */
  minCharsByItem?: Record<string, number>;
  stockPhrases?: string[];
}

export function flagOptionsOf(spec: Partial<FlagsSpec> | null | undefined): {
  enabled: boolean;
  options: Partial<FlagOptions>;
} {
  const s = spec ?? {};
  const options: Partial<FlagOptions> = {};
  if (typeof s.recycledShare === "number") options.recycledThreshold = s.recycledShare;
  if (typeof s.passageChars === "number") options.passageMinChars = s.passageChars;
  if (typeof s.checklistShare === "number") options.checklistThreshold = s.checklistShare;
  if (typeof s.stockShare === "number") options.stockThreshold = s.stockShare;
  if (typeof s.minChars === "number") options.minChars = s.minChars;
  if (s.minCharsByItem && typeof s.minCharsByItem === "object") options.minCharsByItem = s.minCharsByItem;
  if (Array.isArray(s.stockPhrases)) options.stockPhrases = s.stockPhrases;
  return { enabled: s.enabled !== false, options };
}
