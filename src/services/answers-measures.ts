// Answers about measures: overdue, due soon, my to-dos, one measure.
import { measureCountsCard, measureListCard } from "../../cards/answer-cards";
import { digestCard } from "../../cards/digest-card";
import { card, md, note } from "../../cards/kit";
import { MEASURE_DONE } from "../domain/types";
import type { ParsedIntent } from "../intent/index";
import { addDays } from "../time";
import {
  accessOf,
  itemFilter,
  labelOf,
  measureRows,
  measureScope,
  notInCampaign,
  privateNotice,
  targetOf,
  todayOf,
  type Answer,
  type Asker,
} from "./answer-scope";
import { measureCardFor } from "./cards";
import type { ServiceDeps } from "./context";

/** Open measures past their due date (the due date itself is the last day, not overdue). */
export async function answerOverdue(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const today = todayOf(d, a.campaign);
  const open = { state: { $nin: MEASURE_DONE }, dueDate: { $lt: today }, ...itemFilter(t) };
  const scope = measureScope(a, acc, t);
  const rows = scope ? await measureRows(d, a, scope, open, { dueDate: 1, seq: 1 }) : [];
  const card = measureListCard({
    v: {
      campaignTitle: a.campaign.title,
      title: a.locale === "en" ? "Overdue measures" : "逾期整改措施",
      scope: labelOf(a, acc, t),
      rows,
    },
    locale: a.locale,
    today,
    withOpenButtons: !a.group,
    emptyText: a.locale === "en" ? "No overdue measures." : "目前没有逾期的整改措施。",
  });
  const p = a.person;
  if (!a.group && p && !acc.units.has(p.unitKey)) {
    // Someone who does not see their unit's details still sees how it stands, as a number.
    const unitOverdue = await d.models.Measure.countDocuments({
      campaignKey: a.campaign.key,
      unitKey: p.unitKey,
      ...open,
    });
    card.body.elements.push(
      note(
        a.locale === "en"
          ? `Your unit has ${unitOverdue} overdue measure(s) in all.`
          : `本科室共有逾期措施 ${unitOverdue} 项。`,
      ),
    );
  }
  return { card };
}

/** Open measures due from today (included) to `days` days ahead (default 7). */
export async function answerDueSoon(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const acc = await accessOf(d, a);
  const t = targetOf(a, q, acc);
  const today = todayOf(d, a.campaign);
  const days = q.slots.days ?? 7;
  const until = addDays(today, days);
  const due = { state: { $nin: MEASURE_DONE }, dueDate: { $gte: today, $lte: until }, ...itemFilter(t) };
  const title =
    a.locale === "en"
      ? days === 0
        ? "Measures due today"
        : `Measures due within ${days} day(s)`
      : days === 0
        ? "今天到期的措施"
        : `${days} 天内到期的措施`;
  if (a.group) {
    // Not yet late, so not on the (public) overdue list: a group sees how many, by unit; the list
    // goes to the asker in private.
    const rows = await d.models.Measure.aggregate<{ _id: string; n: number }>([
      { $match: { campaignKey: a.campaign.key, ...due, ...(t.units ? { unitKey: { $in: t.units } } : {}) } },
      { $group: { _id: "$unitKey", n: { $sum: 1 } } },
    ]);
    const byKey = new Map(rows.map((r) => [r._id, r.n]));
    const counts = measureCountsCard({
      v: {
        campaignTitle: a.campaign.title,
        title,
        scope: t.topic,
        units: acc.all
          .filter((u) => byKey.has(u.key))
          .map((u) => ({ unitName: u.name, n: byKey.get(u.key)! })),
      },
      locale: a.locale,
    });
    if (!a.person || !rows.length) return { card: counts };
    return { card: counts, privateCard: (await answerDueSoon(d, { ...a, group: false }, q)).card };
  }
  const scope = measureScope(a, acc, t);
  const rows = scope ? await measureRows(d, a, scope, due, { dueDate: 1, seq: 1 }) : [];
  return {
    card: measureListCard({
      v: { campaignTitle: a.campaign.title, title, scope: labelOf(a, acc, t), rows },
      locale: a.locale,
      today,
      withOpenButtons: true,
    }),
  };
}

