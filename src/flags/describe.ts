/** Chinese-first, English-second wording of flags, for cards, the CLI, the ledger and return reasons. */
import type { Flag, FlagKind } from "./engine.js";

export const FLAG_LABELS: Record<FlagKind, string> = {
  recycled: "疑似复制 (recycled)",
  checklist: "照抄清单 (copied from the checklist)",
  stock: "套话为主 (stock phrasing)",
  short: "过于简短 (too short)",
  no_problems: "全部无问题 (no problems anywhere)",
};

const RELATION_WORDS = {
  other_unit: "其他单位",
  same_unit: "本单位另一事项",
  earlier_campaign: "本单位往期",
} as const;

const pct = (x: number) => `${Math.round(x * 100)}%`;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** The short name of a flag kind in one language (疑似复制 / recycled). */
export function flagName(kind: FlagKind, locale: "zh" | "en" = "zh"): string {
  const [zh, en] = FLAG_LABELS[kind].split(" (");
  return locale === "en" ? en!.replace(/\)$/, "") : zh!;
}

const RELATION_EN = {
  other_unit: "another unit's",
  same_unit: "another item's of the same unit",
  earlier_campaign: "this unit's earlier campaign's",
} as const;

/**
 * One line of evidence for one flag, plain text (the caller escapes it). `nameOf` turns the overlapped
 * answer into words (unit · item). Chinese by default; `locale: "en"` for English readers.
 */
export function describeFlag(
  f: Flag,
  nameOf?: (f: Extract<Flag, { kind: "recycled" }>) => string,
  locale: "zh" | "en" = "zh",
): string {
  if (locale === "en") return describeFlagEn(f, nameOf);
  switch (f.kind) {
    case "recycled":
      return (
        `${FLAG_LABELS.recycled}：${pct(f.share)} 与${RELATION_WORDS[f.relation]}的回答相同` +
        `${nameOf ? `（${nameOf(f)}）` : ""}，相同段落：“${clip(f.passage, 60)}”`
      );
    case "checklist":
      return `${FLAG_LABELS.checklist}：${pct(f.share)} 为事项标题和检查要点原文`;
    case "stock":
      return `${FLAG_LABELS.stock}：${pct(f.share)} 为套话（${f.phrases.slice(0, 4).join("、")}），无数字、日期或具体名称`;
    case "short":
      return `${FLAG_LABELS.short}：${f.chars} 字，此事项至少 ${f.min} 字`;
    case "no_problems":
      return `${FLAG_LABELS.no_problems}：本单位 ${f.items} 个事项均填“无问题”`;
  }
}

function describeFlagEn(f: Flag, nameOf?: (f: Extract<Flag, { kind: "recycled" }>) => string): string {
  switch (f.kind) {
    case "recycled":
      return (
        `Recycled: ${pct(f.share)} is the same as ${RELATION_EN[f.relation]} answer` +
        `${nameOf ? ` (${nameOf(f)})` : ""}; shared passage: "${clip(f.passage, 60)}"`
      );
    case "checklist":
      return `Copied from the checklist: ${pct(f.share)} is the item's title and checkpoints`;
    case "stock":
      return `Stock phrasing: ${pct(f.share)} set phrases (${f.phrases.slice(0, 4).join(", ")}), no numbers, dates or names`;
    case "short":
      return `Too short: ${f.chars} characters, this item needs at least ${f.min}`;
    case "no_problems":
      return `No problems anywhere: the unit answered "no problems" on all ${f.items} items`;
  }
}

/** The reason prefilled when a head returns a flagged answer, in the reviewer's language. */
export function returnReasonFor(flags: readonly Flag[], locale: "zh" | "en" = "zh"): string {
  const lines = flags.filter((f) => f.kind !== "no_problems").map((f) => describeFlag(f, undefined, locale));
  return locale === "en"
    ? clip(`Please revise it to match the facts and submit it again. ${lines.join("; ")}`, 500)
    : clip(`请据实修改后重新提交。${lines.join("；")}`, 500);
}
