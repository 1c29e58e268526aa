/**
 * The words the parser listens for. Each cue is a list of Chinese fragments and a list of English
 * fragments (regex sources; plain words need no escaping). Chinese text is compared compact (no
 * spaces); English fragments are wrapped in word boundaries and see words separated by one space,
 * lower-cased, apostrophes removed ("hasn't" → "hasnt"). To add a synonym, append it to the right
 * list and add a test line in test/unit/intent.test.ts.
 */

function cue(zh: string[], en: string[] = []): RegExp {
  const parts: string[] = [];
  if (zh.length) parts.push(`(?:${zh.join("|")})`);
  if (en.length) parts.push(`\\b(?:${en.join("|")})\\b`);
  return new RegExp(parts.join("|"), "u");
}

export const CUES = {
  overdue: cue(
    [
      "逾期",
      "超期",
      "过期",
      "延期未完成",
      "到期未完成",
      "已到期",
      "拖期",
      "超过期限",
      "超过截止",
      "过了截止",
      "过了期限",
      // 整改时限: "超过整改时限", "过了完成时限", "时限已过", "没按期完成", "超时的整改"
      "超(?:过|出)了?(?:整改|完成|规定)?(?:时限|期限)",
      "超时限",
      "过了(?:整改|完成|规定)?(?:时限|期限)",
      "(?:时限|期限)已(?:过|到)",
      "(?:没有?|未)按(?:时限|期限|期|时)完成",
      "超时(?=.*(?:整改|措施))",
      "(?:整改|措施).*超时",
    ],
    [
      "overdue",
      "past due",
      "past (?:the |its |their )?deadlines?",
      "missed (?:the |their )?deadlines?",
      "behind schedule",
      "delayed",
    ],
  ),
  /** "late" alone is too common ("I'm running late"); it counts only next to one of these. */
  lateEn: /\blate\b/,
  lateContext: /\b(?:measures?|items?|tasks?|actions?|rectifications?|which|what|anything|list|show)\b/,

  dueSoon: cue(
    ["到期", "快截止", "即将截止", "要截止", "截止日期", "截止时间", "截止期限", "临近截止"],
    ["due", "deadlines?", "expir(?:e|es|ing)", "upcoming", "coming up"],
  ),

  /** Asking who (which units / people), as opposed to what. */
  who: cue(
    [
      "谁",
      "哪些(?:科室|单位|部门|处室|人|同志|干部|同事|人员)",
      "哪个(?:科室|单位|部门|处室|人)",
      "哪几",
      "哪位",
      "名单",
      "还差",
    ],
    ["who", "whom", "which (?:units?|departments?|depts?|people|persons?|teams?|offices?|cadres?)"],
  ),
  /** Not yet filled in / submitted (self-check answers). */
  notFilled: cue(
    [
      "(?:没有|还没|尚未|没|未)有?(?:填|提交|交(?!通|流|集|代|往)|报送|上报|报(?!名|销|道)|回复|反馈|答复|自查)",
      "待(?:填|提交)",
      "还差(?:谁|哪|几|多少)",
    ],
    [
      "(?:not|never) (?:yet )?(?:submitted|filled|answered|responded)",
      "(?:hasnt|havent|didnt|dont|doesnt) (?:i |we |they |he |she )?(?:yet )?(?:submit|submitted|fill|filled|answer|answered|respond|responded)",
      "pending",
      "unsubmitted",
      "missing",
      "yet to (?:submit|answer|fill|respond)",
      "not in yet",
    ],
  ),
  /** Not yet done (work in general). */
  notDone: cue(
    ["(?:没有|还没|尚未|没|未)(?:做|干|完成|弄(?!懂|清|明白|错)|办(?!法)|处理)"],
    [
      "(?:not|never) (?:yet )?(?:done|finished|completed)",
      "unfinished",
      "incomplete",
      "outstanding",
      "(?:hasnt|havent|didnt|dont) (?:i |we )?(?:yet )?(?:done|do|finish|finished|complete|completed)",
    ],
  ),
  submitWord: cue(["提交", "填报", "填写", "交了", "上报"], ["submitted", "filled in", "answered"]),

  /** To-do list words that need no other support. */
  todo: cue(
    [
      "待办",
      "代办",
      "待处理",
      "待完成",
      "还要做什么",
      "还需要做",
      "该做什么",
      "需要做什么",
      // a reviewer's to-dos: "待我审核的", "需要我销号的有哪些"
      "待我(?:审核|审批|确认|销号|处理|签批)",
      "(?:需要|要|等)我(?:审核|审批|确认|销号|处理)",
    ],
    [
      "todos?",
      "to do list",
      "tasks",
      "task list",
      "need to do",
      "have to do",
      "left to do",
      "should i do",
      "must i do",
      "on my plate",
      "left for me",
      "still on me",
      "do i have left",
      "(?:what|anything) (?:do )?i still owe",
      // a reviewer's: "what needs my review", "anything waiting for my approval"
      "(?:needs?|waiting for|awaiting|pending) my (?:review|approval|sign ?off|decision)",
      "for me to (?:review|approve|sign off|close)",
    ],
  ),
  /** To-do words that count only when the question is about me ("你能做什么" is help). */
  todoMine: cue(
    [
      "做什么",
      "干什么",
      "做啥",
      "干啥",
      "要做的",
      "需要做的",
      // everyday verbs: "还有啥要我弄的", "我要处理什么", "我手上还有哪些活", "轮到我做的"
      "要我(?:做|弄|办|处理)",
      "(?:要|需要)处理(?:什么|啥|哪些)",
      "还剩(?:哪些|什么|啥|几项|几个|几件)",
      "还差(?:什么|啥|哪些)",
      "(?:手上|手头|这边)还有(?:哪些|什么|啥|多少|几)",
      "轮到我(?:做|弄|办|处理|填)",
    ],
    ["task", "to do", "do next"],
  ),
  task: cue(["任务"], ["task"]),
  /** Listing words that make a bare 任务 a to-do question. */
  listing: cue([
    "哪些",
    "什么",
    "清单",
    "列表",
    "多少",
    "几个",
    "几项",
    "查看",
    "看看",
    "列出",
    "列一下",
    "有啥",
  ]),

  problems: cue(
    [
      "查摆",
      "问题(?:清单|列表|台账|汇总|有哪些|有什么|有多少)",
      "(?:哪些|什么|多少|几个|几条|几项|啥)问题",
      "问题有?(?:几|多少)",
      "问题的?整改(?:情况|进度|进展)",
      "存在的?问题",
      "(?:发现|查出|找出|找到)[了的]?(?:哪些|什么|多少)?问题",
      "列(?:一下|出)?问题",
      "看(?:看|一下)?问题",
      "^问题$",
      "的问题$",
    ],
    ["problems", "issues", "findings", "problem (?:list|log|ledger|register)"],
  ),
  /** 疑似敷衍 (issue 15): answers flagged as copy-paste, stock phrasing, too short… */
  suspect: cue(
    [
      "敷衍",
      "走过场",
      "应付了事",
      "形式主义的?(?:回答|答复|自查|填报|材料|内容)",
      "(?:回答|答复|自查|填报|材料)[^，。]{0,4}形式主义",
      "套话",
      "照抄",
      "抄袭",
      "雷同",
      "复制粘贴",
      "千篇一律",
      "(?:回答|答复|内容|材料)(?:重复|相同|一样)",
    ],
    [
      "copy ?paste[sd]?",
      "copied answers?",
      "boilerplate",
      "suspect answers?",
      "suspicious answers?",
      "flagged answers?",
      "recycled answers?",
      "going through the motions",
      "box ?ticking",
    ],
  ),
  /** Phrases with 问题 that are not about the problem list; masked before the problems cue. */
  notProblems: cue(
    ["没有?问题", "没啥问题", "不是问题", "有一?个问题", "问一?个问题", "一个问题", "请问"],
    ["no problems?", "no issues?", "not a problem"],
  ),

  progress: cue(
    [
      "进度",
      "进展",
      "完成(?:情况|多少|了多少|率|度|比例|比率|得怎么样|得如何|得咋样)",
      "(?:整体|总体|推进|开展|落实|填报|提交|自查|整改)情况",
      "(?:整体|总体|整改|自查|推进)(?:得|的)?(?:怎么样|如何|咋样)",
      "(?:填|交|报|做)得(?:怎么样|如何|咋样|怎样)",
      "(?:提交|填|交|报)了多少",
      "多少个?(?:科室|单位|部门|人)?已?经?(?:提交|填报|填了|完成)",
      "几个(?:科室|单位|部门)?已?经?(?:提交|填报|完成)",
      "统计",
      "概况",
      "总览",
      "到哪一步",
      "到什么程度",
    ],
    [
      "progress",
      "how far",
      "completion",
      "how much (?:is |has been |have we )?(?:done|complete|completed|finished)",
      "how many .*(?:submitted|done|finished|completed)",
      "overview",
      "status",
      "stats",
      "statistics",
      "how (?:is |are |s |re )?(?:the |our |we |it |things |everything )?(?:campaign |self ?inspection |self ?checks? |rectification |work |it |things |everything )?(?:going|doing|coming along|getting on)",
      "where are we",
    ],
  ),
  /** Weak status words: enough when a unit, section or item is named, never on their own. */
  status: cue(
    [
      "情况",
      "怎么样",
      "如何",
      "咋样",
      "怎样",
      "进展",
      "进度",
      "状态",
      "填得",
      "填了没",
      "填了吗",
      "完成了吗",
      "完成没",
      "好了没",
      "详情",
    ],
    ["status", "how is", "how about", "progress", "update", "details", "how are", "how did"],
  ),

  help: cue(
    [
      "帮助",
      "怎么用",
      "怎么使用",
      "如何用",
      "如何使用",
      "使用(?:说明|方法|指南)",
      "用法",
      "说明书",
      "(?:有什么|有哪些)功能",
      "功能(?:列表|介绍)",
      "(?:能|会|可以)(?:帮我)?(?:做|干)(?:什么|啥|些什么)",
      "你会什么",
      "你是谁",
      "你是干什么的",
      "指令",
      "命令",
      "菜单",
    ],
    [
      "help",
      "usage",
      "commands",
      "how (?:do i|to|can i|should i) use",
      "what can you do",
      "what do you do",
      "what can i ask",
      "menu",
      "instructions",
      "manual",
      "who are you",
      "features",
    ],
  ),

  /** Admin command: send the progress broadcast. Needs a sending verb and a report word. */
  sendZh:
    /(?:发送|发布|推送|群发|广播|下发|发出|发一下|发一份|发个|^发)[^吗么]{0,10}(?:通报|简报)|(?:通报|简报)[^吗么]{0,8}(?:发送|发布|推送|群发|广播|发到|发出|发给大家|发一下|发群)/u,
  sendEn:
    /\b(?:send|post|broadcast|publish|push|share)\b(?! me\b).*\b(?:report|summary|digest|bulletin|update)\b/,
  /** A personal request ("发我进度通报") is a progress question, not the broadcast command. */
  sendToMe: /发我|发给我|给我发|\bsend me\b/u,
  /** Any talk of sending the broadcast; without a command form it is a question about it. */
  aboutSending:
    /(?:通报|简报)[^]*(?:发|推|广播)|(?:发|推送|广播)[^]*(?:通报|简报)|\b(?:sent|send|post|posted|broadcast)\b.*\b(?:report|summary|digest|bulletin)\b/u,
  /** Questions about the command are not the command (and not a question we answer). */
  notSend: /吗|么|没|是否|什么时候|何时|几点|谁|^(?:did|has|have|was|when|is|were|why|who|where)\b/u,
  reportWhen:
    /(?:通报|简报)[^]*(?:什么时候|何时|几点)|(?:什么时候|何时|几点)[^]*(?:通报|简报)|\bwhen\b.*\b(?:report|summary)\b/u,

  /** Export commands: a making verb and the ledger / the self-inspection report (issue 11). */
  exportLedger:
    /(?:导出|生成|下载|输出|打印|出一份|做一份|发一份|发一下|发我|发给我|传一下|传给我|要一份|给我一份|拉一份)[^吗么]{0,12}台账|台账[^吗么]{0,6}(?:导出|下载|生成|发(?:我|给我)|传(?:我|给我))|\b(?:export|download|generate|produce|create|get|send)\b.*\b(?:ledger|spreadsheet|xlsx)\b/u,
  exportReport:
    /^(?:帮我|请|给我)?(?:生成|起草|草拟|撰写)(?:一份|一下)?报告$|(?:生成|起草|草拟|撰写|导出|下载|输出|出一份|写一份|做一份|要一份|给我一份|发一份|发一下|发我|发给我)[^吗么]{0,12}(?:自查|整改)(?:情况)?报告|(?:自查|整改)(?:情况)?报告[^吗么]{0,6}(?:生成|起草|导出|下载|发(?:我|给我))|\b(?:draft|export|download|generate|produce|create|write|get)\b.*\b(?:the|a|self[ -]?inspection|self[ -]?check|inspection)\b.*\breport\b|\bdraft\b.*\breport\b|\bsend (?:me|over)\b(?!.*\b(?:progress|summary|digest|bulletin)\b).*\breport\b/u,
  /** 同步通讯录: re-read the organisation from the address book (admins; issue 13 §3). */
  syncOrg:
    /(?:同步|更新|刷新|重新读取|重新同步)(?:一下)?(?:飞书)?(?:通讯录|组织架构|组织机构|人员名单)|\b(?:sync|resync|refresh|update)\b.*\b(?:address book|contacts|org chart|organi[sz]ation|directory)\b/u,
  /** "How do I fill this in" is a usage question. */
  howToUse: cue(
    ["(?:怎么|如何|怎样)(?:填|提交|报(?!销|名)|写|操作|回复|反馈|销号|申请|发送|发布)"],
    ["how (?:do|can|should) i (?:submit|fill|answer|report|close)"],
  ),
  /** "What happens if / what do I do about …" asks for advice we do not give. */
  advice: cue(
    ["怎么办", "怎么算", "怎么处理", "如何处理", "怎么弄", "会怎样", "会怎么样", "有什么后果", "什么后果"],
    ["what happens if", "what if", "what do i do about", "what should i do about"],
  ),
  /** "本周要完成的措施": a deadline said without 到期. */
  mustFinish: /(?:要|需|须|需要|必须|应|应当)完成|截止/u,

  measureWord: cue(["措施", "整改"], ["measures?", "actions?", "rectifications?"]),
} as const;

