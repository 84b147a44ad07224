/**
 * Writes a zip archive from files in memory with the native zlib (deflate
 * and CRC-32): packing the 1,918 files (97 MiB) of the monaco-editor package
 * took 3.6 s with fflate's JavaScript deflate at level 6. Entries carry a
 * fixed timestamp (1980-01-01 00:00), so the same files always give the
 * same bytes. No ZIP64: at most 65,535 entries and 4 GiB.
 *
 * @module
 */
import { crc32, deflateRawSync } from "node:zlib";
import { FaztError } from "../kernel/core/errors.ts";

/** One file to put in the archive. */
export interface ZipFileInput {
  /** The entry name: relative, `/`-separated. */
  name: string;
  /** The content. */
  data: Uint8Array;
  /** Deflate it (else stored as is). */
  deflate: boolean;
}

/**
 * Deflate level. 1 is ~3× faster than 6 on minified JavaScript for an
 * archive ~40% larger; the server inflates either at the same speed.
 */
export const DEFLATE_LEVEL = 1;

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8_FLAG = 0x0800;
/** DOS date of 1980-01-01 (time 00:00 is 0). */
const DOS_DATE = (1 << 5) | 1;
const MAX_U32 = 0xffffffff;

/** The zip archive of `files`, in the order given. */
export function zipFiles(files: readonly ZipFileInput[]): Uint8Array {
  if (files.length > 0xffff) {
    throw new FaztError(
      "bad_request",
      `The folder has ${files.length} files; an archive holds at most 65,535. Deploy fewer files.`,
    );
  }
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = encoder.encode(f.name);
    const body = f.deflate ? deflateRawSync(f.data, { level: DEFLATE_LEVEL }) : f.data;
    const stored = !f.deflate || body.length >= f.data.length;
    const data = stored ? f.data : body;
    const method = stored ? 0 : 8;
    const crc = crc32(f.data);
    const flag = name.length !== f.name.length ? UTF8_FLAG : 0;
    if (offset > MAX_U32 || f.data.length > MAX_U32) {
      throw new FaztError(
        "bad_request",
        "The folder is larger than 4 GiB, more than an archive holds.",
      );
    }
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, LOCAL, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, flag, true);
    local.setUint16(8, method, true);
    local.setUint16(10, 0, true);
    local.setUint16(12, DOS_DATE, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, f.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    const dir = new DataView(new ArrayBuffer(46));
    dir.setUint32(0, CENTRAL, true);
    dir.setUint16(4, 20, true);
    dir.setUint16(6, 20, true);
    dir.setUint16(8, flag, true);
    dir.setUint16(10, method, true);
    dir.setUint16(12, 0, true);
    dir.setUint16(14, DOS_DATE, true);
    dir.setUint32(16, crc, true);
    dir.setUint32(20, data.length, true);
    dir.setUint32(24, f.data.length, true);
    dir.setUint16(28, name.length, true);
    dir.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, data);
    central.push(new Uint8Array(dir.buffer), name);
    offset += 30 + name.length + data.length;
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  if (offset + centralSize > MAX_U32) {
    throw new FaztError(
      "bad_request",
      "The folder is larger than 4 GiB, more than an archive holds.",
    );
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, END, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + 22);
  let at = 0;
  for (const p of [...parts, ...central, new Uint8Array(end.buffer)]) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
