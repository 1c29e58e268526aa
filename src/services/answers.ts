import { itemStatusCard, measureListCard, pendingCard, problemListCard } from "../../cards/answer-cards";
import { digestCard } from "../../cards/digest-card";
import { helpCard } from "../../cards/help-card";
import type { Card } from "../../cards/kit";
import { card, escLine, md, note } from "../../cards/kit";
import { summaryCard } from "../../cards/summary-card";
import type { MeasureListView } from "../../cards/view-types";
import { MEASURE_DONE, type Locale } from "../domain/types";
import type { ParsedIntent } from "../intent/index";
import { addDays, daysBetween, todayIn } from "../time";
import { measureCardFor } from "./cards";
import type { Campaign, Person, ServiceDeps } from "./context";
import { computeSummary } from "./summary";

/**
 * Answers to chat questions, built from the database at this moment and scoped to who asks
 * (DESIGN.md §5): a member sees their own items and their unit's aggregates, a head their unit, a leader
 * the units in their charge, an admin everything. In a group chat only what every member may see:
 * aggregates, the overdue and pending lists, states — never someone's narrative, problems or progress notes.
 */
export interface Asker {
  person: Person | null;
  campaign: Campaign;
  group: boolean;
  locale: Locale;
}

export interface Answer {
  card: Card;
  /** For a group question about personal things: the card goes to the asker privately too. */
  privateCard?: Card;
}

interface Scope {
  /** Unit keys whose details the asker may see; undefined = all. */
  units?: Set<string>;
  /** Only the asker's own items (a member, or "mine"). */
  selfOnly?: string;
  label?: string;
}

async function unitsOf(d: ServiceDeps, c: Campaign) {
  return d.models.Unit.find({ campaignKey: c.key }, { key: 1, name: 1, headKey: 1, leaderKey: 1, order: 1 })
    .sort({ order: 1 })
    .lean();
}

