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

/** One line of evidence for one flag. `nameOf` turns an answer into words (unit · item). */
export function describeFlag(f: Flag, nameOf?: (f: Extract<Flag, { kind: "recycled" }>) => string): string {
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

/** The reason prefilled when a head returns a flagged answer. */
export function returnReasonFor(flags: readonly Flag[]): string {
  const lines = flags.filter((f) => f.kind !== "no_problems").map((f) => describeFlag(f));
  return clip(`请据实修改后重新提交。${lines.join("；")}`, 500);
}
