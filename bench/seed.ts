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

const NARRATIVE =
  "对照清单逐项开展自查，组织专题学习和交流研讨，建立问题台账和整改清单，做到立查立改、即知即改；" +
  "围绕服务群众和企业深入基层一线调研，梳理解决群众反映的实际问题，进一步统一了思想认识。";

/** Answers (a third of them "problems", each with a narrative), one problem per measure, progress updates. */
export async function addAnswersAndProblems(uri: string, key: string) {
  const conn = await mongoose.createConnection(uri).asPromise();
  const m = createModels(conn);
  const submitted = await m.Assignment.find(
    { campaignKey: key, state: "submitted" },
    { _id: 1, unitKey: 1, itemKey: 1 },
  ).lean();
  await m.Assignment.updateMany({ campaignKey: key, state: "submitted" }, { $set: { responseVersion: 1 } });
  for (let i = 0; i < submitted.length; i += 2000)
    await m.Response.insertMany(
      submitted.slice(i, i + 2000).map((a, j) => ({
        campaignKey: key,
        assignmentId: a._id,
        version: 1,
        conclusion: (i + j) % 3 === 0 ? "problems" : "compliant",
        narrative: `${NARRATIVE}（${i + j}）`,
        byKey: "p0",
      })),
    );
  const measures = await m.Measure.find(
    { campaignKey: key },
    { _id: 1, unitKey: 1, itemKey: 1, seq: 1 },
  ).lean();
  const problems = measures.map((x, i) => ({
    _id: new mongoose.Types.ObjectId(),
    campaignKey: key,
    seq: i + 1,
    assignmentId: submitted[i % submitted.length]._id,
    responseVersion: 1,
    index: Math.floor(i / submitted.length),
    itemKey: x.itemKey,
    unitKey: x.unitKey,
    text: `部分干部理论学习停留在读原文、记笔记层面，学用结合不够紧密（${i + 1}）`,
    reportedByKey: "p0",
  }));
  await m.Problem.insertMany(problems);
  await m.Measure.bulkWrite(
    measures.map((x, i) => ({
      updateOne: { filter: { _id: x._id }, update: { $set: { problemId: problems[i]._id } } },
    })),
  );
  await m.ProgressUpdate.insertMany(
    measures.map((x) => ({
      campaignKey: key,
      measureId: x._id,
      note: "已制定工作方案，正在逐项推进",
      percent: 40,
      byKey: "p0",
    })),
  );
  await conn.close();
}
