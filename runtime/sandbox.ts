/**
 * One sandbox process on the kernel's side: spawns it, speaks the bridge
 * protocol, forwards requests and capability calls, and kills it when it
 * misbehaves. A process is the isolation boundary: it can be killed even
 * while its JavaScript spins, and its out-of-memory crash takes down only
 * itself.
 *
 * @module
 */
import {
  fromBase64,
  type FromChild,
  MAX_MESSAGE_CHARS,
  toBase64,
  type ToChild,
} from "./protocol.ts";
import { LineWriter, pumpConnLines, pumpLines } from "./process/lines.ts";
import type { RuntimeHost } from "./host.ts";
import { decodeValue, encodeValue } from "./bridge_values.ts";
import { deprioritize } from "./process/priority.ts";
import { utf8Length } from "../kernel/core/text.ts";

/** How to start a sandbox process. */
export interface SpawnSpec {
  /** The executable. */
  command: string;
  /** Its arguments, given the path of the bridge socket it must connect to. */
  args(socket: string): string[];
  /** Its whole environment. */
  env: Record<string, string>;
  /** A private folder (mode 0700) for bridge sockets. */
  socketDir: string;
}

/** Why a request did not get the app's answer. */
export class SandboxError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "SandboxError";
    this.status = status;
  }
}

/** A sandbox's answer to a request: the response head (its body may still stream). */
export interface SandboxAnswer {
  /** The response. */
  res: Response;
  /**
   * Its body's size in bytes when it arrived in one message (nothing more
   * will come); undefined while its body still streams.
   */
  size?: number;
}

interface Pending {
  resolveHead(answer: SandboxAnswer): void;
  reject(err: Error): void;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  headSent: boolean;
  /** True while the child was told to stop sending the body. */
  paused?: boolean;
}

/**
 * Response body bytes buffered in the kernel per request before the child
 * is told to pause, so a client that stops reading cannot make the kernel
 * hold an app's endless output.
 */
const BODY_BUFFER_BYTES = 4 * 1024 * 1024;

/** A running sandbox process bound (after `load`) to one app version. */
export class Sandbox {
  #proc: Deno.ChildProcess;
  #out = new LineWriter(() => {}, "turn");
  #pending = new Map<number, Pending>();
  #pings = new Map<number, () => void>();
  #nextId = 1;
  #ready: Promise<void>;
  #loaded?: { resolve(): void; reject(e: Error): void };
  #host: RuntimeHost;
  #appId = "";
  #exited = false;
  #exitCode: number | null = null;
  #killedFor: string | null = null;
  #killedStatus = 504;
  #inflight = 0;
  #busySince = 0;
  #busyMs = 0;
  #loadingSince = 0;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** Last time a request started or ended (ms). */
  lastUsed = Date.now();

