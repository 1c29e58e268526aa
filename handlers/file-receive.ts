import {
  ERRORS_ON_CARD,
  errorsText,
  importErrorsCard,
  importNoticeCard,
  importPreviewCard,
} from "../cards/import-cards";
import { card, esc, md, tr, type Card, type Locale } from "../cards/kit";
import { outboundUuid } from "../jobs/outbound";
import { buildCampaignTemplate, writeWorkbook } from "../src/campaign/xlsx-template";
import type { InboundMessage } from "../src/domain/events";
import type { Receiver } from "../src/feishu/types";
import type { Logger } from "../src/logger";
import {
  CAMPAIGN_FILE_TYPES,
  MAX_CAMPAIGN_FILE_BYTES,
  checkCampaignBytes,
  isSomeAdmin,
  noAdminConfigured,
  mayAdminister,
  preparePendingImport,
} from "../src/services/campaign-admin";
import type { HandlerDeps } from "./deps";
import { sendBytesAsFile } from "./file-send";
import { operatorLocale } from "./operator";
import { answerMessage } from "./respond";

/** 下载模板 (and a few ways of saying it), asked in private. */
export const TEMPLATE_REQUEST =
  /^(下载|获取|发送?|要)?(活动|导入)?(模板|模版)(文件|表格)?$|^(download )?(the )?template$/i;

const TEMPLATE_NAME = "自查整改活动模板.xlsx";

/** The template workbook as a file message to `to` (the same upload path as the exports). */
export async function sendTemplate(deps: HandlerDeps, to: Receiver, requestId: string): Promise<void> {
  const bytes = await writeWorkbook(buildCampaignTemplate());
  await sendBytesAsFile(
    deps,
    to,
    { name: TEMPLATE_NAME, type: "xls", bytes },
    outboundUuid("template", requestId),
    {
      kind: "template",
    },
  );
}

/** 下载模板 in chat: the file, and a line on how to use it. */
export async function onTemplateRequest(msg: InboundMessage, deps: HandlerDeps, log: Logger): Promise<void> {
  const l = await operatorLocale(deps, msg.senderOpenId);
  await sendTemplate(deps, { type: "chat_id", id: msg.chatId }, msg.messageId);
  await answerMessage(
    msg,
    {
      card: card({
        title: tr(l, "活动模板", "Campaign template"),
        template: "blue",
        elements: [
          md(
            tr(
              l,
              "模板已作为文件发给您。按“说明”表填好活动、清单、单位、人员和分工后，把文件直接发给我，我会先检查并给您预览，确认后才导入。",
              "The template has been sent to you as a file. Fill in the sheets as 说明 explains and send the file back to me: I check it and show a preview first; nothing is imported until you confirm.",
            ),
          ),
        ],
      }),
    },
    deps,
  );
  log.info({ chat_id: msg.chatId }, "template sent");
}

const notice = (l: Locale, title: [string, string], text: [string, string], template = false): Card =>
  importNoticeCard({ title, text, locale: l, template });

/**
 * A file sent to the bot in private: only an admin's campaign file (workbook or YAML) is read. Too
 * large, wrong type, unreadable: a clear answer, nothing written. Errors: the error card (and the full
 * list as a .txt when the card cannot hold them). A good file: a pending import and its preview card.
 */
export async function onFileMessage(msg: InboundMessage, deps: HandlerDeps, log: Logger): Promise<void> {
  try {
    await readFileMessage(msg, deps, log);
  } catch (e) {
    // An answer rather than silence (the answer's uuid makes a redelivery answer once).
    log.error(
      { err: e instanceof Error ? e.message : String(e), file: msg.file?.fileName },
      "campaign file failed",
    );
    await answerMessage(
      msg,
      {
        card: notice(
          "zh",
          ["处理文件时出错", "Something went wrong"],
          [
            "处理这个文件时出错了，什么都没有导入。请稍后重新发送；多次失败请联系系统管理员。",
            "Something went wrong with this file; nothing was imported. Send it again later; if it keeps failing, tell the system administrator.",
          ],
        ),
      },
      deps,
    );
  }
}

