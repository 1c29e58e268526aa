import crypto from "node:crypto";

/**
 * Feishu's event encryption and signature.
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */

/** AES-256-CBC with key = SHA-256(encryptKey); payload = base64(iv[16] + ciphertext). Throws on bad input. */
export function decryptBody(encryptKey: string, encrypt: string): string {
  const key = crypto.createHash("sha256").update(encryptKey).digest();
  const buf = Buffer.from(encrypt, "base64");
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error("ciphertext has a wrong length");
  const decipher = crypto.createDecipheriv("aes-256-cbc", key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString("utf8");
}

/** The inverse, for tests and benchmarks that play Feishu. */
export function encryptBody(encryptKey: string, plain: string): string {
  const key = crypto.createHash("sha256").update(encryptKey).digest();
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv("aes-256-cbc", key, iv);
  return Buffer.concat([iv, cipher.update(plain, "utf8"), cipher.final()]).toString("base64");
}

/** hex SHA-256 of timestamp + nonce + encryptKey + rawBody. */
export function signBody(
  timestamp: string,
  nonce: string,
  encryptKey: string,
  rawBody: Buffer | string,
): string {
  return crypto
    .createHash("sha256")
    .update(timestamp + nonce + encryptKey)
    .update(rawBody)
    .digest("hex");
}

export function safeEqualHex(a: string, b: string): boolean {
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ba.length !== bb.length) {
    // Compare anyway so the time taken does not depend on where the strings differ.
    crypto.timingSafeEqual(ba, ba);
    return false;
  }
  return crypto.timingSafeEqual(ba, bb);
}