export async function answerMyTodos(d: ServiceDeps, a: Asker): Promise<Answer> {
  const p = a.person;
  if (!p) return { card: notInCampaign(a) };
  const c = a.campaign;
  const [assignments, measures, toReview] = await Promise.all([
    d.models.Assignment.find(
      { campaignKey: c.key, assigneeKey: p.key, state: "pending", withdrawn: false },
      { itemKey: 1, dueDate: 1 },
    ).lean(),
    d.models.Measure.find(
      { campaignKey: c.key, ownerKey: p.key, state: { $nin: MEASURE_DONE } },
      { seq: 1, content: 1, dueDate: 1, state: 1 },
    ).lean(),
    // A reviewer's own to-dos: closures to decide (销号) and extension requests to grant or refuse.
    d.models.Measure.find(
      {
        campaignKey: c.key,
        reviewerKey: p.key,
        ownerKey: { $ne: p.key },
        $or: [
          { state: "closure_requested" },
          { state: { $in: ["open", "in_progress"] }, "extension.status": "requested" },
        ],
      },
      { seq: 1, content: 1, dueDate: 1, state: 1, extension: 1 },
    ).lean(),
  ]);
  const en = a.locale === "en";
  const title = (k: string) => c.items.find((i) => i.key === k)?.title ?? k;
  const lines = [
    ...assignments.map((x) => ({
      kind: "assignment" as const,
      id: String(x._id),
      title: title(x.itemKey),
      dueDate: x.dueDate,
    })),
    ...measures.map((m) => ({
      kind: "measure" as const,
      id: String(m._id),
      title: `#${m.seq} ${m.content}`,
      dueDate: m.dueDate,
      note: m.state === "closure_requested" ? (en ? "awaiting review" : "待审核销号") : undefined,
    })),
    ...toReview.map((m) => ({
      kind: "measure" as const,
      id: String(m._id),
      title: `#${m.seq} ${m.content}`,
      dueDate: m.dueDate,
      note:
        m.state === "closure_requested"
          ? en
            ? "closure asked: your review"
            : "申请销号，待你审核"
          : en
            ? `extension to ${m.extension?.requestedDue ?? "?"} asked: your decision`
            : `申请延期至 ${m.extension?.requestedDue ?? "?"}，待你审批`,
    })),
  ];
  const todo = digestCard({
    title: a.locale === "en" ? "My to-dos" : "我的待办",
    personName: p.name,
    campaignTitle: c.title,
    lines,
    locale: a.locale,
    today: todayOf(d, c),
    kind: "reminder",
  });
  if (!a.group) return { card: todo };
  return { card: privateNotice(a, a.locale === "en" ? "My to-dos" : "我的待办"), privateCard: todo };
}

export async function answerMeasureDetail(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const c = a.campaign;
  const m = q.slots.measureId
    ? await d.models.Measure.findOne({ campaignKey: c.key, seq: q.slots.measureId }).lean()
    : null;
  if (!m)
    return {
      card: card({
        title: a.locale === "en" ? "No such measure" : "没有这条措施",
        template: "grey",
        elements: [
          md(
            a.locale === "en"
              ? `There is no measure #${q.slots.measureId ?? "?"}.`
              : `没有编号为 #${q.slots.measureId ?? "?"} 的整改措施。`,
          ),
        ],
      }),
    };
  const acc = await accessOf(d, a);
  const me = a.person?.key;
  const mayDetail =
    !a.group &&
    (acc.units.has(m.unitKey) || (me !== undefined && (m.ownerKey === me || m.reviewerKey === me)));
  if (mayDetail) return { card: await measureCardFor(d, String(m._id), a.person, { locale: a.locale }) };
  const today = todayOf(d, c);
  if (a.group && !(!MEASURE_DONE.includes(m.state) && m.dueDate < today)) {
    // A group sees the overdue list; any other measure is someone's own work: answered in private.
    const title = a.locale === "en" ? `Measure #${m.seq}` : `措施 #${m.seq}`;
    if (!a.person)
      return {
        card: card({
          title,
          template: "grey",
          elements: [
            md(
              a.locale === "en"
                ? "Measure details are given in a private chat, to the people of the campaign."
                : "措施详情只在私聊中提供给本次活动的人员。",
            ),
          ],
        }),
      };
    return {
      card: privateNotice(a, title),
      privateCard: (await answerMeasureDetail(d, { ...a, group: false }, q)).card,
    };
  }
  // Elsewhere: what the measure is and where it stands, without its history.
  const rows = await measureRows(d, a, {}, { _id: m._id }, { seq: 1 });
  return {
    card: measureListCard({
      v: { campaignTitle: c.title, title: a.locale === "en" ? `Measure #${m.seq}` : `措施 #${m.seq}`, rows },
      locale: a.locale,
      today,
    }),
  };
}
