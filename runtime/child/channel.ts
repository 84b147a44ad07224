/**
 * The child's end of the bridge: writes messages to stdout, reads the
 * kernel's messages from stdin, and turns capability calls into promises.
 *
 * @module
 */
import type { FromChild, ToChild } from "../protocol.ts";
import { pumpLines } from "../protocol.ts";

/** The child's connection to the kernel. */
export interface Channel {
  /** Sends one message. */
  send(msg: FromChild): void;
  /** Calls a kernel capability and waits for its answer. */
  call(op: string, args: unknown[]): Promise<unknown>;
  /**
   * Hands every kernel message that is not a call's answer to `onMessage`,
   * as it arrives; resolves when the kernel closes the pipe.
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

/** Opens the channel over this process's stdin and stdout. */
export function openChannel(): Channel {
  const encoder = new TextEncoder();
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const out = Deno.stdout;

  let outbox: string[] = [];

  function flush(): void {
    const bytes = encoder.encode(outbox.join("\n") + "\n");
    outbox = [];
    let written = 0;
    while (written < bytes.length) written += out.writeSync(bytes.subarray(written));
  }

  /** Queues a message; messages sent in the same tick go out in one write. */
  function send(msg: FromChild): void {
    if (outbox.push(JSON.stringify(msg)) === 1) queueMicrotask(flush);
  }

  return {
    send,
    call(op, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ t: "call", id, op, args });
      });
    },
    listen(onMessage) {
      return pumpLines(Deno.stdin.readable, (line) => {
        const msg = JSON.parse(line) as ToChild;
        if (msg.t !== "ret") return onMessage(msg);
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) return;
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new BridgeError(msg.error.code, msg.error.message));
      });
    },
  };
}
