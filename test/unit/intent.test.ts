import { readFileSync } from "node:fs";
import type { ChecklistSpec } from "../../src/domain/types";
import { describe, expect, it } from "vitest";
import { buildDictionary, parseIntent, type IntentSlots } from "../../src/intent";
import { CHECKLIST, DICT, UNITS } from "../helpers/intent-dict";

describe("query-examples.tsv", () => {
  const rows = readFileSync(new URL("../fixtures/query-examples.tsv", import.meta.url), "utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() && !line.startsWith("#"))
    .map((line) => {
      const [text, intent, slots] = line.split("\t");
      return { text, intent, slots: JSON.parse(slots) as Record<string, unknown> };
    });

  it("has the examples", () => expect(rows.length).toBeGreaterThanOrEqual(59));

  it.each(rows)("$text → $intent", ({ text, intent, slots }) => {
    const parsed = parseIntent(text, DICT);
    expect(parsed.intent).toBe(intent);
    // Only the listed slots are compared, as the file's header says.
    for (const [key, value] of Object.entries(slots)) {
      expect(parsed.slots[key as keyof IntentSlots], key).toEqual(value);
    }
  });
});

/** Other phrasings of the same questions; the whole slot object is compared. */
const PHRASINGS: [string, string, IntentSlots?][] = [
  // overdue_measures
  ["有哪些逾期的整改措施", "overdue_measures"],
  ["超期的措施有哪些", "overdue_measures"],
  ["人事科逾期措施", "overdue_measures", { scope: "unit", unit: "人事科" }],
  ["政策法规逾期了吗", "overdue_measures", { scope: "unit", unit: "政策法规科" }],
  ["我们科有没有过期的整改", "overdue_measures", { scope: "unit" }],
  ["所有逾期措施", "overdue_measures", { scope: "all" }],
  ["正行风逾期的措施", "overdue_measures", { item: "正行风" }],
  ["list all overdue measures", "overdue_measures", { scope: "all" }],
  ["which actions are late", "overdue_measures"],
  ["anything past due?", "overdue_measures"],
  ["show me my overdue items", "overdue_measures", { scope: "mine" }],
  ["which measures are overdue in 人事科", "overdue_measures", { scope: "unit", unit: "人事科" }],
  ["my unit overdue measures", "overdue_measures", { scope: "unit" }],
  // my_todos
  ["我的待办有哪些", "my_todos", { scope: "mine" }],
  ["我还需要做什么", "my_todos", { scope: "mine" }],
  ["我该做什么", "my_todos", { scope: "mine" }],
  ["我还有哪些任务", "my_todos", { scope: "mine" }],
  ["我还有什么没完成", "my_todos", { scope: "mine" }],
  ["我负责的措施", "my_todos", { scope: "mine" }],
  ["财务科的待办", "my_todos", { scope: "unit", unit: "财务科" }],
  ["what's on my plate", "my_todos", { scope: "mine" }],
  ["what should I do next", "my_todos", { scope: "mine" }],
  ["my todo list", "my_todos", { scope: "mine" }],
  ["what haven't I submitted", "my_todos", { scope: "mine" }],
  ["my pending items", "my_todos", { scope: "mine" }],
  ["my measures", "my_todos", { scope: "mine" }],
  // pending_items
  ["人事科还有谁没填", "pending_items", { scope: "unit", unit: "人事科" }],
  ["我们科谁还没提交", "pending_items", { scope: "unit" }],
  ["哪些单位还没报送", "pending_items"],
  ["还差谁没交", "pending_items"],
  ["还有哪些没填", "pending_items"],
  ["六查还有哪些没填", "pending_items", { section: "六查" }],
  ["正行风还有谁没填", "pending_items", { item: "正行风" }],
  ["哪些科室逾期未提交自查", "pending_items"],
  ["which units haven't submitted", "pending_items"],
  ["who is missing", "pending_items"],
  ["which departments have not answered yet", "pending_items"],
  ["who hasn't filled in 六查", "pending_items", { section: "六查" }],
  // progress
  ["总体进度", "progress", { scope: "all" }],
  ["全局完成情况如何", "progress", { scope: "all" }],
  ["多少科室已经提交了", "progress"],
  ["哪些科室提交了", "progress"],
  ["自查推进得怎么样", "progress"],
  ["整改情况", "progress"],
  ["哪些措施还没完成", "progress"],
  ["文化艺术科进展如何", "progress", { scope: "unit", unit: "文化艺术科" }],
  ["旅游发展科怎么样了", "progress", { scope: "unit", unit: "旅游发展科" }],
  ["六正完成得怎么样", "progress", { section: "六正" }],
  ["两个提高进度", "progress", { section: "两提高" }],
  ["你好，进度怎么样", "progress"],
  ["发我进度", "progress"],
  ["progress of 人事科", "progress", { scope: "unit", unit: "人事科" }],
  ["how far along is 财务科", "progress", { scope: "unit", unit: "财务科" }],
  ["overall progress", "progress", { scope: "all" }],
  ["our unit's progress", "progress", { scope: "unit" }],
  ["how many units have submitted", "progress"],
  ["what's the status", "progress"],
  ["send me the progress report", "progress"],
  // due_soon
  ["这周有哪些措施要到期", "due_soon", { days: 7 }],
  ["下周到期的整改", "due_soon", { days: 14 }],
  ["五个工作日内到期的措施", "due_soon", { days: 5 }],
  ["一周内到期", "due_soon", { days: 7 }],
  ["今天到期的措施", "due_soon", { days: 0 }],
  ["本周要完成的措施", "due_soon", { days: 7 }],
  ["我本周到期的措施", "due_soon", { scope: "mine", days: 7 }],
  ["三天内到期的正会风措施", "due_soon", { item: "正会风", days: 3 }],
  ["tomorrow's deadlines", "due_soon", { days: 1 }],
  ["what's due today", "due_soon", { days: 0 }],
  ["upcoming deadlines", "due_soon"],
  ["measures due next week", "due_soon", { days: 14 }],
  ["due within five days", "due_soon", { days: 5 }],
  // item_status (including items that are not in the tsv)
  ["四风", "item_status", { item: "查“四风”是否反弹" }],
  ['查"四风"是否反弹', "item_status", { item: "查“四风”是否反弹" }],
  ["四风整改情况", "item_status", { item: "查“四风”是否反弹" }],
  ["政令畅通情况怎么样", "item_status", { item: "查政令是否畅通" }],
  ["二查政令填得怎么样", "item_status", { item: "查政令是否畅通" }],
  ["查党建进展", "item_status", { item: "查党建是否规范" }],
  ["党建规范吗", "item_status", { item: "查党建是否规范" }],
  ["三查进度", "item_status", { item: "查党建是否规范" }],
  ["一查立场", "item_status", { item: "查立场是否坚定" }],
  ["查立场", "item_status", { item: "查立场是否坚定" }],
  ["查管理", "item_status", { item: "查管理是否科学" }],
  ["群众满意度怎么样", "item_status", { item: "提高群众满意度" }],
  ["提高工作效能进展", "item_status", { item: "提高工作效能" }],
  ["家风情况", "item_status", { item: "正家风" }],
  ["六正第四项情况", "item_status", { section: "六正", item: "正会风" }],
  ["how is 正学风 going", "item_status", { item: "正学风" }],
  // measure_detail
  ["措施 3 进展如何", "measure_detail", { measureId: 3 }],
  ["第十二条措施", "measure_detail", { measureId: 12 }],
  ["12号措施怎么样了", "measure_detail", { measureId: 12 }],
  ["措施编号8", "measure_detail", { measureId: 8 }],
  ["第三条整改措施", "measure_detail", { measureId: 3 }],
  ["＃７ 进展", "measure_detail", { measureId: 7 }],
  ["show measure #21", "measure_detail", { measureId: 21 }],
  ["ｍｅａｓｕｒｅ　１２", "measure_detail", { measureId: 12 }],
  ["measure twelve", "measure_detail", { measureId: 12 }],
  ["details of measure 5", "measure_detail", { measureId: 5 }],
  // problem_list
  ["财务科发现了哪些问题", "problem_list", { scope: "unit", unit: "财务科" }],
  ["存在的问题有哪些", "problem_list"],
  ["我们科的问题", "problem_list", { scope: "unit" }],
  ["正行风有哪些问题", "problem_list", { item: "正行风" }],
  ["四风方面查摆出什么问题", "problem_list", { item: "查“四风”是否反弹" }],
  ["what problems were found", "problem_list"],
  ["show issues for 办公室", "problem_list", { scope: "unit", unit: "办公室" }],
  ["problem list", "problem_list"],
  // help
  ["请问你是谁", "help"],
  ["有什么功能", "help"],
  ["使用说明", "help"],
  ["正会风怎么填", "help"],
  ["怎么发送进度通报", "help"],
  ["how do I use this", "help"],
  ["what can you do", "help"],
  ["commands", "help"],
  ["help?", "help"],
  ["？？", "help"],
  // send_summary: explicit command wording only
  ["发一下进度通报", "send_summary"],
  ["把进度通报发到群里", "send_summary"],
  ["推送六查进度通报", "send_summary", { section: "六查" }],
  ["broadcast the summary", "send_summary"],
  ["please send the progress summary to the group", "send_summary"],
  // export_ledger / export_report: a making verb and the ledger or the report (issue 11)
  ["导出台账", "export_ledger"],
  // sync_org: re-read the address book (issue 13 §3)
  ["同步通讯录", "sync_org"],
  ["更新一下组织架构", "sync_org"],
  ["sync the address book", "sync_org"],
  ["通讯录同步了吗", "unknown"],
  ["导出办公室的整改台账", "export_ledger", { scope: "unit", unit: "办公室" }],
  ["帮我下载财务科整改台账", "export_ledger", { scope: "unit", unit: "财务科" }],
  ["export the ledger", "export_ledger"],
  ["生成自查报告", "export_report"],
  ["起草一份自查情况报告", "export_report"],
  ["draft the report", "export_report"],
  ["帮我起草报告", "export_report"],
  ["generate the self-inspection report", "export_report"],
  ["自查报告什么时候交", "unknown"],
  ["台账导出了吗", "unknown"],
  // unknown: chit-chat and look-alikes
  ["谢谢", "unknown"],
  ["收到", "unknown"],
  ["好的", "unknown"],
  ["hello", "unknown"],
  ["good morning", "unknown"],
  ["thanks", "unknown"],
  ["how are you", "unknown"],
  ["what's the weather today", "unknown"],
  ["明天几点开会", "unknown"],
  ["帮我订个会议室", "unknown"],
  ["我今天很忙", "unknown"],
  ["我迟到了", "unknown"],
  ["I'm running late", "unknown"],
  ["任务很重", "unknown"],
  ["这个任务很难", "unknown"],
  ["我有个问题", "unknown"],
  ["好的没问题", "unknown"],
  // English names of the sections, and English "how is it going" questions
  ["How is the six corrections going?", "progress", { section: "六正" }],
  ["how are we doing on the 6 checks", "progress", { section: "六查" }],
  ["status of the two improvements", "progress", { section: "两提高" }],
  ["what's overdue in the six corrections", "overdue_measures", { section: "六正" }],
  ["How's the campaign going?", "progress"],
  ["where are we", "progress"],
  ["is the meeting going ahead", "unknown"],
  // Everyday Chinese: a reviewer's to-dos, "send me" as an export command, "还差谁"
  ["待我审核的", "my_todos", { scope: "mine" }],
  ["需要我销号的有哪些", "my_todos", { scope: "mine" }],
  ["给我发一下台账", "export_ledger"],
  ["把台账发给我", "export_ledger"],
  ["把自查报告发我", "export_report"],
  ["台账发了吗", "unknown"],
  ["大家填得怎么样了", "progress"],
  ["还差谁", "pending_items"],
  ["what needs my review", "my_todos", { scope: "mine" }],
  ["anything waiting for my approval?", "my_todos", { scope: "mine" }],
  ["send me the ledger", "export_ledger"],
  ["can you send me the report", "export_report"],
  ["send the progress report", "send_summary"],
  ["did you send the ledger?", "unknown"],
  ["no problem", "unknown"],
  ["措施", "unknown"],
  ["整改", "unknown"],
  ["第一次用", "unknown"],
  ["我的电话是13800000000", "unknown"],
  ["#general", "unknown"],
  ["逾期了怎么办", "unknown"],
  ["进度通报发了吗", "unknown"],
  ["进度通报什么时候发", "unknown"],
  ["did you send the summary", "unknown"],
  ["我也没办法", "unknown"],
  ["怎么报销", "unknown"],
  ["", "unknown"],
];

describe("other phrasings", () => {
  it("has at least 40 of them", () => expect(PHRASINGS.length).toBeGreaterThanOrEqual(40));

  it.each(PHRASINGS)("%s → %s", (text, intent, slots = {}) => {
    expect(parseIntent(text, DICT)).toEqual({ intent, slots });
  });
});

describe("limits", () => {
  it("does not parse long text (a pasted narrative), and stays fast on it", () => {
    const started = performance.now();
    expect(parseIntent("哪些措施逾期了".repeat(100), DICT)).toEqual({ intent: "unknown", slots: {} });
    expect(parseIntent("通报".repeat(5000), DICT).intent).toBe("unknown");
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe("mentions", () => {
  const mentions = [
    { key: "@_user_1", openId: "ou_bot", isBot: true },
    { key: "@_user_2", openId: "ou_zhang" },
  ];

  it("strips mention keys and reports people other than the bot", () => {
    expect(parseIntent("@_user_1 我的待办", DICT, { mentions: mentions.slice(0, 1) })).toEqual({
      intent: "my_todos",
      slots: { scope: "mine" },
    });
    expect(parseIntent("@_user_1 @_user_2 还有什么没做", DICT, { mentions })).toEqual({
      intent: "my_todos",
      slots: { people: ["ou_zhang"] },
    });
  });

  it("a bare mention is unknown, a mention with a question mark is help", () => {
    expect(parseIntent("@_user_1", DICT, { mentions }).intent).toBe("unknown");
    expect(parseIntent("@_user_1 ？", DICT, { mentions }).intent).toBe("help");
  });
});

describe("buildDictionary", () => {
  it("lists units, section codes and items with their section", () => {
    expect(DICT.units).toEqual(UNITS);
    expect(DICT.sections.map((s) => s.code)).toEqual(["六查", "六正", "两提高"]);
    expect(DICT.items).toHaveLength(14);
    expect(DICT.items[5]).toEqual({ title: "查“四风”是否反弹", section: "六查" });
  });

  it("prefers the longest unit name", () => {
    const dict = buildDictionary({ units: ["财务科", "财务科二组"], checklist: CHECKLIST });
    expect(parseIntent("财务科二组进度", dict).slots.unit).toBe("财务科二组");
    expect(parseIntent("财务科进度", dict).slots.unit).toBe("财务科");
  });
});

describe("speed", () => {
  it("parses 10,000 questions in under 2 s with 200 units and 50 items", () => {
    const units = Array.from({ length: 200 }, (_, i) => `业务${i}科`);
    const extra = Array.from({ length: 36 }, (_, i) => `查事项${i}是否落实`);
    const big: ChecklistSpec = {
      ...CHECKLIST,
      sections: [
        ...CHECKLIST.sections,
        {
          key: "x",
          code: "专项",
          title: "专项",
          items: extra.map((title, i) => ({ key: `x${i}`, title, checkpoints: [] })),
        },
      ],
    };
    const dict = buildDictionary({ units, checklist: big });
    const questions = [...PHRASINGS.map((p) => p[0]), "业务150科逾期的措施", "查事项30是否落实情况"];
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) parseIntent(questions[i % questions.length], dict);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(parseIntent("业务150科逾期的措施", dict).slots.unit).toBe("业务150科");
  });
});
