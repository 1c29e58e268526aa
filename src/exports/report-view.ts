import type { ExportData } from "./data";
import {
  chineseDate,
  chineseNumber,
  ledgerState,
  percent,
  plainText,
  runIn,
  STATE_WORDS,
  zhDate,
} from "./words";

/**
 * The self-inspection report (自查报告) as plain paragraphs, in the seed report's order: title, opening,
 * 一、工作开展情况 (（一） per section, one paragraph per item with the units' narratives as 1、2、3、),
 * 二、存在的问题, 三、整改措施, the statistics, the organisation and the date. Pure; the writer gives each
 * kind its GB/T 9704 font. The report is a draft the office edits, so it says only what the data says.
 */
export type ReportBlock =
  | { kind: "title"; text: string }
  | { kind: "body"; text: string }
  | { kind: "h1"; text: string }
  | { kind: "h2"; text: string }
  | { kind: "signature"; text: string }
  | { kind: "date"; text: string };

export interface ReportStats {
  problems: number;
  measures: number;
  closed: number;
  rate: string;
  /** 回头看 (issue 15): follow-ups sent, answered 巩固, answered 反弹; absent when none was sent. */
  followUp?: { checked: number; holds: number; relapsed: number };
}

export interface ReportModel {
  title: string;
  blocks: ReportBlock[];
  stats: ReportStats;
  sections: number;
}

const NONE = "无。";

/** 一、二、三、… for the level-1 headings; （一）（二） for level 2. */
const h1 = (n: number, text: string): ReportBlock => ({ kind: "h1", text: `${chineseNumber(n)}、${text}` });
const h2 = (n: number, text: string): ReportBlock => ({ kind: "h2", text: `（${chineseNumber(n)}）${text}` });

/** Points run into one paragraph as the seed writes them: 1、…；2、…；3、…。 */
function numbered(points: string[]): string {
  if (points.length === 1) return `${points[0]}。`;
  return points.map((p, i) => `${i + 1}、${p}`).join("；") + "。";
}

