/**
 * The bridge protocol between the kernel and a sandbox process: one JSON
 * object per line over the sandbox's Unix socket, in both directions (the
 * line plumbing is runtime/process/lines.ts). Bodies travel base64-encoded;
 * the values of capability calls and their answers are encoded by
 * `bridge_values.ts` (bytes tagged) when they need it. The child never names
 * an app: the kernel knows which app a process serves and attaches that ID
 * to every capability call itself.
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
    /**
     * The dotted names of the capabilities offered as `fazt.*` (`kv.get`, …):
     * the child builds its `fazt` object from them.
     */
    capabilities: readonly string[];
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
  /** Stop sending a response body: the client is not reading it fast enough. */
  | { t: "pause"; id: number }
  /** Carry on sending a paused response body. */
  | { t: "resume"; id: number }
  /**
   * A capability call's answer. `tagged`: `value` holds bytes or escaped
   * objects (`bridge_values.ts`) and must be decoded; without it, it is
   * plain JSON.
   */
  | { t: "ret"; id: number; ok: true; value: unknown; tagged?: true }
  | { t: "ret"; id: number; ok: false; error: { code: string; message: string } }
  | { t: "ping"; id: number };

/** Child → kernel messages. */
export type FromChild =
  | { t: "ready" }
  | { t: "loaded" }
  | { t: "load_error"; message: string }
  | { t: "head"; id: number; status: number; headers: [string, string][] }
  | {
    t: "res";
    id: number;
    status: number;
    headers: [string, string][];
    /** The whole body (base64), for responses that are complete at once. */
    body: string | null;
    /**
     * Or the whole body as text, when it is UTF-8 and the response names
     * its content type: a string crosses the bridge and becomes a response
     * body far more cheaply than bytes.
     */
    text?: string;
  }
  | { t: "chunk"; id: number; data: string }
  | { t: "end"; id: number }
  | { t: "fail"; id: number; message: string }
  /**
   * A capability call. `tagged`: `args` hold bytes or escaped objects
   * (`bridge_values.ts`) and must be decoded; without it, they are plain JSON.
   */
  | { t: "call"; id: number; op: string; args: unknown[]; tagged?: true }
  | {
    t: "log";
    level: "debug" | "info" | "warn" | "error";
    message: string;
    requestId: string | null;
  }
  | { t: "pong"; id: number };

/**
 * The longest message line a sandbox may send (characters): a 50 MiB blob
 * (the largest `blobs.put`) is about 67 MiB of base64.
 */
export const MAX_MESSAGE_CHARS = 80 * 1024 * 1024;

/**
 * Encodes bytes as base64 (natively: building a binary string first costs
 * about 150 ms per MiB, long enough to stall the kernel on one large body).
 */
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Decodes base64 into bytes. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromBase64(text);
}
