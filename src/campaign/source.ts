/**
 * One entry point for both readers: a campaign file is a workbook (.xlsx, or any file that starts like
 * a zip) or YAML/JSON text; both end in the same checker (file.ts).
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import {
  decodeCampaignBytes,
  parseCampaignFile,
  type FileError,
  type ParseOptions,
  type ParseResult,
} from "./file";
import { orgRequestOf, type OrgRequest } from "./org-feishu";
import { looksLikeXlsx, readCampaignWorkbook } from "./xlsx-reader";

/** A campaign file that was read and can be checked (the CLI checks twice for a running campaign). */
export interface CampaignSource {
  /** The campaign key as written, when there is one (before any check). */
  key?: string;
  /** `org: from: feishu`: the departments to read from the address book before checking (org-feishu.ts). */
  org?: OrgRequest;
  check(opts: ParseOptions): ParseResult;
}

export type OpenResult = { ok: true; source: CampaignSource } | { ok: false; errors: FileError[] };

/** Reads a campaign file of either kind; an unreadable or broken file is an error result, not a throw. */
export async function openCampaignSource(path: string): Promise<OpenResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return {
      ok: false,
      errors: [
        {
          file: path,
          line: 0,
          message: `无法读取文件（${reason}），请检查路径 / cannot read the file (${reason}): check the path`,
        },
      ],
    };
  }
  return openCampaignBytes(bytes, path);
}

/** The same for a file's bytes (a file sent in chat); `name` is what errors call the file. */
export async function openCampaignBytes(bytes: Buffer, name: string): Promise<OpenResult> {
  const path = name;
  if (/\.xlsx$/i.test(path) || looksLikeXlsx(bytes)) {
    const read = await readCampaignWorkbook(bytes, path);
    if (!read.ok) return read;
    const key = typeof read.raw.key === "string" ? read.raw.key : undefined;
    const org = orgRequestOf(read.raw);
    return { ok: true, source: { key, ...(org ? { org } : {}), check: (opts) => read.check(opts) } };
  }
  const decoded = decodeCampaignBytes(bytes);
  if (!("text" in decoded)) return { ok: false, errors: [{ file: path, line: 0, message: decoded.problem }] };
  const text = decoded.text;
  const doc = rawOf(text);
  const org = orgRequestOf(doc);
  return {
    ok: true,
    source: {
      key: typeof doc?.key === "string" ? doc.key : undefined,
      ...(org ? { org } : {}),
      check: (opts) => parseCampaignFile(text, path, opts),
    },
  };
}

function rawOf(text: string): { key?: unknown; org?: unknown } | undefined {
  try {
    const doc = parseYaml(text) as { key?: unknown; org?: unknown } | null;
    return doc ?? undefined;
  } catch {
    return undefined;
  }
}
