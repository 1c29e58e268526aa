// Card JSON 2.0 building blocks: the card envelope, markdown, notes, buttons, plain text; locale switch `tr`.
/**
 * Small builders for card JSON 2.0 components. Pure: no I/O.
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-structure
 */

export type Locale = "zh" | "en";
export type Template =
  | "blue"
  | "wathet"
  | "turquoise"
  | "green"
  | "yellow"
  | "orange"
  | "red"
  | "carmine"
  | "violet"
  | "purple"
  | "indigo"
  | "grey";

export interface Card {
  schema: "2.0";
  config: { update_multi: true; locales?: string[]; summary?: { content: string } };
  header: {
    title: { tag: "plain_text"; content: string };
    subtitle?: { tag: "plain_text"; content: string };
    template: Template;
  };
  body: { elements: object[] };
}

/** Pick the string for a locale: Chinese first. */
export function tr(locale: Locale, zh: string, en: string): string {
  return locale === "en" ? en : zh;
}

export function card(opts: {
  title: string;
  subtitle?: string;
  template?: Template;
  summary?: string;
  elements: object[];
}): Card {
  return {
    schema: "2.0",
    config: { update_multi: true, ...(opts.summary ? { summary: { content: opts.summary } } : {}) },
    header: {
      title: { tag: "plain_text", content: opts.title },
      ...(opts.subtitle ? { subtitle: { tag: "plain_text", content: opts.subtitle } } : {}),
      template: opts.template ?? "blue",
    },
    body: { elements: opts.elements },
  };
}

export function md(content: string, opts: { elementId?: string; size?: "normal" | "notation" } = {}): object {
  return {
    tag: "markdown",
    content,
    ...(opts.elementId ? { element_id: opts.elementId } : {}),
    ...(opts.size === "notation" ? { text_size: "notation" } : {}),
  };
}

export function hr(): object {
  return { tag: "hr" };
}

/** A grey small note (2.0 has no `note` component). */
export function note(content: string): object {
  return { tag: "div", text: { tag: "plain_text", content, text_size: "notation", text_color: "grey" } };
}

export type ButtonType =
  | "default"
  | "primary"
  | "danger"
  | "text"
  | "primary_filled"
  | "danger_filled"
  | "primary_text"
  | "danger_text"
  | "laser";

/** A button whose press calls back with `value` (routed by `value.action`). */
export function button(
  text: string,
  value: Record<string, unknown>,
  opts: {
    type?: ButtonType;
    name?: string;
    confirm?: { title: string; text: string };
    disabled?: boolean;
  } = {},
): object {
  return {
    tag: "button",
    text: { tag: "plain_text", content: text },
    type: opts.type ?? "default",
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.disabled ? { disabled: true } : {}),
    behaviors: [{ type: "callback", value }],
    ...(opts.confirm
      ? {
          confirm: {
            title: { tag: "plain_text", content: opts.confirm.title },
            text: { tag: "plain_text", content: opts.confirm.text },
          },
        }
      : {}),
  };
}

/** Buttons side by side. */
export function buttonRow(buttons: object[]): object {
  return {
    tag: "column_set",
    flex_mode: "flow",
    horizontal_spacing: "small",
    columns: buttons.map((b) => ({ tag: "column", width: "auto", elements: [b] })),
  };
}

export type PlainText = { tag: "plain_text"; content: string };

export function plain(content: string): PlainText {
  return { tag: "plain_text", content };
}