  constructor(spec: SpawnSpec, host: RuntimeHost) {
    this.#host = host;
    // The bridge is a Unix socket the child connects to before it drops its
    // permissions: socket reads are event-driven, where a child's stdin is
    // read on a blocking thread (slower, and jittery under load).
    const socket = `${spec.socketDir}/${crypto.randomUUID()}.sock`;
    const listener = Deno.listen({ transport: "unix", path: socket });
    this.#proc = new Deno.Command(spec.command, {
      args: spec.args(socket),
      env: spec.env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    deprioritize(this.#proc.pid);
    let ready!: () => void;
    let failed!: (e: Error) => void;
    this.#ready = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    this.#ready.catch(() => {});
    this.exited = this.#run(listener, socket, ready, failed);
    this.#pumpStderr();
  }

  /** Accepts the child's one connection, then closes the listener for good. */
  async #connect(listener: Deno.Listener, socket: string): Promise<Deno.Conn | null> {
    try {
      return await Promise.race([listener.accept(), this.#proc.status.then(() => null)]);
    } catch {
      return null;
    } finally {
      listener.close();
      await Deno.remove(socket).catch(() => {});
    }
  }

  /** The process ID. */
  get pid(): number {
    return this.#proc.pid;
  }

  /** The app the process is bound to ("" while it is a spare). */
  get appId(): string {
    return this.#appId;
  }

  /** Requests in flight. */
  get inflight(): number {
    return this.#inflight;
  }

  set inflight(n: number) {
    if (this.#inflight === 0 && n > 0) this.#busySince = performance.now();
    else if (this.#inflight > 0 && n <= 0) this.#busyMs += performance.now() - this.#busySince;
    this.#inflight = n;
  }

  /**
   * Milliseconds this process has spent loading the app's code or with at
   * least one request in flight: a request waits for both, so the CPU
   * budget credits CPU used meanwhile to the requests.
   */
  get busyMs(): number {
    const now = performance.now();
    return this.#busyMs + (this.#inflight > 0 ? now - this.#busySince : 0) +
      (this.#loadingSince > 0 ? now - this.#loadingSince : 0);
  }

  /** True once the process has exited. */
  get dead(): boolean {
    return this.#exited;
  }

  /** Queues a message; messages queued together go out in one write. */
  #send(msg: ToChild): void {
    if (this.#exited) return;
    // Requests wait for the end of the turn (batched with the others it
    // brings); everything else (answers to calls, aborts, pings) goes at once.
    this.#out.push(JSON.stringify(msg), msg.t !== "req");
  }

  async #run(
    listener: Deno.Listener,
    socket: string,
    ready: () => void,
    failed: (e: Error) => void,
  ): Promise<void> {
    const conn = await this.#connect(listener, socket);
    if (conn) {
      this.#out.attach(conn);
      try {
        await pumpConnLines(conn, (line) => {
          // App code may reach the socket through Deno's internals and write
          // anything: a line that is not a well-formed message is skipped,
          // and never stops this loop.
          try {
            const msg: FromChild = JSON.parse(line);
            if (typeof msg === "object" && msg !== null) this.#dispatch(msg, ready);
          } catch {
            // skipped
          }
        }, MAX_MESSAGE_CHARS);
      } catch (err) {
        // The connection broke (the process is gone) or the app flooded it.
        if (err instanceof RangeError) this.kill("The app's runtime sent an oversized message.");
      }
      this.#out.close();
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    // Nothing more can be read from the process (it may have closed the
    // socket and kept running): make sure it is gone.
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // already gone
    }
    const status = await this.#proc.status;
    this.#exited = true;
    this.#exitCode = status.code;
    const limited = this.#killedFor === null && this.#appId && this.#host.exitReason
      ? await this.#host.exitReason(this.#appId, this.#proc.pid, status, this.#pending.size)
        .catch(() => null)
      : null;
    const reason = this.#killedFor ?? limited ??
      (status.code === 133 || status.signal === "SIGTRAP"
        ? "The app's runtime ran out of memory and was stopped."
        : `The app's runtime stopped unexpectedly (exit code ${status.code}).`);
    failed(new SandboxError(502, reason));
    this.#loaded?.reject(new SandboxError(502, reason));
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      const err = new SandboxError(this.#killedFor ? this.#killedStatus : 502, reason);
      if (p.headSent) p.controller?.error(err);
      else p.reject(err);
    }
    for (const wake of this.#pings.values()) wake();
  }

  async #pumpStderr(): Promise<void> {
    try {
      await pumpLines(this.#proc.stderr, (line) => {
        if (this.#appId) this.#host.log(this.#appId, "error", line.slice(0, 4000), null);
      }, 1024 * 1024);
    } catch (err) {
      if (err instanceof RangeError) this.kill("The app's runtime flooded its error output.");
    }
  }

  #dispatch(msg: FromChild, ready: () => void): void {
    switch (msg.t) {
      case "ready":
        ready();
        return;
      case "loaded":
        this.#loaded?.resolve();
        return;
      case "load_error":
        this.#loaded?.reject(
          new SandboxError(500, `The app's code failed to load: ${msg.message}`),
        );
        return;
      case "head": {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        p.headSent = true;
        const body = new ReadableStream<Uint8Array>({
          start: (c) => {
            p.controller = c;
          },
          pull: () => {
            if (!p.paused) return;
            p.paused = false;
            this.#send({ t: "resume", id: msg.id });
          },
          cancel: () => this.#send({ t: "abort", id: msg.id }),
        }, new ByteLengthQueuingStrategy({ highWaterMark: BODY_BUFFER_BYTES }));
        const nullBody = msg.status === 204 || msg.status === 304 || msg.status < 200;
        p.resolveHead({
          res: new Response(nullBody ? null : body, { status: msg.status, headers: msg.headers }),
        });
        return;
      }
      case "res": {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        const nullBody = msg.status === 204 || msg.status === 304 || msg.status < 200;
        const body = nullBody
          ? null
          : typeof msg.text === "string"
          ? msg.text
          : msg.body === null
          ? null
          : fromBase64(msg.body);
        p.resolveHead({
          res: new Response(body, { status: msg.status, headers: msg.headers }),
          size: body === null ? 0 : typeof body === "string" ? utf8Length(body) : body.byteLength,
        });
        return;
      }
      case "chunk": {
        const p = this.#pending.get(msg.id);
        if (!p?.controller) return;
        p.controller.enqueue(fromBase64(msg.data));
        if (!p.paused && (p.controller.desiredSize ?? 1) <= 0) {
          p.paused = true;
          this.#send({ t: "pause", id: msg.id });
        }
        return;
      }
      case "end": {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        try {
          p?.controller?.close();
        } catch {
          // the reader went away
        }
        return;
      }
      case "fail": {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (!p) return;
        const err = new SandboxError(500, "The app's handler threw an error; see the app's logs.");
        if (p.headSent) p.controller?.error(err);
        else p.reject(err);
        return;
      }
      case "call":
        this.#call(msg.id, msg.op, msg.args, msg.tagged === true);
        return;
      case "log":
        if (this.#appId) this.#host.log(this.#appId, msg.level, msg.message, msg.requestId);
        return;
      case "pong":
        this.#pings.get(msg.id)?.();
        return;
    }
  }

  /** Runs a capability call for the bound app and answers it, whatever happens. */
  async #call(id: number, op: string, args: unknown, tagged: boolean): Promise<void> {
    try {
      const list = tagged ? decodeValue(args) : args;
      const value = (await this.#host.call(this.#appId, op, list as unknown[])) ?? null;
      const bytes = this.#host.answersWithBytes?.(op) ?? true;
      const encoded = bytes ? encodeValue(value) : value;
      this.#send(
        encoded === value
          ? { t: "ret", id, ok: true, value }
          : { t: "ret", id, ok: true, value: encoded, tagged: true },
      );
    } catch (err) {
      this.#send({
        t: "ret",
        id,
        ok: false,
        error: {
          code: (err as { code?: string }).code ?? "internal",
          message: err instanceof Error ? err.message : String(err),
        },
      });
    }
  }

