import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runIntentCli } from "../../src/intent/cli";
import type { IntentDictionary } from "../../src/intent";

const DICT: IntentDictionary = {
  units: ["办公室", "财务科"],
  sections: [{ code: "六查" }, { code: "六正" }],
  items: [
    { title: "查立场是否坚定", section: "六查" },
    { title: "正会风", section: "六正" },
  ],
};

async function run(argv: string[], input = ""): Promise<{ code: number; lines: string[] }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const code = await runIntentCli(argv, { stdin: Readable.from([input]), stdout }, DICT);
  stdout.end();
  const lines = Buffer.concat(chunks).toString("utf8").split("\n").filter(Boolean);
  return { code, lines };
}

describe("runIntentCli", () => {
  it("parses the text given as arguments and prints one JSON line", async () => {
    const { code, lines } = await run(["财务科", "进度"]);
    expect(code).toBe(0);
    expect(lines).toEqual(['{"intent":"progress","slots":{"scope":"unit","unit":"财务科"}}']);
  });

  it("accepts a leading -- separator", async () => {
    const { lines } = await run(["--", "措施12"]);
    expect(JSON.parse(lines[0])).toEqual({ intent: "measure_detail", slots: { measureId: 12 } });
  });

  it("reads one question per line from stdin and answers in order", async () => {
    const { code, lines } = await run([], "哪些措施逾期了\r\n\n正会风的情况\nhello\n#15");
    expect(code).toBe(0);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { intent: "overdue_measures", slots: {} },
      { intent: "item_status", slots: { item: "正会风" } },
      { intent: "unknown", slots: {} },
      { intent: "measure_detail", slots: { measureId: 15 } },
    ]);
  });

  it("prints nothing for empty input", async () => {
    expect((await run([], "")).lines).toEqual([]);
  });
});
