import { describe, expect, it } from "vitest";
import { BUILTIN_TEMPLATE, TEMPLATES, getTemplate } from "../../src/campaign/template";

const TITLES = [
  "查立场是否坚定",
  "查政令是否畅通",
  "查党建是否规范",
  "查管理是否科学",
  "查履职是否尽责",
  "查“四风”是否反弹",
  "正学风",
  "正政风",
  "正行风",
  "正会风",
  "正文风",
  "正家风",
  "提高工作效能",
  "提高群众满意度",
];

describe("built-in template jgzf-6-6-2", () => {
  const items = BUILTIN_TEMPLATE.sections.flatMap((s) => s.items);

  it("has its key and title", () => {
    expect(BUILTIN_TEMPLATE.key).toBe("jgzf-6-6-2");
    expect(BUILTIN_TEMPLATE.title).toBe("机关作风突出问题专项整治（六查·六正·两提高）");
  });

  it("has three sections 六查, 六正, 两提高 with 6, 6 and 2 items", () => {
    expect(BUILTIN_TEMPLATE.sections.map((s) => s.code)).toEqual(["六查", "六正", "两提高"]);
    expect(BUILTIN_TEMPLATE.sections.map((s) => s.items.length)).toEqual([6, 6, 2]);
    for (const s of BUILTIN_TEMPLATE.sections) {
      expect(s.key).toMatch(/^[a-z]+$/);
      expect(s.title).toContain(`“${s.code}”`);
    }
  });

  it("has the fourteen canonical titles in order", () => {
    expect(items).toHaveLength(14);
    expect(items.map((i) => i.title)).toEqual(TITLES);
    // Curly quotes, not ASCII ones.
    expect(items[5].title).toBe("查\u201c四风\u201d是否反弹");
  });

  it("has short unique ASCII keys", () => {
    const keys = [...BUILTIN_TEMPLATE.sections.map((s) => s.key), ...items.map((i) => i.key)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(items.map((i) => i.key)).toEqual([
      "c1", "c2", "c3", "c4", "c5", "c6", "z1", "z2", "z3", "z4", "z5", "z6", "t1", "t2",
    ]); // prettier-ignore
  });

  it("gives every item 3 to 6 distinct checkpoints", () => {
    for (const item of items) {
      expect(item.checkpoints.length, item.title).toBeGreaterThanOrEqual(3);
      expect(item.checkpoints.length, item.title).toBeLessThanOrEqual(6);
      expect(new Set(item.checkpoints).size).toBe(item.checkpoints.length);
      for (const point of item.checkpoints) expect(point.trim().length).toBeGreaterThan(5);
    }
  });

  it("does not carry the seed bureau's own facts", () => {
    const text = JSON.stringify(BUILTIN_TEMPLATE);
    expect(text).not.toMatch(/文旅|文化和旅游局|地雷战|灯塔在线/);
  });

  it("is found by key and is frozen", () => {
    expect(getTemplate("jgzf-6-6-2")).toBe(BUILTIN_TEMPLATE);
    expect(TEMPLATES["jgzf-6-6-2"]).toBe(BUILTIN_TEMPLATE);
    expect(getTemplate("nope")).toBeUndefined();
    expect(getTemplate("toString")).toBeUndefined();
    expect(Object.isFrozen(BUILTIN_TEMPLATE.sections[0].items[0].checkpoints)).toBe(true);
  });
});
