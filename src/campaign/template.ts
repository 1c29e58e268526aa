/**
 * Built-in checklist templates.
 *
 * `jgzf-6-6-2` is the "六查 · 六正 · 两提高" checklist of the 机关作风突出问题专项整治 campaign that the
 * seed report follows. Titles are canonical (other code and reports match on them); the checkpoints are
 * guidance written for this product, generalised from what such reports check against.
 *
 * Templates are deeply frozen: copy before changing (the campaign file loader does).
 */
import type { ChecklistSpec } from "../domain/types";

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

export const BUILTIN_TEMPLATE: ChecklistSpec = deepFreeze<ChecklistSpec>({
  key: "jgzf-6-6-2",
  title: "机关作风突出问题专项整治（六查·六正·两提高）",
  sections: [
    {
      key: "liucha",
      code: "六查",
      title: "聚焦“六查”，深入查摆问题",
      items: [
        {
          key: "c1",
          title: "查立场是否坚定",
          checkpoints: [
            "是否把学习贯彻习近平新时代中国特色社会主义思想作为首要政治任务，理论学习制度化、常态化、见实效",
            "是否严格落实“三会一课”、理论学习中心组学习等制度，做到学懂弄通、学用结合",
            "是否严格执行重大事项请示报告制度，重大决策集体研究，不搞“一言堂”",
            "是否牢固树立“四个意识”、坚定“四个自信”、做到“两个维护”，在政治立场、政治方向上同党中央保持高度一致",
          ],
        },
        {
          key: "c2",
          title: "查政令是否畅通",
          checkpoints: [
            "上级决策部署是否及时传达、不折不扣落实，有无打折扣、搞变通、推诿敷衍、选择性执行",
            "是否做到思想上认同组织、政治上依靠组织、工作上服从组织",
            "重点任务是否明确责任人和时限，推进情况有跟踪、有反馈、有结果",
            "群众和企业反映的问题、难题是否及时回应、推动解决",
          ],
        },
        {
          key: "c3",
          title: "查党建是否规范",
          checkpoints: [
            "党建工作责任制是否落实，做到有计划、有部署、有落实、有总结",
            "“三会一课”、组织生活会、民主评议党员、领导干部双重组织生活等制度是否按要求落实",
            "党员信息登记、党费收缴使用管理等基础工作是否规范",
            "党组织设置、按期换届、党务干部队伍建设是否规范",
            "党建与业务是否深度融合，有无“两张皮”现象",
          ],
        },
        {
          key: "c4",
          title: "查管理是否科学",
          checkpoints: [
            "岗位职责是否明确，主要负责人“第一责任人”职责和班子成员“一岗双责”是否落实",
            "是否严格执行议事规则和“三重一大”集体决策制度",
            "问责追责是否到位，苗头性、倾向性问题是否及时提醒纠正、立行立改",
            "考勤、值班、公务用车、“三公”经费、个人有关事项报告等内部管理制度是否健全并严格执行",
          ],
        },
        {
          key: "c5",
          title: "查履职是否尽责",
          checkpoints: [
            "重点工作是否按期推进，有无消极应付、推诿扯皮、拖延缓办",
            "部门之间协调联动机制和权力运行约束机制是否健全",
            "服务群众和企业的质量、效率如何，审批办事是否便捷高效",
            "是否主动担当作为，敢于攻坚克难、解决历史遗留问题",
          ],
        },
        {
          key: "c6",
          title: "查“四风”是否反弹",
          checkpoints: [
            "中央八项规定精神是否严格落实，“四风”特别是隐形变异问题有无反弹",
            "办公用房、公务用车、津补贴发放等是否符合规定",
            "形式主义、官僚主义问题线索是否常态化排查，做到件件有着落、事事有回音",
            "警示教育、廉政谈话、提醒谈话是否经常开展，问题是否解决在萌芽状态",
            "厉行节约、反对铺张浪费是否落到实处",
          ],
        },
      ],
    },
    {
      key: "liuzheng",
      code: "六正",
      title: "对照“六正”，全面端正作风",
      items: [
        {
          key: "z1",
          title: "正学风",
          checkpoints: [
            "理论学习是否系统深入，有无学用脱节、以会代学、流于形式",
            "是否做到学以致用、用以促学，用理论指导业务实践",
            "是否深入基层一线调查研究，听取群众意见、帮助解决实际问题",
          ],
        },
        {
          key: "z2",
          title: "正政风",
          checkpoints: [
            "是否严守政治纪律和政治规矩，有无“机关病”、衙门作风",
            "是否对照党章党规查找差距，认真开展批评与自我批评",
            "有无办事效率低下、吃拿卡要、庸懒散拖等问题",
          ],
        },
        {
          key: "z3",
          title: "正行风",
          checkpoints: [
            "是否围绕主责主业开展模范机关创建，对标对表抓落实",
            "服务窗口和行业管理是否规范，有无损害群众利益的行业不正之风",
            "风险岗位排查、“一岗双责”落实情况如何",
            "是否通过示范岗、志愿服务等方式密切联系群众",
          ],
        },
        {
          key: "z4",
          title: "正会风",
          checkpoints: [
            "会议是否精简，坚持开短会、开解决问题的会",
            "参会范围是否精准，与会议无关的单位和人员不参会",
            "会议纪律是否严明，会前、会中、会后各环节要求是否落实",
            "会议议定事项是否跟踪督办、落到实处",
          ],
        },
        {
          key: "z5",
          title: "正文风",
          checkpoints: [
            "发文数量是否精简，能合并的合并、能不发的不发",
            "文稿是否观点鲜明、内容简洁、表述准确，有无空话套话",
            "文稿审核把关责任是否落实，注重针对性、指导性和可操作性",
          ],
        },
        {
          key: "z6",
          title: "正家风",
          checkpoints: [
            "是否注重家庭、家教、家风，领导干部带头培育良好家风",
            "是否发掘宣传身边先进典型和文明家庭，发挥示范带动作用",
            "是否通过警示教育、廉政谈话加强对干部及其家属的廉洁教育",
            "有无利用职务便利为亲属谋取利益等问题",
          ],
        },
      ],
    },
    {
      key: "lianggaotigao",
      code: "两提高",
      title: "围绕“两提高”，提升服务质效",
      items: [
        {
          key: "t1",
          title: "提高工作效能",
          checkpoints: [
            "是否形成一把手负总责、班子成员各负其责、层层压实责任的工作机制",
            "有无“为官不为”、办事拖沓、效率低下等问题",
            "首问负责、限时办结等制度是否落实，专人负责、跟踪到底",
            "日常监督是否严格，作风问题是否及时谈话提醒、批评教育",
          ],
        },
        {
          key: "t2",
          title: "提高群众满意度",
          checkpoints: [
            "是否聚焦群众急难愁盼，为群众办实事、解难题",
            "是否深入基层和企业调研，广泛听取意见建议、掌握第一手情况",
            "群众反映的问题是否逐一梳理、限时回应解决",
            "群众和服务对象的获得感、满意度是否有提升，有无评价反馈渠道",
          ],
        },
      ],
    },
  ],
});

/** All built-in templates by key. */
export const TEMPLATES: Readonly<Record<string, ChecklistSpec>> = Object.freeze({
  [BUILTIN_TEMPLATE.key]: BUILTIN_TEMPLATE,
});

/** The built-in template with this key (frozen; copy before changing), or undefined. */
export function getTemplate(key: string): ChecklistSpec | undefined {
  return Object.prototype.hasOwnProperty.call(TEMPLATES, key) ? TEMPLATES[key] : undefined;
}
