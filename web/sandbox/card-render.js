/* global document, window */
// Renders Feishu card JSON 2.0 into DOM nodes, close enough to judge a layout. No innerHTML anywhere:
// every piece of card text becomes a text node, so a card's text can never become markup.
// Components it cannot draw are shown as a labelled box (未支持的组件: <tag>), never dropped.

/** @typedef {{ locale: "zh_cn" | "en_us", people?: {open_id: string, name: string}[], onAction: (a: object) => void }} RenderOptions */

const TEMPLATES = new Set([
  "blue",
  "wathet",
  "turquoise",
  "green",
  "yellow",
  "orange",
  "red",
  "carmine",
  "violet",
  "purple",
  "indigo",
  "grey",
  "default",
]);
const COLORS = new Set([
  "red",
  "green",
  "blue",
  "grey",
  "gray",
  "orange",
  "yellow",
  "purple",
  "violet",
  "indigo",
  "carmine",
  "turquoise",
  "wathet",
  "lime",
  "neutral",
]);

/** Create an element with classes and children (strings become text nodes). */
function h(tag, cls, ...children) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  for (const c of children.flat())
    if (c !== undefined && c !== null) el.append(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

/** The string of a text object (plain_text / lark_md / markdown) in the person's locale. */
export function textOf(t, locale) {
  if (t === undefined || t === null) return "";
  if (typeof t === "string") return t;
  const i18n = t.i18n_content ?? t.i18n;
  if (i18n && typeof i18n === "object")
    return String(i18n[locale] ?? i18n.zh_cn ?? i18n.en_us ?? t.content ?? "");
  return String(t.content ?? "");
}

// ---- markdown (the lark_md subset) ----

const ENTITY = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Entities decode only in text, after markup was found: an escaped `&lt;font&gt;` stays text. */
export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (e[0] === "#") {
      const n = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
    }
    return ENTITY[e.toLowerCase()] ?? m;
  });
}

function safeUrl(u) {
  const url = decodeEntities(u.trim());
  return /^(https?:|mailto:|lark:|feishu:)/i.test(url) ? url : undefined;
}