/** What the asker may see in detail, after the question's own scope (mine / unit / all). */
async function scopeFor(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Scope> {
  const units = await unitsOf(d, a.campaign);
  const named = q.slots.unit ? units.find((u) => u.name === q.slots.unit) : undefined;
  const p = a.person;
  if (a.group) return named ? { units: new Set([named.key]), label: named.name } : {};
  if (!p) return { units: new Set() };
  if (q.slots.scope === "mine") return { selfOnly: p.key, label: a.locale === "en" ? "mine" : "本人" };
  const admin = p.roles.includes("admin");
  const visible = admin
    ? undefined
    : new Set(units.filter((u) => u.headKey === p.key || u.leaderKey === p.key).map((u) => u.key));
  if (named) {
    if (!visible || visible.has(named.key)) return { units: new Set([named.key]), label: named.name };
    return { units: new Set([named.key]), selfOnly: p.key, label: named.name };
  }
  if (q.slots.scope === "unit")
    return {
      units: new Set([p.unitKey]),
      selfOnly: visible?.has(p.unitKey) ? undefined : p.key,
      label: units.find((u) => u.key === p.unitKey)?.name,
    };
  if (!visible) return {};
  if (visible.size === 0) return { selfOnly: p.key, units: new Set([p.unitKey]) };
  return {
    units: visible,
    label: units
      .filter((u) => visible.has(u.key))
      .map((u) => u.name)
      .join("、"),
  };
}

function unitFilter(s: Scope): Record<string, unknown> {
  return s.units ? { unitKey: { $in: [...s.units] } } : {};
}

async function names(d: ServiceDeps, c: Campaign) {
  const [people, units] = await Promise.all([
    d.models.Person.find({ campaignKey: c.key }, { key: 1, name: 1 }).lean(),
    unitsOf(d, c),
  ]);
  return {
    person: new Map(people.map((p) => [p.key, p.name])),
    unit: new Map(units.map((u) => [u.key, u.name])),
  };
}

function todayOf(d: ServiceDeps, c: Campaign): string {
  return todayIn(c.timezone, d.now());
}

async function measureRows(
  d: ServiceDeps,
  a: Asker,
  s: Scope,
  filter: Record<string, unknown>,
  sort: Record<string, 1 | -1>,
): Promise<MeasureListView["rows"]> {
  const c = a.campaign;
  const today = todayOf(d, c);
  const q = {
    campaignKey: c.key,
    ...filter,
    ...unitFilter(s),
    ...(s.selfOnly ? { ownerKey: s.selfOnly } : {}),
  };
  const [list, n] = await Promise.all([
    d.models.Measure.find(q, { seq: 1, content: 1, ownerKey: 1, unitKey: 1, dueDate: 1, state: 1 })
      .sort(sort)
      .limit(500)
      .lean(),
    names(d, c),
  ]);
  return list.map((m) => ({
    id: String(m._id),
    seq: m.seq,
    content: m.content,
    ownerName: n.person.get(m.ownerKey) ?? m.ownerKey,
    unitName: n.unit.get(m.unitKey) ?? m.unitKey,
    dueDate: m.dueDate,
    daysOverdue: m.dueDate < today ? daysBetween(m.dueDate, today) : undefined,
    state: m.state,
  }));
}

export async function answerOverdue(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const s = await scopeFor(d, a, q);
  const today = todayOf(d, a.campaign);
  const rows = await measureRows(
    d,
    a,
    s,
    { state: { $nin: MEASURE_DONE }, dueDate: { $lt: today } },
    { dueDate: 1, seq: 1 },
  );
  const card = measureListCard({
    v: {
      campaignTitle: a.campaign.title,
      title: a.locale === "en" ? "Overdue measures" : "逾期整改措施",
      scope: s.label,
      rows,
    },
    locale: a.locale,
    today,
    withOpenButtons: !a.group,
    emptyText: a.locale === "en" ? "No overdue measures." : "目前没有逾期的整改措施。",
  });
  if (s.selfOnly && !a.group && a.person) {
    // A member also sees how their unit stands, as a number.
    const unitOverdue = await d.models.Measure.countDocuments({
      campaignKey: a.campaign.key,
      unitKey: a.person.unitKey,
      state: { $nin: MEASURE_DONE },
      dueDate: { $lt: today },
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

export async function answerDueSoon(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const s = await scopeFor(d, a, q);
  const today = todayOf(d, a.campaign);
  const days = q.slots.days ?? 7;
  const until = addDays(today, days);
  const rows = await measureRows(
    d,
    a,
    s,
    { state: { $nin: MEASURE_DONE }, dueDate: { $gte: today, $lte: until } },
    { dueDate: 1, seq: 1 },
  );
  const title =
    a.locale === "en"
      ? `Measures due within ${days} day(s)`
      : days === 0
        ? "今天到期的措施"
        : `${days} 天内到期的措施`;
  return {
    card: measureListCard({
      v: { campaignTitle: a.campaign.title, title, scope: s.label, rows },
      locale: a.locale,
      today,
      withOpenButtons: !a.group,
    }),
  };
}

export async function answerMyTodos(d: ServiceDeps, a: Asker): Promise<Answer> {
  const p = a.person;
  if (!p) return { card: notInCampaign(a) };
  const c = a.campaign;
  const [assignments, measures] = await Promise.all([
    d.models.Assignment.find(
      { campaignKey: c.key, assigneeKey: p.key, state: "pending", withdrawn: false },
      { itemKey: 1, dueDate: 1 },
    ).lean(),
    d.models.Measure.find(
      { campaignKey: c.key, ownerKey: p.key, state: { $nin: MEASURE_DONE } },
      { seq: 1, content: 1, dueDate: 1, state: 1 },
    ).lean(),
  ]);
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
      note:
        m.state === "closure_requested" ? (a.locale === "en" ? "awaiting review" : "待审核销号") : undefined,
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
  const notice = card({
    title: a.locale === "en" ? "My to-dos" : "我的待办",
    template: "blue",
    elements: [
      md(
        a.locale === "en"
          ? "Your to-dos are personal: I have sent them to you in a private chat."
          : "个人待办只发给您本人，已私信发送，请查看。",
      ),
    ],
  });
  return { card: notice, privateCard: todo };
}

export async function answerPending(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const s = await scopeFor(d, a, q);
  const c = a.campaign;
  const section = q.slots.section ? c.sections.find((x) => x.code === q.slots.section) : undefined;
  // Grouped in the database: who (by unit) still has which items.
  const groups = await d.models.Assignment.aggregate<{ _id: { u: string; p: string }; items: string[] }>([
    {
      $match: {
        campaignKey: c.key,
        state: "pending",
        withdrawn: false,
        ...unitFilter(s),
        ...(s.selfOnly ? { assigneeKey: s.selfOnly } : {}),
        ...(section ? { sectionKey: section.key } : {}),
      },
    },
    { $group: { _id: { u: "$unitKey", p: "$assigneeKey" }, items: { $push: "$itemKey" } } },
  ]);
  const n = await names(d, c);
  const byUnit = new Map<string, Map<string, string[]>>();
  for (const g of groups) {
    const u = byUnit.get(g._id.u) ?? new Map<string, string[]>();
    u.set(
      g._id.p,
      g.items.map((k) => c.items.find((i) => i.key === k)?.title ?? k),
    );
    byUnit.set(g._id.u, u);
  }
  const total = groups.reduce((sum, g) => sum + g.items.length, 0);
  return {
    card: pendingCard({
      v: {
        campaignTitle: section ? `${c.title} · ${section.code}` : c.title,
        byUnit: [...byUnit].map(([unitKey, people]) => ({
          unitName: n.unit.get(unitKey) ?? unitKey,
          people: [...people].map(([k, items]) => ({ name: n.person.get(k) ?? k, items })),
        })),
        total,
      },
      locale: a.locale,
    }),
  };
}

export async function answerProgress(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const s = await scopeFor(d, a, q);
  // Progress is aggregate: a member sees their unit's numbers; "mine" narrows to the unit as well.
  const unitKeys = s.units ? [...s.units] : undefined;
  // A chat answer is "where things stand": no "newly closed since the last broadcast" section.
  const summary = await computeSummary(d, a.campaign.key, {
    unitKeys,
    scope: s.label,
    withNewlyClosed: false,
  });
  if (q.slots.section) summary.sections = summary.sections.filter((x) => x.code === q.slots.section);
  return { card: summaryCard({ s: summary, locale: a.locale, kind: "answer" }) };
}

export async function answerItemStatus(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const c = a.campaign;
  const item = c.items.find((i) => i.title === q.slots.item);
  if (!item) return { card: helpCard({ locale: a.locale, notUnderstood: q.slots.item ?? "" }) };
  const s = await scopeFor(d, a, {
    ...q,
    slots: { ...q.slots, scope: q.slots.scope === "mine" ? "mine" : undefined },
  });
  const list = await d.models.Assignment.find(
    { campaignKey: c.key, itemKey: item.key, withdrawn: false, ...(a.group ? {} : unitFilter(s)) },
    { unitKey: 1, assigneeKey: 1, state: 1, dueDate: 1, responseVersion: 1 },
  ).lean();
  const n = await names(d, c);
  // Conclusions and problem counts are part of the answers: only where the asker may see details.
  const detail = (unitKey: string, assignee: string) =>
    !a.group && (!s.units || s.units.has(unitKey)) && (!s.selfOnly || s.selfOnly === assignee);
  const responses = await d.models.Response.find(
    { assignmentId: { $in: list.filter((x) => detail(x.unitKey, x.assigneeKey)).map((x) => x._id) } },
    { assignmentId: 1, version: 1, conclusion: 1 },
  ).lean();
  const problems = await d.models.Problem.find(
    { assignmentId: { $in: list.map((x) => x._id) }, withdrawn: { $ne: true } },
    { assignmentId: 1, responseVersion: 1 },
  ).lean();
  const section = c.sections.find((x) => x.key === item.sectionKey);
  return {
    card: itemStatusCard({
      v: {
        campaignTitle: c.title,
        itemTitle: item.title,
        sectionCode: section?.code ?? "",
        rows: list.map((x) => {
          const r = responses.find(
            (y) => String(y.assignmentId) === String(x._id) && y.version === x.responseVersion,
          );
          return {
            unitName: n.unit.get(x.unitKey) ?? x.unitKey,
            assigneeName: n.person.get(x.assigneeKey) ?? x.assigneeKey,
            state: x.state,
            conclusion: r?.conclusion,
            dueDate: x.dueDate,
            problems: detail(x.unitKey, x.assigneeKey)
              ? problems.filter(
                  (p) => String(p.assignmentId) === String(x._id) && p.responseVersion === x.responseVersion,
                ).length
              : 0,
          };
        }),
      },
      locale: a.locale,
      today: todayOf(d, c),
    }),
  };
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
  const s = await scopeFor(d, a, { ...q, slots: {} });
  const mayDetail =
    !a.group &&
    (!s.units || s.units.has(m.unitKey) || s.selfOnly === m.ownerKey || m.reviewerKey === a.person?.key) &&
    (!s.selfOnly || s.selfOnly === m.ownerKey || m.reviewerKey === a.person?.key);
  if (mayDetail) return { card: await measureCardFor(d, String(m._id), a.person, { locale: a.locale }) };
  // Elsewhere: what the measure is and where it stands, without its history.
  const rows = await measureRows(d, a, {}, { _id: m._id }, { seq: 1 });
  return {
    card: measureListCard({
      v: { campaignTitle: c.title, title: a.locale === "en" ? `Measure #${m.seq}` : `措施 #${m.seq}`, rows },
      locale: a.locale,
      today: todayOf(d, c),
    }),
  };
}

export async function answerProblems(d: ServiceDeps, a: Asker, q: ParsedIntent): Promise<Answer> {
  const s = await scopeFor(d, a, q);
  const c = a.campaign;
  const n = await names(d, c);
  if (a.group) {
    // Problem texts are part of the answers: a group gets counts by unit.
    const all = await d.models.Problem.find(
      { campaignKey: c.key, withdrawn: { $ne: true } },
      { unitKey: 1, resolved: 1 },
    ).lean();
    const lines = [...new Set(all.map((p) => p.unitKey))].map((u) => {
      const list = all.filter((p) => p.unitKey === u);
      return a.locale === "en"
        ? `- ${escLine(n.unit.get(u) ?? u, 30)}: ${list.length} problem(s), ${list.filter((p) => p.resolved).length} resolved`
        : `- ${escLine(n.unit.get(u) ?? u, 30)}：问题 ${list.length} 个，已整改到位 ${list.filter((p) => p.resolved).length} 个`;
    });
    return {
      card: card({
        title: a.locale === "en" ? "Problems found" : "查摆问题",
        template: "blue",
        elements: [
          md(lines.join("\n") || (a.locale === "en" ? "No problems reported yet." : "暂无查摆问题。")),
          note(a.locale === "en" ? "Details in a private chat with me." : "问题详情请私聊查询。"),
        ],
      }),
    };
  }
  const filter = {
    campaignKey: c.key,
    withdrawn: { $ne: true },
    ...unitFilter(s),
    ...(s.selfOnly ? { reportedByKey: s.selfOnly } : {}),
  };
  const [problems, measures] = await Promise.all([
    d.models.Problem.find(filter, { seq: 1, text: 1, itemKey: 1, unitKey: 1, resolved: 1 })
      .sort({ seq: 1 })
      .limit(1000)
      .lean(),
    d.models.Measure.find({ campaignKey: c.key, state: { $ne: "withdrawn" } }, { problemId: 1 }).lean(),
  ]);
  const count = new Map<string, number>();
  for (const m of measures) count.set(String(m.problemId), (count.get(String(m.problemId)) ?? 0) + 1);
  return {
    card: problemListCard({
      v: {
        campaignTitle: c.title,
        scope: s.label,
        problems: problems.map((p) => ({
          seq: p.seq,
          text: p.text,
          itemTitle: c.items.find((i) => i.key === p.itemKey)?.title ?? p.itemKey,
          unitName: n.unit.get(p.unitKey) ?? p.unitKey,
          measures: count.get(String(p._id)) ?? 0,
          resolved: p.resolved,
        })),
      },
      locale: a.locale,
    }),
  };
}

export function notInCampaign(a: Pick<Asker, "locale">): Card {
  return card({
    title: a.locale === "en" ? "Not on a campaign" : "未找到您的自查任务",
    template: "grey",
    elements: [
      md(
        a.locale === "en"
          ? "You are not on the list of the current campaign. Ask the organising office if you should be."
          : "您不在当前专项整治活动的名单中。如有疑问，请联系牵头科室。",
      ),
    ],
  });
}
