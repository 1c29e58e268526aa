import type { CampaignSpec } from "../../src/domain/types";
import type { Models } from "../../src/repositories/models";
import { importCampaign } from "../../src/services/campaign-import";
import type { ServiceDeps } from "../../src/services/context";
import {
  acceptClosure,
  decideExtension,
  proposeMeasure,
  reportProgress,
  requestClosure,
  requestExtension,
  sendBack,
} from "../../src/services/measures";
import { submitSelfCheck } from "../../src/services/self-check";
import { addDays } from "../../src/time";

/**
 * A campaign some weeks in, made through the real services (the same calls the card handlers make):
 * most assignments answered, some with problems; measures in every state — open, in progress, awaiting
 * review, closed, one extended, one sent back, some overdue once the clock has moved on. Used by the
 * export tests and by scripts/render-report.sh.
 */
export interface PlayedCampaign {
  spec: CampaignSpec;
  /** The clock the services were driven with, now `days` after the start. */
  now: () => Date;
  openIdOf: (personKey: string) => string;
}

const NARRATIVES = [
  "对照清单逐项开展自查，组织专题学习{n}次，建立问题台账，做到立查立改",
  "严格落实“三会一课”制度，结合年初学习安排开展专题研讨，进一步统一了思想认识",
  "围绕服务群众和企业，深入基层一线调研{n}次，梳理解决群众反映的实际问题",
  "健全请示报告、值班值守和考勤制度，落实“一岗双责”，未发现违规情况",
];
const PROBLEMS = [
  "部分干部理论学习停留在读原文、记笔记层面，学用结合不够紧密",
  "个别工作重部署轻落实，跟踪调度不够及时",
  "服务企业的主动性不强，存在被动应付现象",
  "会议精简不够到位，个别会议时间偏长",
];
const MEASURES = [
  "制定专题学习计划，每月开展一次交流研讨，并将学习成效纳入年度考核",
  "建立重点工作清单，实行周调度、月通报，逐项跟踪销号",
  "开展“进企业、解难题”走访活动，建立问题受理和回访机制",
  "严格会议审批，控制会议时长，能合并的会议一律合并",
];

export async function playCampaign(
  models: Models,
  input: { spec: CampaignSpec; start: string; clock: { set(ms: number): void; now(): Date } },
): Promise<PlayedCampaign> {
  const spec: CampaignSpec = {
    ...input.spec,
    people: input.spec.people.map((p, i) => ({
      ...p,
      openId: p.openId ?? `ou_play${String(i).padStart(4, "0")}`,
    })),
  };
  const openIds = new Map(spec.people.map((p) => [p.key, p.openId!]));
  const openIdOf = (k: string) => openIds.get(k) ?? "";
  const at = (date: string, hour = 2) => Date.parse(`${date}T0${hour}:00:00Z`); // 10:00 in Shanghai
  input.clock.set(at(input.start));
  const d: ServiceDeps = { models, now: () => input.clock.now() };
  await importCampaign(models, spec, {});
  await models.Campaign.updateOne({ key: spec.key }, { $set: { status: "active", startedAt: d.now() } });

  const assignments = await models.Assignment.find({ campaignKey: spec.key }).sort({ key: 1 }).lean();
  const units = new Map(spec.units.map((u) => [u.key, u]));
  const problemIds: { id: string; assignmentId: string; owner: string; unitKey: string }[] = [];
  for (const [i, a] of assignments.entries()) {
    if (i % 5 === 4) continue; // some are not answered yet
    const withProblem = i % 2 === 0;
    const narrative = NARRATIVES[i % NARRATIVES.length].replace("{n}", String((i % 4) + 2));
    const r = await submitSelfCheck(d, {
      assignmentId: String(a._id),
      rev: a.rev,
      operatorOpenId: openIdOf(a.assigneeKey),
      form: {
        conclusion: withProblem ? "problems" : "compliant",
        narrative,
        problems: withProblem
          ? `${PROBLEMS[i % PROBLEMS.length]}\n${PROBLEMS[(i + 1) % PROBLEMS.length]}`
          : "",
      },
    });
    for (const id of r.problemIds)
      problemIds.push({ id, assignmentId: String(a._id), owner: a.assigneeKey, unitKey: a.unitKey });
  }

  // One measure per problem but the last (a problem still without a measure), due 5–25 days on.
  const measures = [];
  for (const [i, p] of problemIds.slice(0, -1).entries()) {
    const { measure } = await proposeMeasure(d, {
      assignmentId: p.assignmentId,
      operatorOpenId: openIdOf(p.owner),
      form: {
        problem: p.id,
        measure_content: MEASURES[i % MEASURES.length],
        measure_due: addDays(input.start, 5 + ((i * 5) % 21)),
      },
    });
    measures.push(measure);
  }
  const reviewerOf = (unitKey: string, owner: string) => {
    const u = units.get(unitKey);
    const reviewer = spec.reviewer === "leader" ? (u?.leader ?? u?.head) : (u?.head ?? u?.leader);
    return reviewer && reviewer !== owner ? reviewer : reviewer === u?.head ? u?.leader : u?.head;
  };
  input.clock.set(at(addDays(input.start, 3)));
  for (const [i, m0] of measures.entries()) {
    let m = m0;
    const owner = openIdOf(m.ownerKey);
    const reviewer = openIdOf(m.reviewerKey ?? reviewerOf(m.unitKey, m.ownerKey) ?? "");
    const step = i % 6;
    if (step === 0) continue; // open
    m = await reportProgress(d, {
      measureId: String(m._id),
      rev: m.rev,
      operatorOpenId: owner,
      form: {
        progress_note: "已制定工作方案，正在逐项推进",
        progress_percent: "40",
        progress_evidence: "工作方案",
      },
    });
    if (step === 1 || !m.reviewerKey) continue; // in progress (or nobody could review it)
    if (step === 2) {
      // extended
      m = await requestExtension(d, {
        measureId: String(m._id),
        rev: m.rev,
        operatorOpenId: owner,
        form: { ext_due: addDays(m.dueDate, 14), ext_reason: "需协调外单位配合" },
      });
      await decideExtension(d, {
        measureId: String(m._id),
        rev: m.rev,
        operatorOpenId: reviewer,
        grant: true,
      });
      continue;
    }
    // Closure is asked for finished work: 100 % with evidence first.
    m = await reportProgress(d, {
      measureId: String(m._id),
      rev: m.rev,
      operatorOpenId: owner,
      form: {
        progress_note: "各项整改任务已完成",
        progress_percent: "100",
        progress_evidence: "整改完成报告",
      },
    });
    m = await requestClosure(d, { measureId: String(m._id), rev: m.rev, operatorOpenId: owner });
    if (step === 3) continue; // awaiting review
    if (step === 4) {
      await sendBack(d, {
        measureId: String(m._id),
        rev: m.rev,
        operatorOpenId: reviewer,
        form: { sendback_reason: "佐证材料不完整，请补充会议记录" },
      });
      continue;
    }
    await acceptClosure(d, { measureId: String(m._id), rev: m.rev, operatorOpenId: reviewer });
  }
  // Three weeks in: the earliest deadlines have passed.
  input.clock.set(at(addDays(input.start, 21)));
  return { spec, now: d.now, openIdOf };
}
