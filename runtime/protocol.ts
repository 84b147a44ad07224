/**
 * The bridge protocol between the kernel and a sandbox process: one JSON
 * object per line on the child's stdin (kernel → child) and stdout
 * (child → kernel). Bodies travel base64-encoded. The child never names an
 * app: the kernel knows which app a process serves and attaches that ID to
 * every capability call itself.
 *
 * @module
 */

/** The app a sandbox serves, as the app's code sees it. */
export interface SandboxApp {
  /** Stable app ID. */
  id: string;
  /** Current name. */
  name: string;
}

/** Kernel → child messages. */
export type ToChild =
  | {
    t: "init";
    app: SandboxApp;
    /** The app's code files (path → source). */
    files: Record<string, string>;
    /** The entry file, e.g. `api/main.js`. */
    entry: string;
  }
  | {
    t: "req";
    id: number;
    requestId: string;
    method: string;
    url: string;
    headers: [string, string][];
    body: string | null;
  }
  | { t: "abort"; id: number }
  | { t: "ret"; id: number; ok: true; value: unknown }
  | { t: "ret"; id: number; ok: false; error: { code: string; message: string } }
  | { t: "ping"; id: number };

/** Child → kernel messages. */
export type FromChild =
  | { t: "ready" }
  | { t: "loaded" }
  | { t: "load_error"; message: string }
  | { t: "head"; id: number; status: number; headers: [string, string][] }
  | { t: "chunk"; id: number; data: string }
  | { t: "end"; id: number }
  | { t: "fail"; id: number; message: string }
  | { t: "call"; id: number; op: string; args: unknown[] }
  | {
    t: "log";
    level: "debug" | "info" | "warn" | "error";
    message: string;
    requestId: string | null;
  }
  | { t: "pong"; id: number };

/** Encodes bytes as base64. */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Decodes base64 into bytes. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Splits a byte stream into text lines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buffer) yield buffer;
}
