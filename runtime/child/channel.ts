/**
 * The child's end of the bridge: a Unix socket to the kernel, connected
 * before the process drops its permissions. It sends messages, receives
 * the kernel's, and turns capability calls into promises; their values
 * cross the bridge encoded by `../bridge_values.ts` (bytes included).
 *
 * @module
 */
import type { FromChild, ToChild } from "../protocol.ts";
import { LineWriter, pumpConnLines } from "../process/lines.ts";
import { decodeValue, encodeValue } from "../bridge_values.ts";

/** The child's connection to the kernel. */
export interface Channel {
  /** Sends one message. */
  send(msg: FromChild): void;
  /** Resolves when messages sent so far are nearly all written (at most `maxBacklog` characters left). */
  drain(maxBacklog: number): Promise<void>;
  /**
   * Calls a kernel capability and waits for its answer. Trailing
   * `undefined` arguments are left out (JSON would make them `null`).
   */
  call(op: string, args: unknown[]): Promise<unknown>;
  /**
   * Hands every kernel message that is not a call's answer to `onMessage`,
   * as it arrives; resolves when the kernel closes the connection.
   */
  listen(onMessage: (msg: ToChild) => void): Promise<void>;
}

/** An error a capability call returned, with the kernel's code. */
export class BridgeError extends Error {
  /** The kernel's error code. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "FaztError";
    this.code = code;
  }
}

/** Connects to the kernel's socket at `path` and opens the channel over it. */
export async function openChannel(path: string): Promise<Channel> {
  const conn = await Deno.connect({ transport: "unix", path });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  // The kernel is gone: nothing is left to serve.
  const out = new LineWriter(() => Deno.exit(0));
  out.attach(conn);

  /** Queues a message; messages sent together go out in one write. */
  function send(msg: FromChild): void {
    out.push(JSON.stringify(msg));
  }

  return {
    send,
    drain: (maxBacklog) => out.backlog <= maxBacklog ? Promise.resolve() : out.drained(),
    call(op, args) {
      return new Promise((resolve, reject) => {
        let given = args.length;
        while (given > 0 && args[given - 1] === undefined) given--;
        const list = given === args.length ? args : args.slice(0, given);
        // Encoding may throw (a getter of the app's); then nothing is sent.
        const encoded = encodeValue(list) as unknown[];
        const id = nextId++;
        const line = JSON.stringify(
          (encoded === list
            ? { t: "call", id, op, args: list }
            : { t: "call", id, op, args: encoded, tagged: true }) satisfies FromChild,
        );
        pending.set(id, { resolve, reject });
        out.push(line);
      });
    },
    listen(onMessage) {
      return pumpConnLines(conn, (line) => {
        const msg = JSON.parse(line) as ToChild;
        if (msg.t !== "ret") return onMessage(msg);
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) return;
        if (!msg.ok) return p.reject(new BridgeError(msg.error.code, msg.error.message));
        try {
          p.resolve(msg.tagged ? decodeValue(msg.value) : msg.value);
        } catch (err) {
          p.reject(err as Error);
        }
      });
    },
  };
}