  /** Waits until the process is up (before any app code). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Binds the process to an app version and loads its code. */
  async load(
    app: { id: string; name: string },
    code: { files: Record<string, string>; entry: string },
  ): Promise<void> {
    await this.#ready;
    const capabilities = await this.#host.capabilities();
    this.#appId = app.id;
    const loaded = new Promise<void>((resolve, reject) => this.#loaded = { resolve, reject });
    this.#loadingSince = performance.now();
    this.#send({
      t: "init",
      app,
      files: code.files,
      entry: code.entry,
      capabilities,
    });
    try {
      await loaded;
    } finally {
      this.#busyMs += performance.now() - this.#loadingSince;
      this.#loadingSince = 0;
    }
  }

  /** True when the process answers a ping within `ms` (its event loop is not stuck). */
  responsive(ms: number): Promise<boolean> {
    if (this.#exited) return Promise.resolve(false);
    const id = this.#nextId++;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#pings.delete(id);
        resolve(false);
      }, ms);
      this.#pings.set(id, () => {
        clearTimeout(timer);
        this.#pings.delete(id);
        resolve(!this.#exited);
      });
      this.#send({ t: "ping", id });
    });
  }

  /** Sends a request; its `response` resolves with the app's response head (the body streams). */
  request(
    req: Request,
    requestId: string,
    body: Uint8Array | null,
  ): { id: number; response: Promise<SandboxAnswer> } {
    const id = this.#nextId++;
    if (this.#exited) {
      const gone = new SandboxError(502, "The app's runtime stopped; try again.");
      return { id, response: Promise.reject(gone) };
    }
    const response = new Promise<SandboxAnswer>((resolveHead, reject) => {
      this.#pending.set(id, { resolveHead, reject, headSent: false });
    });
    const headers: [string, string][] = [];
    req.headers.forEach((value, name) => headers.push([name, value]));
    this.#send({
      t: "req",
      id,
      requestId,
      method: req.method,
      url: req.url,
      headers,
      body: body && body.length > 0 ? toBase64(body) : null,
    });
    return { id, response };
  }

  /** Gives up on one request (client gone or too slow). */
  abandon(id: number, status: number, message: string): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    this.#send({ t: "abort", id });
    const err = new SandboxError(status, message);
    if (p.headSent) p.controller?.error(err);
    else p.reject(err);
  }

  /**
   * Kills the process at once; requests in flight fail with `reason` and
   * `status` (default 504: it was stuck or too slow).
   */
  kill(reason: string, status = 504): void {
    if (this.#exited) return;
    if (this.#killedFor === null) {
      this.#killedFor = reason;
      this.#killedStatus = status;
    }
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  /** The exit code, once exited. */
  get exitCode(): number | null {
    return this.#exitCode;
  }
}
