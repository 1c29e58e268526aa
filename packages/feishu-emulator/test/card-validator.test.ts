import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateCard, type CardValidation } from "../src/card-validator";

const SAMPLES = new URL("./fixtures/feishu/samples/", import.meta.url);

interface ManifestEntry {
  file: string;
  expect: "valid" | "invalid" | "event";
  rule: string;
  error_path_contains?: string;
}

type Card = Record<string, unknown>;

function load(file: string): Card {
  return JSON.parse(readFileSync(new URL(file, SAMPLES), "utf8")) as Card;
}

const manifest = JSON.parse(readFileSync(new URL("manifest.json", SAMPLES), "utf8")) as ManifestEntry[];

function failure(r: CardValidation): Extract<CardValidation, { ok: false }> {
  if (r.ok) throw new Error("expected the card to be refused");
  return r;
}

const card = (elements: unknown[], extra: Card = {}): Card => ({
  schema: "2.0",
  config: { update_multi: true },
  header: { title: { tag: "plain_text", content: "t" }, template: "blue" },
  body: { elements },
  ...extra,
});

const md = (content: string, element_id?: string): Card => ({
  tag: "markdown",
  content,
  ...(element_id ? { element_id } : {}),
});

const button = (name: string, extra: Card = {}): Card => ({
  tag: "button",
  name,
  text: { tag: "plain_text", content: name },
  behaviors: [{ type: "callback", value: { a: name } }],
  ...extra,
});

describe("validateCard: samples from manifest.json", () => {
  it("lists every sample", () => {
    expect(manifest.filter((m) => m.expect !== "event").length).toBeGreaterThanOrEqual(36);
  });

  for (const m of manifest.filter((e) => e.expect === "valid")) {
    it(`accepts ${m.file}`, () => {
      const r = validateCard(load(m.file));
      expect(r.ok ? "ok" : r.errors.join("\n")).toBe("ok");
    });
  }

  for (const m of manifest.filter((e) => e.expect === "invalid")) {
    it(`refuses ${m.file} (${m.rule})`, () => {
      const r = failure(validateCard(load(m.file)));
      expect(r.code).toBe(230099);
      expect(r.msg).toMatch(
        /^Failed to create card content, ext=ErrCode: \d+; ErrMsg: .+; ErrorValue: .+; $/,
      );
      const prefix = m.error_path_contains ?? "";
      expect(r.errors.some((e) => e.startsWith(prefix === "" ? "/" : prefix))).toBe(true);
    });
  }

  it("classifies unknown properties as 200621 and removed tags as 200861", () => {
    const unknown = failure(validateCard(load("invalid-15-top-level-elements.json")));
    expect(unknown.errCode).toBe(200621);
    expect(unknown.msg).toContain("unknown property: elements");
    const tag = failure(validateCard(load("invalid-12-note-component.json")));
    expect(tag.errCode).toBe(200861);
    expect(tag.msg).toContain("unsupported tag: note");
  });

  it("refuses values that are not objects", () => {
    for (const v of [null, "x", 3, [], undefined]) expect(failure(validateCard(v)).code).toBe(230099);
  });
});

