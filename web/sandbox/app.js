/* global document, fetch, setTimeout, clearTimeout, setInterval, URL, location, history */
// The sandbox page: pick a person, follow their chats (polled), play them through the emulator.
import { drawCharts, renderCard, textOf } from "./card-render.js";

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
const state = {
  people: [],
  person: undefined,
  locale: "zh_cn",
  chatId: undefined,
  view: undefined,
  rev: "",
  /** message_id → { sig, node } of what is on screen */
  shown: new Map(),
  renderedChat: undefined,
  timer: undefined,
};

function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children.flat())
    if (c !== undefined && c !== null) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

async function api(path, body) {
  const res = await fetch(`/sandbox/api${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
  return data;
}

// ---- toast and confirm ----

let toastTimer;
function toast(content, type = "info") {
  const t = $("toast");
  t.textContent = content;
  t.className = `toast toast-${["info", "success", "warning", "error"].includes(type) ? type : "info"}`;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 4000);
}

function confirmDialog({ title, text }) {
  const d = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const done = (ok) => {
      $("confirm-ok").onclick = $("confirm-cancel").onclick = null;
      d.close();
      resolve(ok);
    };
    $("confirm-ok").onclick = () => done(true);
    $("confirm-cancel").onclick = () => done(false);
    d.oncancel = () => done(false);
    d.showModal();
  });
}

// ---- time ----

const fmt = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  weekday: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const fmtShort = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

async function refreshClock() {
  try {
    const c = await api("/clock");
    $("clock").textContent = fmt.format(new Date(c.now));
    $("clock").dataset.now = String(c.now);
    $("clock").title = c.offsetMs
      ? `比真实时间快 ${Math.round(c.offsetMs / 3_600_000)} 小时 / ahead of real time`
      : "真实时间 / real time";
  } catch (e) {
    $("clock").textContent = `? (${e.message})`;
  }
}

// ---- messages ----

function postText(content, locale) {
  try {
    const post = JSON.parse(content);
    const body = post[locale] ?? post.zh_cn ?? post.en_us ?? Object.values(post)[0] ?? {};
    const lines = [
      body.title,
      ...(body.content ?? []).map((line) => line.map((n) => n.text ?? n.user_name ?? n.href ?? "").join("")),
    ];
    return lines.filter(Boolean).join("\n");
  } catch {
    return content;
  }
}

function onCardAction(messageId) {
  return async (action) => {
    try {
      const r = await api("/click", { operator: state.person, messageId, ...action });
      if (r.toast) toast(textOf(r.toast, state.locale) || r.toast.content, r.toast.type);
      else if (r.error) toast(`回调失败 / callback failed: ${r.error}`, "error");
      else if (r.status !== 200)
        toast(`机器人没有应答 / the bot did not answer (status ${r.status})`, "error");
    } catch (e) {
      toast(e.message, "error");
    }
    void poll();
  };
}

function messageBody(m) {
  if (m.msg_type === "interactive" && m.card) {
    return renderCard(m.card, {
      locale: state.locale,
      people: state.people,
      onAction: onCardAction(m.message_id),
      confirm: confirmDialog,
    });
  }
  if (m.msg_type === "text") return el("div", "text", m.text ?? "");
  if (m.msg_type === "post") return el("div", "text", postText(m.content ?? "", state.locale));
  if (m.file) {
    const a = el("a", "file", `📎 ${m.file.file_name}`);
    a.href = `/sandbox/api/files/${encodeURIComponent(m.file.file_key)}`;
    a.download = m.file.file_name;
    return a;
  }
  return el("div", "unsupported", `未支持的消息类型 / unsupported message type: ${m.msg_type}`);
}

function messageNode(m) {
  const mine = m.sender === state.person;
  const bubble = el("div", `msg ${m.sender === "bot" ? "from-bot" : mine ? "from-me" : "from-other"}`);
  bubble.dataset.messageId = m.message_id;
  bubble.append(
    el(
      "div",
      "msg-meta",
      `${m.sender_name} · ${fmtShort.format(new Date(m.createdAt))}${m.updates ? " · 已更新 / updated" : ""}`,
    ),
  );
  bubble.append(messageBody(m));
  return bubble;
}

function renderChats() {
  const nav = $("chats");
  nav.replaceChildren();
  for (const c of state.view.chats) {
    const b = el(
      "button",
      `chat-tab${c.chat_id === state.chatId ? " active" : ""}`,
      c.chat_type === "p2p" ? `单聊 · ${c.name}` : `群 · ${c.name}`,
      el("span", "count", String(c.messages.length)),
    );
    b.type = "button";
    b.dataset.chatId = c.chat_id;
    b.onclick = () => {
      state.chatId = c.chat_id;
      renderChats();
      renderMessages();
      saveUrl();
    };
    nav.append(b);
  }
}

function renderMessages() {
  const box = $("messages");
  const chat = state.view.chats.find((c) => c.chat_id === state.chatId) ?? state.view.chats[0];
  if (!chat) return;
  state.chatId = chat.chat_id;
  if (state.renderedChat !== chat.chat_id) {
    box.replaceChildren();
    state.shown.clear();
    state.renderedChat = chat.chat_id;
  }
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  let added = false;
  const charts = [];
  for (const m of chat.messages) {
    const sig = `${m.updatedAt}:${m.updates}`;
    const old = state.shown.get(m.message_id);
    if (old && old.sig === sig) continue;
    const node = messageNode(m);
    if (old)
      old.node.replaceWith(node); // an updated or patched card changes in place
    else {
      box.append(node);
      added = true;
    }
    state.shown.set(m.message_id, { sig, node });
    charts.push(node);
  }
  if (!chat.messages.length && !box.children.length)
    box.append(el("div", "empty", "还没有消息 / no messages yet"));
  else box.querySelector(":scope > .empty")?.remove();
  for (const n of charts) n.querySelectorAll(".card").forEach(drawCharts);
  if (added && (nearBottom || charts.length === chat.messages.length)) box.scrollTop = box.scrollHeight;
}

async function poll() {
  if (!state.person) return;
  const person = state.person;
  try {
    const v = await api(`/conversations/${encodeURIComponent(person)}`);
    if (person !== state.person) return;
    if (v.rev !== state.rev || !state.view) {
      state.view = v;
      state.rev = v.rev;
      state.locale = v.user.locale === "en_us" ? "en_us" : "zh_cn";
      renderChats();
      renderMessages();
    }
  } catch (e) {
    toast(e.message, "error");
  }
}

function saveUrl() {
  const u = new URL(location.href);
  u.searchParams.set("person", state.person);
  if (state.chatId) u.searchParams.set("chat", state.chatId);
  history.replaceState(null, "", u);
}

async function selectPerson(openId, chatId) {
  state.person = openId;
  state.chatId = chatId;
  state.view = undefined;
  state.rev = "";
  state.renderedChat = undefined;
  document
    .querySelectorAll(".person")
    .forEach((b) => b.classList.toggle("active", b.dataset.openId === openId));
  $("text").disabled = $("send").disabled = false;
  await poll();
  saveUrl();
}

async function say(e) {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text || !state.person || !state.view) return;
  const chat = state.view.chats.find((c) => c.chat_id === state.chatId);
  $("text").value = "";
  try {
    const r = await api("/say", {
      from: state.person,
      text,
      chatId: chat?.chat_id,
      chatType: chat?.chat_type ?? "p2p",
    });
    if (r.error) toast(`投递失败 / delivery failed: ${r.error}`, "error");
  } catch (err) {
    toast(err.message, "error");
    $("text").value = text;
  }
  void poll();
}

async function start() {
  state.people = await api("/people").catch(() => []);
  document
    .querySelectorAll(".person")
    .forEach((b) => (b.onclick = () => void selectPerson(b.dataset.openId)));
  $("composer").addEventListener("submit", say);
  document.querySelectorAll("[data-step]").forEach(
    (b) =>
      (b.onclick = async () => {
        try {
          const c = await api("/clock", { step: b.dataset.step });
          toast(`沙箱时间 / sandbox time: ${fmt.format(new Date(c.now))}`, "info");
        } catch (e) {
          toast(e.message, "error");
        }
        await refreshClock();
      }),
  );
  $("sweep").onclick = async () => {
    try {
      const r = await api("/sweep", {});
      toast(
        r.campaigns.length
          ? `提醒/巡检已排队 / sweeps queued: ${r.campaigns.join(", ")}`
          : "没有进行中的活动 / no active campaign",
        r.campaigns.length ? "success" : "warning",
      );
    } catch (e) {
      toast(e.message, "error");
    }
  };
  await refreshClock();
  const q = new URL(location.href).searchParams;
  if (q.get("person")) await selectPerson(q.get("person"), q.get("chat") ?? undefined);
  state.timer = setInterval(() => {
    void poll();
    void refreshClock();
  }, POLL_MS);
  document.body.dataset.ready = "1";
}

void start();
