import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import {
  DEFAULT_ESCALATION,
  DEFAULT_SCHEDULES,
  formatFileError,
  loadCampaignFile,
  parseCampaignFile,
  type FileError,
  type ParseResult,
} from "../../src/campaign/file";
import { BUILTIN_TEMPLATE } from "../../src/campaign/template";
import type { CampaignSpec } from "../../src/domain/types";
import { DEMO_USERS } from "@rectify-bot/feishu-emulator/demo";

const TODAY = "2026-11-29";
const ROOT = join(import.meta.dirname, "../..");
const BUREAU = "examples/bureau.yaml";
const FIXTURES = "test/fixtures/campaigns";

function read(rel: string): string {
  return readFileSync(join(ROOT, rel), "utf8");
}

function spec(result: ParseResult): CampaignSpec {
  if (!result.ok) throw new Error(result.errors.map(formatFileError).join("\n"));
  return result.spec;
}

function errors(result: ParseResult): FileError[] {
  if (result.ok) throw new Error("expected errors, the file parsed");
  return result.errors;
}

/** The text of a 1-based line of a file, to check that a reported line holds the offending key. */
function lineText(rel: string, line: number): string {
  return read(rel).split("\n")[line - 1] ?? "";
}

/** A small valid campaign; tests append or replace lines to break it. */
const MINIMAL = `key: mini
title: 迷你自查
start: 2026-12-01
end: 2027-03-31
template: jgzf-6-6-2
units:
  - key: office
    name: 办公室
    head: zhao
    leader: boss
people:
  - key: boss
    name: 局长
    unit: office
    roles: [leader, admin]
    open_id: ou_00000000000000000000000000000001
  - key: zhao
    name: 赵一
    unit: office
    roles: [head]
    email: zhao@example.cn
assignments:
  - item: all
    units: office
    due: 2027-01-15
`;

describe("examples/bureau.yaml", () => {
  it("parses into the bureau's campaign with defaults applied", async () => {
    const result = await loadCampaignFile(join(ROOT, BUREAU), { today: TODAY });
    const s = spec(result);
    expect(result.ok && result.warnings).toEqual([]);

    expect(s.key).toBe("wlj-jgzf-2027");
    expect(s.timezone).toBe("Asia/Shanghai");
    expect(s.startDate).toBe("2026-12-01");
    expect(s.endDate).toBe("2027-03-31");
    expect(s.checklist).toEqual(BUILTIN_TEMPLATE);
    expect(s.checklist).not.toBe(BUILTIN_TEMPLATE);
    expect(Object.isFrozen(s.checklist)).toBe(false);

    expect(s.units).toHaveLength(7);
    expect(s.units.every((u) => u.head && u.leader)).toBe(true);
    expect(s.people).toHaveLength(14);
    expect(s.people.every((p) => p.openId || p.email || p.mobile)).toBe(true);
    expect(s.people.filter((p) => p.roles.includes("admin")).map((p) => p.unit)).toEqual([
      "office",
      "office",
    ]);
    expect(s.people.filter((p) => p.locale === "en")).toHaveLength(1);
    // Heading a unit implies the head role.
    expect(s.people.find((p) => p.key === "director")?.roles).toEqual(["leader", "head"]);

    // 4 entries expand to one assignment per item: 6 (六查) + 6 (六正) + 2 (z4, z5) + 2 (两提高).
    expect(s.assignments).toHaveLength(16);
    expect(new Set(s.assignments.map((a) => a.item)).size).toBe(14);
    const allUnits = s.units.map((u) => u.key);
    for (const key of ["c1", "c2", "c3", "c4", "c5", "c6"]) {
      expect(s.assignments.find((a) => a.item === key)).toEqual({
        item: key,
        units: allUnits,
        people: [],
        due: "2027-01-15",
      });
    }
    expect(s.assignments.filter((a) => a.item === "z4")).toEqual([
      { item: "z4", units: [], people: ["director", "deputy_chen", "deputy_wu"], due: "2027-01-22" },
      { item: "z4", units: ["office"], people: [], due: "2027-01-22" },
    ]);
    expect(s.assignments.find((a) => a.item === "t2")?.units).toEqual(["office", "arts", "tourism"]);
    expect(s.assignments.every((a) => a.due > TODAY && a.due <= s.endDate!)).toBe(true);

    expect(s.chats).toHaveLength(2);
    expect(s.chats[0]).toEqual({ chatId: "oc_8d0fb6da367998b59b446a2000e39c04", name: "作风整治工作群" });
    expect(s.schedules).toEqual(DEFAULT_SCHEDULES);
    expect(s.escalation).toEqual(DEFAULT_ESCALATION);
    expect(s.reviewer).toBe("head"); // default
    expect(s.remindBefore).toEqual([3, 1]);
  });

  it("gives the same spec from JSON with the same content", () => {
    const fromYaml = spec(parseCampaignFile(read(BUREAU), BUREAU, { today: TODAY }));
    const json = JSON.stringify(YAML.parse(read(BUREAU)), null, 2);
    const fromJson = parseCampaignFile(json, "examples/bureau.json", { today: TODAY });
    expect(spec(fromJson)).toEqual(fromYaml);
    // Tab-indented JSON too.
    const tabbed = JSON.stringify(YAML.parse(read(BUREAU)), null, "\t");
    expect(spec(parseCampaignFile(tabbed, "bureau.json", { today: TODAY }))).toEqual(fromYaml);
  });

  it("enforces today: due dates before it are errors, one per assignment entry", () => {
    expect(parseCampaignFile(read(BUREAU), BUREAU, { today: "2027-01-15" }).ok).toBe(true); // due today is fine
    const errs = errors(parseCampaignFile(read(BUREAU), BUREAU, { today: "2027-01-16" }));
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toBe(
      "assignment 1: 截止日期 2027-01-15 已过（今天是 2027-01-16）：不能早于今天 / due date 2027-01-15 is in the past (today is 2027-01-16)",
    );
    expect(lineText(BUREAU, errs[0].line)).toContain("due: 2027-01-15");

    const later = errors(parseCampaignFile(read(BUREAU), BUREAU, { today: "2027-01-23" }));
    expect(later.map((e) => e.message.split(":")[0])).toEqual([
      "assignment 1",
      "assignment 2",
      "assignment 3",
    ]);
    expect(later.map((e) => lineText(BUREAU, e.line).trim())).toEqual([
      "due: 2027-01-15",
      "due: 2027-01-22",
      "due: 2027-01-22",
    ]);
  });

  it("rejects a malformed today", () => {
    expect(() => parseCampaignFile(read(BUREAU), BUREAU, { today: "29/11/2026" })).toThrow(TypeError);
  });
});

