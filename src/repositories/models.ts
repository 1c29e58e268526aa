import { Schema, type Connection, type InferSchemaType } from "mongoose";

/**
 * The domain in MongoDB (DESIGN.md §2). Organisation and checklist are scoped to a campaign: a campaign
 * file describes both, and re-importing it updates them in place. Writes are single-document atomic
 * updates; natural keys have unique indexes so a duplicate is an error, not a second record.
 */

const opts = { timestamps: true, versionKey: false } as const;

const sectionSchema = new Schema(
  {
    key: { type: String, required: true },
    code: { type: String, required: true },
    title: { type: String, required: true },
    order: { type: Number, required: true },
  },
  { _id: false },
);

const checkItemSchema = new Schema(
  {
    key: { type: String, required: true },
    sectionKey: { type: String, required: true },
    title: { type: String, required: true },
    checkpoints: { type: [String], default: [] },
    order: { type: Number, required: true },
  },
  { _id: false },
);

const campaignSchema = new Schema(
  {
    key: { type: String, required: true, unique: true },
    title: { type: String, required: true },
    status: { type: String, enum: ["draft", "active", "ended"], default: "draft", required: true },
    timezone: { type: String, required: true },
    startDate: { type: String, required: true },
    endDate: { type: String },
    checklistKey: { type: String, required: true },
    checklistTitle: { type: String, required: true },
    sections: { type: [sectionSchema], default: [] },
    items: { type: [checkItemSchema], default: [] },
    chats: { type: [{ chatId: String, name: String, _id: false }], default: [] },
    schedules: {
      reminderSweep: String,
      escalationSweep: String,
      broadcast: String,
      leadersDigest: String,
    },
    escalation: { type: [{ afterWorkingDays: Number, to: String, _id: false }], default: [] },
    reviewer: { type: String, enum: ["head", "leader"], default: "head" },
    remindBefore: { type: [Number], default: [3, 1] },
    /** 回头看 (campaign file `follow_up.after_days`): working days after a closure; 0 = off. */
    followUp: { afterDays: { type: Number, default: 30 } },
    /** The ledger's columns from the campaign file (`ledger.columns`); empty = the default set. */
    ledgerColumns: { type: [{ key: String, title: String, _id: false }], default: [] },
    /** The report's opening and signature from the campaign file (`report.basis`, `report.organisation`). */
    report: { basis: String, organisation: String },
    /** The campaign file's `flags:` section (src/flags/config.ts `FlagsSpec`); absent = defaults. */
    flags: { type: Schema.Types.Mixed },
    /** sha256 of the normalised spec last imported: re-importing the same file changes nothing. */
    specHash: { type: String },
    startedAt: { type: Date },
    endedAt: { type: Date },
    lastBroadcastAt: { type: Date },
    /** The organisation comes from Feishu's address book: what re-sync (同步通讯录) reads. */
    org: { departments: { type: [String], default: undefined }, includeChildren: Boolean },
  },
  opts,
);

const unitSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    key: { type: String, required: true },
    name: { type: String, required: true },
    headKey: { type: String },
    leaderKey: { type: String },
    order: { type: Number, default: 0 },
    /** Added by an address-book sync and not yet given its items (src/services/org-sync.ts). */
    syncAssign: { type: Boolean },
  },
  opts,
);
unitSchema.index({ campaignKey: 1, key: 1 }, { unique: true });
unitSchema.index({ campaignKey: 1, name: 1 }, { unique: true });

const personSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    key: { type: String, required: true },
    name: { type: String, required: true },
    unitKey: { type: String, required: true },
    roles: { type: [String], default: ["member"] },
    openId: { type: String },
    email: { type: String },
    mobile: { type: String },
    locale: { type: String, enum: ["zh", "en"], default: "zh" },
    leave: { type: [{ from: String, to: String, _id: false }], default: [] },
    /** Set when Feishu refused a delivery for good (left the company, outside the app's scope). */
    undeliverable: { reason: String, at: Date, kind: String },
    /** "feishu" when the person came from the address book (`org: from: feishu`); re-sync may mark them left. */
    source: { type: String },
    /** Left the organisation (address book re-sync): kept with their answers, sent nothing more. */
    leftAt: { type: Date },
  },
  opts,
);
personSchema.index({ campaignKey: 1, key: 1 }, { unique: true });
personSchema.index(
  { campaignKey: 1, openId: 1 },
  { unique: true, partialFilterExpression: { openId: { $type: "string" } } },
);
personSchema.index({ openId: 1 });

const assignmentSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    /** Natural key: `${itemKey}:u:${unitKey}` or `${itemKey}:p:${personKey}`. */
    key: { type: String, required: true },
    itemKey: { type: String, required: true },
    sectionKey: { type: String, required: true },
    target: { type: String, enum: ["unit", "person"], required: true },
    unitKey: { type: String, required: true },
    /** Who answers: the person, or the unit's head. */
    assigneeKey: { type: String, required: true },
    dueDate: { type: String, required: true },
    state: { type: String, enum: ["pending", "submitted"], default: "pending", required: true },
    /** Bumped on every state change; card buttons carry it so a stale card is recognised. */
    rev: { type: Number, default: 0 },
    submittedAt: { type: Date },
    responseVersion: { type: Number, default: 0 },
    returnReason: { type: String },
    /** Set when the item was removed from the campaign file: kept with its answers, no longer counted. */
    withdrawn: { type: Boolean, default: false },
  },
  opts,
);
assignmentSchema.index({ campaignKey: 1, key: 1 }, { unique: true });
assignmentSchema.index({ campaignKey: 1, assigneeKey: 1, state: 1 });
assignmentSchema.index({ campaignKey: 1, state: 1, dueDate: 1 });
assignmentSchema.index({ campaignKey: 1, unitKey: 1 });

const responseSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    assignmentId: { type: Schema.Types.ObjectId, required: true },
    version: { type: Number, required: true },
    conclusion: { type: String, enum: ["compliant", "basically_compliant", "problems"], required: true },
    narrative: { type: String, required: true },
    evidence: { type: String },
    problems: { type: [String], default: [] },
    byKey: { type: String, required: true },
    byOpenId: { type: String },
    /** Flags on the answer (issue 15, src/flags): each `{ kind, …evidence }`; never blocks anything. */
    flags: { type: [Schema.Types.Mixed], default: undefined },
    flaggedAt: { type: Date },
  },
  opts,
);
responseSchema.index({ assignmentId: 1, version: 1 }, { unique: true });
responseSchema.index({ campaignKey: 1 });

const problemSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    seq: { type: Number, required: true },
    assignmentId: { type: Schema.Types.ObjectId, required: true },
    responseVersion: { type: Number, required: true },
    /** Position of the problem in the response, for idempotent creation. */
    index: { type: Number, required: true },
    itemKey: { type: String, required: true },
    unitKey: { type: String, required: true },
    text: { type: String, required: true },
    reportedByKey: { type: String, required: true },
    resolved: { type: Boolean, default: false },
    /** Set when a resubmitted answer no longer lists it: kept for the record, never counted. */
    withdrawn: { type: Boolean, default: false },
    withdrawnAt: { type: Date },
  },
  opts,
);
problemSchema.index({ campaignKey: 1, seq: 1 }, { unique: true });
problemSchema.index({ assignmentId: 1, responseVersion: 1, index: 1 }, { unique: true });
problemSchema.index({ campaignKey: 1, unitKey: 1 });

const measureSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    /** The number people use in chat: "措施12". */
    seq: { type: Number, required: true },
    problemId: { type: Schema.Types.ObjectId, required: true },
    itemKey: { type: String, required: true },
    unitKey: { type: String, required: true },
    content: { type: String, required: true },
    ownerKey: { type: String, required: true },
    reviewerKey: { type: String },
    dueDate: { type: String, required: true },
    originalDueDate: { type: String, required: true },
    state: {
      type: String,
      enum: ["open", "in_progress", "closure_requested", "closed", "withdrawn"],
      default: "open",
      required: true,
    },
    rev: { type: Number, default: 0 },
    percent: { type: Number, default: 0 },
    extension: {
      requestedDue: String,
      reason: String,
      requestedAt: Date,
      status: { type: String, enum: ["requested", "granted", "refused"] },
    },
    closedAt: { type: Date },
    closedByKey: { type: String },
    sendBackReason: { type: String },
    createdByKey: { type: String, required: true },
    /** Idempotency key of the proposal that created it (a double click creates one measure). */
    proposalKey: { type: String, required: true },
    /**
     * The last transition and the records it implies (audit entries, a progress note), written in the
     * same atomic update as the state: a retry after a failure re-derives and completes them.
     */
    lastOp: { type: Schema.Types.Mixed },
    /**
     * 回头看 of a closed measure (src/services/follow-up.ts): due on `dueDate`, sent `sentAt` (the answer
     * is expected by `answerBy`, then it escalates), answered once with `result` by `byKey`.
     */
    followUp: {
      dueDate: String,
      sentAt: Date,
      answerBy: String,
      result: { type: String, enum: ["holds", "relapsed"] },
      byKey: String,
      note: String,
      at: Date,
      relapseMeasureId: Schema.Types.ObjectId,
      relapseSeq: Number,
    },
    /** Set on a measure that reopens a relapsed one (回头看 反弹). */
    relapseOf: { measureId: Schema.Types.ObjectId, seq: Number },
  },
  opts,
);
measureSchema.index({ campaignKey: 1, seq: 1 }, { unique: true });
measureSchema.index({ campaignKey: 1, proposalKey: 1 }, { unique: true });
measureSchema.index({ campaignKey: 1, ownerKey: 1, state: 1 });
measureSchema.index({ campaignKey: 1, state: 1, dueDate: 1 });
measureSchema.index({ problemId: 1 });

const progressSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    measureId: { type: Schema.Types.ObjectId, required: true },
    note: { type: String, required: true },
    percent: { type: Number },
    evidence: { type: String },
    byKey: { type: String, required: true },
    /** Natural key `${measureId}:${fromRev}`: a retried transition writes its note once. */
    key: { type: String },
    /** When it happened on the service clock (the same clock as audit entries' `at`). */
    at: { type: Date },
  },
  opts,
);
progressSchema.index({ measureId: 1, createdAt: 1 });
progressSchema.index({ key: 1 }, { unique: true, partialFilterExpression: { key: { $type: "string" } } });

const auditSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    entity: { type: String, required: true },
    entityId: { type: String, required: true },
    action: { type: String, required: true },
    from: { type: String },
    to: { type: String },
    byKey: { type: String },
    byOpenId: { type: String },
    reason: { type: String },
    at: { type: Date, required: true },
    /** Natural key of the step that wrote it: a retried write records its step once. */
    key: { type: String },
  },
  { versionKey: false },
);
auditSchema.index({ campaignKey: 1, entity: 1, entityId: 1, at: 1 });
auditSchema.index({ key: 1 }, { unique: true, partialFilterExpression: { key: { $type: "string" } } });

const sentCardSchema = new Schema(
  {
    messageId: { type: String, required: true, unique: true },
    campaignKey: { type: String },
    kind: { type: String, required: true },
    refId: { type: String },
    personKey: { type: String },
    receiverId: { type: String },
    uuid: { type: String },
    sentAt: { type: Date, required: true },
  },
  { versionKey: false },
);
sentCardSchema.index({ campaignKey: 1, kind: 1, refId: 1 });

const chatSchema = new Schema(
  {
    chatId: { type: String, required: true, unique: true },
    name: { type: String },
    addedAt: { type: Date },
    active: { type: Boolean, default: true },
  },
  opts,
);

/**
 * Notices sent once: a reminder per person and day, an escalation step per item and due date, a nudge
 * per item and day. Written after the send is queued (with a deterministic uuid), so a sweep killed in
 * the middle and run again sends each notice exactly once.
 */
