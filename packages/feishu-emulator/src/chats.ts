/** Chats: `GET /open-apis/im/v1/chats/:chat_id` and `/members`. */
import { type Request, type Response } from "express";
import { Codes, fieldValidation } from "./codes";
import { MEMBER_ID_TYPES, str } from "./shared";
import { EmulatorState } from "./state";

export function handleChatGet(s: EmulatorState, req: Request, res: Response): void {
  const id = String(req.params.chat_id);
  const p2pUser = s.p2p.get(id);
  if (p2pUser) {
    const u = s.users.get(p2pUser);
    return s.ok(req, res, {
      avatar: "",
      name: u?.name ?? "",
      description: "",
      owner_id_type: "open_id",
      owner_id: p2pUser,
      chat_mode: "p2p",
      chat_type: "private",
      external: false,
      tenant_key: s.tenantKey,
      user_count: "1",
      bot_count: "1",
    });
  }
  const chat = s.chats.get(id);
  if (!chat) return s.fail(req, res, Codes.chatIdInvalid());
  if (!chat.botIsMember) return s.fail(req, res, Codes.operatorNotInChat());
  s.ok(req, res, {
    avatar: "",
    name: chat.name,
    description: "",
    i18n_names: { zh_cn: chat.name, en_us: chat.name, ja_jp: chat.name },
    add_member_permission: "all_members",
    share_card_permission: "allowed",
    at_all_permission: "all_members",
    edit_permission: "all_members",
    owner_id_type: "open_id",
    owner_id: chat.members[0] ?? "",
    chat_mode: "group",
    chat_type: "private",
    chat_tag: "inner",
    join_message_visibility: "all_members",
    leave_message_visibility: "all_members",
    membership_approval: "no_approval_required",
    moderation_permission: "all_members",
    external: false,
    tenant_key: s.tenantKey,
    user_count: String(chat.members.length),
    bot_count: "1",
    chat_status: "normal",
  });
}

export function handleChatMembers(s: EmulatorState, req: Request, res: Response): void {
  const id = String(req.params.chat_id);
  const chat = s.chats.get(id);
  if (!chat) return s.fail(req, res, Codes.chatIdInvalid());
  if (!chat.botIsMember) return s.fail(req, res, Codes.operatorNotInChat());
  const idType = str(req.query.member_id_type) ?? "open_id";
  if (!MEMBER_ID_TYPES.includes(idType)) return s.fail(req, res, Codes.memberIdTypeUnsupported());
  const sizeRaw = str(req.query.page_size);
  const size = sizeRaw === undefined || sizeRaw === "" ? 20 : Number(sizeRaw);
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    return s.fail(
      req,
      res,
      fieldValidation([{ field: "page_size", description: "page_size must be an integer in [1, 100]" }]),
    );
  }
  const tokenRaw = str(req.query.page_token) ?? "";
  let offset = 0;
  if (tokenRaw) {
    const m = /^o(\d+)$/.exec(Buffer.from(tokenRaw, "base64url").toString("utf8"));
    if (!m) return s.fail(req, res, Codes.chatParamInvalid("invalid page_token"));
    offset = Number(m[1]);
  }
  const all = chat.members.map((openId) => {
    const u = s.users.get(openId);
    const memberId =
      idType === "open_id" ? openId : idType === "union_id" ? (u?.union_id ?? "") : (u?.user_id ?? "");
    return { member_id_type: idType, member_id: memberId, name: u?.name ?? "", tenant_key: s.tenantKey };
  });
  const items = all.slice(offset, offset + size);
  const hasMore = offset + size < all.length;
  s.ok(req, res, {
    items,
    page_token: hasMore ? Buffer.from(`o${offset + size}`).toString("base64url") : "",
    has_more: hasMore,
    member_total: all.length,
  });
}
