/**
 * Test-only ZIP writer that can craft both ordinary and malicious archives:
 * raw (non-UTF-8) names, forged sizes and CRCs, symlinks, encryption flags,
 * unknown methods, ZIP64 records, data descriptors, split-archive markers and
 * truncated or garbage-padded files. It is independent of the reader under
 * test (its CRC-32 comes from `node:zlib`).
 *
 * @example
 * ```ts
 * const zip = craftZip([
 *   { name: "index.html", data: "<h1>hi</h1>" },
 *   { name: "../evil", data: "x" },
 *   { name: "bomb.txt", data: new Uint8Array(1 << 20), size: 10 },
 * ]);
 * ```
 *
 * @module
 */
import { crc32 as zlibCrc32, deflateRawSync } from "node:zlib";

/** One entry to write with {@linkcode craftZip}. */
export interface CraftEntry {
  /** Entry name. A string is written as UTF-8; bytes are written verbatim. */
  name: string | Uint8Array;
  /** Uncompressed content (a string is UTF-8). Defaults to empty. */
  data?: string | Uint8Array;
  /**
   * `"deflate"` (default, via `deflateRawSync`), `"stored"`, or a raw method
   * number written as-is (data is then stored unless `compressed` is given).
   */
  method?: "stored" | "deflate" | number;
  /** Exact bytes to write as the entry data instead of compressing `data`. */
  compressed?: Uint8Array;
  /** Forged declared uncompressed size (default: the real size). */
  size?: number;
  /** Forged declared compressed size (default: the real compressed length). */
  compressedSize?: number;
  /** Forged declared CRC-32 (default: the real CRC-32 of `data`). */
  crc32?: number;
  /** Mark as a directory (DOS attribute 0x10, Unix mode 0o40755). Append "/" yourself. */
  directory?: boolean;
  /** Mark as a symbolic link: made by Unix, mode 0o120777 in the external attributes. */
  symlink?: boolean;
  /** Set general purpose flag bit 0 (traditional encryption). */
  encrypted?: boolean;
  /** Set flag bit 11 (UTF-8 name). Defaults to true when a string name is not ASCII. */
  utf8?: boolean;
  /** Write sizes/offset as 0xFFFFFFFF with a ZIP64 extra field (0x0001). */
  zip64?: boolean;
  /** Set flag bit 3: zero sizes/CRC in the local header and a data descriptor after the data. */
  dataDescriptor?: boolean;
  /** Raw "version made by" (default 3 << 8 | 20, Unix). */
  versionMadeBy?: number;
  /** Raw external attributes, overriding `directory`/`symlink`. */
  externalAttrs?: number;
  /** Extra field bytes appended in both headers (e.g. a Unicode path field). */
  extra?: Uint8Array;
  /** A different name for the local header only. */
  localName?: string | Uint8Array;
  /** A different method number for the local header only. */
  localMethod?: number;
  /** Raw "disk number start" in the central header. */
  diskStart?: number;
  /** Forge the central header's local header offset. */
  localHeaderOffset?: number;
}

/** Archive-level options for {@linkcode craftZip}. */
export interface CraftOptions {
  /** Write a ZIP64 end of central directory record + locator, with 0xFFFF.. sentinels in the EOCD. */
  zip64?: boolean;
  /** Archive comment. */
  comment?: string | Uint8Array;
  /** Bytes written before the first local header (e.g. a self-extractor stub). */
  prefix?: Uint8Array;
  /** Garbage bytes appended after the end of central directory record. */
  trailing?: Uint8Array;
  /** Keep only the first `truncate` bytes of the finished archive (negative: drop that many). */
  truncate?: number;
  /** Forge fields of the end of central directory record(s). */
  eocd?: {
    /** Number of this disk. */
    disk?: number;
    /** Disk where the central directory starts. */
    cdDisk?: number;
    /** Entries on this disk. */
    diskEntries?: number;
    /** Total entries. */
    totalEntries?: number;
    /** Central directory size. */
    cdSize?: number;
    /** Central directory offset. */
    cdOffset?: number;
  };
}

const encoder = new TextEncoder();

function bytesOf(value: string | Uint8Array | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** The CRC-32 used by ZIP (from `node:zlib`, independent of the reader). */
export function zipCrc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}

/** Growable little-endian byte writer. */
class Writer {
  #chunks: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): this {
    this.#chunks.push(b);
    this.length += b.length;
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v & 0xffff, true);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.bytes(b);
  }
  u64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return this.bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function u16le(v: number): Uint8Array {
  return new Writer().u16(v).finish();
}

/**
 * Builds an Info-ZIP Unicode Path extra field (0x7075) carrying `utf8Name`
 * for an entry whose raw header name is `rawName`.
 */
export function unicodePathExtra(rawName: Uint8Array, utf8Name: string): Uint8Array {
  const name = encoder.encode(utf8Name);
  return new Writer().u16(0x7075).u16(5 + name.length).bytes(new Uint8Array([1]))
    .u32(zipCrc32(rawName)).bytes(name).finish();
}