const noticeSchema = new Schema(
  {
    campaignKey: { type: String, required: true },
    kind: { type: String, required: true },
    key: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
noticeSchema.index({ campaignKey: 1, kind: 1, key: 1 }, { unique: true });

const counterSchema = new Schema(
  { _id: { type: String, required: true }, seq: { type: Number, default: 0 } },
  { versionKey: false },
);

/**
 * Outbound intents (the outbox): one per send or reply, keyed by its deterministic uuid, written before
 * the job is queued and marked `sending` before the API call, `sent` (with the message_id) after it.
 * A re-run skips what has an intent, the worker refuses a job whose intent says sent, and intents not
 * sent are queued again after Redis lost its data (`src/repositories/sent-cards.ts`).
 */
const outboxSchema = new Schema(
  {
    uuid: { type: String, required: true, unique: true },
    op: { type: String, required: true },
    campaignKey: { type: String },
    kind: { type: String },
    refId: { type: String },
    personKey: { type: String },
    state: { type: String, enum: ["queued", "sending", "sent", "unknown", "failed"], required: true },
    /** The job itself, to queue it again; dropped once sent. */
    job: { type: Schema.Types.Mixed },
    queuedAt: { type: Date, required: true },
    /** Held until then (quiet hours). */
    notBefore: { type: Date },
    attemptAt: { type: Date },
    sentAt: { type: Date },
    messageId: { type: String },
    reason: { type: String },
  },
  // The job is stored as given: empty objects in a card are kept.
  { versionKey: false, minimize: false },
);
outboxSchema.index({ state: 1, queuedAt: 1 });
outboxSchema.index({ campaignKey: 1, kind: 1, refId: 1 });

/**
 * A campaign file an admin sent in chat, checked and waiting for 确认导入 (issue 13 §2): the file's
 * digest, the parsed campaign (JSON), who sent it, and until when the preview card holds. `state` moves
 * once (pending → importing → imported, or → cancelled), so a second click imports nothing.
 */
const pendingImportSchema = new Schema(
  {
    _id: { type: String, required: true },
    openId: { type: String, required: true },
    campaignKey: { type: String, required: true },
    fileName: { type: String },
    fileHash: { type: String, required: true },
    specJson: { type: String, required: true },
    /** The campaign's specHash when the preview was made: another import since makes the card stale. */
    baseHash: { type: String },
    /** `org: from: feishu`: the open_ids read from the address book (their people are marked as such). */
    orgOpenIds: { type: [String], default: undefined },
    state: { type: String, enum: ["pending", "importing", "imported", "cancelled"], required: true },
    /** When the current step claimed it (an "importing" claim older than a few minutes is a dead one). */
    claimedAt: { type: Date },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
pendingImportSchema.index({ openId: 1, createdAt: -1 });

export type CampaignDoc = InferSchemaType<typeof campaignSchema>;
export type UnitDoc = InferSchemaType<typeof unitSchema>;
export type PersonDoc = InferSchemaType<typeof personSchema>;
export type AssignmentDoc = InferSchemaType<typeof assignmentSchema>;
export type ResponseDoc = InferSchemaType<typeof responseSchema>;
export type ProblemDoc = InferSchemaType<typeof problemSchema>;
export type MeasureDoc = InferSchemaType<typeof measureSchema>;
export type ProgressDoc = InferSchemaType<typeof progressSchema>;
export type AuditDoc = InferSchemaType<typeof auditSchema>;
export type SentCardDoc = InferSchemaType<typeof sentCardSchema>;
export type ChatDoc = InferSchemaType<typeof chatSchema>;

/** Register the models on one connection (no global mongoose state, so tests can use their own). */
export function createModels(conn: Connection) {
  return {
    Campaign: conn.model("Campaign", campaignSchema),
    Unit: conn.model("Unit", unitSchema),
    Person: conn.model("Person", personSchema),
    Assignment: conn.model("Assignment", assignmentSchema),
    Response: conn.model("Response", responseSchema),
    Problem: conn.model("Problem", problemSchema),
    Measure: conn.model("Measure", measureSchema),
    ProgressUpdate: conn.model("ProgressUpdate", progressSchema),
    AuditEntry: conn.model("AuditEntry", auditSchema),
    SentCard: conn.model("SentCard", sentCardSchema),
    Chat: conn.model("Chat", chatSchema),
    Counter: conn.model("Counter", counterSchema),
    Notice: conn.model("Notice", noticeSchema),
    Outbox: conn.model("Outbox", outboxSchema),
    PendingImport: conn.model("PendingImport", pendingImportSchema),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Build every index the models declare (run at start and in tests). */
export async function ensureIndexes(m: Models): Promise<void> {
  for (const model of Object.values(m)) await model.createIndexes();
}
