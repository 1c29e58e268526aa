import { card, clip, CARD_SAFE_BYTES, note, tr, type Card, type Locale, type Template } from "./kit";

/** Lines are shown as plain text (no markdown), so user text needs no escaping. */
function textBlock(content: string): object {
  return { tag: "div", text: { tag: "plain_text", content } };
}

const MAX_LINES = 50;
const MAX_LINE_CHARS = 500;
/** Bytes kept for the lines; the rest of the card is small. */
const LINES_BUDGET = CARD_SAFE_BYTES - 4096;

/** A small card with a title and a few plain lines, e.g. "措施#12 已销号". */
export function noticeCard(opts: {
  title: string;
  lines: string[];
  template?: Template;
  locale: Locale;
}): Card {
  const shown: string[] = [];
  let bytes = 0;
  for (const raw of opts.lines.slice(0, MAX_LINES)) {
    const line = clip(raw, MAX_LINE_CHARS);
    const size = Buffer.byteLength(JSON.stringify(line), "utf8");
    if (bytes + size > LINES_BUDGET) break;
    shown.push(line);
    bytes += size;
  }
  const elements: object[] = [];
  if (shown.length) elements.push(textBlock(shown.join("\n")));
  if (opts.lines.length > shown.length) {
    elements.push(
      note(
        tr(
          opts.locale,
          `还有 ${opts.lines.length - shown.length} 项…`,
          `${opts.lines.length - shown.length} more…`,
        ),
      ),
    );
  }
  return card({ title: clip(opts.title, 100), template: opts.template ?? "blue", elements });
}

/** A red card telling what went wrong. */
export function errorCard(opts: { title: string; message: string; locale: Locale }): Card {
  const l = opts.locale;
  return card({
    title: clip(opts.title, 100),
    template: "red",
    elements: [
      textBlock(clip(opts.message, 2000)),
      note(tr(l, "如果问题一直存在，请联系管理员。", "If this keeps happening, contact an administrator.")),
    ],
  });
}
