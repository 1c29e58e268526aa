/**
 * A local stand-in for the Feishu Open Platform: the HTTP APIs the bot calls (through the real
 * @larksuiteoapi/node-sdk pointed at `domain: emulator.url`) and the events/callbacks Feishu
 * delivers to the bot. See the package README (the contract). This class is the public face; the
 * shared state is in state.ts, each Feishu API in a file of its own (auth, messages, files, chats,
 * contact, card callbacks, events, bot info, control API), wired up in app.ts.
 */
import http from "node:http";
import { buildApp } from "./app";
import { digestHex } from "./crypto";
import { clickCard } from "./card-callbacks";
import * as events from "./events";
import { clone } from "./shared";
import { DEFAULT_LIMITS, EmulatorState } from "./state";
import type { ClickCardOptions, Delivery, EmulatorOptions, RecordedCall, UserMessageOptions } from "./types";

export { DEFAULT_LIMITS };
import {
  type DeliveryConfig,
  type DeliveryRecord,
  type EmulatorChat,
  type EmulatorDepartment,
  type EmulatorLimits,
  type EmulatorUser,
  type FailAnswer,
  type SentMessage,
  type StoredFile,
} from "./types";

export class FeishuEmulator {
  private readonly s: EmulatorState;

  constructor(opts: EmulatorOptions) {
    this.s = new EmulatorState(opts);
  }

  /** Every request the bot made (token calls included), oldest first. */
  get calls(): RecordedCall[] {
    return this.s.calls;
  }

  get botOpenId(): string {
    return this.s.botOpenId;
  }

  get botName(): string {
    return this.s.botName;
  }

  /** The chat id of the bot's p2p chat with a user (stable per app and user). */
  p2pChatId(openId: string): string {
    return this.s.p2pChatId(openId);
  }

  get url(): string {
    if (!this.s.baseUrl) throw new Error("FeishuEmulator is not started");
    return this.s.baseUrl;
  }

