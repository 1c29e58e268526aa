/** MongoDB wire protocol framing: OP_MSG, legacy OP_QUERY requests and OP_REPLY answers. */
import type { Doc } from "./types";
import { deserialize, serialize } from "./values";

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;

export const HEADER_SIZE = 16;
export const MAX_MESSAGE_SIZE = 48_000_000;
export const MAX_BSON_SIZE = 16 * 1024 * 1024;

export interface MessageHeader {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export interface OpMsgRequest {
  kind: "msg";
  header: MessageHeader;
  flags: number;
  /** body with kind-1 document sequences merged in as array fields */
  command: Doc;
}

export interface OpQueryRequest {
  kind: "query";
  header: MessageHeader;
  flags: number;
  collection: string;
  numberToSkip: number;
  numberToReturn: number;
  query: Doc;
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

export function readHeader(buf: Buffer): MessageHeader {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

function readDocument(buf: Buffer, offset: number, end: number, what: string): [Doc, number] {
  if (offset + 4 > end) throw new WireError(`truncated ${what}`);
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new WireError(`invalid ${what} size ${size}`);
  let doc: Doc;
  try {
    doc = deserialize(buf.subarray(offset, offset + size));
  } catch (err) {
    throw new WireError(`invalid BSON in ${what}: ${(err as Error).message}`);
  }
  return [doc, offset + size];
}

function readCString(buf: Buffer, offset: number, end: number): [string, number] {
  const zero = buf.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new WireError("unterminated cstring");
  return [buf.toString("utf8", offset, zero), zero + 1];
}

/** Parses an OP_MSG (full message including header). */
export function parseOpMsg(buf: Buffer, header: MessageHeader): OpMsgRequest {
  if (buf.length < HEADER_SIZE + 5) throw new WireError("OP_MSG too short");
  const flags = buf.readUInt32LE(HEADER_SIZE);
  const end = buf.length - (flags & MSG_CHECKSUM_PRESENT ? 4 : 0);
  let offset = HEADER_SIZE + 4;
  let body: Doc | undefined;
  const sequences = new Map<string, Doc[]>();
  while (offset < end) {
    const kind = buf[offset++];
    if (kind === 0) {
      if (body) throw new WireError("OP_MSG has more than one body section");
      [body, offset] = readDocument(buf, offset, end, "OP_MSG body");
    } else if (kind === 1) {
      if (offset + 4 > end) throw new WireError("truncated document sequence");
      const size = buf.readInt32LE(offset);
      const secEnd = offset + size;
      if (size < 5 || secEnd > end) throw new WireError(`invalid document sequence size ${size}`);
      const [identifier, afterName] = readCString(buf, offset + 4, secEnd);
      let p = afterName;
      const docs = sequences.get(identifier) ?? [];
      while (p < secEnd) {
        let d: Doc;
        [d, p] = readDocument(buf, p, secEnd, `document sequence '${identifier}'`);
        docs.push(d);
      }
      sequences.set(identifier, docs);
      offset = secEnd;
    } else {
      throw new WireError(`unsupported OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new WireError("OP_MSG has no body section");
  for (const [id, docs] of sequences) body[id] = docs;
  return { kind: "msg", header, flags, command: body };
}

/** Parses a legacy OP_QUERY (only used for the initial handshake and `$cmd` commands). */
export function parseOpQuery(buf: Buffer, header: MessageHeader): OpQueryRequest {
  const end = buf.length;
  if (end < HEADER_SIZE + 4) throw new WireError("OP_QUERY too short");
  const flags = buf.readInt32LE(HEADER_SIZE);
  let [collection, p] = readCString(buf, HEADER_SIZE + 4, end);
  if (p + 8 > end) throw new WireError("truncated OP_QUERY");
  const numberToSkip = buf.readInt32LE(p);
  const numberToReturn = buf.readInt32LE(p + 4);
  p += 8;
  const [query] = readDocument(buf, p, end, "OP_QUERY query");
  collection = collection.trim();
  return { kind: "query", header, flags, collection, numberToSkip, numberToReturn, query };
}

let nextRequestId = 1;
function requestId(): number {
  nextRequestId = (nextRequestId + 1) & 0x7fffffff;
  return nextRequestId;
}

/** OP_MSG reply with a single body section. */
export function encodeOpMsg(responseTo: number, doc: Doc): Buffer {
  const body = serialize(doc);
  const out = Buffer.allocUnsafe(HEADER_SIZE + 5 + body.length);
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(requestId(), 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(OP_MSG, 12);
  out.writeUInt32LE(0, 16);
  out.writeUInt8(0, 20);
  out.set(body, 21);
  return out;
}

/** OP_REPLY (answer to OP_QUERY). flags bit 1 = QueryFailure. */
export function encodeOpReply(responseTo: number, docs: Doc[], flags = 0): Buffer {
  const bodies = docs.map((d) => serialize(d));
  const size = HEADER_SIZE + 20 + bodies.reduce((n, b) => n + b.length, 0);
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  out.writeInt32LE(requestId(), 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(OP_REPLY, 12);
  out.writeInt32LE(flags, 16);
  out.writeBigInt64LE(0n, 20);
  out.writeInt32LE(0, 28);
  out.writeInt32LE(docs.length, 32);
  let p = 36;
  for (const b of bodies) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
