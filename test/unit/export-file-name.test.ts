import { describe, expect, it } from "vitest";
import { exportFileName } from "../../jobs/export";

describe("export file names", () => {
  it("do not say 自查 twice when the campaign title ends with it", () => {
    expect(exportFileName("report", "机关作风专项整治自查", "2026-12-23", "zh")).toBe(
      "机关作风专项整治自查报告（草稿）20261223.docx",
    );
    expect(exportFileName("report", "机关作风专项整治", "2026-12-23", "zh")).toBe(
      "机关作风专项整治自查报告（草稿）20261223.docx",
    );
    expect(exportFileName("ledger", "机关作风专项整治自查", "2026-12-23", "zh")).toBe(
      "机关作风专项整治自查整改台账20261223.xlsx",
    );
  });
  it("keep no path or control characters from the title", () => {
    const name = exportFileName("ledger", "a/b\\c:d\n", "2026-12-23", "en");
    expect(name).not.toMatch(/[/\\:\n]/);
    expect(name.endsWith("rectification ledger 20261223.xlsx")).toBe(true);
  });
});
