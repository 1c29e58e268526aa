import type { EmulatorChat, EmulatorUser } from "./types";

/** Demo directory for sandbox runs. */
export const DEMO_USERS: EmulatorUser[] = [
  {
    open_id: "ou_demo_zhang_wei",
    user_id: "zhangwei",
    name: "张伟",
    email: "zhang.wei@example.com",
    mobile: "+8613800000001",
    locale: "zh_cn",
  },
  {
    open_id: "ou_demo_li_na",
    user_id: "lina",
    name: "李娜",
    email: "li.na@example.com",
    mobile: "+8613800000002",
    locale: "zh_cn",
  },
  {
    open_id: "ou_demo_wang_fang",
    user_id: "wangfang",
    name: "王芳",
    email: "wang.fang@example.com",
    mobile: "13800000003",
    locale: "zh_cn",
  },
  {
    open_id: "ou_demo_alex_chen",
    user_id: "alexchen",
    name: "Alex Chen",
    email: "alex.chen@example.com",
    mobile: "+8613800000004",
    locale: "en_us",
  },
  {
    open_id: "ou_demo_out_of_scope",
    name: "赵六（不在可用范围）",
    email: "zhao.liu@example.com",
    outOfScope: true,
  },
  { open_id: "ou_demo_departed", name: "钱七（已离职）", email: "qian.qi@example.com", departed: true },
];

export const DEMO_CHAT: EmulatorChat = {
  chat_id: "oc_demo_safety_team",
  name: "安全自查工作群",
  members: ["ou_demo_zhang_wei", "ou_demo_li_na", "ou_demo_wang_fang", "ou_demo_alex_chen"],
  botIsMember: true,
};
