import type { ChecklistSpec } from "../../src/domain/types";
import { buildDictionary, type IntentDictionary } from "../../src/intent";

/** The built-in template's sections and items, kept local so this test does not depend on src/campaign. */
export const SECTIONS: { code: string; items: string[] }[] = [
  {
    code: "六查",
    items: [
      "查立场是否坚定",
      "查政令是否畅通",
      "查党建是否规范",
      "查管理是否科学",
      "查履职是否尽责",
      "查“四风”是否反弹",
    ],
  },
  { code: "六正", items: ["正学风", "正政风", "正行风", "正会风", "正文风", "正家风"] },
  { code: "两提高", items: ["提高工作效能", "提高群众满意度"] },
];
export const UNITS = ["办公室", "人事科", "财务科", "政策法规科", "文化艺术科", "旅游发展科"];

export const CHECKLIST: ChecklistSpec = {
  key: "test",
  title: "六查六正两提高",
  sections: SECTIONS.map((s, i) => ({
    key: `s${i}`,
    code: s.code,
    title: `聚焦“${s.code}”`,
    items: s.items.map((title, j) => ({ key: `s${i}i${j}`, title, checkpoints: [] })),
  })),
};
export const DICT: IntentDictionary = buildDictionary({ units: UNITS, checklist: CHECKLIST });
