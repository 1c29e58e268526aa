// Size fitting: card bytes and component counts against Feishu's limits, `fitCard` levels, `trimToLimits`.

import { md, tr, type Locale } from "./components";

/** Size of the card as Feishu counts it (UTF-8 bytes of its JSON). */
export function cardBytes(c: object): number {
  return Buffer.byteLength(JSON.stringify(c), "utf8");
}

export const CARD_MAX_BYTES = 30 * 1024;

/** Components in the card body as Feishu counts them (every object with a `tag`, text objects included). */
export function countElements(c: object): number {
  let n = 0;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (typeof o.tag === "string") n++;
    for (const [k, child] of Object.entries(o)) {
      if (k === "chart_spec" || k === "rows") continue;
      visit(child);
    }
  };
  visit((c as { body?: unknown }).body);
  return n;
}

/** Head-room kept under the hard limits. */
export const CARD_SAFE_BYTES = CARD_MAX_BYTES - 1024;
export const CARD_SAFE_ELEMENTS = 190;

export function fitsLimits(c: object): boolean {
  return cardBytes(c) <= CARD_SAFE_BYTES && countElements(c) <= CARD_SAFE_ELEMENTS;
}

/**
 * Build at detail level 0, 1, … `levels - 1` and return the first card within the limits; when none is,
 * the last level cut down by `trimToLimits`.
 */
export function fitCard<C extends object>(levels: number, build: (level: number) => C): C {
  let last = build(0);
  for (let lv = 0; lv < levels; lv++) {
    last = lv === 0 ? last : build(lv);
    if (fitsLimits(last)) return last;
  }
  return trimToLimits(last);
}

/** "…另有 N 项" / "…and N more": what a generic cut leaves in place of what it removed. */
export function trimmedText(locale: Locale, n: number): string {
  return tr(locale, `…另有 ${n} 项`, `…and ${n} more`);
}

type Obj = Record<string, unknown>;

/** Something a card can lose from its end: lines of one markdown, rows of a table, elements of a list. */
interface Cut {
  /** Cutting elements also lowers the component count; lines and rows only the bytes. */
  elements: boolean;
  size: number;
  /** How many units are kept now (≥ 1). */
  kept: number;
  /** Keep only the first `n` units and say how many went. */
  keep(n: number): void;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A form, or anything holding a form's submit button, must never be cut. */
function holdsForm(v: unknown): boolean {
  return JSON.stringify(v).includes('"form_action_type"') || (isObj(v) && v.tag === "form");
}

const byteSize = (v: unknown) => Buffer.byteLength(JSON.stringify(v), "utf8");

/** Every place of the card (already a private copy) that could be shortened, with its current size. */
function cutsOf(c: Obj, locale: Locale, state: Map<object, { all: unknown[]; kept: number }>): Cut[] {
  const cuts: Cut[] = [];
  const more = (n: number) => trimmedText(locale, n);
  const visitArray = (arr: unknown[]): void => {
    for (const el of arr) visit(el);
    // Forms (and whatever holds a submit button) always stay; the other elements go from the end.
    const st = state.get(arr) ?? { all: [...arr], kept: arr.filter((el) => !holdsForm(el)).length };
    const total = st.all.filter((el) => !holdsForm(el)).length;
    if (st.kept > 1)
      cuts.push({
        elements: true,
        size: byteSize(arr),
        kept: st.kept,
        keep(n) {
          st.kept = Math.max(1, Math.min(n, st.kept - 1));
          state.set(arr, st);
          const out: unknown[] = [];
          let seen = 0;
          for (const el of st.all) {
            if (holdsForm(el)) out.push(el);
            else if (seen++ < st.kept) out.push(el);
            else if (seen === st.kept + 1) out.push(md(more(total - st.kept), { size: "notation" }));
          }
          arr.splice(0, arr.length, ...out);
        },
      });
  };
  const visit = (v: unknown): void => {
    // A form is kept whole: cutting its fields would change what is submitted.
    if (!isObj(v) || v.tag === "form") return;
    if (v.tag === "markdown" && typeof v.content === "string") {
      const st = state.get(v) ?? { all: v.content.split("\n"), kept: v.content.split("\n").length };
      if (st.kept > 1)
        cuts.push({
          elements: false,
          size: byteSize(v.content),
          kept: st.kept,
          keep(n) {
            st.kept = Math.max(1, Math.min(n, st.kept - 1));
            v.content = [...st.all.slice(0, st.kept), more(st.all.length - st.kept)].join("\n");
            state.set(v, st);
          },
        });
      return;
    }
    if (v.tag === "table" && Array.isArray(v.rows)) {
      const rows = v.rows;
      const st = state.get(rows) ?? { all: [...rows], kept: rows.length };
      if (st.kept > 1)
        cuts.push({
          elements: false,
          size: byteSize(rows),
          kept: st.kept,
          keep(n) {
            st.kept = Math.max(1, Math.min(n, st.kept - 1));
            rows.splice(0, rows.length, ...st.all.slice(0, st.kept));
            state.set(rows, st);
            v.page_size = Math.max(1, Math.min(10, st.kept, Number(v.page_size) || 10));
          },
        });
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      if (k === "chart_spec") continue;
      if (Array.isArray(child) && k === "elements") visitArray(child);
      else visit(child);
    }
  };
  const body = c.body;
  if (isObj(body) && Array.isArray(body.elements)) visitArray(body.elements);
  return cuts;
}

/**
 * The last resort of size fitting, applied to every card on its way out (builders' own `fitCard`
 * levels come first): while the card is over the limits, cut the biggest list it holds (lines of a
 * markdown, rows of a table, trailing elements, never a form) and say "…另有 N 项" where it was cut.
 * Returns the card itself when it fits, else a trimmed copy.
 */
export function trimToLimits<C extends object>(c: C): C {
  if (fitsLimits(c)) return c;
  const out = structuredClone(c) as C & Obj;
  const title = isObj(out.header) && isObj(out.header.title) ? String(out.header.title.content ?? "") : "";
  const locale: Locale = /[\u3400-\u9fff]/.test(title) || !title ? "zh" : "en";
  const state = new Map<object, { all: unknown[]; kept: number }>();
  for (let round = 0; round < 500 && !fitsLimits(out); round++) {
    const tooMany = countElements(out) > CARD_SAFE_ELEMENTS;
    const cuts = cutsOf(out, locale, state).filter((x) => x.elements || !tooMany);
    if (!cuts.length) break;
    const biggest = cuts.reduce((a, b) => (b.size > a.size ? b : a));
    const excess = tooMany
      ? ((countElements(out) - CARD_SAFE_ELEMENTS) * biggest.size) / Math.max(1, countElements(out))
      : cardBytes(out) - CARD_SAFE_BYTES;
    const share = Math.min(0.5, excess / Math.max(1, biggest.size));
    biggest.keep(Math.floor(biggest.kept * (1 - share)));
  }
  return out;
}
