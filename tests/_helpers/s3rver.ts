/**
 * A real S3-compatible server for tests: npm s3rver on loopback, with a
 * bucket `backups` and its default account (access key ID `S3RVER`). It
 * checks no SigV4 signatures (the signer's vectors test does that) and
 * lists nested prefixes loosely.
 *
 * Deno's `node:crypto` has no single DES, which s3rver uses to make
 * continuation tokens; single DES is 3DES-EDE with the same key three
 * times, so `des` ciphers are served by `des-ede3-cbc` here. That changes
 * no byte s3rver computes; only paginated listings need it.
 *
 * @module
 */
import crypto from "node:crypto";
import { join } from "node:path";
import S3rver from "s3rver";

/** The access key ID s3rver's default account accepts. */
export const S3RVER_ACCESS_KEY_ID = "S3RVER";

/** The bucket every test server starts with. */
export const S3RVER_BUCKET = "backups";

const originalCipheriv = crypto.createCipheriv;
const originalDecipheriv = crypto.createDecipheriv;
type Cipheriv = typeof crypto.createCipheriv;
type Decipheriv = typeof crypto.createDecipheriv;

function desAsTripleDes(
  algorithm: string,
  key: crypto.CipherKey,
): [string, crypto.CipherKey] {
  if (algorithm.toLowerCase() !== "des" && algorithm.toLowerCase() !== "des-cbc") {
    return [algorithm, key];
  }
  const k = Buffer.from(key as Uint8Array);
  return ["des-ede3-cbc", Buffer.concat([k, k, k])];
}

(crypto as { createCipheriv: Cipheriv }).createCipheriv = ((algorithm, key, iv, options) => {
  const [a, k] = desAsTripleDes(algorithm, key);
  return originalCipheriv(a, k, iv, options as crypto.CipherGCMOptions);
}) as Cipheriv;
(crypto as { createDecipheriv: Decipheriv }).createDecipheriv = ((algorithm, key, iv, options) => {
  const [a, k] = desAsTripleDes(algorithm, key);
  return originalDecipheriv(a, k, iv, options as crypto.CipherGCMOptions);
}) as Decipheriv;

/** Runs `fn` with a fresh s3rver's endpoint URL and a scratch folder, then stops it. */
export async function withS3rver(
  fn: (endpoint: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-s3-" });
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: join(dir, "s3"),
    configureBuckets: [{ name: S3RVER_BUCKET }],
  });
  const { port } = await server.run() as { port: number };
  try {
    await fn(`http://127.0.0.1:${port}`, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}
