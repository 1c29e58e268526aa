import { createCipheriv, createHash, randomBytes } from "node:crypto";

/** Feishu event encryption: AES-256-CBC, key = SHA-256(encryptKey), body = base64(iv[16] + ciphertext). */
export function encryptEvent(encryptKey: string, plaintext: string): string {
  const key = createHash("sha256").update(encryptKey, "utf8").digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  return Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final()]).toString("base64");
}

/** X-Lark-Signature: hex SHA-256 of timestamp + nonce + encryptKey + rawBody. */
export function signEvent(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash("sha256")
    .update(timestamp + nonce + encryptKey + rawBody, "utf8")
    .digest("hex");
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** Stable hex digest, for derived ids (p2p chat ids, default union ids). */
export function digestHex(input: string, length = 32): string {
  return createHash("sha256").update(input, "utf8").digest("hex").slice(0, length);
}
