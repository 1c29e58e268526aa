/**
 * The organisation from Feishu's address book in the CLI: read it for `campaign import` of a file with
 * `org: from: feishu`, and `campaign sync-org <key> [--apply]` (a dry run unless --apply).
 */
import { OutboundQueue, outboundUuid } from "../../jobs/outbound";
import { orgReassignedCard } from "../../cards/org-sync-card";
import { fetchFeishuOrg, orgProblemText, type FeishuOrg, type OrgRequest } from "../campaign/org-feishu";
import type { Logger } from "../logger";
import { recordIntents } from "../repositories/sent-cards";
import type { CampaignSpec } from "../domain/types";
import {
  sendAssignedCards,
  applyOrgDiff,
  diffOrganisation,
  isEmptyDiff,
  planOrgSync,
  wantedFromSpec,
  type ApplyDeps,
  type OrgDiff,
} from "../services/org-sync";
import type { Out } from "./campaign";
import type { CliServices } from "./connect";
import { nowOf } from "./connect";

/** Read the address book for an import; a problem is printed (naming the scope to add) and is undefined. */
export async function orgForImport(
  s: CliServices,
  req: OrgRequest,
  out: Out,
): Promise<FeishuOrg | undefined> {
  const f = await fetchFeishuOrg(s.feishu?.contact, req);
  if (!f.ok) {
    const t = orgProblemText(f.problem);
    out.error(`${t.zh} / ${t.en}`);
    if (f.problem.kind === "scope" && f.problem.scopes.length)
      out.error(`需要开通的权限 / scope to add: ${f.problem.scopes.join(", ")}`);
    return undefined;
  }
  const st = f.org.stats;
  out.print(
    `通讯录 / address book: ${st.departments} 个部门 departments, ${st.people} 人 people (${st.calls} calls, ${(st.ms / 1000).toFixed(1)} s)`,
  );
  for (const n of f.org.notes) out.print(`warning: ${n.zh} / ${n.en}`);
  return f.org;
}

/** For a re-import: the stored campaign against the file's organisation (undefined for a new campaign). */
export async function orgDiffForImport(
  s: CliServices,
  spec: CampaignSpec,
  org: FeishuOrg,
): Promise<OrgDiff | undefined> {
  if (!(await s.models.Campaign.exists({ key: spec.key }))) return undefined;
  return diffOrganisation(s.models, spec.key, { ...wantedFromSpec(spec, org), notes: org.notes });
}

/** The diff as lines: left, moved, new heads, new units, new people. */
export function printOrgDiff(d: OrgDiff, out: Out): void {
  const u = (k: string) => d.unitNames[k] ?? k;
  const p = (k: string) => d.personNames[k] ?? k;
  if (isEmptyDiff(d)) {
    out.print("通讯录与活动名单一致，无需同步 / the address book matches the campaign: nothing to sync");
    return;
  }
  for (const x of d.left)
    out.print(
      `离职 left: ${p(x.key)} (${x.key}, ${u(x.unitKey)}): 保留填报 ${x.answers} answers kept; 未完成措施 ${x.openMeasures} open measures → 单位负责人 the unit's head`,
    );
  for (const x of d.moved) out.print(`调动 moved: ${p(x.key)} (${x.key}): ${u(x.fromUnit)} → ${u(x.toUnit)}`);
  for (const x of d.heads)
    out.print(`负责人 head: ${u(x.unitKey)}: ${x.from ? p(x.from) : "-"} → ${p(x.to)}`);
  for (const x of d.addedUnits) out.print(`新增单位 new unit: ${x.name} (${x.key})`);
  for (const x of d.added)
    out.print(`新增人员 new person: ${x.name} (${u(x.unitKey)})${x.returned ? " 重新加入 back" : ""}`);
  out.print(
    `合计 / total: 离职 ${d.left.length} left, 调动 ${d.moved.length} moved, 负责人 ${d.heads.length} heads, 新增单位 ${d.addedUnits.length} units, 新增人员 ${d.added.length} people`,
  );
}

