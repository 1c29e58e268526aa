// Builds the raw campaign object and its cell map from the sheets of a workbook (names resolved to keys).
import type ExcelJS from "exceljs";
import type { FileError } from "./file";
import type { Path } from "./source-map";
import {
  ALL_WORDS,
  ASSIGNMENTS_SHEET,
  CHECKLIST_SHEET,
  LADDER_WORDS,
  LOCALE_WORDS,
  PEOPLE_SHEET,
  ROLE_WORDS,
  SETTINGS,
  SHEET,
  UNITS_SHEET,
  type ListSheetDef,
} from "./xlsx-template";
import { CellMap, cellRef, convert, normaliseHeader, scalar, textValue, type Cell } from "./xlsx-cells";
import { derivedKey, readListSheet, type Row, type SheetRows } from "./xlsx-sheet";

type Dict = Record<string, unknown>;

/** 清单 columns that belong to an item, not to its section. */
const ITEM_FIELDS = ["key", "title", "checkpoints", "due"];

/** Builds the raw campaign object and its cell map from the sheets of a workbook. */
export class WorkbookReader {
  readonly errors: FileError[] = [];
  readonly map = new CellMap();
  readonly raw: Dict = {};
  /** Cells of missing columns: checker errors there are already reported as the missing column. */
  readonly missingCells = new Set<string>();

  constructor(
    private readonly wb: ExcelJS.Workbook,
    private readonly file: string,
  ) {}

  private error(cell: Cell, message: string): void {
    this.errors.push({ file: this.file, line: cell.row, column: cell.col, cell: cellRef(cell), message });
  }

  /** Reads a list sheet; `base` (the raw list it fills) is located at its first data row. */
  private sheet(def: ListSheetDef, base: Path): SheetRows {
    this.map.set(base, { sheet: def.name, row: 2, col: 1 });
    const ws = this.wb.getWorksheet(def.name);
    if (!ws) return { rows: [], missing: new Map() };
    const read = readListSheet(ws, def, this.errors, this.file);
    for (const cell of read.missing.values()) this.missingCells.add(cellRef(cell));
    return read;
  }

  /** Records every cell of a row under `base`, so a missing value is named by its own cell. */
  private place(base: Path, row: Row, fields: Record<string, string> = {}): void {
    this.map.set(base, { sheet: row.sheet, row: row.row, col: 1 });
    for (const [field, cell] of row.cells) this.map.set([...base, fields[field] ?? field], cell);
  }

  read(): void {
    this.settings();
    const checklist = this.checklist();
    const units = this.sheet(UNITS_SHEET, ["units"]);
    const people = this.sheet(PEOPLE_SHEET, ["people"]);
    const unitKey = this.unitKeys(units);
    const personKey = this.personKeys(people);
    this.units(units, personKey);
    this.people(people, unitKey);
    this.assignments(checklist, unitKey, personKey);
  }

  private settings(): void {
    const ws = this.wb.getWorksheet(SHEET.campaign);
    this.map.set([], { sheet: SHEET.campaign, row: 1, col: 1 });
    if (!ws) return;
    const byLabel = new Map(SETTINGS.map((s) => [normaliseHeader(s.label), s]));
    for (const s of SETTINGS) byLabel.set(normaliseHeader(s.path.join(".")), s);
    const last = Math.min(ws.rowCount, 200);
    for (let r = 1; r <= last; r++) {
      const row = ws.getRow(r);
      const label = scalar(row.getCell(1).value);
      if (label === undefined) continue;
      const s = byLabel.get(normaliseHeader(textValue(label)));
      const valueCell = { sheet: SHEET.campaign, row: r, col: 2 };
      const v = scalar(row.getCell(2).value);
      if (!s) {
        if (r > 1 && v !== undefined)
          this.error(
            { ...valueCell, col: 1 },
            `不认识的项目“${textValue(label)}” / unknown row "${textValue(label)}"`,
          );
        continue;
      }
      this.map.set(s.path, valueCell);
      if (v === undefined) continue;
      let value = convert(s.kind, v);
      if (s.path[0] === "chats") value = (value as string[]).map(chatEntry);
      if (s.path[0] === "escalation") value = (value as string[]).map(ladderStep);
      if (s.path[0] === "reviewer") value = LADDER_WORDS[value as string] ?? value;
      if (s.path[0] === "follow_up" && typeof value === "string" && /^\d+$/.test(value))
        value = Number(value);
      if (s.path[0] === "remind_before")
        value = (value as unknown[]).map((x) => (typeof x === "string" && /^\d+$/.test(x) ? Number(x) : x));
      setPath(this.raw, s.path, value);
    }
  }

