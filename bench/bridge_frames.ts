/**
 * Binary frames over a connection, for the binary bridge floor
 * (`bridge_floor_binary_server.ts`): each frame is a
 * fixed 13-byte header (little-endian `u32` length of the rest, `u8`
 * kind, `u32` id, `u32` length of the head), a UTF-8 head and raw body
 * bytes. The head carries a message's small fields as text (one decode per
 * frame, no JSON on the hot path); bodies cross as they are, never as
 * base64. Frames queued before the flush (`FlushTiming`, as for the JSON
 * lines of `runtime/process/lines.ts`) go out in one write; every frame
 * read at once is handed over synchronously, with no promise per frame.
 *
 * @module
 */

import type { FlushTiming } from "../runtime/process/lines.ts";

/** Bytes of a frame's fixed header. */
export const FRAME_HEADER_BYTES = 13;

/** Bytes read from the connection at a time (the read buffer grows for a larger frame). */
const READ_BUFFER_BYTES = 256 * 1024;

/** The first write buffer's size (it grows as needed, and shrinks back once written). */
const WRITE_BUFFER_BYTES = 64 * 1024;

/** One frame as it was read. The body is the reader's own copy. */
export interface Frame {
  /** What the frame carries (the protocol's own numbering). */
  kind: number;
  /** The message's id (a request, a call), or 0. */
  id: number;
  /** The head text. */
  head: string;
  /** The body bytes (empty when there are none). */
  body: Uint8Array<ArrayBuffer>;
}

const EMPTY = new Uint8Array(0);

/**
 * Reads frames from a connection until it ends, calling `onFrame` for each.
 * A frame larger than `maxFrameBytes` throws a `RangeError` (a peer writing
 * a huge length, or garbage) instead of being buffered.
 */
export async function pumpFrames(
  conn: Deno.Conn,
  onFrame: (frame: Frame) => void,
  maxFrameBytes: number,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = new Uint8Array(READ_BUFFER_BYTES);
  let view = new DataView(buf.buffer);
  let start = 0;
  let end = 0;
  while (true) {
    if (end === buf.length) {
      // Make room: move the partial frame to the front, or grow for a large one.
      const need = end - start >= 4 ? FRAME_HEADER_BYTES + view.getUint32(start, true) : 0;
      const size = Math.max(READ_BUFFER_BYTES, need + 4, end - start);
      const next = size > buf.length ? new Uint8Array(size) : buf;
      next.set(buf.subarray(start, end));
      if (next !== buf) {
        buf = next;
        view = new DataView(buf.buffer);
      }
      end -= start;
      start = 0;
    }
    const n = await conn.read(buf.subarray(end));
    if (n === null) return;
    end += n;
    while (end - start >= FRAME_HEADER_BYTES) {
      const rest = view.getUint32(start, true);
      if (rest + 4 > maxFrameBytes) {
        throw new RangeError(`A frame is larger than ${maxFrameBytes} bytes.`);
      }
      const frameEnd = start + 4 + rest;
      if (frameEnd > end) break;
      const headBytes = view.getUint32(start + 9, true);
      const headEnd = start + FRAME_HEADER_BYTES + headBytes;
      if (headBytes > rest - 9) throw new RangeError("A frame's head is longer than the frame.");
      onFrame({
        kind: buf[start + 4],
        id: view.getUint32(start + 5, true),
        head: headBytes === 0
          ? ""
          : decoder.decode(buf.subarray(start + FRAME_HEADER_BYTES, headEnd)),
        body: headEnd === frameEnd ? EMPTY : buf.slice(headEnd, frameEnd),
      });
      start = frameEnd;
    }
    if (start === end) start = end = 0;
  }
}

/**
 * Writes frames to a connection, in order: frames queued while a write is
 * under way (or in the same tick) go out together in the next write, from
 * one buffer.
 */
export class FrameWriter {
  #conn: Deno.Conn | null = null;
  #buf = new Uint8Array(WRITE_BUFFER_BYTES);
  #view = new DataView(this.#buf.buffer);
  #spare: Uint8Array<ArrayBuffer> | null = null;
  #len = 0;
  #writing = false;
  #scheduled = false;
  #closed = false;
  #encoder = new TextEncoder();
  #onError: (err: unknown) => void;
  #waiters: (() => void)[] = [];
  #inWrite = 0;

  #later: (run: () => void) => void;

  /** `onError` hears of a failed write (the peer is gone); later frames are dropped. */
  constructor(onError: (err: unknown) => void = () => {}, flush: FlushTiming = "microtask") {
    this.#onError = onError;
    this.#later = flush === "turn" ? setImmediate : queueMicrotask;
  }

  /** Starts writing to `conn` (frames queued before go out first). */
  attach(conn: Deno.Conn): void {
    this.#conn = conn;
    this.#kick();
  }

  /** Queues one frame. */
  push(kind: number, id: number, head: string, body: Uint8Array = EMPTY): void {
    if (this.#closed) return;
    const most = FRAME_HEADER_BYTES + head.length * 3 + body.length;
    this.#reserve(most);
    const at = this.#len;
    const headBytes = head.length === 0
      ? 0
      : this.#encoder.encodeInto(head, this.#buf.subarray(at + FRAME_HEADER_BYTES)).written;
    const view = this.#view;
    view.setUint32(at, 9 + headBytes + body.length, true);
    this.#buf[at + 4] = kind;
    view.setUint32(at + 5, id, true);
    view.setUint32(at + 9, headBytes, true);
    if (body.length > 0) this.#buf.set(body, at + FRAME_HEADER_BYTES + headBytes);
    this.#len = at + FRAME_HEADER_BYTES + headBytes + body.length;
    if (!this.#writing && !this.#scheduled) {
      this.#scheduled = true;
      const go = () => {
        this.#scheduled = false;
        this.#kick();
      };
      this.#later(go);
    }
  }

  #reserve(bytes: number): void {
    if (this.#len + bytes <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Bytes queued or being written: a sender of much data waits for {@linkcode drained} past a limit. */
  get backlog(): number {
    return this.#len + this.#inWrite;
  }

  /** Resolves once everything queued so far is written (or the writer closed). */
  drained(): Promise<void> {
    if (this.backlog === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drops every queued and later frame. */
  close(): void {
    this.#closed = true;
    this.#len = 0;
    this.#settle();
  }

  #settle(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #kick(): void {
    if (this.#writing || !this.#conn || this.#len === 0 || this.#closed) return;
    this.#writing = true;
    this.#drain(this.#conn).then(() => {
      this.#writing = false;
      this.#kick();
    }, (err) => {
      this.#writing = false;
      this.close();
      this.#onError(err);
    });
  }

  async #drain(conn: Deno.Conn): Promise<void> {
    while (this.#len > 0 && !this.#closed) {
      // Hand the filled buffer to the write and queue later frames in a fresh one.
      const full = this.#buf;
      const bytes = full.subarray(0, this.#len);
      this.#inWrite = this.#len;
      this.#buf = this.#spare ?? new Uint8Array(WRITE_BUFFER_BYTES);
      this.#spare = null;
      this.#view = new DataView(this.#buf.buffer);
      this.#len = 0;
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
      this.#inWrite = 0;
      // Reused for the next batch, unless a large body grew it.
      if (full.length <= WRITE_BUFFER_BYTES) this.#spare = full;
    }
    if (this.#len === 0) this.#settle();
  }
}
