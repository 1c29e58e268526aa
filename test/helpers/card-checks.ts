import { expect } from "vitest";
import { cardBytes, countElements } from "../../cards/kit";
import { validateCard } from "@rectify-bot/feishu-emulator/card-validator";

export type Obj = Record<string, unknown>;

/** Every object in a card's JSON, depth first. */
export function objects(node: unknown, out: Obj[] = []): Obj[] {
  if (Array.isArray(node)) node.forEach((n) => objects(n, out));
  else if (node && typeof node === "object") {
    out.push(node as Obj);
    Object.values(node as Obj).forEach((v) => objects(v, out));
  }
  return out;
}

/** Accepted by the card JSON 2.0 schema and rules, under 30 KB and 200 components. */
export function expectValid(card: object): void {
  const r = validateCard(card);
  if (!r.ok) throw new Error(`card refused: ${r.msg}\n${r.errors.join("\n")}`);
  expect(cardBytes(card)).toBeLessThan(30 * 1024);
  expect(countElements(card)).toBeLessThan(200);
}

/** The text of every markdown component, joined by newlines. */
export function markdownText(card: object): string {
  return objects((card as Obj).body)
    .filter((o) => o.tag === "markdown")
    .map((o) => o.content as string)
    .join("\n");
}

/** The `value` of every button's callback behaviour. */
export function callbackValues(card: object): Obj[] {
  return objects((card as Obj).body)
    .filter((o) => o.tag === "button")
    .flatMap((b) =>
      ((b.behaviors as Obj[] | undefined) ?? [])
        .filter((x) => x.type === "callback")
        .map((x) => x.value as Obj),
    );
}
