/** Queue names. Tests give each run its own BullMQ prefix, so names can stay fixed. */
export const QUEUE = {
  outbound: "outbound",
  events: "events",
  sweeps: "sweeps",
  exports: "exports",
  flags: "flags",
} as const;