describe("test/fixtures/campaigns/sicha-sikan.yaml (another organisation's checklist)", () => {
  const file = `${FIXTURES}/sicha-sikan.yaml`;

  it("parses its own four items without the built-in template", () => {
    const result = parseCampaignFile(read(file), file, { today: TODAY });
    const s = spec(result);
    expect(result.ok && result.warnings).toEqual([]);
    expect(s.checklist.key).toBe("sicha-sikan");
    expect(s.checklist.sections).toHaveLength(1);
    expect(s.checklist.sections[0].code).toBe("四查四看");
    expect(s.checklist.sections[0].items.map((i) => i.title)).toEqual([
      "查思想看站位",
      "查作风看担当",
      "查纪律看规矩",
      "查效能看实绩",
    ]);
    expect(s.checklist.sections[0].items.every((i) => i.checkpoints.length === 3)).toBe(true);
    const text = JSON.stringify(s);
    expect(text).not.toContain("jgzf");
    expect(text).not.toContain("六查");

    expect(s.units).toHaveLength(3);
    expect(s.people).toHaveLength(5);
    // item: all × units: all (4) + [s2, s4] to one person (2).
    expect(s.assignments).toHaveLength(6);
    expect(s.assignments[0]).toEqual({
      item: "s1",
      units: ["general", "food", "market"],
      people: [],
      due: "2027-01-08",
    });
    expect(s.assignments.slice(4).map((a) => [a.item, a.people])).toEqual([
      ["s2", ["bai_lu"]],
      ["s4", ["bai_lu"]],
    ]);
  });

  it("applies the defaults it leaves out", () => {
    const s = spec(parseCampaignFile(read(file), file, { today: TODAY }));
    expect(s.timezone).toBe("Asia/Shanghai");
    expect(s.schedules).toEqual({
      reminderSweep: "0 9 * * 1-5",
      escalationSweep: "30 9 * * 1-5",
      broadcast: "0 17 * * 5",
      leadersDigest: "0 8 * * 1",
    });
    expect(s.escalation).toEqual([
      { afterWorkingDays: 0, to: "owner" },
      { afterWorkingDays: 2, to: "head" },
      { afterWorkingDays: 5, to: "leader" },
      { afterWorkingDays: 10, to: "admins" },
    ]);
    expect(s.remindBefore).toEqual([3, 1]);
    expect(s.reviewer).toBe("leader");
    expect(s.chats).toEqual([{ chatId: "oc_3d0e123619bd09aa9a5106c63a17ff3c" }]);
    const bai = s.people.find((p) => p.key === "bai_lu");
    expect(bai?.roles).toEqual(["member"]);
    // An unquoted mobile number is read as a number by YAML; it comes back as text.
    expect(s.people.find((p) => p.key === "tan_min")?.mobile).toBe("13900020001");
  });
});

