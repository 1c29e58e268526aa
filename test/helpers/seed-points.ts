import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The seed report split into its numbered points (1、2、… within a paragraph, or a whole paragraph
 * when it has none), each treated as one unit's answer. Headings and the short opening are dropped.
 * Ids are `L<line>` or `L<line>.<point>` (1-based line of the fixture).
 */
export function seedPoints(): { id: string; text: string }[] {
  const path = fileURLToPath(new URL("../fixtures/flags-seed-report.txt", import.meta.url));
  const lines = readFileSync(path, "utf8").split("\n");
  const out: { id: string; text: string }[] = [];
  lines.forEach((line, i) => {
    const parts = line.split(/(?=(?:^|[；;。，])?[1-9]、)/);
    const numbered = parts.filter((p) => /^[；;。，]?[1-9]、/.test(p));
    if (numbered.length >= 2) {
      for (const p of numbered) {
        const n = /([1-9])、/.exec(p)![1];
        out.push({ id: `L${i + 1}.${n}`, text: p.replace(/^[；;。，]/, "") });
      }
    } else if (line.length >= 80) {
      out.push({ id: `L${i + 1}`, text: line });
    }
  });
  return out;
}