  async start(): Promise<string> {
    if (this.s.server) return this.s.baseUrl;
    const host = this.s.opts.host ?? "127.0.0.1";
    const server = http.createServer(buildApp(this, this.s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.s.opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.s.server = server;
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : this.s.opts.port;
    this.s.baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    this.s.log.info({ url: this.s.baseUrl }, "feishu emulator listening");
    return this.s.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.s.server;
    if (!server) return;
    this.s.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  addUser(u: EmulatorUser): void {
    if (!u.open_id) throw new Error("addUser: open_id is required");
    const user: EmulatorUser = { ...u, union_id: u.union_id ?? `on_${digestHex(`union:${u.open_id}`)}` };
    this.s.users.set(u.open_id, user);
    this.s.p2p.set(this.s.p2pChatId(u.open_id), u.open_id);
  }

  addChat(c: EmulatorChat): void {
    if (!c.chat_id) throw new Error("addChat: chat_id is required");
    this.s.chats.set(c.chat_id, { ...c, members: [...c.members] });
  }

  // ---- address book (contact v3)

  addDepartment(d: EmulatorDepartment): void {
    if (!d.open_department_id) throw new Error("addDepartment: open_department_id is required");
    this.s.departments.set(d.open_department_id, { ...d });
  }

  /** Add a whole tree (departments and their people), e.g. `generateOrgTree()`. */
  addOrgTree(tree: { departments: EmulatorDepartment[]; users: EmulatorUser[] }): void {
    for (const d of tree.departments) this.addDepartment(d);
    for (const u of tree.users) this.addUser(u);
  }

  department(openDepartmentId: string): EmulatorDepartment | undefined {
    const d = this.s.departments.get(openDepartmentId);
    return d && { ...d };
  }

  /** Change a user in place (move departments, leave: `{ departed: true }`). */
  updateUser(openId: string, patch: Partial<EmulatorUser>): void {
    const u = this.s.users.get(openId);
    if (!u) throw new Error(`updateUser: unknown user ${openId}`);
    Object.assign(u, patch, { open_id: u.open_id });
  }

  /** Change a department in place (a new leader, a new name). */
  updateDepartment(openDepartmentId: string, patch: Partial<EmulatorDepartment>): void {
    const d = this.s.departments.get(openDepartmentId);
    if (!d) throw new Error(`updateDepartment: unknown department ${openDepartmentId}`);
    Object.assign(d, patch, { open_department_id: d.open_department_id });
  }

  /** The app's scopes from now on (contact calls mask fields or answer 99991672 by them). */
  setScopes(scopes: string[]): void {
    this.s.scopes.clear();
    for (const x of scopes) this.s.scopes.add(x);
  }

  get scopes(): string[] {
    return [...this.s.scopes];
  }

  user(openId: string): EmulatorUser | undefined {
    const u = this.s.users.get(openId);
    return u && { ...u };
  }

  chat(chatId: string): EmulatorChat | undefined {
    const c = this.s.chats.get(chatId);
    return c && { ...c, members: [...c.members] };
  }

  messages(): SentMessage[] {
    return this.s.order.map((id) => clone(this.s.sent.get(id) as SentMessage));
  }

  messagesTo(receiverId: string): SentMessage[] {
    const user = this.s.findUser(receiverId);
    return this.messages().filter(
      (m) =>
        m.receive_id === receiverId ||
        m.chat_id === receiverId ||
        (user !== undefined && m.open_id === user.open_id),
    );
  }

  message(messageId: string): SentMessage | undefined {
    const m = this.s.sent.get(messageId);
    return m && clone(m);
  }

  file(fileKey: string): StoredFile | undefined {
    const f = this.s.files.get(fileKey);
    return f && { ...f, bytes: Buffer.from(f.bytes) };
  }

  deliveries(): DeliveryRecord[] {
    return clone(this.s.deliveryLog);
  }

  /** Forget calls, messages, files, tokens for callbacks, rate-limit history and deliveries (keep users, chats, tenant tokens). */
  reset(): void {
    this.s.calls.length = 0;
    this.s.sent.clear();
    this.s.order.length = 0;
    this.s.userMessages.clear();
    this.s.uuids.clear();
    this.s.files.clear();
    this.s.callbackTokens.clear();
    this.s.failures.length = 0;
    this.s.appSecond.clear();
    this.s.appMinute.clear();
    this.s.receiverLimit.clear();
    this.s.patchLimit.clear();
    this.s.deliveryLog.length = 0;
    this.s.events.clear();
  }

  /** Every tenant token issued so far becomes invalid: the next call with one answers 99991663. */
  expireTokens(): void {
    this.s.revokedUpTo = Math.max(this.s.clock(), this.s.lastIssuedAt, this.s.lastSeenIssuedAt);
    this.s.currentToken = undefined;
  }

  /** Pretend a message was sent `ms` earlier (for the 14-day patch rule). */
  ageMessage(messageId: string, ms: number): void {
    const m = this.s.sent.get(messageId);
    if (!m) throw new Error(`ageMessage: unknown message ${messageId}`);
    m.createdAt -= ms;
  }

  /** The next `n` requests (matching `match.path`, else any but the token call) get `answer`. */
  failNext(n: number, answer: FailAnswer, match?: { path?: RegExp }): void {
    if (n > 0) this.s.failures.push({ remaining: n, answer, match });
  }

  /** The owner the application info API names (undefined: no owner). */
  setAppOwner(openId: string | undefined): void {
    this.s.appOwnerOpenId = openId;
  }

  /** Change rate limits at run time. */
  setLimits(limits: Partial<EmulatorLimits>): void {
    Object.assign(this.s.limits, limits);
  }

  configureDelivery(cfg: DeliveryConfig): void {
    this.s.deliveryCfg = { ...cfg };
  }

  async sendUserMessage(opts: UserMessageOptions): Promise<Delivery> {
    return events.sendUserMessage(this.s, opts);
  }

  async clickCard(opts: ClickCardOptions): Promise<Delivery> {
    return clickCard(this.s, opts);
  }

  async addBotToChat(chatId: string, operator?: string): Promise<Delivery> {
    return events.addBotToChat(this.s, chatId, operator);
  }

  async urlVerification(): Promise<Delivery> {
    return events.urlVerification(this.s);
  }

  /** Deliver an earlier event/callback again: the same body (same event_id), a fresh timestamp, nonce and signature. */
  async redeliver(eventId: string): Promise<Delivery> {
    return events.redeliver(this.s, eventId);
  }

  /** POST an arbitrary body to the bot. By default it is encrypted and signed when an Encrypt Key is configured. */
  async deliverRaw(
    body: unknown,
    opts: { headers?: Record<string, string>; sign?: boolean; encrypt?: boolean } = {},
  ): Promise<Delivery> {
    return events.deliverRaw(this.s, body, opts);
  }
}