async function readFileMessage(msg: InboundMessage, deps: HandlerDeps, log: Logger): Promise<void> {
  const l = await operatorLocale(deps, msg.senderOpenId);
  const reply = (c: Card, part = 0) => answerMessage(msg, { card: c }, deps, part);
  const name = msg.file?.fileName || "file";
  const lg = log.child({ file: name, from: msg.senderOpenId });
  if (!(await isSomeAdmin(deps, msg.senderOpenId))) {
    if (await noAdminConfigured(deps)) {
      lg.warn(
        "file refused: no admin is configured (ADMIN_OPEN_IDS empty, the app's owner unreadable, no campaign admin)",
      );
      return reply(
        notice(
          l,
          ["尚未设置管理员", "No admin is set up yet"],
          [
            "还没有人可以通过发送文件导入自查活动，文件未读取。请系统管理员任选其一：在机器人的配置中设置 ADMIN_OPEN_IDS（牵头科室管理员的 open_id）；或在飞书开放平台为应用开通“获取应用信息”权限（admin:app.info:readonly），由应用所有者导入。",
            "No one can import a campaign by file yet; the file was not read. Ask the system administrator to either set ADMIN_OPEN_IDS (the organising office admins' open_ids) in the bot's configuration, or grant the app the scope admin:app.info:readonly on the Feishu developer console so that the app's owner can import.",
          ],
        ),
      );
    }
    lg.info("file from a non-admin: refused, not downloaded");
    return reply(
      notice(
        l,
        ["无法处理文件", "Cannot take this file"],
        [
          "只有牵头科室（管理员）可以通过发送文件导入自查活动。如有问题请联系牵头科室。",
          "Only the organising office (admins) can import a campaign by sending a file. Please contact them.",
        ],
      ),
    );
  }
  if (!msg.file || !CAMPAIGN_FILE_TYPES.test(name)) {
    lg.info("file of a type that is not a campaign file: refused");
    return reply(
      notice(
        l,
        ["文件类型不支持", "Unsupported file type"],
        [
          "我只能读取活动表格（.xlsx，用“下载模板”获取）或活动文件（.yaml）。请把填好的模板发给我。",
          "I can read only a campaign workbook (.xlsx; see 下载模板) or a campaign file (.yaml). Send me the filled template.",
        ],
        true,
      ),
    );
  }
  let bytes: Buffer;
  try {
    const got = await deps.feishu.downloadMessageFile(
      msg.messageId,
      msg.file.fileKey,
      MAX_CAMPAIGN_FILE_BYTES,
    );
    if (got.tooLarge) {
      lg.info({ size: got.size }, "campaign file over 10 MB: refused");
      return reply(
        notice(
          l,
          ["文件太大", "File too large"],
          [
            "文件超过 10 MB，没有读取。活动表格通常远小于此，请删去无关的工作表、图片后再发送。",
            "The file is over 10 MB and was not read. A campaign workbook is far smaller: remove unrelated sheets and pictures and send it again.",
          ],
        ),
      );
    }
    bytes = got.bytes;
  } catch (e) {
    lg.warn({ err: e instanceof Error ? e.message : String(e) }, "campaign file download failed");
    return reply(
      notice(
        l,
        ["文件下载失败", "Could not fetch the file"],
        [
          "没能从飞书取到这个文件，请稍后重新发送。",
          "The file could not be fetched from Feishu; please send it again in a moment.",
        ],
      ),
    );
  }
  const checked = await checkCampaignBytes(deps, bytes, name);
  if (!checked.ok) {
    const attached = checked.errors.length > ERRORS_ON_CARD;
    lg.info({ errors: checked.errors.length }, "campaign file has errors: nothing imported");
    await reply(importErrorsCard({ fileName: name, errors: checked.errors, locale: l, attached }));
    if (attached) {
      const base = name.replace(/\.[^.]+$/, "");
      await sendBytesAsFile(
        deps,
        { type: "chat_id", id: msg.chatId },
        {
          name: `${base}-错误列表.txt`,
          type: "stream",
          bytes: Buffer.from(errorsText(checked.errors, name), "utf8"),
        },
        outboundUuid("import-errors", msg.messageId),
        { delayMs: 1000, kind: "import-errors" },
      );
    }
    return;
  }
  if (!(await mayAdminister(deps, msg.senderOpenId, checked.spec.key))) {
    lg.info({ campaign: checked.spec.key }, "campaign file from someone not its admin: refused");
    return reply(
      notice(
        l,
        ["无法导入", "Not allowed"],
        [
          `活动“${esc(checked.spec.key)}”只能由它的管理员导入或修改，您不在其中。`,
          `Campaign "${esc(checked.spec.key)}" can be imported or changed only by its admins; you are not one of them.`,
        ],
      ),
    );
  }
  const preview = await preparePendingImport(deps, checked.spec, {
    openId: msg.senderOpenId,
    fileName: name,
    fileHash: checked.fileHash,
    orgOpenIds: checked.orgOpenIds,
  });
  lg.info(
    { campaign: checked.spec.key, pending: preview.id, existing: preview.diff.existing },
    "import preview sent",
  );
  await reply(importPreviewCard({ fileName: name, preview, locale: l }));
}