/**
 * Writes a zip archive from `entries`, honouring every forged field. With no
 * forgeries it produces a valid archive any unzip tool can read.
 */
export function craftZip(entries: CraftEntry[], opts: CraftOptions = {}): Uint8Array {
  const out = new Writer();
  const central = new Writer();
  if (opts.prefix) out.bytes(opts.prefix);

  for (const e of entries) {
    const name = bytesOf(e.name);
    const localName = e.localName === undefined ? name : bytesOf(e.localName);
    const data = bytesOf(e.data);
    const method = e.method === undefined || e.method === "deflate"
      ? 8
      : e.method === "stored"
      ? 0
      : e.method;
    const body = e.compressed ?? (method === 8 ? new Uint8Array(deflateRawSync(data)) : data);
    const size = e.size ?? data.length;
    const compressedSize = e.compressedSize ?? body.length;
    const crc = e.crc32 ?? zipCrc32(data);
    const nonAscii = typeof e.name === "string" && [...e.name].some((c) => c.charCodeAt(0) > 0x7f);
    let flags = 0;
    if (e.encrypted) flags |= 0x0001;
    if (e.dataDescriptor) flags |= 0x0008;
    if (e.utf8 ?? nonAscii) flags |= 0x0800;
    const offset = out.length;
    const z = e.zip64 === true;
    const zip64Extra = z
      ? new Writer().u16(0x0001).u16(24).u64(size).u64(compressedSize)
        .u64(e.localHeaderOffset ?? offset).finish()
      : new Uint8Array(0);
    const localZip64 = z
      ? new Writer().u16(0x0001).u16(16).u64(e.dataDescriptor ? 0 : size)
        .u64(e.dataDescriptor ? 0 : compressedSize).finish()
      : new Uint8Array(0);
    const extra = bytesOf(e.extra);
    const version = z ? 45 : 20;

    // Local file header.
    const localExtra = new Writer().bytes(localZip64).bytes(extra).finish();
    out.u32(0x04034b50).u16(version).u16(flags).u16(e.localMethod ?? method).u16(0).u16(0x21);
    if (e.dataDescriptor) out.u32(0).u32(z ? 0xffffffff : 0).u32(z ? 0xffffffff : 0);
    else out.u32(crc).u32(z ? 0xffffffff : compressedSize).u32(z ? 0xffffffff : size);
    out.u16(localName.length).u16(localExtra.length).bytes(localName).bytes(localExtra);
    out.bytes(body);
    if (e.dataDescriptor) {
      out.u32(0x08074b50).u32(crc);
      if (z) out.u64(compressedSize).u64(size);
      else out.u32(compressedSize).u32(size);
    }

    // Central directory header.
    let attrs = 0o100644 << 16;
    if (e.directory) attrs = (0o40755 << 16) | 0x10;
    if (e.symlink) attrs = 0o120777 << 16;
    const centralExtra = new Writer().bytes(zip64Extra).bytes(extra).finish();
    central.u32(0x02014b50).u16(e.versionMadeBy ?? ((3 << 8) | 20)).u16(version).u16(flags)
      .u16(method).u16(0).u16(0x21).u32(crc)
      .u32(z ? 0xffffffff : compressedSize).u32(z ? 0xffffffff : size)
      .u16(name.length).u16(centralExtra.length).u16(0).u16(e.diskStart ?? 0).u16(0)
      .u32(e.externalAttrs ?? attrs).u32(z ? 0xffffffff : e.localHeaderOffset ?? offset)
      .bytes(name).bytes(centralExtra);
  }

  const cdOffset = opts.eocd?.cdOffset ?? out.length;
  const cdBytes = central.finish();
  const cdSize = opts.eocd?.cdSize ?? cdBytes.length;
  const total = opts.eocd?.totalEntries ?? entries.length;
  const diskEntries = opts.eocd?.diskEntries ?? total;
  const disk = opts.eocd?.disk ?? 0;
  const cdDisk = opts.eocd?.cdDisk ?? 0;
  out.bytes(cdBytes);

  if (opts.zip64) {
    const eocd64Offset = out.length;
    out.u32(0x06064b50).u64(44).u16((3 << 8) | 45).u16(45).u32(disk).u32(cdDisk)
      .u64(diskEntries).u64(total).u64(cdSize).u64(cdOffset);
    out.u32(0x07064b50).u32(0).u64(eocd64Offset).u32(1);
  }
  const comment = bytesOf(opts.comment);
  out.u32(0x06054b50);
  if (opts.zip64) {
    out.u16(0xffff).u16(0xffff).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff);
  } else {
    out.u16(disk).u16(cdDisk).u16(diskEntries).u16(total).u32(cdSize).u32(cdOffset);
  }
  out.bytes(u16le(comment.length)).bytes(comment);
  if (opts.trailing) out.bytes(opts.trailing);

  const zip = out.finish();
  if (opts.truncate === undefined) return zip;
  return zip.slice(0, opts.truncate >= 0 ? opts.truncate : zip.length + opts.truncate);
}
