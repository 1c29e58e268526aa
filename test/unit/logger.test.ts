import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, lazyChild } from "../../src/logger";

function memoryLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

describe("lazyChild", () => {
  it("logs with its bindings and a nested child's, as logger.child would", async () => {
    const { logger, lines } = memoryLogger("info");
    const log = lazyChild(logger, { event_id: "ev_1" }).child({ action: "sc.submit" });
    log.warn({ reason: "x" }, "refused");
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event_id: "ev_1", action: "sc.submit", reason: "x", msg: "refused" });
  });

  it("creates no pino child while nothing at an enabled level is logged", async () => {
    const { logger, lines } = memoryLogger("info");
    let children = 0;
    const counting = new Proxy(logger, {
      get: (t, p) =>
        p === "child"
          ? (...a: Parameters<typeof logger.child>) => (children++, t.child(...a))
          : (Reflect.get(t, p) as unknown),
    });
    const log = lazyChild(counting, { event_id: "ev_2" });
    log.debug("below the level");
    log.child({ action: "a" }).trace("below too");
    expect(children).toBe(0);
    expect(log.isLevelEnabled("info")).toBe(true);
    log.info("now");
    expect(children).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.msg)).toEqual(["now"]);
  });
});