  /** 清单 rows become sections (a new one when the section columns change) and items. */
  private checklist(): Map<string, { due?: unknown; cell: Cell }> {
    const read = this.sheet(CHECKLIST_SHEET, ["checklist", "sections"]);
    const dueByItem = new Map<string, { due?: unknown; cell: Cell }>();
    const sections: Dict[] = [];
    const checklist = (this.raw.checklist ??= {}) as Dict;
    let current: Dict | undefined;
    for (const row of read.rows) {
      const v = row.values;
      const sectionKey = v.get("section_key") as string | undefined;
      const sectionTitle = v.get("section_title") as string | undefined;
      const startsSection =
        current === undefined ||
        (sectionKey !== undefined && sectionKey !== current.key) ||
        (sectionKey === undefined && sectionTitle !== undefined && sectionTitle !== current.title);
      if (startsSection) {
        const s = sections.length;
        const title = sectionTitle;
        current = {
          key: sectionKey ?? (title !== undefined ? derivedKey("s", title) : undefined),
          items: [],
        };
        if (v.has("section_code")) current.code = v.get("section_code");
        if (title !== undefined) current.title = title;
        sections.push(dropUndefined(current));
        this.place(["checklist", "sections", s], row, {
          section_key: "key",
          section_code: "code",
          section_title: "title",
        });
      }
      // A row that only names a section (a heading row above its items) adds no item.
      if (!ITEM_FIELDS.some((f) => v.has(f))) continue;
      const items = current!.items as Dict[];
      const i = items.length;
      const title = v.get("title") as string | undefined;
      const item = dropUndefined({
        key: v.get("key") ?? (title !== undefined ? derivedKey("i", title) : undefined),
        title,
        checkpoints: v.get("checkpoints"),
      });
      items.push(item);
      const path = ["checklist", "sections", sections.length - 1, "items", i];
      this.place(path, row);
      const ref = { due: v.get("due"), cell: row.cells.get("due")! };
      for (const name of [item.key, title])
        if (typeof name === "string" && !dueByItem.has(name)) dueByItem.set(name, ref);
    }
    if (sections.length > 0) checklist.sections = sections;
    return dueByItem;
  }

  /** Unit name or key → key. */
  private unitKeys(read: SheetRows): Map<string, string> {
    const out = new Map<string, string>();
    for (const row of read.rows) {
      const name = row.values.get("name") as string | undefined;
      const written = row.values.get("key") as string | undefined;
      // A Feishu department's unit is keyed by its id (the address book's units are).
      const dept = row.values.get("department") as string | undefined;
      const key = dept ?? written ?? (name ? derivedKey("u", name) : undefined);
      if (key === undefined) continue;
      row.values.set("key", key);
      if (dept && row.cells.has("department")) row.cells.set("key", row.cells.get("department")!);
      if (written !== undefined) out.set(written, key);
      out.set(key, key);
      if (name !== undefined && !out.has(name)) out.set(name, key);
    }
    return out;
  }

