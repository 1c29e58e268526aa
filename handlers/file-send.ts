import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Receiver, UploadFileType } from "../src/feishu/types";
import type { HandlerDeps } from "./deps";

/**
 * Send bytes as a file message: written to a temporary file, uploaded (`im.file.create`, a stream, as
 * the export job does) and sent through the outbound queue with a deterministic uuid.
 */
export async function sendBytesAsFile(
  deps: Pick<HandlerDeps, "feishu" | "outbound">,
  to: Receiver,
  file: { name: string; type: UploadFileType; bytes: Buffer },
  uuid: string,
  o: { delayMs?: number; kind?: string } = {},
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "rectify-file-"));
  try {
    const p = path.join(dir, file.name.replace(/[\\/]/g, "_"));
    await writeFile(p, file.bytes);
    const fileKey = await deps.feishu.uploadFile({ name: file.name, type: file.type, path: p });
    await deps.outbound.enqueue(
      { op: "send", to, content: { fileKey }, uuid, ref: { kind: o.kind ?? "file", refId: fileKey } },
      o.delayMs ? { delayMs: o.delayMs } : undefined,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
