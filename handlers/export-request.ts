import { card, esc, md, tr } from "../cards/kit";
import type { ExportKind } from "../jobs/export";
import type { InboundMessage } from "../src/domain/events";
import type { ParsedIntent } from "../src/intent/index";
import type { Logger } from "../src/logger";
import { notInCampaign, type Answer, type Asker } from "../src/services/answers";
import type { HandlerDeps } from "./deps";

/**
 * 导出台账 / 生成自查报告 in chat: who may have which file (DESIGN.md §5: an admin all units, a head or
 * a leader the units they may see; a member none), then an export job. The answer here only says what
 * will happen; the file itself comes privately from the job (jobs/export.ts).
 */
export async function answerExport(
  deps: HandlerDeps,
  a: Asker,
  q: ParsedIntent,
  msg: InboundMessage,
  log: Logger,
): Promise<Answer> {
  const l = a.locale;
  const kind: ExportKind = q.intent === "export_report" ? "report" : "ledger";
  const what =
    kind === "ledger"
      ? tr(l, "整改台账", "the rectification ledger")
      : tr(l, "自查报告", "the self-inspection report");
  const p = a.person;
  if (!p || !p.openId) return { card: notInCampaign(a) };
  const refuse = (text: string) => ({
    card: card({ title: tr(l, "无法导出", "Not available"), template: "grey", elements: [md(text)] }),
  });

  const units = await deps.models.Unit.find(
    { campaignKey: a.campaign.key },
    { key: 1, name: 1, headKey: 1, leaderKey: 1 },
  ).lean();
  const admin = p.roles.includes("admin");
  const visible = admin
    ? undefined
    : units.filter((u) => u.headKey === p.key || u.leaderKey === p.key).map((u) => u.key);
  if (visible && visible.length === 0) {
    log.info({ person: p.key, export: kind }, "export refused: not an admin, head or leader");
    return refuse(
      tr(
        l,
        `抱歉，${what}只能由牵头科室（管理员）、科室负责人或分管领导导出。如需要，请联系本科室负责人。`,
        `Sorry, ${what} can be exported only by the organising office (admins), unit heads and leaders. Please ask your unit head.`,
      ),
    );
  }
  const named = q.slots.unit ? units.find((u) => u.name === q.slots.unit) : undefined;
  if (q.slots.unit && !named) {
    return refuse(
      tr(l, `没有找到科室「${esc(q.slots.unit)}」。`, `There is no unit "${esc(q.slots.unit)}".`),
    );
  }
  if (named && visible && !visible.includes(named.key)) {
    log.info({ person: p.key, export: kind, unit: named.key }, "export refused: unit not visible");
    return refuse(
      tr(
        l,
        `抱歉，您只能导出您负责或分管的科室；${esc(named.name)}不在其中。`,
        `Sorry, you can export only the units you head or oversee; ${esc(named.name)} is not one of them.`,
      ),
    );
  }
  if (!deps.exports) {
    log.warn({ export: kind }, "export asked but no export queue is configured");
    return refuse(
      tr(l, "导出功能暂不可用，请稍后再试。", "Exports are not available right now; please try again later."),
    );
  }
  await deps.exports.add({
    kind,
    campaignKey: a.campaign.key,
    lang: l,
    asker: { openId: p.openId, personKey: p.key },
    units: visible,
    unit: named?.key,
    requestId: msg.messageId,
  });
  const scope = named
    ? esc(named.name)
    : visible
      ? tr(l, "您负责或分管的科室", "the units you head or oversee")
      : tr(l, "全部科室", "all units");
  return {
    card: card({
      title:
        kind === "ledger"
          ? tr(l, "正在导出整改台账", "Exporting the ledger")
          : tr(l, "正在生成自查报告", "Drafting the report"),
      template: "blue",
      elements: [
        md(
          a.group
            ? tr(
                l,
                `${what}（${scope}）生成后将私信发送给您，请在与我的单聊中查收。`,
                `${what} (${scope}) will be sent to you in a private chat with me.`,
              )
            : tr(
                l,
                `正在生成${what}（${scope}），稍后以文件发送给您。`,
                `Building ${what} (${scope}); it will arrive here as a file shortly.`,
              ),
        ),
      ],
    }),
  };
}