describe("invalid campaign files", () => {
  /** [line, exact message] for every error, in line order. */
  const cases: Record<string, [number, string][]> = {
    "invalid-unknown-unit.yaml": [
      [
        15,
        'unit "finance": 负责人 "qian2" 不在 people 中：须是某个人员的 key（是不是 "qian"？） / head "qian2" is not in people (did you mean "qian"?)',
      ],
      [
        29,
        'person "qian": 未知单位 "finanse"：须是 units 中某个单位的 key（是不是 "finance"？） / unknown unit "finanse" (did you mean "finance"?)',
      ],
      [
        36,
        'assignment 2: 未知事项或分节 "z9"：须是事项的 key 或标题、分节的 key 或编号，或 all（是不是 "z1"？） / unknown item or section "z9" (did you mean "z1"?)',
      ],
      [37, 'assignment 2: 未知人员 "sun"：须是 people 中某个人员的 key / unknown person "sun"'],
      [
        40,
        'assignment 3: 未知单位 "finance2"：须是 units 中某个单位的 key（是不是 "finance"？） / unknown unit "finance2" (did you mean "finance"?)',
      ],
    ],
    "invalid-past-date.yaml": [
      [
        22,
        "assignment 1: 截止日期 2026-11-20 已过（今天是 2026-11-29）：不能早于今天 / due date 2026-11-20 is in the past (today is 2026-11-29)",
      ],
      [
        25,
        "assignment 2: 截止日期 2027-02-15 晚于活动结束 2027-01-31 / due date 2027-02-15 is after the campaign end 2027-01-31",
      ],
      [28, 'assignment 3: "due" 不是有效日期：2027-02-30 / is not a real date: 2027-02-30'],
    ],
    "invalid-no-identity.yaml": [
      [
        17,
        'person "qian": 至少需要一种身份：open_id、email 或 mobile / needs at least one identity: open_id, email or mobile',
      ],
      [
        24,
        'person "sun": "email" 必须是邮箱地址，如 name@example.cn / must be an email address such as name@example.cn',
      ],
      [
        28,
        'person "li": "mobile" 必须是手机号：11 位大陆号码（可带 +86）或 “+国家码”开头的国际号码，如 13800138000、+85291234567 / must be a mobile number: 11 digits in mainland China (optionally with +86) or + and a country code, such as 13800138000 or +85291234567',
      ],
      [
        32,
        'person "zhou": open_id "ou_0123456789abcdef0123456789abcdef" 重复（首次出现在第 16 行）：每个须唯一 / duplicate open_id "ou_0123456789abcdef0123456789abcdef" (first on line 16)',
      ],
    ],
    "invalid-duplicate-titles.yaml": [
      [
        20,
        'item "a3": 事项标题 "查思想" 重复（首次出现在第 14 行）：每个须唯一 / duplicate item title "查思想" (first on line 14)',
      ],
      [
        22,
        'item "a2": 事项 key "a2" 重复（首次出现在第 16 行）：每个须唯一 / duplicate item key "a2" (first on line 16)',
      ],
      [
        31,
        'unit "office2": 单位名称 "办公室" 重复（首次出现在第 28 行）：每个须唯一 / duplicate unit name "办公室" (first on line 28)',
      ],
      [
        42,
        'person "qian": 邮箱 "zhao@example.cn" 重复（首次出现在第 38 行）：每个须唯一 / duplicate email "zhao@example.cn" (first on line 38)',
      ],
    ],
    "invalid-syntax.yaml": [[12, "YAML 语法错误 / YAML syntax error: Sequence item without - indicator"]],
    "invalid-cron.yaml": [
      [
        26,
        'schedules: "reminder_sweep" cron 表达式 "0 9 * *" 须有 5 个字段（分 时 日 月 周）或 6 个（秒在最前），实际 4 个 / cron expression "0 9 * *" must have 5 fields (minute hour day month weekday) or 6 (with seconds first), got 4',
      ],
      [
        27,
        'schedules: "escalation_sweep" cron 表达式 "61 9 * * 1-5" 无效（Constraint error, got value 61 expected range 0-59） / cron expression "61 9 * * 1-5" is invalid: Constraint error, got value 61 expected range 0-59',
      ],
      [
        28,
        'schedules: "broadcast" cron 表达式 "0 17 * * FRI!" 含无效字段 "FRI!"：只能用数字、字母和 * , / - ? # / cron expression "0 17 * * FRI!" has an invalid field "FRI!": use digits, letters and * , / - ? #',
      ],
      [
        34,
        'escalation step 3: "after" 须比上一步多（3 ≤ 5）：工作日数逐步增加 / "after" must be more working days than the step before (3 ≤ 5)',
      ],
    ],
    "invalid-template.yaml": [
      [2, '缺少必填字段 "title" / missing "title" (required)'],
      [4, '未知模板 "jgzf-9-9-9"（可用：jgzf-6-6-2） / unknown template "jgzf-9-9-9" (known: jgzf-6-6-2)'],
      [
        5,
        '未知字段 "reviwer"（可用字段：key、title、timezone、start、end、template、checklist、units、people、assignments、chats、schedules、escalation、reviewer、remind_before、follow_up、ledger、report、org、flags）（是不是 "reviewer"？） / unknown field "reviwer" (did you mean "reviewer"?)',
      ],
      [6, '"remind_before" entry 2 必须是 0 或更多个工作日 / must be 0 or more working days'],
      [
        11,
        'unit "office": 未知字段 "leeder"（可用字段：key、name、head、leader）（是不是 "leader"？） / unknown field "leeder" (did you mean "leader"?)',
      ],
      [18, 'person "zhao": "locale" 必须是以下之一：zh、en / must be one of: zh, en'],
      [20, 'assignment 1: 缺少必填字段 "due" / missing "due" (required)'],
    ],
  };

  /** What the reported line must contain: the offending key (or list entry). */
  const markers: Record<string, string[]> = {
    "invalid-unknown-unit.yaml": ["head: qian2", "unit: finanse", "z9", "sun", "finance2"],
    "invalid-past-date.yaml": ["due: 2026-11-20", "due: 2027-02-15", "due: 2027-02-30"],
    "invalid-no-identity.yaml": ["key: qian", "email: sun-at", "mobile:", "open_id:"],
    "invalid-duplicate-titles.yaml": ["title: 查思想", "key: a2", "name: 办公室", "email: ZHAO"],
    "invalid-syntax.yaml": ["unit: office"],
    "invalid-cron.yaml": ["reminder_sweep", "escalation_sweep", "broadcast", "leader@3"],
    "invalid-template.yaml": [
      "key: bad-template",
      "template:",
      "reviwer:",
      "remind_before",
      "leeder",
      "locale",
      "item: c1",
    ],
  };

  for (const [name, expected] of Object.entries(cases)) {
    it(`${name}: reports every error with file, line and problem`, async () => {
      const rel = `${FIXTURES}/${name}`;
      const result = await loadCampaignFile(rel, { today: TODAY });
      const errs = errors(result);
      expect(errs.map((e) => [e.line, e.message])).toEqual(expected);
      for (const e of errs) {
        expect(e.file).toBe(rel);
        expect(e.column).toBeGreaterThan(0);
      }
      errs.forEach((e, i) => expect(lineText(rel, e.line)).toContain(markers[name][i]));
    });
  }

  it("formats errors as file:line: message", async () => {
    const rel = `${FIXTURES}/invalid-unknown-unit.yaml`;
    const errs = errors(await loadCampaignFile(rel, { today: TODAY }));
    expect(formatFileError({ ...errs[4], column: undefined })).toBe(
      `${rel}:40: assignment 3: 未知单位 "finance2"：须是 units 中某个单位的 key（是不是 "finance"？） / unknown unit "finance2" (did you mean "finance"?)`,
    );
    expect(formatFileError(errs[4])).toBe(
      `${rel}:40:21: assignment 3: 未知单位 "finance2"：须是 units 中某个单位的 key（是不是 "finance"？） / unknown unit "finance2" (did you mean "finance"?)`,
    );
  });

  it("reports a file that cannot be read", async () => {
    const result = await loadCampaignFile(`${FIXTURES}/does-not-exist.yaml`, { today: TODAY });
    expect(errors(result)).toEqual([
      {
        file: `${FIXTURES}/does-not-exist.yaml`,
        line: 0,
        message: "无法读取文件（ENOENT），请检查路径 / cannot read the file (ENOENT): check the path",
      },
    ]);
  });
});

