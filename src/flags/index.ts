export * from "./engine.js";
export * from "./describe.js";
export { STOCK_PHRASES } from "./phrases.js";
export { normalise, shingleSeq, shingleSet, containment, SHINGLE_K } from "./text.js";
export { refreshCampaignFlags, type FlaggedAnswer, type FlagRefresh } from "./store.js";
export { flagOptionsOf, type FlagsSpec } from "./config.js";
