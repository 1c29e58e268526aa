export type { Intent, IntentDictionary, IntentSlots, MentionRef, ParseOptions, ParsedIntent } from "./types";
export { buildDictionary } from "./dictionary";
export { parseIntent } from "./parse";
export { runIntentCli } from "./cli";
