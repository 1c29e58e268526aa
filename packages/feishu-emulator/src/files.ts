/** Files: `POST /open-apis/im/v1/files` (upload) and `GET /open-apis/im/v1/messages/:id/resources/:file_key` (download). */
import { type Request, type Response } from "express";
import { Codes, type FieldViolation, fieldValidation } from "./codes";
import { randomHex } from "./crypto";
import { boundaryOf, parseMultipart } from "./multipart";
import { Obj } from "./shared";
import { EmulatorState } from "./state";
import { type StoredFile, type UserMessageOptions } from "./types";

const MAX_FILE_BYTES = 30 * 1024 * 1024;

const FILE_TYPES = ["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"];

export function handleFileUpload(s: EmulatorState, req: Request, res: Response): void {
  const boundary = boundaryOf(req.headers["content-type"]);
  if (!boundary || !Buffer.isBuffer(req.body)) {
    return s.fail(
      req,
      res,
      fieldValidation([{ field: "file", description: "a multipart/form-data body is required" }]),
    );
  }
  const parts = parseMultipart(req.body, boundary);
  const fields: Record<string, string> = {};
  let file: { filename?: string; data: Buffer } | undefined;
  for (const p of parts) {
    if (p.name === "file") file = { filename: p.filename, data: p.data };
    else fields[p.name] = p.data.toString("utf8");
  }
  res.locals.recordBody = {
    fields,
    file: file ? { filename: file.filename, size: file.data.length } : undefined,
  };
  const v: FieldViolation[] = [];
  if (!fields.file_type) v.push({ field: "file_type", description: "file_type is required" });
  else if (!FILE_TYPES.includes(fields.file_type))
    v.push({
      field: "file_type",
      description: `file_type is optional, options: [${FILE_TYPES.join(",")}]`,
    });
  if (!fields.file_name) v.push({ field: "file_name", description: "file_name is required" });
  if (!file) v.push({ field: "file", description: "file is required" });
  else if (file.data.length === 0) v.push({ field: "file", description: "empty files are not allowed" });
  else if (file.data.length > MAX_FILE_BYTES)
    v.push({ field: "file", description: "the file is larger than 30 MB" });
  if (fields.duration !== undefined && !/^\d+$/.test(fields.duration))
    v.push({ field: "duration", description: "duration must be an integer (ms)" });
  if (v.length || !file) return s.fail(req, res, fieldValidation(v));
  const key = `file_v3_${randomHex(4)}_${randomHex(12)}`;
  s.files.set(key, {
    file_key: key,
    file_type: fields.file_type,
    file_name: fields.file_name,
    ...(fields.duration !== undefined ? { duration: Number(fields.duration) } : {}),
    bytes: file.data,
    uploadedAt: s.clock(),
  });
  s.ok(req, res, { file_key: key });
}

/** A file a user "sent": kept like an upload, so a file message can point at it. */
export function storeUserFile(s: EmulatorState, f: NonNullable<UserMessageOptions["file"]>): StoredFile {
  const bytes = Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data, "base64");
  const key = `file_v3_${randomHex(4)}_${randomHex(12)}`;
  const stored: StoredFile = {
    file_key: key,
    file_type: f.type ?? "stream",
    file_name: f.name,
    bytes,
    uploadedAt: s.clock(),
  };
  s.files.set(key, stored);
  return stored;
}

/** `GET /im/v1/messages/:id/resources/:file_key?type=file|image`: a file from a message a user sent. */
export function handleResourceGet(s: EmulatorState, req: Request, res: Response): void {
  const type = req.query.type;
  if (type !== "file" && type !== "image") {
    return s.fail(
      req,
      res,
      fieldValidation([{ field: "type", description: "type is required, options: [image,file]" }]),
    );
  }
  const msg = s.userMessages.get(String(req.params.message_id));
  const fileKey = String(req.params.file_key);
  if (!msg || msg.fileKey !== fileKey) {
    const bot = s.sent.get(String(req.params.message_id));
    if (bot?.msg_type === "interactive") return s.fail(req, res, Codes.resourceOfCard());
    return s.fail(req, res, Codes.resourceInvalid());
  }
  const f = s.files.get(fileKey);
  if (!f) return s.fail(req, res, Codes.resourceInvalid());
  // A file message's resource is of type file; asking for it as an image is a wrong request.
  if (type !== "file") return s.fail(req, res, Codes.resourceInvalid());
  s.calls.push({
    seq: ++s.seq,
    method: req.method,
    path: s.pathOf(req),
    query: { ...(req.query as Obj) },
    body: undefined,
    status: 200,
    response: `<${f.bytes.length} bytes>`,
    headers: {},
    at: typeof res.locals.at === "number" ? res.locals.at : s.clock(),
  });
  res.status(200);
  res.setHeader("content-type", "application/octet-stream");
  res.setHeader("content-length", String(f.bytes.length));
  res.setHeader("content-disposition", `attachment; filename="${encodeURIComponent(f.file_name)}"`);
  res.end(f.bytes);
}