  /** Person key or name → the keys it may mean (more than one when people share a name). */
  private personKeys(read: SheetRows): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const names = new Map<string, string[]>();
    for (const row of read.rows) {
      const v = row.values;
      const identity = [v.get("open_id"), v.get("mobile"), v.get("email")].find(
        (x) => typeof x === "string",
      ) as string | undefined;
      const key =
        (v.get("key") as string | undefined) ??
        (identity !== undefined ? derivedKey("p", identity.toLowerCase()) : undefined);
      if (key === undefined) continue;
      v.set("key", key);
      out.set(key, [key]);
      const name = v.get("name") as string | undefined;
      if (name !== undefined) names.set(name, [...new Set([...(names.get(name) ?? []), key])]);
    }
    for (const [name, key] of names) if (!out.has(name)) out.set(name, key);
    return out;
  }

  /** Resolves a name to a key; an ambiguous name is an error at its cell. Unknown names pass through. */
  private resolve(map: Map<string, string[]>, ref: string, cell: Cell): string {
    if (ALL_WORDS.includes(ref)) return "all";
    const keys = map.get(ref);
    if (!keys) return ref;
    if (keys.length > 1) {
      this.error(
        cell,
        `有几个人叫“${ref}”，请在人员表填“人员编号”并在这里写编号 / several people are named "${ref}"; use their key`,
      );
    }
    // The first of them, so the checker does not also call the name unknown (the error above blocks it).
    return keys[0];
  }

  private units(read: SheetRows, personKey: Map<string, string[]>): void {
    const list = read.rows.map((row, index) => {
      this.place(["units", index], row);
      const v = row.values;
      const out: Dict = { key: v.get("key"), name: v.get("name") };
      for (const f of ["head", "leader"])
        if (v.has(f)) out[f] = this.resolve(personKey, v.get(f) as string, row.cells.get(f)!);
      return dropUndefined(out);
    });
    if (this.wb.getWorksheet(SHEET.units)) this.raw.units = list;
    // Department ids in 单位: the organisation comes from the address book (`org: from: feishu`).
    const departments = read.rows.flatMap((row) => {
      const d = row.values.get("department");
      return typeof d === "string" ? [d] : [];
    });
    if (departments.length) {
      this.raw.org = { from: "feishu", departments, include_children: true };
      const first = read.rows.find((row) => row.cells.has("department"))!;
      this.map.set(["org"], first.cells.get("department")!);
    }
  }

  private people(read: SheetRows, unitKey: Map<string, string>): void {
    const list = read.rows.map((row, index) => {
      this.place(["people", index], row);
      const v = row.values;
      const out: Dict = { key: v.get("key"), name: v.get("name") };
      if (v.has("unit")) out.unit = unitKey.get(v.get("unit") as string) ?? v.get("unit");
      if (v.has("roles"))
        out.roles = (v.get("roles") as unknown[]).map(
          (r) => ROLE_WORDS[String(r)] ?? String(r).toLowerCase(),
        );
      for (const f of ["mobile", "email", "open_id"]) if (v.has(f)) out[f] = v.get(f);
      if (v.has("locale")) out.locale = LOCALE_WORDS[v.get("locale") as string] ?? v.get("locale");
      return dropUndefined(out);
    });
    if (this.wb.getWorksheet(SHEET.people)) this.raw.people = list;
  }

  private assignments(
    dueByItem: Map<string, { due?: unknown; cell: Cell }>,
    unitKey: Map<string, string>,
    personKey: Map<string, string[]>,
  ): void {
    const read = this.sheet(ASSIGNMENTS_SHEET, ["assignments"]);
    const titles = new Set(dueByItem.keys());
    const list = read.rows.map((row, index) => {
      const path = ["assignments", index];
      this.place(path, row);
      const v = row.values;
      const out: Dict = {};
      if (v.has("item")) {
        // A title that itself holds a separator stays whole.
        const whole = (v.get("item") as string[]).join("、");
        const refs = titles.has(whole) ? [whole] : (v.get("item") as string[]);
        out.item = refs.map((r) => (ALL_WORDS.includes(r) ? "all" : r));
      }
      if (v.has("units"))
        out.units = (v.get("units") as string[]).map((u) =>
          ALL_WORDS.includes(u) ? "all" : (unitKey.get(u) ?? u),
        );
      if (v.has("people"))
        out.people = (v.get("people") as string[]).map((p) =>
          this.resolve(personKey, p, row.cells.get("people")!),
        );
      if (v.has("due")) out.due = v.get("due");
      else if (Array.isArray(out.item) && out.item.length === 1) {
        // No due date here: the item's own 完成时限 in 清单, named by its cell there.
        const fallback = dueByItem.get(out.item[0] as string);
        if (fallback?.due !== undefined) {
          out.due = fallback.due;
          this.map.set([...path, "due"], fallback.cell);
        }
      }
      return out;
    });
    if (this.wb.getWorksheet(SHEET.assignments)) this.raw.assignments = list;
  }
}

function chatEntry(line: string): unknown {
  const m = /(oc_[A-Za-z0-9]+)/.exec(line);
  if (!m) return line;
  const name = line
    .replace(m[1], "")
    .replace(/[（）()]/g, " ")
    .trim();
  return name ? { chat_id: m[1], name } : { chat_id: m[1] };
}

function ladderStep(step: string): string {
  const m = /^\s*([^@\s]+)\s*@\s*(\S+)\s*$/.exec(step);
  return m ? `${LADDER_WORDS[m[1]] ?? m[1]}@${m[2]}` : step;
}

function setPath(root: Dict, path: readonly string[], value: unknown): void {
  let node = root;
  for (const seg of path.slice(0, -1)) node = (node[seg] ??= {}) as Dict;
  node[path[path.length - 1]] = value;
}

function dropUndefined<T extends Dict>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
