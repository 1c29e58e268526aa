/**
 * A deterministic address book (通讯录) for tests, benches and the sandbox: a bureau (局) with its
 * leaders, offices (科室) under it and teams under some offices. The same options give the same ids,
 * names, mobiles and emails on every run.
 */
import { digestHex } from "./crypto";
import type { EmulatorDepartment, EmulatorUser } from "./types";

export interface OrgTreeOptions {
  /** People in the whole tree (default 300). */
  people?: number;
  /** People directly in each office or team (default: the rest shared evenly, 51–64 for 300). */
  perDepartment?: number;
  /** Seed of every id: two trees with different seeds share nothing (default "bureau"). */
  seed?: string;
  /** The bureau's name (default 市文化和旅游局). */
  name?: string;
}

export interface OrgTree {
  /** The bureau first, then offices and teams in creation order. */
  departments: EmulatorDepartment[];
  users: EmulatorUser[];
}

const OFFICES = [
  "办公室",
  "政策法规科",
  "市场管理科",
  "文物保护科",
  "公共服务科",
  "产业发展科",
  "资源开发科",
  "艺术科",
  "人事科",
  "财务审计科",
  "宣传推广科",
  "安全监管科",
];
const SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶";
const GIVEN1 = "建国明华立志文海春晓雪玉秀丽红静思佳子宇浩晨欣嘉俊泽";
const GIVEN2 = "伟芳娜敏强磊军洋勇艳杰涛超平刚桂英鹏辉琳颖慧峰宁斌";

/** A name per index: surname × two given characters (36,000 before one repeats). */
export function personName(i: number): string {
  const s = SURNAMES[i % SURNAMES.length];
  const g1 = GIVEN1[Math.floor(i / SURNAMES.length) % GIVEN1.length];
  const g2 = GIVEN2[Math.floor(i / (SURNAMES.length * GIVEN1.length)) % GIVEN2.length];
  return `${s}${g1}${g2}`;
}

function officeName(j: number): string {
  return j < OFFICES.length ? OFFICES[j] : `综合${j - OFFICES.length + 1}科`;
}

export function generateOrgTree(opts: OrgTreeOptions = {}): OrgTree {
  const total = Math.max(1, Math.floor(opts.people ?? 300));
  const seed = opts.seed ?? "bureau";
  const leaders = Math.min(4, total);
  const rest = total - leaders;
  const per = Math.max(1, Math.floor(opts.perDepartment ?? 60));
  const count = rest > 0 ? Math.ceil(rest / per) : 0;
  const deptId = (j: number) => `od-${digestHex(`org:${seed}:dept:${j}`)}`;
  const users: EmulatorUser[] = [];
  let n = 0;
  const addPeople = (k: number, dept: string): EmulatorUser[] => {
    const out: EmulatorUser[] = [];
    for (let i = 0; i < k; i++, n++) {
      const u: EmulatorUser = {
        open_id: `ou_${digestHex(`org:${seed}:user:${n}`)}`,
        user_id: `${seed.replace(/[^a-z0-9]/gi, "").slice(0, 8) || "u"}${String(n).padStart(5, "0")}`,
        name: personName(n),
        email: `${seed.replace(/[^a-z0-9]/gi, "") || "org"}.${n}@example.gov.cn`,
        mobile: `+86139${String(n).padStart(8, "0")}`,
        locale: "zh_cn",
        department_ids: [dept],
      };
      out.push(u);
      users.push(u);
    }
    return out;
  };
  const bureauId = deptId(0);
  const bureauPeople = addPeople(leaders, bureauId);
  const departments: EmulatorDepartment[] = [
    {
      open_department_id: bureauId,
      department_id: `${seed}-0`,
      name: opts.name ?? "市文化和旅游局",
      parent_department_id: "0",
      leader_user_id: bureauPeople[0]?.open_id,
      order: 0,
    },
  ];
  // Offices directly under the bureau: 60% of the departments; the rest are teams under the first offices.
  const offices = Math.max(1, Math.ceil(count * 0.6));
  for (let j = 0; j < count; j++) {
    const size = Math.floor(rest / count) + (j < rest % count ? 1 : 0);
    const id = deptId(j + 1);
    const people = addPeople(size, id);
    const isOffice = j < offices;
    const parent = isOffice ? bureauId : deptId(((j - offices) % offices) + 1);
    const teamNo = isOffice ? 0 : Math.floor((j - offices) / offices) + 1;
    const parentName = isOffice ? "" : officeName((j - offices) % offices);
    departments.push({
      open_department_id: id,
      department_id: `${seed}-${j + 1}`,
      name: isOffice ? officeName(j) : `${parentName}第${"一二三四五六七八九十"[(teamNo - 1) % 10]}组`,
      parent_department_id: parent,
      leader_user_id: people[0]?.open_id,
      order: j + 1,
    });
  }
  return { departments, users };
}
