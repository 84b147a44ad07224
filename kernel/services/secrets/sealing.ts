/**
 * Encryption at rest under the data folder's 32-byte secrets key: AES-256-GCM
 * with a fresh 12-byte IV per value and associated data that binds the value
 * to where it is stored (an app's secret name, a certificate ID), so a sealed
 * value copied into another row no longer opens. Layout: IV (12) | tag (16) |
 * ciphertext.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Encrypts `value` under `key`, bound to `context`. */
export function seal(key: Uint8Array, context: string, value: string): Uint8Array {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(new TextEncoder().encode(context));
  const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/**
 * Decrypts what {@linkcode seal} made with the same key and context; throws
 * when either differs or the bytes were changed.
 */
export function unseal(key: Uint8Array, context: string, sealed: Uint8Array): string {
  const buf = Buffer.from(sealed);
  const decipher = createDecipheriv("aes-256-gcm", key, buf.subarray(0, 12));
  decipher.setAAD(new TextEncoder().encode(context));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString("utf8");
}
