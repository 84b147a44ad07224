/**
 * Release manifests: what a fazt release is (version; per platform the
 * binary's URL, size and SHA-256) and the Ed25519 signature that vouches
 * for it. A manifest file is `{"release": {...}, "signature": "<base64>"}`;
 * the signature covers {@linkcode SIGNING_CONTEXT} followed by the
 * canonical JSON of `release` (keys sorted, no whitespace), so the file
 * may be reformatted without breaking it and a signature made for anything
 * else can never pass as a release's. Verification uses Web Crypto.
 *
 * @module
 */
import { z } from "zod";
import { FaztError } from "../../core/errors.ts";

/** Prefixed to the signed bytes: a signature over anything else never verifies. */
export const SIGNING_CONTEXT = "fazt release manifest v1\n";

/** One platform's binary in a release. */
export interface ReleaseFile {
  /** Where the binary is, absolute or relative to the manifest's URL. */
  url: string;
  /** Its size in bytes. */
  size: number;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
}

/** The signed part of a manifest. */
export interface Release {
  /** The release's version (what `/_fazt/health` of its server reports). */
  version: string;
  /** Binaries by platform (`linux-x86_64`, `linux-aarch64`, `darwin-x86_64`, `darwin-aarch64`). */
  platforms: Record<string, ReleaseFile>;
}

const releaseFileSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  size: z.number().int().min(1).max(2 ** 40),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const manifestSchema = z.strictObject({
  release: z.strictObject({
    version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/),
    platforms: z.record(z.string().regex(/^[a-z0-9_-]{1,40}$/), releaseFileSchema),
  }),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
});

/** The platform name of this machine in manifests, e.g. `linux-x86_64`. */
export function platformName(): string {
  return `${Deno.build.os}-${Deno.build.arch}`;
}

/** JSON with object keys sorted and no whitespace: the bytes a signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function signedBytes(release: Release): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(SIGNING_CONTEXT + canonicalJson(release));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Parses manifest bytes and checks the signature against `keys` (base64
 * raw Ed25519 public keys). Returns the release only when one key verifies
 * it; otherwise throws a FaztError saying why.
 */
export async function verifyManifest(bytes: Uint8Array, keys: readonly string[]): Promise<Release> {
  let parsed;
  try {
    parsed = manifestSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    throw new FaztError(
      "bad_gateway",
      'The release manifest is not a fazt manifest ({"release": {"version", "platforms"}, "signature"}).',
    );
  }
  if (keys.length === 0) {
    throw new FaztError(
      "forbidden",
      "This build of fazt trusts no release key, so it cannot verify any release. Install a release binary from the project instead.",
    );
  }
  const release: Release = parsed.release;
  const signature = fromBase64(parsed.signature);
  for (const key of keys) {
    const publicKey = await crypto.subtle.importKey("raw", fromBase64(key), "Ed25519", false, [
      "verify",
    ]);
    if (await crypto.subtle.verify("Ed25519", publicKey, signature, signedBytes(release))) {
      return release;
    }
  }
  throw new FaztError(
    "forbidden",
    `The signature of release ${release.version} does not match fazt's release key: refusing it (nothing was changed).`,
    { details: { version: release.version } },
  );
}

/** An Ed25519 key pair for signing releases: base64 raw public key, base64 PKCS#8 private key. */
export interface ReleaseKeyPair {
  /** The raw public key, base64 (what `RELEASE_PUBLIC_KEYS` lists). */
  publicKey: string;
  /** The PKCS#8 private key, base64 (keep it off the server). */
  privateKey: string;
}

/** Makes a new release key pair. */
export async function generateReleaseKeyPair(): Promise<ReleaseKeyPair> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  return {
    publicKey: toBase64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey))),
    privateKey: toBase64(new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey))),
  };
}

/** Signs `release` with a PKCS#8 private key (base64) and returns the manifest file's text. */
export async function signManifest(release: Release, privateKey: string): Promise<string> {
  const key = await crypto.subtle.importKey("pkcs8", fromBase64(privateKey), "Ed25519", false, [
    "sign",
  ]);
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, signedBytes(release)));
  return JSON.stringify({ release, signature: toBase64(signature) }, null, 2) + "\n";
}
