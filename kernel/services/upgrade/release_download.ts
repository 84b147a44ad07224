/**
 * Fetching a release: the manifest (from an `http(s):` URL or a local
 * file) and the platform's binary, streamed to disk with its size capped
 * at what the signed manifest says and its SHA-256 computed on the way.
 * A binary whose size or hash differs is deleted and refused.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { concatBytes } from "../../core/bytes.ts";
import { FaztError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";
import type { ReleaseFile } from "./release_manifest.ts";

/** The largest manifest read (bytes). */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** A manifest's bytes and the URL relative binary URLs resolve against. */
export interface FetchedManifest {
  /** The manifest file's bytes, unverified. */
  bytes: Uint8Array;
  /** Its URL. */
  url: URL;
}

/** Turns `--from` (an `http(s)://` URL or a file path) into a URL. */
export function sourceUrl(source: string): URL {
  if (/^https?:\/\//i.test(source)) return new URL(source);
  return pathToFileURL(resolve(source));
}

async function get(url: URL, what: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw new FaztError(
      "bad_gateway",
      `Cannot fetch the ${what} at ${url.href} (${(err as Error).message}).`,
      { cause: err },
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FaztError(
      "bad_gateway",
      `Cannot fetch the ${what} at ${url.href}: the server answered ${res.status}.`,
    );
  }
  return res;
}

/** Reads the manifest at `url`, refusing anything over 64 KiB. */
export async function fetchManifest(url: URL, signal?: AbortSignal): Promise<FetchedManifest> {
  const res = await get(url, "release manifest", signal);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body!) {
    total += chunk.length;
    if (total > MAX_MANIFEST_BYTES) {
      throw new FaztError(
        "bad_gateway",
        `The release manifest at ${url.href} is over ${formatBytes(MAX_MANIFEST_BYTES)}.`,
      );
    }
    chunks.push(chunk);
  }
  return { bytes: concatBytes(chunks, total), url };
}

/**
 * Downloads `file` (its URL resolved against `base`) to `dest` (created or
 * truncated, mode 0755, synced to disk) and checks its size and SHA-256.
 * On any mismatch `dest` is removed and a FaztError says which check failed.
 */
export async function downloadBinary(
  file: ReleaseFile,
  base: URL,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  const url = new URL(file.url, base);
  const res = await get(url, "release binary", signal);
  const hash = createHash("sha256");
  const out = await Deno.open(dest, { write: true, create: true, truncate: true, mode: 0o755 });
  let size = 0;
  let ok = false;
  try {
    for await (const chunk of res.body!) {
      size += chunk.length;
      if (size > file.size) break;
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) written += await out.write(chunk.subarray(written));
    }
    if (size !== file.size) {
      throw new FaztError(
        "bad_gateway",
        `The release binary at ${url.href} is ${
          size > file.size ? "larger" : "smaller"
        } than its manifest says (${file.size} bytes): refusing it (nothing was changed).`,
      );
    }
    const sha256 = hash.digest("hex");
    if (sha256 !== file.sha256) {
      throw new FaztError(
        "bad_gateway",
        `The release binary's SHA-256 (${sha256}) differs from its signed manifest's (${file.sha256}): refusing it (nothing was changed).`,
      );
    }
    await out.sync();
    ok = true;
  } finally {
    out.close();
    if (!ok) await Deno.remove(dest).catch(() => {});
  }
  await Deno.chmod(dest, 0o755);
}