/** Unit scope without a unit name. `我处` must not read 我处理. */
export const UNIT_SCOPE = cue(
  [
    "我们(?:科室|科|处室|处|单位|部门|股|办)",
    "咱们?(?:科室|科|处室|处|单位|部门)",
    "我(?:科|处|单位|部门)(?!理|置|学)",
    "本(?:科室|处室|单位|部门|科|处)(?!理|置|学)",
    "自己科室",
  ],
  ["(?:our|my) (?:unit|department|dept|office|team|division)"],
);

/** Everyone, said explicitly. */
export const ALL_SCOPE = cue(
  [
    "全部",
    "所有",
    "全局",
    "全体",
    "整体",
    "总体",
    "全单位",
    "本局",
    "我们局",
    "各科室",
    "各单位",
    "各部门",
    "全员",
  ],
  ["all", "overall", "everyone", "everybody", "whole", "entire"],
);

/** "我" as the asker rather than the owner: removed before looking for "mine". */
export const ASKER = cue(
  [
    "帮我",
    "给我",
    "告诉我",
    "让我",
    "叫我",
    "发给?我",
    "我想(?:看|知道|了解|问|查)",
    "我要(?:看|查|了解|知道)",
    "我(?:看|问|查)(?!摆)",
  ],
  [
    "show me",
    "tell me",
    "give me",
    "let me",
    "send me",
    "help me",
    "can i",
    "could i",
    "may i",
    "i (?:want|need|would like|wd like) to (?:see|know|check)",
    "id like to (?:see|know|check)",
    "i wonder",
  ],
);

export const MINE = cue(["我(?!们)", "本人"], ["my", "mine", "me", "i", "im", "ive", "myself"]);
