/**
 * The backup archive's container: a plain POSIX ustar file, written and
 * read as a stream so no member is ever held in memory whole. Only regular
 * files are written; names are at most 100 bytes (fazt's paths are short),
 * sizes past ustar's 8 GiB octal field use the GNU base-256 form. Every
 * header carries its checksum, and the reader checks it, the zero padding
 * after each member and the zero blocks at the end, so a flipped byte
 * anywhere outside a member's data is caught here (the manifest's SHA-256
 * sums catch the rest).
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";

/** The tar block size. */
const BLOCK = 512;

/** How many bytes are copied at a time. */
export const CHUNK_BYTES = 1024 * 1024;

/** The largest size the 11 octal digits of a ustar header hold. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

const enc = new TextEncoder();
const dec = new TextDecoder();

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function writeOctal(block: Uint8Array, at: number, width: number, value: number): void {
  const text = value.toString(8).padStart(width - 1, "0");
  block.set(enc.encode(text), at);
  block[at + width - 1] = 0;
}

/** One ustar header for a regular file. */
function header(name: string, size: number, mtimeMs: number): Uint8Array {
  const nameBytes = enc.encode(name);
  if (nameBytes.length === 0 || nameBytes.length > 100) {
    throw new Error(`Tar member names must be 1–100 bytes (got "${name}").`);
  }
  const block = new Uint8Array(BLOCK);
  block.set(nameBytes, 0);
  writeOctal(block, 100, 8, 0o600);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  if (size <= MAX_OCTAL_SIZE) {
    writeOctal(block, 124, 12, size);
  } else {
    block[124] = 0x80;
    let rest = BigInt(size);
    for (let i = 135; i > 124; i--) {
      block[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  }
  writeOctal(block, 136, 12, Math.floor(mtimeMs / 1000));
  block[156] = 0x30; // "0": a regular file
  block.set(enc.encode("ustar\0"), 257);
  block.set(enc.encode("00"), 263);
  block.fill(0x20, 148, 156);
  const sum = block.reduce((a, b) => a + b, 0);
  writeOctal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

/**
 * Writes a tar archive member by member to an open file, flushing it to
 * disk every `syncEveryBytes` (default 64 MiB): a large archive then never
 * piles up gigabytes of unwritten pages whose final flush would stall every
 * other write to the disk (SQLite's commits and checkpoints among them).
 */
export class TarWriter {
  readonly #file: Deno.FsFile;
  readonly #syncEvery: number;
  #bytes = 0;
  #unsynced = 0;

  /** A writer appending to `file` (positioned at its start). */
  constructor(file: Deno.FsFile, syncEveryBytes = 64 * 1024 * 1024) {
    this.#file = file;
    this.#syncEvery = syncEveryBytes;
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  async #write(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) at += await this.#file.write(data.subarray(at));
    this.#bytes += data.length;
    this.#unsynced += data.length;
    if (this.#unsynced >= this.#syncEvery) {
      this.#unsynced = 0;
      await this.#file.syncData();
    }
  }

  /** Adds a member of `size` bytes whose data `source` yields (exactly `size` bytes in all). */
  async add(
    name: string,
    size: number,
    source: AsyncIterable<Uint8Array>,
    mtimeMs: number = Date.now(),
  ): Promise<void> {
    await this.#write(header(name, size, mtimeMs));
    let written = 0;
    for await (const chunk of source) {
      written += chunk.length;
      if (written > size) throw new Error(`${name} grew while it was archived.`);
      await this.#write(chunk);
    }
    if (written !== size) throw new Error(`${name} shrank while it was archived.`);
    await this.#write(new Uint8Array(padding(size)));
  }

  /** Adds a member held in memory (small files: the manifest, the key). */
  addBytes(name: string, data: Uint8Array, mtimeMs?: number): Promise<void> {
    return this.add(
      name,
      data.length,
      (async function* () {
        yield data;
      })(),
      mtimeMs,
    );
  }

  /** Writes the two zero blocks that end an archive. */
  finish(): Promise<void> {
    return this.#write(new Uint8Array(BLOCK * 2));
  }
}

/** Streams the whole file at `path` in chunks. */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) return;
    yield buf.slice(0, n);
  }
}

