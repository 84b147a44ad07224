/**
 * Backup test helpers: rewrite an archive with an edited manifest (a
 * "newer fazt" archive with valid checksums), and a fingerprint of a data
 * folder to prove that a refused restore changed nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { memberChunks, readTarIndex, TarWriter } from "../../kernel/services/backup/tar.ts";
import {
  type BackupManifest,
  MANIFEST_FILE,
  MANIFEST_SUM_FILE,
} from "../../kernel/services/backup/manifest.ts";

/** Copies archive `from` to `to` with its manifest passed through `edit` (checksums kept valid). */
export async function rewriteManifest(
  from: string,
  to: string,
  edit: (m: BackupManifest) => void,
): Promise<void> {
  const index = await readTarIndex(from);
  using file = await Deno.open(to, { write: true, createNew: true });
  const tar = new TarWriter(file);
  for (const m of index) {
    if (m.name === MANIFEST_FILE || m.name === MANIFEST_SUM_FILE) continue;
    await tar.add(m.name, m.size, memberChunks(from, m));
  }
  const manifestMember = index.find((m) => m.name === MANIFEST_FILE)!;
  const parts: Uint8Array[] = [];
  for await (const c of memberChunks(from, manifestMember)) parts.push(c);
  const manifest = JSON.parse(new TextDecoder().decode(concat(parts))) as BackupManifest;
  edit(manifest);
  const text = new TextEncoder().encode(JSON.stringify(manifest));
  await tar.addBytes(MANIFEST_FILE, text);
  await tar.addBytes(
    MANIFEST_SUM_FILE,
    new TextEncoder().encode(createHash("sha256").update(text).digest("hex")),
  );
  await tar.finish();
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every file under `dir` (relative path → SHA-256), and the names next to it in its parent. */
export async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string) => {
    for await (const e of Deno.readDir(join(dir, sub))) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory) await walk(rel);
      else {
        out[rel] = createHash("sha256").update(await Deno.readFile(join(dir, rel))).digest("hex");
      }
    }
  };
  await walk("");
  for await (const e of Deno.readDir(join(dir, ".."))) out[`../${e.name}`] = "";
  return out;
}

/** Flips one byte of `file` at `offset`. */
export async function flipByte(file: string, offset: number): Promise<void> {
  using f = await Deno.open(file, { read: true, write: true });
  await f.seek(offset, Deno.SeekMode.Start);
  const b = new Uint8Array(1);
  await f.read(b);
  b[0] ^= 0xff;
  await f.seek(offset, Deno.SeekMode.Start);
  await f.write(b);
}