/** Inline markdown → nodes: **bold**, *italic*, ~~strike~~, `code`, [link](url), <font color>, <at>, <text_tag>. */
function inline(src, ctx) {
  const out = [];
  let buf = "";
  const flush = () => {
    if (buf) out.push(document.createTextNode(decodeEntities(buf)));
    buf = "";
  };
  let i = 0;
  while (i < src.length) {
    let m;
    if (!"*~`[<".includes(src[i])) {
      buf += src[i++];
      continue;
    }
    const rest = src.slice(i);
    if ((m = /^\*\*([\s\S]+?)\*\*/.exec(rest))) {
      flush();
      out.push(h("strong", "", inline(m[1], ctx)));
    } else if ((m = /^~~([\s\S]+?)~~/.exec(rest))) {
      flush();
      out.push(h("del", "", inline(m[1], ctx)));
    } else if ((m = /^\*([^*\n]+?)\*/.exec(rest))) {
      flush();
      out.push(h("em", "", inline(m[1], ctx)));
    } else if ((m = /^`([^`\n]+)`/.exec(rest))) {
      flush();
      out.push(h("code", "", decodeEntities(m[1])));
    } else if ((m = /^\[([^\]\n]+)\]\(([^)\s]+)\)/.exec(rest))) {
      flush();
      const href = safeUrl(m[2]);
      if (href) {
        const a = h("a", "md-link", inline(m[1], ctx));
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        out.push(a);
      } else out.push(h("span", "", inline(m[1], ctx)));
    } else if ((m = /^<font\s+color\s*=\s*['"]?([a-z-]+)['"]?\s*>([\s\S]*?)<\/font>/i.exec(rest))) {
      flush();
      const c = m[1].toLowerCase();
      out.push(h("span", COLORS.has(c) ? `c-${c}` : "", inline(m[2], ctx)));
    } else if ((m = /^<text_tag\s+color\s*=\s*['"]?([a-z-]+)['"]?\s*>([\s\S]*?)<\/text_tag>/i.exec(rest))) {
      flush();
      out.push(h("span", `text-tag c-${COLORS.has(m[1]) ? m[1] : "neutral"}`, inline(m[2], ctx)));
    } else if (
      (m = /^<at\s+(?:id|user_id|open_id|email)\s*=\s*['"]?([^'">\s]+)['"]?\s*>([^<]*)<\/at>/i.exec(rest))
    ) {
      flush();
      const id = m[1];
      const who =
        id === "all"
          ? ctx.locale === "en_us"
            ? "all"
            : "所有人"
          : (ctx.people?.find((p) => p.open_id === id)?.name ?? decodeEntities(m[2]) ?? id);
      out.push(h("span", "at", `@${who || id}`));
    } else if ((m = /^<br\s*\/?>/i.exec(rest))) {
      flush();
      out.push(h("br", ""));
    } else {
      buf += src[i];
      m = [src[i]];
    }
    i += m[0].length;
  }
  flush();
  return out;
}

function tableRow(line) {
  const t = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return t.split("|").map((c) => c.trim());
}

/** Block markdown → a div: paragraphs, headings, lists, markdown tables, hr, code blocks. */
export function markdown(src, ctx, cls = "md") {
  const root = h("div", cls);
  const lines = String(src).replace(/\r\n?/g, "\n").split("\n");
  let list;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    let m;
    if (/^\s*```/.test(line)) {
      list = undefined;
      const code = [];
      for (k++; k < lines.length && !/^\s*```/.test(lines[k]); k++) code.push(lines[k]);
      root.append(h("pre", "md-code", code.join("\n")));
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line) && k + 1 < lines.length && /^\s*\|?\s*:?-{2,}/.test(lines[k + 1])) {
      list = undefined;
      const head = tableRow(line);
      const table = h("table", "md-table");
      table.append(
        h(
          "thead",
          "",
          h(
            "tr",
            "",
            head.map((c) => h("th", "", inline(c, ctx))),
          ),
        ),
      );
      const body = h("tbody", "");
      for (k += 2; k < lines.length && /^\s*\|.*\|\s*$/.test(lines[k]); k++)
        body.append(
          h(
            "tr",
            "",
            tableRow(lines[k]).map((c) => h("td", "", inline(c, ctx))),
          ),
        );
      k--;
      table.append(body);
      root.append(table);
      continue;
    }
    if ((m = /^\s*([-*+]|\d+\.)\s+(.*)$/.exec(line))) {
      const ordered = /\d/.test(m[1]);
      if (!list || list.ordered !== ordered) {
        list = { ordered, el: h(ordered ? "ol" : "ul", "md-list") };
        if (ordered) list.el.start = parseInt(m[1], 10) || 1;
        root.append(list.el);
      }
      list.el.append(h("li", "", inline(m[2], ctx)));
      continue;
    }
    list = undefined;
    if ((m = /^(#{1,6})\s+(.*)$/.exec(line)))
      root.append(h(`h${Math.min(6, m[1].length + 2)}`, "md-h", inline(m[2], ctx)));
    else if (/^\s*(-{3,}|\*{3,})\s*$/.test(line)) root.append(h("hr", "md-hr"));
    else if (line.trim() === "") root.append(h("div", "md-gap"));
    else root.append(h("div", "md-p", inline(line, ctx)));
  }
  return root;
}

// ---- components ----

function textEl(t, ctx, cls = "") {
  if (!t) return undefined;
  const s = textOf(t, ctx.locale);
  const color = t.text_color && COLORS.has(t.text_color) ? ` c-${t.text_color}` : "";
  const size = t.text_size === "notation" ? " notation" : "";
  if (t.tag === "lark_md" || t.tag === "markdown") return markdown(s, ctx, `md ${cls}${color}${size}`);
  return h("div", `plain ${cls}${color}${size}`, s);
}

function unknown(tag) {
  return h("div", "unsupported", `未支持的组件: ${String(tag)} / unsupported component`);
}

function callbackValue(c) {
  const b = (c.behaviors ?? []).find((x) => x && x.type === "callback");
  return b ? (b.value ?? {}) : undefined;
}

function openUrl(c) {
  const b = (c.behaviors ?? []).find((x) => x && x.type === "open_url");
  return b ? safeUrl(String(b.default_url ?? b.pc_url ?? "")) : undefined;
}

/** A confirm dialog (as Feishu shows before a button with `confirm` calls back). */
function confirmFirst(c, ctx, then) {
  if (!c.confirm) return then();
  ctx
    .confirm({ title: textOf(c.confirm.title, ctx.locale), text: textOf(c.confirm.text, ctx.locale) })
    .then((ok) => {
      if (ok) then();
    });
}

function fieldLabel(c, ctx, control) {
  const wrap = h("label", "field");
  if (c.label)
    wrap.append(
      h(
        "span",
        "field-label",
        textOf(c.label, ctx.locale),
        c.required ? h("span", "required", " *") : undefined,
      ),
    );
  wrap.append(control);
  return wrap;
}

function input(c, ctx) {
  const multiline = c.input_type === "multiline_text";
  const el = document.createElement(multiline ? "textarea" : "input");
  el.className = "input";
  if (multiline) el.rows = Number(c.rows) || 3;
  else el.type = c.input_type === "password" ? "password" : "text";
  if (c.placeholder) el.placeholder = textOf(c.placeholder, ctx.locale);
  if (c.default_value !== undefined) el.value = String(c.default_value);
  if (c.max_length) el.maxLength = Number(c.max_length);
  if (c.disabled) el.disabled = true;
  el.dataset.name = c.name ?? "";
  el.dataset.kind = "input";
  if (c.required) el.dataset.required = "1";
  if (!ctx.form && callbackValue(c) !== undefined)
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !multiline)
        ctx.onAction({ tag: "input", name: c.name, value: callbackValue(c), inputValue: el.value });
    });
  return fieldLabel(c, ctx, el);
}

function options(c, ctx) {
  return (c.options ?? []).map((o) => ({
    value: String(o.value),
    text: textOf(o.text, ctx.locale) || String(o.value),
  }));
}

function selectStatic(c, ctx, multiple) {
  const el = document.createElement("select");
  el.className = "select";
  el.multiple = multiple;
  el.dataset.name = c.name ?? "";
  el.dataset.kind = multiple ? "multi" : "select";
  if (c.required) el.dataset.required = "1";
  if (!multiple) {
    const ph = h(
      "option",
      "",
      textOf(c.placeholder, ctx.locale) || (ctx.locale === "en_us" ? "Select" : "请选择"),
    );
    ph.value = "";
    el.append(ph);
  }
  const opts =
    c.tag === "select_person" || c.tag === "multi_select_person"
      ? c.options?.length
        ? c.options.map((o) => ({
            value: String(o.value),
            text: ctx.people?.find((p) => p.open_id === o.value)?.name ?? String(o.value),
          }))
        : (ctx.people ?? []).map((p) => ({ value: p.open_id, text: p.name }))
      : options(c, ctx);
  const chosen = new Set(
    [c.initial_option, ...(c.selected_values ?? []), ...(c.initial_options ?? [])]
      .filter((x) => x !== undefined)
      .map(String),
  );
  for (const o of opts) {
    const op = h("option", "", o.text);
    op.value = o.value;
    if (chosen.has(o.value)) op.selected = true;
    el.append(op);
  }
  if (c.disabled) el.disabled = true;
  if (!ctx.form && callbackValue(c) !== undefined)
    el.addEventListener("change", () =>
      ctx.onAction(
        multiple
          ? {
              tag: c.tag,
              name: c.name,
              value: callbackValue(c),
              options: [...el.selectedOptions].map((o) => o.value),
            }
          : { tag: c.tag, name: c.name, value: callbackValue(c), option: el.value },
      ),
    );
  return fieldLabel(c, ctx, el);
}

/** A picker's value as Feishu sends it: a date (or date and time) with the zone, "2026-12-03 +0800". */
function pickerValue(el) {
  return el.value && el.type !== "time" ? `${el.value.replace("T", " ")} +0800` : el.value;
}

function datePicker(c, ctx) {
  const el = document.createElement("input");
  el.className = "input date";
  el.type = c.tag === "picker_time" ? "time" : c.tag === "picker_datetime" ? "datetime-local" : "date";
  el.dataset.name = c.name ?? "";
  el.dataset.kind = "date";
  if (c.required) el.dataset.required = "1";
  if (c.placeholder) el.title = textOf(c.placeholder, ctx.locale);
  const initial = c.initial_date ?? c.initial_time ?? c.initial_datetime;
  if (initial) el.value = String(initial);
  if (!ctx.form && callbackValue(c) !== undefined)
    el.addEventListener("change", () =>
      ctx.onAction({ tag: c.tag, name: c.name, value: callbackValue(c), option: pickerValue(el) }),
    );
  return fieldLabel({ ...c, label: c.label ?? c.placeholder }, ctx, el);
}

function checker(c, ctx) {
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = Boolean(c.checked);
  box.dataset.name = c.name ?? "";
  box.dataset.kind = "checker";
  if (c.disabled) box.disabled = true;
  const label = h("label", "checker", box, textEl(c.text, ctx, "checker-text"));
  if (!ctx.form && callbackValue(c) !== undefined)
    box.addEventListener("change", () =>
      ctx.onAction({ tag: "checker", name: c.name, value: callbackValue(c), checked: box.checked }),
    );
  return label;
}

/** A form's fields as Feishu sends them in `form_value`; undefined (and marked) when a required one is empty. */
function formValue(formEl, locale) {
  const value = {};
  let missing = false;
  for (const el of formEl.querySelectorAll("[data-kind]")) {
    const name = el.dataset.name;
    if (!name) continue;
    let v;
    if (el.dataset.kind === "checker") v = el.checked;
    else if (el.dataset.kind === "multi") v = [...el.selectedOptions].map((o) => o.value);
    else v = el.value;
    if (el.dataset.kind === "date") v = pickerValue(el);
    const empty = v === "" || (Array.isArray(v) && v.length === 0);
    el.classList.toggle("invalid", Boolean(el.dataset.required) && empty);
    if (el.dataset.required && empty) missing = true;
    if (!empty) value[name] = v;
  }
  formEl.querySelector(".form-error")?.remove();
  if (missing) {
    formEl.append(
      h("div", "form-error", locale === "en_us" ? "Please fill in the required fields" : "请填写必填项"),
    );
    return undefined;
  }
  return value;
}

function button(c, ctx) {
  const type = String(c.type ?? "default");
  const el = h(
    "button",
    `btn btn-${type.replace(/[^a-z_]/g, "")}${c.width === "fill" ? " fill" : ""}`,
    textOf(c.text, ctx.locale) || "…",
  );
  el.type = "button";
  if (c.name) el.dataset.name = c.name;
  if (c.disabled) el.disabled = true;
  const formEl = ctx.form;
  el.addEventListener("click", () => {
    if (formEl && c.form_action_type === "reset") {
      formEl
        .querySelectorAll("input, textarea, select")
        .forEach((x) => (x.type === "checkbox" ? (x.checked = false) : (x.value = "")));
      return;
    }
    let fv;
    if (formEl && c.form_action_type === "submit") {
      fv = formValue(formEl, ctx.locale);
      if (!fv) return;
    }
    const url = openUrl(c);
    const value = callbackValue(c);
    confirmFirst(c, ctx, () => {
      if (url) window.open(url, "_blank", "noopener");
      if (value !== undefined || fv)
        ctx.onAction({ tag: "button", name: c.name, value: value ?? {}, ...(fv ? { formValue: fv } : {}) });
    });
  });
  return el;
}

function columnSet(c, ctx) {
  const row = h(
    "div",
    `column-set${c.flex_mode === "flow" ? " flow" : ""}${c.background_style && c.background_style !== "default" ? ` bg-${c.background_style}` : ""}`,
  );
  for (const col of c.columns ?? []) {
    const el = h("div", "column", elements(col.elements ?? [], ctx));
    if (col.width === "auto") el.style.flex = "0 0 auto";
    else if (col.width && /^\d+px$/.test(col.width)) el.style.flex = `0 0 ${col.width}`;
    else el.style.flex = String(Number(col.weight) || 1);
    if (col.vertical_align === "center") el.style.alignSelf = "center";
    row.append(el);
  }
  return row;
}

function panel(c, ctx) {
  const d = h("details", "panel");
  d.open = Boolean(c.expanded);
  const title = c.header?.title;
  d.append(
    h(
      "summary",
      "panel-title",
      title
        ? title.tag === "markdown"
          ? markdown(textOf(title, ctx.locale), ctx, "md inline-md")
          : textOf(title, ctx.locale)
        : "",
    ),
  );
  d.append(h("div", "panel-body", elements(c.elements ?? [], ctx)));
  return d;
}

function cell(col, v, ctx) {
  if (v === null || v === undefined) return "";
  switch (col.data_type) {
    case "lark_md":
    case "markdown":
      return markdown(String(v), ctx, "md cell-md");
    case "options":
      return (Array.isArray(v) ? v : [v]).map((o) =>
        h(
          "span",
          `text-tag c-${typeof o === "object" && COLORS.has(o.color) ? o.color : "neutral"}`,
          typeof o === "object" ? String(o.text ?? "") : String(o),
        ),
      );
    case "persons":
      return (Array.isArray(v) ? v : [v]).map((id) =>
        h("span", "at", ctx.people?.find((p) => p.open_id === id)?.name ?? String(id)),
      );
    case "date":
      return typeof v === "number" ? new Date(v).toISOString().slice(0, 10) : String(v);
    case "number": {
      const f = col.format ?? {};
      const n = Number(v);
      return `${f.symbol ?? ""}${Number.isFinite(n) && f.precision !== undefined ? n.toFixed(f.precision) : String(v)}`;
    }
    default:
      return String(v);
  }
}

function table(c, ctx) {
  const cols = c.columns ?? [];
  const t = h("table", "card-table");
  t.append(
    h(
      "thead",
      "",
      h(
        "tr",
        "",
        cols.map((col) => h("th", "", textOf(col.display_name, ctx.locale) || String(col.name))),
      ),
    ),
  );
  const body = h("tbody", "");
  const pageSize = Math.max(1, Number(c.page_size) || 5);
  const rows = c.rows ?? [];
  for (const r of rows.slice(0, pageSize))
    body.append(
      h(
        "tr",
        "",
        cols.map((col) => h("td", col.data_type === "number" ? "num" : "", cell(col, r[col.name], ctx))),
      ),
    );
  t.append(body);
  const wrap = h("div", "table-wrap", t);
  if (rows.length > pageSize)
    wrap.append(
      h(
        "div",
        "notation",
        ctx.locale === "en_us"
          ? `${rows.length} rows, page 1 of ${Math.ceil(rows.length / pageSize)}`
          : `共 ${rows.length} 行，第 1/${Math.ceil(rows.length / pageSize)} 页`,
      ),
    );
  return wrap;
}

function chart(c, ctx) {
  const box = h("div", "chart");
  const [w, hgt] = String(c.aspect_ratio ?? "16:9")
    .split(":")
    .map(Number);
  box.style.aspectRatio = `${w || 16} / ${hgt || 9}`;
  if (c.height && /^\d+px$/.test(c.height)) box.style.height = c.height;
  ctx.charts.push({ el: box, spec: c.chart_spec });
  return box;
}

function form(c, ctx) {
  const f = h("form", "card-form");
  f.addEventListener("submit", (e) => e.preventDefault());
  // A field marked missing is unmarked as soon as it is filled in.
  const unmark = (e) => {
    e.target.classList?.remove("invalid");
    if (!f.querySelector(".invalid")) f.querySelector(".form-error")?.remove();
  };
  f.addEventListener("input", unmark);
  f.addEventListener("change", unmark);
  const sub = { ...ctx, form: f };
  f.append(...elements(c.elements ?? [], sub));
  f.dataset.formName = c.name ?? "";
  return f;
}

function element(c, ctx) {
  if (!c || typeof c !== "object") return unknown(typeof c);
  switch (c.tag) {
    case "markdown":
    case "lark_md":
      return markdown(
        textOf(c, ctx.locale),
        ctx,
        `md${c.text_size === "notation" ? " notation" : ""}${c.text_align === "center" ? " center" : c.text_align === "right" ? " right" : ""}`,
      );
    case "plain_text":
      return textEl(c, ctx);
    case "div": {
      const d = h("div", "div", textEl(c.text, ctx));
      for (const f of c.fields ?? [])
        d.append(h("div", f.is_short ? "field short" : "field", textEl(f.text, ctx)));
      return d;
    }
    case "hr":
      return h("hr", "card-hr");
    case "column_set":
      return columnSet(c, ctx);
    case "collapsible_panel":
      return panel(c, ctx);
    case "interactive_container": {
      const d = h("div", "interactive", elements(c.elements ?? [], ctx));
      const v = callbackValue(c);
      if (v !== undefined)
        d.addEventListener("click", () =>
          confirmFirst(c, ctx, () => ctx.onAction({ tag: "interactive_container", name: c.name, value: v })),
        );
      return d;
    }
    case "table":
      return table(c, ctx);
    case "form":
      return form(c, ctx);
    case "input":
      return input(c, ctx);
    case "select_static":
    case "select_person":
      return selectStatic(c, ctx, false);
    case "multi_select_static":
    case "multi_select_person":
      return selectStatic(c, ctx, true);
    case "date_picker":
    case "picker_time":
    case "picker_datetime":
      return datePicker(c, ctx);
    case "checker":
      return checker(c, ctx);
    case "button":
      return button(c, ctx);
    case "chart":
      return chart(c, ctx);
    case "img":
      return h("div", "img-box", `[${ctx.locale === "en_us" ? "image" : "图片"} ${String(c.img_key ?? "")}]`);
    case "person":
      return h(
        "span",
        "at",
        ctx.people?.find((p) => p.open_id === c.user_id)?.name ?? String(c.user_id ?? ""),
      );
    default:
      return unknown(c.tag);
  }
}

function elements(list, ctx) {
  return (Array.isArray(list) ? list : []).map((c) => element(c, ctx));
}

/**
 * The card as DOM. `opts.onAction` receives what Feishu would call back with
 * ({tag, name?, value, formValue?, option?, options?, inputValue?, checked?}); `opts.confirm` shows a
 * confirm dialog and resolves true/false. Charts are drawn after the node is in the document:
 * call `drawCharts(node)`.
 */
export function renderCard(card, opts) {
  const ctx = {
    locale: opts.locale ?? "zh_cn",
    people: opts.people ?? [],
    onAction: opts.onAction,
    confirm: opts.confirm,
    charts: [],
  };
  const root = h("div", "card");
  if (!card || typeof card !== "object") {
    root.append(unknown("card"));
    return root;
  }
  if (card.schema !== "2.0")
    root.append(h("div", "unsupported", "未支持的卡片结构（非 JSON 2.0） / not a card JSON 2.0"));
  const header = card.i18n_header?.[ctx.locale] ?? card.header;
  if (header) {
    const tpl = TEMPLATES.has(header.template) ? header.template : "default";
    const hd = h("div", `card-header tpl-${tpl}`, h("div", "card-title", textOf(header.title, ctx.locale)));
    if (header.subtitle) hd.append(h("div", "card-subtitle", textOf(header.subtitle, ctx.locale)));
    const tags = (header.text_tag_list ?? []).map((t) =>
      h("span", `text-tag c-${COLORS.has(t.color) ? t.color : "neutral"}`, textOf(t.text, ctx.locale)),
    );
    if (tags.length) hd.append(h("div", "card-tags", tags));
    root.append(hd);
  }
  const body =
    card.body?.i18n_elements?.[ctx.locale] ??
    card.body?.elements ??
    card.i18n_elements?.[ctx.locale] ??
    card.elements ??
    [];
  root.append(h("div", "card-body", elements(body, ctx)));
  root._charts = ctx.charts;
  return root;
}

/** Draw the card's charts with VChart (window.VChart, served as it ships); a failure is shown, not hidden. */
export function drawCharts(root) {
  for (const { el, spec } of root._charts ?? []) {
    if (el.dataset.drawn) continue;
    el.dataset.drawn = "1";
    try {
      const VChart = window.VChart?.VChart ?? window.VChart?.default;
      if (!VChart) throw new Error("VChart is not loaded");
      const chartSpec = { ...spec, animation: false };
      const v = new VChart(chartSpec, { dom: el, mode: "desktop-browser", animation: false });
      v.renderSync();
      el._vchart = v;
    } catch (e) {
      el.append(
        h(
          "div",
          "unsupported",
          `图表无法绘制 / chart could not be drawn: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
    }
  }
}