describe("validateCard: code-level rules", () => {
  it("accepts a minimal card", () => {
    expect(validateCard(card([md("hello")]))).toEqual({ ok: true });
  });

  it("refuses a card over 30 KB with 230025", () => {
    const big = card([md("x".repeat(31 * 1024))]);
    const r = failure(validateCard(big));
    expect(r.code).toBe(230025);
    // exactly at the limit is fine
    const base = JSON.stringify(card([md("")])).length;
    expect(validateCard(card([md("y".repeat(30 * 1024 - base))])).ok).toBe(true);
    expect(validateCard(card([md("y".repeat(30 * 1024 - base + 1))])).ok).toBe(false);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const r = failure(validateCard(card([md("整".repeat(11 * 1024))]))); // 33 KB of UTF-8
    expect(r.code).toBe(230025);
  });

  it("refuses more than 200 components (230099/11310), counting text objects", () => {
    expect(validateCard(card(Array.from({ length: 200 }, () => ({ tag: "hr" })))).ok).toBe(true);
    const r = failure(validateCard(card(Array.from({ length: 201 }, () => ({ tag: "hr" })))));
    expect([r.code, r.errCode]).toEqual([230099, 11310]);
    expect(r.msg).toContain("element exceeds the limit");
    // 100 buttons = 200 tagged objects (button + its plain_text); one more markdown tips it over
    const buttons = Array.from({ length: 100 }, (_, i) => button(`b${i}`));
    expect(validateCard(card(buttons)).ok).toBe(true);
    expect(failure(validateCard(card([...buttons, md("x")]))).errCode).toBe(11310);
  });

  it("refuses a duplicate element_id anywhere in the card", () => {
    const r = failure(validateCard(card([md("a", "same_id"), md("b", "same_id")])));
    expect(r.errCode).toBe(11310);
    expect(r.errors[0]).toContain("/body/elements/1/element_id");
    const inHeader = card([md("a", "tag1")], {
      header: {
        title: { tag: "plain_text", content: "t" },
        text_tag_list: [
          { tag: "text_tag", element_id: "tag1", text: { tag: "plain_text", content: "x" }, color: "blue" },
        ],
      },
    });
    expect(failure(validateCard(inHeader)).errors.join()).toContain("element_id");
  });

  it("refuses a duplicate name", () => {
    const r = failure(validateCard(card([button("go"), button("go")])));
    expect(r.errCode).toBe(11310);
    expect(r.errors[0]).toMatch(/^\/body\/elements\/1\/name /);
  });

  it("refuses container nesting deeper than 5 levels", () => {
    const panel = (inner: unknown): Card => ({
      tag: "collapsible_panel",
      header: { title: { tag: "plain_text", content: "p" } },
      elements: [inner],
    });
    let five: unknown = md("deep");
    for (let i = 0; i < 5; i++) five = panel(five);
    expect(validateCard(card([five])).ok).toBe(true);
    const six = panel(five);
    const r = failure(validateCard(card([six])));
    expect(r.errCode).toBe(11310);
    expect(r.errors[0]).toContain("nesting level 6");
  });

  it("counts column_set + column as one nesting level", () => {
    const cols = (inner: unknown): Card => ({
      tag: "column_set",
      columns: [{ tag: "column", elements: [inner] }],
    });
    let five: unknown = md("deep");
    for (let i = 0; i < 5; i++) five = cols(five);
    expect(validateCard(card([five])).ok).toBe(true);
    expect(validateCard(card([cols(five)])).ok).toBe(false);
  });

  it("refuses duplicate option values in one select", () => {
    const opt = (v: string) => ({ text: { tag: "plain_text", content: v }, value: v });
    const sel = { tag: "select_static", name: "sev", options: [opt("high"), opt("low"), opt("high")] };
    const r = failure(validateCard(card([sel])));
    expect(r.errCode).toBe(11310);
    expect(r.errors[0]).toContain("/body/elements/0/options/2/value");
    // the same value in two different selects is fine
    const a = { ...sel, options: [opt("x")] };
    const b = { ...sel, name: "sev2", options: [opt("x")] };
    expect(validateCard(card([a, b])).ok).toBe(true);
  });

  it("refuses table rows with undeclared keys (200915) and mistyped cells (200914)", () => {
    const table = (rows: unknown[]): Card => ({
      tag: "table",
      page_size: 5,
      columns: [
        { name: "item", display_name: "Item", data_type: "text" },
        { name: "score", display_name: "Score", data_type: "number" },
        { name: "owner", display_name: "Owner", data_type: "persons" },
        { name: "due", display_name: "Due", data_type: "date" },
        { name: "state", display_name: "State", data_type: "options" },
      ],
      rows,
    });
    const good = {
      item: "exit",
      score: 3,
      owner: ["ou_1"],
      due: 1751328000000,
      state: [{ text: "open", color: "red" }],
    };
    expect(validateCard(card([table([good, { item: "b", owner: "ou_2", state: "done" }])])).ok).toBe(true);
    const badKey = failure(validateCard(card([table([{ ...good, extra: "x" }])])));
    expect([badKey.code, badKey.errCode]).toEqual([230099, 200915]);
    expect(badKey.errors[0]).toContain("/body/elements/0/rows/0/extra");
    const badCell = failure(validateCard(card([table([{ ...good, score: "3" }])])));
    expect(badCell.errCode).toBe(200914);
    expect(badCell.errors[0]).toContain("/body/elements/0/rows/0/score");
    expect(failure(validateCard(card([table([{ due: "2025-07-01" }])]))).errCode).toBe(200914);
    expect(failure(validateCard(card([table([{ owner: [1] }])]))).errCode).toBe(200914);
  });

  it("refuses more than 4 markdown tables in one markdown component", () => {
    const t = "| a | b |\n|---|:--:|\n| 1 | 2 |\n\n";
    expect(validateCard(card([md(t.repeat(4))])).ok).toBe(true);
    const r = failure(validateCard(card([md(t.repeat(5))])));
    expect(r.errCode).toBe(11310);
    expect(r.msg).toContain("card table number over limit");
    // four in each of two components is fine
    expect(validateCard(card([md(t.repeat(4)), md(t.repeat(4))])).ok).toBe(true);
  });

  it("reports the size rule before schema problems", () => {
    const r = failure(validateCard({ ...card([md("x".repeat(31 * 1024))]), elements: [] }));
    expect(r.code).toBe(230025);
  });
});
