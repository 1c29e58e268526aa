import mongoose from "mongoose";
import { BUILTIN_TEMPLATE } from "../src/campaign/template";
import { createModels, ensureIndexes } from "../src/repositories/models";

/** A large campaign written straight to the store, for benchmarks: people, 200 units, assignments, measures. */
const items = BUILTIN_TEMPLATE.sections.flatMap((s) => s.items.map((i) => ({ key: i.key, section: s.key })));

export async function seedCampaign(
  uri: string,
  key: string,
  people: number,
  assignments: number,
  measures: number,
) {
  const conn = await mongoose.createConnection(uri).asPromise();
  const m = createModels(conn);
  await ensureIndexes(m);
  const units = 200;
  await m.Campaign.create({
    key,
    title: "压测",
    status: "active",
    timezone: "Asia/Shanghai",
    startDate: "2026-12-01",
    checklistKey: BUILTIN_TEMPLATE.key,
    checklistTitle: BUILTIN_TEMPLATE.title,
    sections: BUILTIN_TEMPLATE.sections.map((s, i) => ({
      key: s.key,
      code: s.code,
      title: s.title,
      order: i,
    })),
    items: items.map((it, i) => ({
      key: it.key,
      sectionKey: it.section,
      title: BUILTIN_TEMPLATE.sections.flatMap((s) => s.items)[i].title,
      checkpoints: [],
      order: i,
    })),
    remindBefore: [3, 1],
    escalation: [],
    reviewer: "head",
  });
  await m.Unit.insertMany(
    Array.from({ length: units }, (_, i) => ({
      campaignKey: key,
      key: `u${i}`,
      name: `科室${i}`,
      headKey: `p${i}`,
    })),
  );
  await m.Person.insertMany(
    Array.from({ length: people }, (_, i) => ({
      campaignKey: key,
      key: `p${i}`,
      name: `干部${i}`,
      unitKey: `u${i % units}`,
      roles: ["member"],
      openId: `ou_rb_${i}`,
    })),
  );
  // Due dates spread over 30 days around today, so some are due soon, some today, some overdue.
  const due = (i: number) =>
    new Date(Date.parse("2026-12-01T00:00:00Z") + (i % 30) * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < assignments; i += 2000) {
    await m.Assignment.insertMany(
      Array.from({ length: Math.min(2000, assignments - i) }, (_, j) => {
        const n = i + j;
        const it = items[n % items.length];
        return {
          campaignKey: key,
          key: `${it.key}:p:p${n % people}:${n}`,
          itemKey: it.key,
          sectionKey: it.section,
          target: "person",
          unitKey: `u${(n % people) % units}`,
          assigneeKey: `p${n % people}`,
          dueDate: due(n),
          state: n % 3 === 0 ? "submitted" : "pending",
        };
      }),
    );
  }
  const pid = new mongoose.Types.ObjectId();
  for (let i = 0; i < measures; i += 2000) {
    await m.Measure.insertMany(
      Array.from({ length: Math.min(2000, measures - i) }, (_, j) => {
        const n = i + j;
        return {
          campaignKey: key,
          seq: n + 1,
          problemId: pid,
          itemKey: items[n % items.length].key,
          unitKey: `u${n % units}`,
          content: `措施${n}`,
          ownerKey: `p${(n * 7) % people}`,
          dueDate: due(n * 3),
          originalDueDate: due(n * 3),
          state: n % 4 === 0 ? "closed" : "in_progress",
          createdByKey: "p0",
          proposalKey: `k${n}`,
        };
      }),
    );
  }
  return { conn, m };
}