export function reportView(data: ExportData): ReportModel {
  const c = data.campaign;
  const unitName = new Map(data.units.map((u) => [u.key, u.name]));
  const unitOrder = new Map(data.units.map((u, i) => [u.key, i]));
  const itemOf = new Map(c.items.map((i) => [i.key, i]));
  const itemOrder = new Map(c.items.map((it, i) => [it.key, i]));
  const person = (k?: string) => (k ? (data.people.get(k) ?? k) : "");
  const blocks: ReportBlock[] = [];
  const title = `关于${c.title.replace(/情况$/, "")}情况的报告`;
  blocks.push({ kind: "title", text: title });

  const org = c.organisation ?? "我单位";
  const basis = c.basis
    ? plainText(c.basis)
        .replace(/\n/g, "")
        .replace(/[。，；,;.\s]+$/, "")
    : `根据${c.title}工作安排`;
  const sectionNames = c.sections.map((s) => `“${s.code}”`).join("");
  blocks.push({
    kind: "body",
    text:
      `${basis}，${org}对照${sectionNames}清单内容，` +
      `认真开展了自查，并对查实的问题制定了整改措施。现将工作开展情况、存在的问题及整改措施等情况报告如下：`,
  });

  // 一、工作开展情况
  blocks.push(h1(1, "工作开展情况"));
  const answered = new Map<string, { unitKey: string; text: string }[]>();
  for (const a of data.assignments) {
    if (!a.submitted || !a.narrative) continue;
    const text = runIn(a.narrative);
    if (!text) continue;
    const list = answered.get(a.itemKey) ?? [];
    list.push({ unitKey: a.unitKey, text });
    answered.set(a.itemKey, list);
  }
  let sectionCount = 0;
  c.sections.forEach((sec, si) => {
    sectionCount++;
    blocks.push(h2(si + 1, `“${sec.code}”`));
    for (const it of c.items.filter((i) => i.sectionKey === sec.key)) {
      const list = (answered.get(it.key) ?? []).sort(
        (a, b) => (unitOrder.get(a.unitKey) ?? 0) - (unitOrder.get(b.unitKey) ?? 0),
      );
      const units = new Set(list.map((x) => x.unitKey));
      const points = list.map((x) =>
        units.size > 1 ? `${unitName.get(x.unitKey) ?? x.unitKey}：${x.text}` : x.text,
      );
      blocks.push({ kind: "body", text: `${it.title}方面。${points.length ? numbered(points) : NONE}` });
    }
  });

  // 二、存在的问题
  blocks.push(h1(2, "存在的问题"));
  const problems = [...data.problems].sort(
    (a, b) =>
      (itemOrder.get(a.itemKey) ?? 0) - (itemOrder.get(b.itemKey) ?? 0) ||
      (unitOrder.get(a.unitKey) ?? 0) - (unitOrder.get(b.unitKey) ?? 0) ||
      a.seq - b.seq,
  );
  if (!problems.length) blocks.push({ kind: "body", text: NONE });
  problems.forEach((p, i) => {
    const where = [unitName.get(p.unitKey), itemOf.get(p.itemKey)?.title].filter(Boolean).join("，");
    blocks.push({ kind: "body", text: `${i + 1}、${runIn(p.text)}${where ? `（${where}）` : ""}。` });
  });

  // 三、整改措施
  blocks.push(h1(3, "整改措施"));
  const measures = data.measures
    .filter((m) => ledgerState(m.state, m.dueDate, data.today) !== "other")
    .sort(
      (a, b) =>
        (itemOrder.get(a.itemKey) ?? 0) - (itemOrder.get(b.itemKey) ?? 0) ||
        (unitOrder.get(a.unitKey) ?? 0) - (unitOrder.get(b.unitKey) ?? 0) ||
        a.seq - b.seq,
    );
  if (!measures.length) blocks.push({ kind: "body", text: NONE });
  let closed = 0;
  measures.forEach((m, i) => {
    const state = ledgerState(m.state, m.dueDate, data.today);
    if (state === "closed") closed++;
    const word = state === "other" ? m.state : STATE_WORDS[state].zh;
    const owner = person(m.ownerKey);
    const extended =
      m.originalDueDate !== m.dueDate ? `（原定${zhDate(m.originalDueDate)}，已批准延期）` : "";
    blocks.push({
      kind: "body",
      text:
        `${i + 1}、${runIn(m.content)}。责任单位：${unitName.get(m.unitKey) ?? m.unitKey}` +
        `${owner ? `，责任人：${owner}` : ""}；整改时限：${zhDate(m.dueDate)}${extended}；当前状态：${word}。`,
    });
  });

  const followed = measures.filter((m) => m.followUp);
  const stats: ReportStats = {
    problems: problems.length,
    measures: measures.length,
    closed,
    rate: percent(closed, measures.length),
    ...(followed.length
      ? {
          followUp: {
            checked: followed.length,
            holds: followed.filter((m) => m.followUp?.result === "holds").length,
            relapsed: followed.filter((m) => m.followUp?.result === "relapsed").length,
          },
        }
      : {}),
  };
  const fu = stats.followUp;
  const pending = fu ? fu.checked - fu.holds - fu.relapsed : 0;
  blocks.push({
    kind: "body",
    text:
      `截至${zhDate(data.today)}，共查找问题${stats.problems}个，制定整改措施${stats.measures}项，` +
      `已完成${stats.closed}项，完成率${stats.rate}。` +
      (fu
        ? `已销号措施开展回头看${fu.checked}项，整改成效巩固${fu.holds}项，反弹${fu.relapsed}项` +
          `${fu.relapsed ? "（已重新制定整改措施）" : ""}${pending ? `，待回复${pending}项` : ""}。`
        : ""),
  });
  blocks.push({ kind: "signature", text: c.organisation ?? "" });
  blocks.push({ kind: "date", text: chineseDate(data.today) });
  return { title, blocks, stats, sections: sectionCount };
}
