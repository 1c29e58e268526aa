import type { EmulatorChat, EmulatorUser } from "./types";

/**
 * Demo directory for sandbox runs. Open ids have Feishu's real shape (`ou_` + 32 lowercase hex), so the
 * demo people can be named by open_id in a campaign file like anyone else.
 */
export const DEMO_USERS: EmulatorUser[] = [
  {
    open_id: "ou_0a87a1503f6cce3aa6317040d2c01fb3",
    user_id: "zhangwei",
    name: "张伟",
    email: "zhang.wei@example.com",
    mobile: "+8613800000001",
    locale: "zh_cn",
  },
  {
    open_id: "ou_47a2368e9da719fb81828306d7e98d6b",
    user_id: "lina",
    name: "李娜",
    email: "li.na@example.com",
    mobile: "+8613800000002",
    locale: "zh_cn",
  },
  {
    open_id: "ou_e1d831093d01a4d7d81b63ea5e532b06",
    user_id: "wangfang",
    name: "王芳",
    email: "wang.fang@example.com",
    mobile: "13800000003",
    locale: "zh_cn",
  },
  {
    open_id: "ou_98ed60525f2505b77becb2b38fa8e914",
    user_id: "alexchen",
    name: "Alex Chen",
    email: "alex.chen@example.com",
    mobile: "+8613800000004",
    locale: "en_us",
  },
  {
    open_id: "ou_2ab6c84305424c731b4f813764d20787",
    name: "赵六（不在可用范围）",
    email: "zhao.liu@example.com",
    outOfScope: true,
  },
  { open_id: "ou_ae2f6d411a0c94bef86c8c169a6f4c4d", name: "钱七（已离职）", email: "qian.qi@example.com", departed: true },
];

export const DEMO_CHAT: EmulatorChat = {
  chat_id: "oc_demo_safety_team",
  name: "安全自查工作群",
  members: ["ou_0a87a1503f6cce3aa6317040d2c01fb3", "ou_47a2368e9da719fb81828306d7e98d6b", "ou_e1d831093d01a4d7d81b63ea5e532b06", "ou_98ed60525f2505b77becb2b38fa8e914"],
  botIsMember: true,
};