describe("parseCampaignFile", () => {
  const parse = (text: string, file = "test.yaml") => parseCampaignFile(text, file, { today: TODAY });
  const messages = (text: string) => errors(parse(text)).map((e) => `${e.line}: ${e.message}`);

  it("accepts the minimal campaign", () => {
    const s = spec(parse(MINIMAL));
    expect(s.assignments).toHaveLength(14);
    expect(s.endDate).toBe("2027-03-31");
  });

  it("reports shape, reference and date errors together", () => {
    const text = MINIMAL.replace("    head: zhao\n", "    head: zhao\n    colour: red\n")
      .replace("    unit: office\n    roles: [head]", "    unit: ofice\n    roles: [head]")
      .replace("    units: office\n    due: 2027-01-15", "    units: [office, hr]\n    due: 2026-11-01");
    expect(messages(text)).toEqual([
      '10: unit "office": 未知字段 "colour"（可用字段：key、name、head、leader） / unknown field "colour"',
      '20: person "zhao": 未知单位 "ofice"：须是 units 中某个单位的 key（是不是 "office"？） / unknown unit "ofice" (did you mean "office"?)',
      '25: assignment 1: 未知单位 "hr"：须是 units 中某个单位的 key / unknown unit "hr"',
      "26: assignment 1: 截止日期 2026-11-01 已过（今天是 2026-11-29）：不能早于今天 / due date 2026-11-01 is in the past (today is 2026-11-29)",
      "26: assignment 1: 截止日期 2026-11-01 早于活动开始 2026-12-01 / due date 2026-11-01 is before the campaign start 2026-12-01",
    ]);
  });

  it("points JSON errors at their lines too", () => {
    const json = JSON.stringify(YAML.parse(MINIMAL), null, 2).replace(
      '"units": "office"',
      '"units": "finance2"',
    );
    const errs = errors(parse(json, "mini.json"));
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toBe(
      'assignment 1: 未知单位 "finance2"：须是 units 中某个单位的 key / unknown unit "finance2"',
    );
    expect(json.split("\n")[errs[0].line - 1]).toContain('"units": "finance2"');
  });

  it("reports YAML syntax errors, all of them, with their lines", () => {
    expect(messages("key: a\nkey: b\n")).toEqual([
      "2: YAML 语法错误 / YAML syntax error: Map keys must be unique",
    ]);
    expect(messages("key: a\n---\nkey: b\n")).toEqual([
      '2: YAML 语法错误：文件里有多个文档（"---"），一个文件只放一个活动 / YAML syntax error: the file holds several documents ("---"); keep one campaign per file',
    ]);
    const errs = errors(parse("key: a\ntitle: [x\nstart: b: c\n"));
    expect(errs.length).toBeGreaterThanOrEqual(2);
    expect(errs.every((e) => e.message.startsWith("YAML 语法错误 / YAML syntax error: "))).toBe(true);
  });

  it("rejects empty files and files that are not a map", () => {
    expect(messages("")).toEqual([
      "1: 文件是空的：一个活动至少要有 key、title、start、units、people / the file is empty: a campaign needs at least key, title, start, units and people",
    ]);
    expect(messages("# only a comment\n")).toEqual([
      "1: 文件是空的：一个活动至少要有 key、title、start、units、people / the file is empty: a campaign needs at least key, title, start, units and people",
    ]);
    expect(messages("- a\n- b\n")).toEqual([
      "1: 文件必须是活动字段的映射（key:、title: …） / the file must be a map of campaign fields (key:, title:, …)",
    ]);
  });

  it("requires exactly one of template and checklist", () => {
    expect(messages(MINIMAL.replace("template: jgzf-6-6-2\n", ""))).toEqual([
      '1: 缺少 "template"（如 template: jgzf-6-6-2）或内联的 "checklist"：二者须有其一 / missing "template" (e.g. template: jgzf-6-6-2) or an inline "checklist"',
    ]);
    const both = MINIMAL.replace(
      "template: jgzf-6-6-2\n",
      "template: jgzf-6-6-2\nchecklist:\n  title: x\n  sections: []\n",
    );
    expect(messages(both)).toEqual([
      '6: checklist: "template" 和 "checklist" 只能用一个 / use either "template" or "checklist", not both',
    ]);
  });

  it("resolves item references by key, title, section key, section code and all", () => {
    const withItems = (item: string) => MINIMAL.replace("  - item: all\n", `  - item: ${item}\n`);
    const items = (item: string) => spec(parse(withItems(item))).assignments.map((a) => a.item);
    expect(items("c3")).toEqual(["c3"]);
    expect(items("查“四风”是否反弹")).toEqual(["c6"]);
    expect(items("liuzheng")).toEqual(["z1", "z2", "z3", "z4", "z5", "z6"]);
    expect(items("两提高")).toEqual(["t1", "t2"]);
    expect(items("[t2, lianggaotigao, c1]")).toEqual(["t2", "t1", "c1"]);
    expect(items("all")).toHaveLength(14);
  });

  it("warns about items nobody is asked to answer", () => {
    const result = parse(MINIMAL.replace("  - item: all\n", "  - item: [liucha, liuzheng]\n"));
    expect(result.ok && result.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      "5: 没有分派给任何人：t1 提高工作效能, t2 提高群众满意度 / not assigned to anyone: t1 提高工作效能, t2 提高群众满意度",
    ]);
  });

  it("requires a head on units that get assignments, and warns about headless units otherwise", () => {
    const headless = MINIMAL.replace("    head: zhao\n", "");
    expect(messages(headless)).toEqual([
      '23: assignment 1: 单位 "office" 没有负责人来填报（请在第 7 行的单位上设置 "head"） / unit "office" has no head to answer it (set "head" on the unit, line 7)',
    ]);
    const toPerson = headless.replace("    units: office\n", "    people: zhao\n");
    const result = parse(toPerson);
    expect(result.ok && result.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      '7: unit "office": 没有负责人：不能给它分派单位事项，也没人接收负责人一级的催办和审核 / has no head: it cannot be given unit assignments, and no one takes its head-level escalations and reviews',
    ]);
  });

  it("rejects an item given twice to the same unit", () => {
    const twice = MINIMAL + "  - item: c2\n    units: office\n    due: 2027-02-01\n";
    expect(messages(twice)).toEqual([
      '26: assignment 2: 事项 "c2" 已在第 1 条分派中给了单位 "office"：同一事项不能给同一对象两次 / item "c2" already goes to unit "office" in assignment 1',
    ]);
  });

  it("requires someone to answer each assignment", () => {
    expect(messages(MINIMAL.replace("    units: office\n", ""))).toEqual([
      '23: assignment 1: 须把事项分派给 "units" 或 "people"（或两者） / assign the item to "units" or "people" (or both)',
    ]);
  });

  it("checks campaign dates", () => {
    expect(messages(MINIMAL.replace("end: 2027-03-31", "end: 2026-11-30"))).toEqual([
      "4: 结束日期 2026-11-30 早于开始日期 2026-12-01 / end 2026-11-30 is before start 2026-12-01",
      "25: assignment 1: 截止日期 2027-01-15 晚于活动结束 2026-11-30 / due date 2027-01-15 is after the campaign end 2026-11-30",
    ]);
    expect(messages(MINIMAL.replace("start: 2026-12-01", "start: 2026-13-01"))).toEqual([
      '3: "start" 不是有效日期：2026-13-01 / is not a real date: 2026-13-01',
    ]);
    // No end date: nothing to be late against.
    const open = spec(parse(MINIMAL.replace("end: 2027-03-31\n", "")));
    expect(open.endDate).toBeUndefined();
    expect("endDate" in open).toBe(false);
  });

  it("checks key formats, duplicate keys and reserved words", () => {
    const text = MINIMAL.replace("key: mini", "key: 迷你").replace("  - key: zhao\n", "  - key: boss\n");
    expect(messages(text)).toEqual([
      '1: "key" 必须是简短的 key：字母或数字开头，只含字母、数字、_ - .，最多 64 个字符（如 office） / must be a short key: a letter or digit first, then letters, digits, "_", "-" or ".", at most 64 characters (e.g. "office")',
      '9: unit "office": 负责人 "zhao" 不在 people 中：须是某个人员的 key / head "zhao" is not in people',
      '17: person "boss": 人员 key "boss" 重复（首次出现在第 12 行）：每个须唯一 / duplicate person key "boss" (first on line 12)',
    ]);
    const reserved = MINIMAL.replace("  - key: office\n", "  - key: all\n").replace(
      /unit: office/g,
      "unit: all",
    );
    expect(messages(reserved)).toContain(
      '7: unit "all": "all" 是保留字（在分派中表示全部单位），不能用作 key / "all" is reserved (it means every unit in assignments)',
    );
  });

  it("normalises identities and accepts international mobiles", () => {
    const text = MINIMAL.replace(
      "    email: zhao@example.cn\n",
      "    mobile: +86 138-0013-8000\n    locale: en\n",
    );
    const zhao = spec(parse(text)).people[1];
    expect(zhao).toEqual({
      key: "zhao",
      name: "赵一",
      unit: "office",
      roles: ["head"],
      mobile: "13800138000",
      locale: "en",
    });
    const hk = spec(parse(MINIMAL.replace("email: zhao@example.cn", 'mobile: "+85291234567"'))).people[1];
    expect(hk.mobile).toBe("+85291234567");
  });

  it("treats empty fields as absent", () => {
    const text = MINIMAL.replace("    leader: boss\n", "    leader:\n");
    const s = spec(parse(text));
    expect(s.units[0]).toEqual({ key: "office", name: "办公室", head: "zhao" });
  });

  it("reads schedules, escalation, reviewer and reminders", () => {
    const text =
      MINIMAL +
      [
        "chats: [oc_abc123, {chat_id: oc_def456, name: 领导群}]",
        "schedules:",
        "  broadcast: '0 0 17 * * 5'",
        "escalation:",
        "  - {to: head, after: 1}",
        "  - leader@3",
        "reviewer: leader",
        "remind_before: [1, 5, 3, 3]",
        "",
      ].join("\n");
    const s = spec(parse(text));
    expect(s.chats).toEqual([{ chatId: "oc_abc123" }, { chatId: "oc_def456", name: "领导群" }]);
    expect(s.schedules).toEqual({ ...DEFAULT_SCHEDULES, broadcast: "0 0 17 * * 5" });
    expect(s.escalation).toEqual([
      { afterWorkingDays: 1, to: "head" },
      { afterWorkingDays: 3, to: "leader" },
    ]);
    expect(s.reviewer).toBe("leader");
    expect(s.remindBefore).toEqual([5, 3, 1]);
  });

  it("reads follow_up.after_days (回头看): absent is the default, 0 turns it off, bad values are errors", () => {
    expect(spec(parse(MINIMAL)).followUp).toBeUndefined(); // stored as 30 at import
    expect(spec(parse(MINIMAL + "follow_up: { after_days: 0 }\n")).followUp).toEqual({ afterDays: 0 });
    expect(spec(parse(MINIMAL + "follow_up:\n  after_days: 20\n")).followUp).toEqual({ afterDays: 20 });
    const bad = messages(MINIMAL + "follow_up: { after_days: -1 }\n");
    expect(bad).toHaveLength(1);
    expect(bad[0]).toContain("必须是 0 或更多个工作日");
    expect(messages(MINIMAL + "follow_up: { after_day: 20 }\n")[0]).toContain('"after_days"');
    expect(messages(MINIMAL + "follow_up: { after_days: 300 }\n")[0]).toContain("250");
  });

  it("checks chats, escalation steps, reviewer and the time zone", () => {
    const text =
      MINIMAL.replace("start:", "timezone: Asia/Shang_Hai\nstart:") +
      ["chats: [oc_abc123, oc_abc123, group-1]", "escalation: [boss@1, head]", "reviewer: admins", ""].join(
        "\n",
      );
    expect(messages(text)).toEqual([
      '3: "timezone" 必须是 IANA 时区名，如 Asia/Shanghai / must be an IANA time zone such as "Asia/Shanghai"',
      '27: chat 2: 群 chat_id "oc_abc123" 重复（首次出现在第 27 行）：每个须唯一 / duplicate chat id "oc_abc123" (first on line 27)',
      '27: chat 3: "chat_id" 必须是飞书群 chat_id：oc_ 后接字母或数字 / must be a Feishu chat id: "oc_" followed by letters or digits',
      '28: escalation step 1: "to" 必须是以下之一：owner、head、leader、admins / must be one of: owner, head, leader, admins',
      '28: escalation step 2: 须写成 head@2 或 { to: head, after: 2 }（to：owner、head、leader、admins；after：工作日数） / must be written "head@2" or as { to: head, after: 2 }',
      '29: "reviewer" 必须是以下之一：head、leader / must be one of: head, leader',
    ]);
  });

  it("reads any organisation's inline checklist the same way", () => {
    const text = MINIMAL.replace(
      "template: jgzf-6-6-2\n",
      [
        "checklist:",
        "  title: 两查清单",
        "  sections:",
        "    - key: a",
        "      title: 查一查",
        "      items:",
        "        - {key: x1, title: 查甲}",
        "        - {key: x2, title: 查乙, checkpoints: [要点]}",
        "",
      ].join("\n"),
    );
    const result = parse(text);
    const s = spec(result);
    expect(s.checklist).toEqual({
      key: "mini",
      title: "两查清单",
      sections: [
        {
          key: "a",
          code: "查一查",
          title: "查一查",
          items: [
            { key: "x1", title: "查甲", checkpoints: [] },
            { key: "x2", title: "查乙", checkpoints: ["要点"] },
          ],
        },
      ],
    });
    expect(s.assignments.map((a) => a.item)).toEqual(["x1", "x2"]);
    expect(result.ok && result.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      '11: item "x1": 没有检查要点，填报的人得不到指引 / has no checkpoints; people answering it get no guidance',
    ]);
  });
});