/** Apply a diff; heads are told on a card when the CLI has Redis (the outbound queue). */
export async function applyWithNotices(
  s: CliServices,
  diff: OrgDiff,
  logger: Logger,
  out: Out,
): Promise<void> {
  const outbound = s.redis
    ? new OutboundQueue({
        connection: s.redis,
        prefix: `${s.redisPrefix}:bull`,
        logger,
        record: (jobs) => recordIntents(s.models, jobs, nowOf(s)()),
      })
    : undefined;
  try {
    const deps: ApplyDeps = {
      models: s.models,
      now: nowOf(s),
      ...(outbound
        ? {
            notifyHead: async (head, measures, leftNames) => {
              if (!head.openId) return;
              await outbound.enqueue({
                op: "send",
                to: { type: "open_id", id: head.openId },
                content: { card: orgReassignedCard(head.locale === "en" ? "en" : "zh", measures, leftNames) },
                uuid: outboundUuid("org-reassign", diff.hash, head.key),
                ref: { campaignId: diff.campaignKey, kind: "notice", personKey: head.key },
              });
            },
          }
        : {}),
    };
    const r = await applyOrgDiff(deps, diff);
    out.print(
      `已应用 / applied: 新增 ${r.added} added, 调动 ${r.moved} moved, 离职 ${r.left} left, 负责人 ${r.heads} heads; ` +
        `${r.reassigned.length} 项措施转给单位负责人 measures to the heads${outbound ? "" : " (no Redis: heads not told on a card)"}`,
    );
    if (r.addedUnits) {
      const { running, sent } = await sendAssignedCards({ ...deps, outbound }, diff.campaignKey, r.assigned);
      out.print(
        `新增单位 ${r.addedUnits} 个，分配各单位共有的自查事项 ${r.assigned} 项 / ${r.addedUnits} new unit(s) got ${r.assigned} item(s) every unit has` +
          (sent !== undefined
            ? `；已发出卡片 ${sent} 张 / ${sent} card(s) queued`
            : running && r.assigned
              ? `；无 Redis，请运行 campaign start 发送卡片 / no Redis: run campaign start to send the cards`
              : ""),
      );
    }
    for (const o of r.orphaned)
      out.error(
        `措施${o.seq} 无人接手（单位没有负责人或分管领导） / measure ${o.seq} has nobody to take it (no head or leader)`,
      );
  } finally {
    await outbound?.close();
  }
}

/** `campaign sync-org <key> [--apply]`. */
export async function campaignSyncOrg(
  s: CliServices,
  key: string,
  o: { apply: boolean; logger: Logger; out: Out },
): Promise<number> {
  const plan = await planOrgSync({ models: s.models, now: nowOf(s) }, s.feishu?.contact, key);
  if (!plan.ok) {
    if (plan.problem.kind === "not_org") {
      o.out.error(
        `活动 "${key}" 的人员不来自通讯录（文件中没有 org: from: feishu） / campaign "${key}" does not take its people from the address book (no org: from: feishu)`,
      );
      return 1;
    }
    const t = orgProblemText(plan.problem);
    o.out.error(`${t.zh} / ${t.en}`);
    if (plan.problem.kind === "scope" && plan.problem.scopes.length)
      o.out.error(`需要开通的权限 / scope to add: ${plan.problem.scopes.join(", ")}`);
    return 1;
  }
  const st = plan.org.stats;
  o.out.print(
    `通讯录 / address book: ${st.departments} departments, ${st.people} people (${st.calls} calls, ${(st.ms / 1000).toFixed(1)} s)`,
  );
  for (const n of plan.org.notes) o.out.print(`warning: ${n.zh} / ${n.en}`);
  printOrgDiff(plan.diff, o.out);
  if (isEmptyDiff(plan.diff)) return 0;
  if (!o.apply) {
    o.out.print(
      "预览，未做任何更改；确认后加 --apply 再运行 / preview only, nothing changed: run again with --apply to apply",
    );
    return 0;
  }
  await applyWithNotices(s, plan.diff, o.logger, o.out);
  return 0;
}
