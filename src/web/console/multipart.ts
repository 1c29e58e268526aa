/** A small multipart/form-data reader for one uploaded file and a few text fields (the import form). */
export interface Multipart {
  fields: Record<string, string>;
  file?: { name: string; bytes: Buffer };
}

export function parseMultipart(body: Buffer, contentType: string | undefined): Multipart | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  if (!m) return undefined;
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const out: Multipart = { fields: {} };
  let at = body.indexOf(boundary);
  while (at >= 0) {
    const start = at + boundary.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(boundary, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // after CRLF, before CRLF
    const headEnd = part.indexOf("\r\n\r\n");
    if (headEnd >= 0) {
      const head = part.subarray(0, headEnd).toString("utf8");
      const content = part.subarray(headEnd + 4);
      const name = /name="([^"]*)"/i.exec(head)?.[1];
      const filename = /filename="([^"]*)"/i.exec(head)?.[1];
      if (name && filename !== undefined) {
        if (filename) out.file = { name: filename.replace(/^.*[\\/]/, ""), bytes: Buffer.from(content) };
      } else if (name) out.fields[name] = content.toString("utf8");
    }
    at = next;
  }
  return out;
}
