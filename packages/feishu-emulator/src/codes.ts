/**
 * The error answers the emulator gives: HTTP status, Feishu code and message.
 * Messages follow Feishu's wording where it is documented (see the package README).
 */
export interface ApiError {
  status: number;
  code: number;
  msg: string;
  /** Extra top-level fields (Feishu's `error: { field_violations }`). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const e = (status: number, code: number, msg: string, extra?: Record<string, unknown>): ApiError => ({
  status,
  code,
  msg,
  extra,
});

export const Codes = {
  // auth / gateway
  missingToken: () =>
    e(400, 99991661, "Missing access token for authorization. Please make a request with token attached."),
  invalidToken: () =>
    e(400, 99991663, "Invalid access token for authorization. Please make a request with token attached."),
  appSecretInvalid: () => e(400, 10014, "app secret invalid"),
  appIdInvalid: () => e(400, 10003, "invalid param"),
  rateLimited: (limit: number, resetSeconds: number): ApiError => ({
    status: 429,
    code: 99991400,
    msg: "request trigger frequency limit",
    headers: { "x-ogw-ratelimit-limit": String(limit), "x-ogw-ratelimit-reset": String(resetSeconds) },
  }),
  notFound: (method: string, path: string) =>
    e(404, 404, `404 page not found (the Feishu emulator does not implement ${method} ${path})`),
  badJson: (detail: string) =>
    fieldValidation([{ field: "body", description: `invalid JSON body: ${detail}` }]),

  // im.message
  // message resources (GET /im/v1/messages/:id/resources/:key)
  resourceInvalid: () => e(400, 234001, "Invalid request param."),
  /** Documented for card and merged-forward message ids; the wording is the emulator's. */
  resourceOfCard: () => e(400, 234043, "Unsupported message type."),
  invalidParam: (ext: string) =>
    e(400, 230001, `Your request contains an invalid request parameter, ext=${ext}`),
  botNotInChat: () => e(400, 230002, "Bot/User can NOT be out of the chat."),
  noAvailability: () => e(400, 230013, "Bot has NO availability to this user."),
  receiverRateLimited: (resetSeconds: number): ApiError => ({
    status: 400,
    code: 230020,
    msg: "This operation triggers the frequency limit.",
    headers: { "x-ogw-ratelimit-reset": String(resetSeconds) },
  }),
  contentTooLong: (detail: string) =>
    e(400, 230025, `The length of the message content reaches its limit. ${detail}`.trim()),
  userResigned: () => e(400, 230029, "User has resigned."),
  tooOldToModify: () => e(400, 230031, "Message can only be modified within 14 days after sending."),
  receiveIdInvalid: () => e(400, 230034, "The receive_id is invalid."),
  unsupportedForType: () => e(400, 230054, "This operation is not supported for this message type."),
  notSender: () => e(400, 230071, "The operator is not the sender of the message."),
  cardBuildFailed: (msg: string) => e(400, 230099, msg),
  openIdCrossApp: () => e(400, 99992361, "open_id cross app"),

  // chats
  chatIdInvalid: () => e(400, 232006, "Your request specifies a chat_id which is invalid."),
  operatorNotInChat: () => e(400, 232011, "Operator can NOT be out of the chat."),
  memberIdTypeUnsupported: () =>
    e(400, 232015, "Your request specifies a member_id_type which is NOT supported."),
  chatParamInvalid: (ext: string) =>
    e(400, 232001, `Your request contains an invalid request parameter, ext=${ext}`),

  // contact
  noUserAuthority: () => e(400, 41050, "no user authority error"),
  /** The app lacks a scope: Feishu names the scopes that would do in `msg`. */
  scopeMissing: (scopes: string[]) =>
    e(
      400,
      99991672,
      `Access denied. One of the following scopes is required: [${scopes.join(", ")}].应用尚未开通所需的应用身份权限：[${scopes.join(", ")}]`,
    ),
  /** The wording is the emulator's: an unknown department (or one outside the app's contact range). */
  departmentNotFound: () => e(400, 40003, "department not found or outside the app's contact range"),
} as const;

export interface FieldViolation {
  field: string;
  description: string;
}

/** 99992402 "field validation failed", with Feishu's `error.field_violations`. */
export function fieldValidation(violations: FieldViolation[]): ApiError {
  return e(400, 99992402, "field validation failed", { error: { field_violations: violations } });
}