describe("messages that state the rule they apply", () => {
  const parse = (text: string) => parseCampaignFile(text, "test.yaml", { today: TODAY });
  const messages = (text: string) => errors(parse(text)).map((e) => `${e.line}: ${e.message}`);

  it("accepts the sandbox's demo people by open_id, and states the open_id rule", () => {
    const demo = DEMO_USERS.filter((u) => !u.outOfScope && !u.departed)
      .map((u, i) => `  - {key: d${i}, name: ${u.name}, unit: office, open_id: ${u.open_id}}\n`)
      .join("");
    const s = spec(parse(MINIMAL.replace("people:\n", `people:\n${demo}`)));
    expect(s.people.filter((p) => p.key.startsWith("d")).map((p) => p.openId)).toEqual(
      DEMO_USERS.filter((u) => !u.outOfScope && !u.departed).map((u) => u.open_id),
    );
    for (const u of DEMO_USERS) expect(u.open_id).toMatch(/^ou_[0-9a-f]{32}$/);
    const bad = MINIMAL.replace("open_id: ou_00000000000000000000000000000001", "open_id: ou_demo_zhang_wei");
    expect(messages(bad)).toEqual([
      '16: person "boss": "open_id" 必须是飞书 open_id：ou_ 后接 32 位字母或数字 / must be a Feishu open_id: "ou_" followed by 32 letters or digits (got "ou_demo_zhang_wei")',
    ]);
  });

  it("says a date that does not exist is not a real date", () => {
    expect(messages(MINIMAL.replace("start: 2026-12-01", "start: 2026-02-30"))).toEqual([
      '3: "start" 不是有效日期：2026-02-30 / is not a real date: 2026-02-30',
    ]);
    expect(messages(MINIMAL.replace("due: 2027-01-15", "due: 2027-01-32"))).toEqual([
      '25: assignment 1: "due" 不是有效日期：2027-01-32 / is not a real date: 2027-01-32',
    ]);
    expect(messages(MINIMAL.replace("due: 2027-01-15", "due: next friday"))).toEqual([
      '25: assignment 1: "due" 必须是 YYYY-MM-DD 格式的日期，如 2027-01-15 / must be a date written YYYY-MM-DD, e.g. 2027-01-15 (got "next friday")',
    ]);
  });

  it("says a date YAML read as a number must be written with dashes", () => {
    expect(messages(MINIMAL.replace("start: 2026-12-01", "start: 20261201"))).toEqual([
      '3: "start" 被读成了数字 20261201：日期请写成 2026-12-01 / was read as the number 20261201: write the date as 2026-12-01',
    ]);
    expect(messages(MINIMAL.replace("due: 2027-01-15", "due: 2027"))).toEqual([
      '25: assignment 1: "due" 被读成了数字 2027：日期请写成 YYYY-MM-DD，如 2027-01-15 / was read as the number 2027: write the date as YYYY-MM-DD, e.g. 2027-01-15',
    ]);
  });

  it("says text that YAML read as a number or boolean must be quoted", () => {
    expect(messages(MINIMAL.replace("    name: 办公室\n", "    name: 2024\n"))).toEqual([
      '8: unit "office": "name" 必须是文字：YAML 把 2024 读成了数字，请加引号，如 "2024" / must be text: YAML read 2024 as a number; put it in quotes, e.g. "2024"',
    ]);
    expect(messages(MINIMAL.replace("title: 迷你自查", "title: true"))).toEqual([
      '2: "title" 必须是文字：YAML 把 true 读成了真假值，请加引号，如 "true" / must be text: YAML read true as a boolean; put it in quotes, e.g. "true"',
    ]);
  });

  describe("encodings", () => {
    const dir = mkdtempSync(join(tmpdir(), "campaign-enc-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const load = (name: string, bytes: Buffer) => {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      return loadCampaignFile(f, { today: TODAY });
    };
    const utf16be = (s: string) => Buffer.from(s, "utf16le").swap16();

    it("reads UTF-16 with a byte-order mark, and UTF-8 with one", async () => {
      const le = await load(
        "le.yaml",
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MINIMAL, "utf16le")]),
      );
      expect(spec(le).title).toBe("迷你自查");
      const be = await load("be.yaml", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(MINIMAL)]));
      expect(spec(be).title).toBe("迷你自查");
      const bom8 = await load(
        "bom8.yaml",
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MINIMAL)]),
      );
      expect(spec(bom8).people).toHaveLength(2);
    });

    it("says the encoding is wrong for GBK text and for UTF-16 without a byte-order mark", async () => {
      const gbk = Buffer.from(MINIMAL.replace("迷你自查", "\u0000"), "utf8");
      gbk.set([0xc3, 0xd4, 0xc4, 0xe3], gbk.indexOf(0)); // 迷你 in GBK
      const wrong = [
        "文件编码不对：须为 UTF-8（或带 BOM 的 UTF-16），请“另存为 UTF-8”后重新导入 / wrong encoding: the file must be UTF-8 (or UTF-16 with a byte-order mark); save it as UTF-8 and import again",
      ];
      expect(errors(await load("gbk.yaml", gbk)).map((e) => e.message)).toEqual(wrong);
      expect(errors(await load("nobom.yaml", Buffer.from(MINIMAL, "utf16le"))).map((e) => e.message)).toEqual(
        wrong,
      );
      expect(errors(parse(Buffer.from(MINIMAL, "utf16le").toString("utf8"))).map((e) => e.message)).toEqual(
        wrong,
      );
    });
  });
});
