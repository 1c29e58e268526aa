export * from "./engine.js";
export * from "./describe.js";
export { STOCK_PHRASES } from "./phrases.js";
export { normalise, shingleSeq, shingleSet, containment, SHINGLE_K } from "./text.js";
export { refreshCampaignFlags, type FlaggedAnswer } from "./store.js";
