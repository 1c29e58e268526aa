import { card, md, note, tr, type Card, type Locale } from "./kit";

/** The help card: what people can ask the bot. Also the answer to a question it does not understand. */
export function helpCard(opts: { locale: Locale; notUnderstood?: string }): Card {
  const l = opts.locale;
  const lines = [
    tr(l, "**可以这样问我：**", "**You can ask me:**"),
    tr(
      l,
      "- 「我的待办」：我还有哪些自查项和整改措施没完成",
      '- "my tasks": what self-checks and measures are still on me',
    ),
    tr(l, "- 「哪些措施逾期了」：逾期的整改措施", '- "which measures are overdue"'),
    tr(l, "- 「谁还没填报」：还没有提交自查的科室和人员", '- "who has not submitted yet"'),
    tr(l, "- 「六正进度」「财务科进度」：完成情况", '- "progress", "progress for 六正"'),
    tr(l, "- 「本周到期的措施」：快到期的整改", '- "what is due this week"'),
    tr(l, "- 「正会风的情况」：某一项的填报情况", '- "status of 正文风": one checklist item'),
    tr(l, "- 「措施12」：某条措施的详情和进展", '- "measure 12": one measure with its history'),
    tr(l, "- 「问题清单」：查摆出的问题", '- "list problems"'),
    tr(
      l,
      "- 「哪些回答疑似敷衍」：疑似复制、套话为主、过于简短的自查回答，可一键退回（科室负责人、分管领导、管理员）",
      '- "which answers look boilerplate": copy-paste, stock-phrase or too-short answers, with a one-click return (heads, leaders, admins)',
    ),
    tr(
      l,
      "- 「导出台账」「生成自查报告」：整改台账（Excel）和自查报告草稿（Word），私信发给您（管理员、科室负责人、分管领导）",
      '- "export the ledger", "draft the report": the ledger (Excel) and a report draft (Word), sent to you privately (admins, heads, leaders)',
    ),
  ];
  const elements: object[] = [];
  if (opts.notUnderstood !== undefined) {
    elements.push(md(tr(l, "抱歉，没有理解这个问题。", "Sorry, I did not understand that.")));
  }
  elements.push(md(lines.join("\n")));
  elements.push(
    note(
      tr(
        l,
        "在群里提问请 @我；回答只包含本群成员都可以看到的内容。",
        "In a group, @mention me; answers show only what every member may see.",
      ),
    ),
  );
  return card({
    title: tr(l, "自查整改助手 · 使用帮助", "Self-inspection assistant · Help"),
    template: "blue",
    elements,
  });
}