/** One member of an archive, as {@linkcode readTarIndex} finds it. */
export interface TarMember {
  /** Its name. */
  name: string;
  /** Its size in bytes. */
  size: number;
  /** Where its data begins in the file. */
  offset: number;
}

function corrupt(file: string, why: string): FaztError {
  return new FaztError("invalid_archive", `${file} is not an intact fazt backup: ${why}.`);
}

function parseOctal(block: Uint8Array, at: number, width: number): number {
  const text = dec.decode(block.subarray(at, at + width)).replace(/[\0 ]+$/, "").trim();
  if (!/^[0-7]*$/.test(text)) return NaN;
  return text === "" ? 0 : parseInt(text, 8);
}

function parseSize(block: Uint8Array): number {
  if (block[124] & 0x80) {
    let n = 0n;
    for (let i = 125; i < 136; i++) n = (n << 8n) | BigInt(block[i]);
    return Number(n);
  }
  return parseOctal(block, 124, 12);
}

async function readExactly(file: Deno.FsFile, buf: Uint8Array): Promise<boolean> {
  let at = 0;
  while (at < buf.length) {
    const n = await file.read(buf.subarray(at));
    if (n === null) return false;
    at += n;
  }
  return true;
}

/**
 * Lists the members of the tar file at `path` by reading only their
 * headers (seeking over their data), checking each header's checksum,
 * type and magic and the end of the archive. Throws `invalid_archive`.
 */
export async function readTarIndex(path: string): Promise<TarMember[]> {
  using file = await Deno.open(path, { read: true });
  const length = (await file.stat()).size;
  const members: TarMember[] = [];
  const block = new Uint8Array(BLOCK);
  let offset = 0;
  for (;;) {
    await file.seek(offset, Deno.SeekMode.Start);
    if (!await readExactly(file, block)) throw corrupt(path, "it ends in the middle");
    if (block.every((b) => b === 0)) {
      if (!await readExactly(file, block) || !block.every((b) => b === 0)) {
        throw corrupt(path, "its end marker is damaged");
      }
      const rest = new Uint8Array(Math.min(length - offset - 2 * BLOCK, CHUNK_BYTES));
      if (!await readExactly(file, rest) || !rest.every((b) => b === 0)) {
        throw corrupt(path, "it has bytes after its end");
      }
      return members;
    }
    const stored = parseOctal(block, 148, 8);
    const copy = block.slice();
    copy.fill(0x20, 148, 156);
    if (copy.reduce((a, b) => a + b, 0) !== stored) {
      throw corrupt(path, `a header at byte ${offset} fails its checksum`);
    }
    if (dec.decode(block.subarray(257, 262)) !== "ustar" || block[156] !== 0x30) {
      throw corrupt(path, `the member at byte ${offset} is not a regular ustar file`);
    }
    const nameEnd = block.indexOf(0);
    const name = dec.decode(block.subarray(0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd));
    const size = parseSize(block);
    if (!Number.isSafeInteger(size) || offset + BLOCK + size > length) {
      throw corrupt(path, `the member "${name}" runs past the end of the file`);
    }
    members.push({ name, size, offset: offset + BLOCK });
    offset += BLOCK + size + padding(size);
  }
}

/**
 * Streams the data of `member` of the tar file at `path`, then checks that
 * the padding after it is zero. Throws `invalid_archive`.
 */
export async function* memberChunks(path: string, member: TarMember): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  await file.seek(member.offset, Deno.SeekMode.Start);
  let left = member.size;
  while (left > 0) {
    const buf = new Uint8Array(Math.min(left, CHUNK_BYTES));
    if (!await readExactly(file, buf)) throw corrupt(path, `"${member.name}" is cut short`);
    left -= buf.length;
    yield buf;
  }
  const pad = new Uint8Array(padding(member.size));
  if (!await readExactly(file, pad) || !pad.every((b) => b === 0)) {
    throw corrupt(path, `the padding after "${member.name}" is damaged`);
  }
}
