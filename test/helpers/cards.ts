/** Reading cards the bot sent, the way a person sees them: find a button, a form field, some text. */

type Node = Record<string, unknown>;

function walk(v: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (v && typeof v === "object") {
    visit(v as Node);
    for (const x of Object.values(v)) walk(x, visit);
  }
}

export interface ButtonRef {
  name?: string;
  value: Record<string, unknown>;
  text: string;
}

/** Every callback button of a card, with its value. */
export function buttons(card: unknown): ButtonRef[] {
  const out: ButtonRef[] = [];
  walk(card, (n) => {
    if (n.tag !== "button") return;
    const b = (n.behaviors as { type: string; value?: Record<string, unknown> }[] | undefined)?.find(
      (x) => x.type === "callback",
    );
    if (b?.value)
      out.push({
        name: n.name as string | undefined,
        value: b.value,
        text: String((n.text as Node | undefined)?.content ?? ""),
      });
  });
  return out;
}

export function button(card: unknown, action: string): ButtonRef {
  const b = buttons(card).find((x) => x.value.action === action);
  if (!b) throw new Error(`no button with action ${action} on card: ${JSON.stringify(card).slice(0, 400)}`);
  return b;
}

export function hasButton(card: unknown, action: string): boolean {
  return buttons(card).some((x) => x.value.action === action);
}

/** Names of every interactive component. */
export function fieldNames(card: unknown): string[] {
  const out: string[] = [];
  walk(card, (n) => {
    if (typeof n.tag === "string" && typeof n.name === "string") out.push(n.name);
  });
  return out;
}

/** Option values of a select by name. */
export function options(card: unknown, name: string): string[] {
  let found: string[] = [];
  walk(card, (n) => {
    if (n.name === name && Array.isArray(n.options))
      found = (n.options as { value: string }[]).map((o) => o.value);
  });
  return found;
}

/** All visible text of a card, for "does it say …" assertions. */
export function text(card: unknown): string {
  const parts: string[] = [];
  walk(card, (n) => {
    if (typeof n.content === "string") parts.push(n.content);
  });
  return parts.join("\n");
}
