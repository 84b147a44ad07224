/**
 * The background compressor: stores br and gzip encodings of the blobs a
 * deploy marked `compress_pending`, after the deploy has gone live, so a
 * deploy costs hashing and writing only (compression was 83% of a large
 * deploy's CPU time). Until a file's encodings are stored it is served
 * as is (identity), as any file without encodings.
 *
 * Files of any size are compressed, streamed: the input is read one stored
 * chunk at a time and fed in small slices, yielding to the event loop
 * between them so requests keep being served; an encoding of a file over
 * one chunk is written in chunks as it is produced (memory stays about a
 * chunk per encoding), then published with the blob's mark cleared in one
 * transaction. An encoding is kept only when at least 10% smaller. A crash
 * or a shutdown leaves the mark set; the next start drops unpublished
 * chunks and compresses the blob again.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { constants, createBrotliCompress, createGzip } from "node:zlib";
import type { Database } from "../../store/database.ts";
import { concatBytes } from "../../core/bytes.ts";
import {
  CHUNK_SIZE,
  dropUnpublishedVariantChunks,
  type Encoding,
  finishCompression,
  type FinishedVariant,
  pendingCompression,
  putVariantChunk,
  streamBlob,
} from "./content_store.ts";

/** Brotli quality: 6 is ~5× faster than 9 for ~3% larger output on minified JavaScript. */
export const BROTLI_QUALITY = 6;
/** gzip level: 6 is ~5× faster than 9 for ~1% larger output. */
export const GZIP_LEVEL = 6;
/** Input is fed to the encoders in slices of this size, with a yield between them. */
const SLICE_BYTES = 64 * 1024;
/** Small files' encodings are published together, up to this many bytes per transaction. */
const PUBLISH_BATCH_BYTES = 4 * 1024 * 1024;
/** An encoding is kept only when smaller than this share of the original. */
const WORTH_IT = 0.9;

/** Options for {@linkcode createVariantCompressor}. */
export interface VariantCompressorOptions {
  /** The kernel database. */
  db: Database;
  /** Called after encodings were published (file indexes list them). */
  onPublished: () => void;
  /** Reports a failure (a blob that could not be compressed is then served as is). */
  onError: (err: unknown) => void;
}

/** The background compressor. */
export interface VariantCompressor {
  /** Starts a pass over the pending blobs unless one is running (it then goes on). */
  wake(): void;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
  /** Stops after the current slice and waits; a stopped compressor does not wake. */
  stop(): Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type Encoder = ReturnType<typeof createGzip> | ReturnType<typeof createBrotliCompress>;

/** Where one encoding's output goes: memory for a small file, stored chunks for a large one. */
class Sink {
  size = 0;
  private parts: Uint8Array[] = [];
  private fill = 0;
  private seq = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly hash: string,
    readonly encoding: Encoding,
    private readonly chunked: boolean,
  ) {}

  push(data: Uint8Array): void {
    this.size += data.length;
    this.parts.push(data);
    this.fill += data.length;
    if (this.chunked && this.fill >= CHUNK_SIZE) this.flushChunk();
  }

  private flushChunk(): void {
    const all = concatBytes(this.parts, this.fill);
    const chunk = all.slice(0, CHUNK_SIZE);
    const rest = all.subarray(CHUNK_SIZE);
    this.parts = rest.length > 0 ? [rest.slice()] : [];
    this.fill = rest.length;
    const seq = this.seq++;
    this.writes = this.writes.then(() =>
      this.db.write((w) => putVariantChunk(w, this.hash, this.encoding, seq, chunk))
    );
  }

  /** The encoding to publish, or undefined when not worth keeping. */
  async finish(originalSize: number): Promise<FinishedVariant | undefined> {
    const worthIt = this.size < originalSize * WORTH_IT;
    if (!this.chunked) {
      return worthIt ? { encoding: this.encoding, data: concatBytes(this.parts) } : undefined;
    }
    if (worthIt && this.fill > 0) this.flushChunk();
    this.parts = [];
    await this.writes;
    return worthIt ? { encoding: this.encoding, chunkedSize: this.size } : undefined;
  }
}

function encoderFor(encoding: Encoding, size: number): Encoder {
  return encoding === "br"
    ? createBrotliCompress({
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: size,
      },
    })
    : createGzip({ level: GZIP_LEVEL });
}

/** Feeds `encoder` and resolves when its whole output went to `sink`. */
function drain(encoder: Encoder, sink: Sink): Promise<void> {
  return new Promise((resolve, reject) => {
    encoder.on("data", (d: Uint8Array) => sink.push(new Uint8Array(d)));
    encoder.on("end", () => resolve());
    encoder.on("error", reject);
  });
}

const write = (encoder: Encoder, slice: Uint8Array) =>
  new Promise<void>((resolve, reject) =>
    encoder.write(slice, (err) => err ? reject(err) : resolve())
  );

/** Creates the compressor; call {@linkcode VariantCompressor.wake} after each deploy. */
export function createVariantCompressor(options: VariantCompressorOptions): VariantCompressor {
  const { db } = options;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let cleaned = false;

  /** The encodings of one blob, or undefined when stopped midway. */
  async function compress(hash: string, size: number): Promise<FinishedVariant[] | undefined> {
    const chunked = size > CHUNK_SIZE;
    const encodings: Encoding[] = ["br", "gzip"];
    const encoders = encodings.map((e) => encoderFor(e, size));
    const sinks = encodings.map((e) => new Sink(db, hash, e, chunked));
    const done = encoders.map((enc, i) => drain(enc, sinks[i]));
    try {
      for await (const chunk of streamBlob(db.read, hash, 0, size - 1)) {
        for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
          if (stopped) return undefined;
          const slice = chunk.subarray(at, at + SLICE_BYTES);
          await Promise.all(encoders.map((enc) => write(enc, slice)));
          await nextTurn();
        }
      }
      encoders.forEach((enc) => enc.end());
      await Promise.all(done);
      const out: FinishedVariant[] = [];
      for (const sink of sinks) {
        const v = await sink.finish(size);
        if (v) out.push(v);
      }
      return out;
    } finally {
      encoders.forEach((enc) => enc.destroy());
    }
  }

  async function pass(): Promise<void> {
    if (!cleaned) {
      await db.write((w) => dropUnpublishedVariantChunks(w));
      cleaned = true;
    }
    let batch: { hash: string; variants: FinishedVariant[] }[] = [];
    let batchBytes = 0;
    const publish = async () => {
      if (batch.length === 0) return;
      const ready = batch;
      batch = [];
      batchBytes = 0;
      await db.write((w) => {
        for (const b of ready) finishCompression(w, b.hash, b.variants);
      });
      options.onPublished();
    };
    while (!stopped) {
      const pending = pendingCompression(db.read, 64);
      if (pending.length === 0) break;
      for (const { hash, size } of pending) {
        let variants: FinishedVariant[] | undefined;
        try {
          variants = await compress(hash, size);
        } catch (err) {
          options.onError(err);
          variants = [];
        }
        if (variants === undefined) break;
        batch.push({ hash, variants });
        batchBytes += variants.reduce((n, v) => n + ("data" in v ? v.data.length : 0), 0);
        if (size > CHUNK_SIZE || batchBytes >= PUBLISH_BATCH_BYTES) await publish();
      }
      await publish();
    }
    await publish();
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
    })().catch(options.onError).finally(() => {
      running = undefined;
    });
  }

  return {
    wake,
    idle: async () => {
      while (running) await running.catch(() => {});
    },
    async stop() {
      stopped = true;
      while (running) await running.catch(() => {});
    },
  };
}
