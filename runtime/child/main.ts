/**
 * A sandbox process: it drops every permission first and locks down what
 * app code can reach (./lockdown.ts), then receives one app's code from the
 * kernel, and serves that app's API requests. App code can reach nothing
 * but the kernel, over the bridge: `fazt.*` data calls, secrets and `fetch`
 * all go through it.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { BridgeError, type Channel, openChannel } from "./channel.ts";
import { createModuleSystem } from "./modules.ts";
import { lockDown } from "./lockdown.ts";
import { refusalMessage } from "../builtins.ts";
import {
  fromBase64,
  type FromChild,
  type SandboxApp,
  toBase64,
  type ToChild,
} from "../protocol.ts";
import { concatBytes } from "../../kernel/core/bytes.ts";

/** The largest piece of a response body sent in one message. */
const CHUNK_BYTES = 1024 * 1024;

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/** Drops every permission this process holds before any app code exists. */
async function dropPermissions(): Promise<void> {
  for (const name of PERMISSIONS) {
    await Deno.permissions.revoke({ name } as Deno.PermissionDescriptor);
  }
}

type Handler = (req: Request, ctx: unknown) => unknown;

function pickHandler(exports: unknown): Handler {
  const e = exports as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
  const candidates = [
    (e as { default?: unknown })?.default,
    e,
  ];
  for (const c of candidates) {
    if (typeof c === "function") return c as Handler;
    if (c && typeof (c as { fetch?: unknown }).fetch === "function") {
      const obj = c as { fetch: Handler };
      return (req, ctx) => obj.fetch(req, ctx);
    }
  }
  throw new Error(
    "api/main.js must export a handler: `export default async (req, ctx) => …`, `export default { fetch(req, ctx) }` or `module.exports = (req, ctx) => …`.",
  );
}

/** A handler's answer that is complete at once (not a `Response`). */
interface Plain {
  status: number;
  headers: [string, string][];
  bytes: Uint8Array | null;
  text?: string;
}

/**
 * Turns what a handler returned into a `Response`, or, for the values fazt
 * turns into responses itself (nothing, a string, bytes, JSON), straight
 * into the status, headers and bytes to send.
 */
function toAnswer(value: unknown): Response | Plain {
  if (value instanceof Response) return value;
  if (value === undefined || value === null) return { status: 204, headers: [], bytes: null };
  if (typeof value === "string") {
    return {
      status: 200,
      headers: [["content-type", "text/plain; charset=utf-8"]],
      bytes: null,
      text: value,
    };
  }
  if (value instanceof Uint8Array) {
    return { status: 200, headers: [["content-type", "application/octet-stream"]], bytes: value };
  }
  return {
    status: 200,
    headers: [["content-type", "application/json; charset=utf-8"]],
    bytes: null,
    text: JSON.stringify(value),
  };
}

/** Decodes UTF-8 strictly: undefined for bytes that are not valid UTF-8. */
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bodies up to this size may cross the bridge as text. */
const TEXT_BYTES = 64 * 1024;

/**
 * The `res` message for a whole response: the body as text when it is
 * UTF-8 and the response names its content type (so the kernel's
 * `Response` adds none of its own), else base64.
 */
function wholeMessage(
  id: number,
  status: number,
  headers: [string, string][],
  bytes: Uint8Array | null,
  text?: string,
): FromChild {
  if (text !== undefined) {
    return text.length > 0
      ? { t: "res", id, status, headers, body: null, text }
      : { t: "res", id, status, headers, body: null };
  }
  if (!bytes || bytes.length === 0) return { t: "res", id, status, headers, body: null };
  if (bytes.length <= TEXT_BYTES && headers.some(([name]) => name === "content-type")) {
    try {
      return { t: "res", id, status, headers, body: null, text: strict.decode(bytes) };
    } catch {
      // not UTF-8: base64 below
    }
  }
  return { t: "res", id, status, headers, body: toBase64(bytes) };
}

/** A response's headers as pairs (cheaper than spreading the iterator). */
function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}

/**
 * Settles after a few turns of the microtask queue: a body that is ready
 * in memory is read well within that; one that waits on I/O or timers is
 * not.
 */
function afterMicrotasks(): Promise<"later"> {
  let p: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < 16; i++) p = p.then();
  return p.then(() => "later" as const);
}

/** Settled already: races a read against it to see whether the read is settled too. */
const NOT_YET: Promise<"later"> = Promise.resolve("later");

/** Bodies up to this size that are ready at once travel in one message. */
const WHOLE_BYTES = 256 * 1024;

/**
 * Reads a response body that is ready at once (a string, bytes or JSON) in
 * full, so it can go to the kernel in one message; a body that is still
 * being produced comes back as a stream holding every chunk read so far.
 */
async function readWhole(
  res: Response,
): Promise<
  { done: true; bytes: Uint8Array | null } | { done: false; rest: AsyncIterable<Uint8Array> }
> {
  if (!res.body) return { done: true, bytes: null };
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = reader.read();
  while (pending) {
    // A read that is already settled wins this race at once, without
    // building the chain of microtasks below (most bodies are ready).
    let next = await Promise.race([pending, NOT_YET]);
    if (next === "later") next = await Promise.race([pending, afterMicrotasks()]);
    if (next === "later") break;
    pending = null;
    if (next.done) {
      const bytes = concatBytes(parts, size);
      return { done: true, bytes };
    }
    parts.push(next.value);
    size += next.value.length;
    if (size > WHOLE_BYTES) break;
    pending = reader.read();
  }
  const waiting = pending;
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* parts;
    if (waiting) {
      const next = await waiting;
      if (next.done) return;
      yield next.value;
    }
    while (true) {
      const next = await reader.read();
      if (next.done) return;
      yield next.value;
    }
  }
  return { done: false, rest: rest() };
}

function format(args: unknown[]): string {
  return args.map((a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return a.stack ?? a.message;
    try {
      return JSON.stringify(a);
    } catch {
      return String(a);
    }
  }).join(" ");
}

/** A capability name the child makes a `fazt.<group>.<name>` function of. */
const CAPABILITY_NAME = /^([a-z][A-Za-z0-9]*)\.([a-z][A-Za-z0-9]*)$/;

/**
 * The app's frozen `fazt` object: `fazt.app`, and one frozen group per
 * capability group the kernel named (`kv.get` → `fazt.kv.get`), each
 * function a call over the bridge with the arguments as given.
 */
function makeFazt(
  channel: Channel,
  app: SandboxApp,
  capabilities: readonly string[],
): Record<string, unknown> {
  const groups = new Map<string, Record<string, unknown>>();
  for (const name of capabilities) {
    const parts = CAPABILITY_NAME.exec(name);
    if (!parts || parts[1] === "app") continue;
    let group = groups.get(parts[1]);
    if (!group) groups.set(parts[1], group = {});
    group[parts[2]] = (...args: unknown[]) => channel.call(name, args);
  }
  const fazt: Record<string, unknown> = { app: Object.freeze({ ...app }) };
  for (const [name, group] of groups) fazt[name] = Object.freeze(group);
  return Object.freeze(fazt);
}

/** The sandbox's `fetch`: the request goes to the kernel's egress guard. */
function makeFetch(channel: Channel): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = req.body ? new Uint8Array(await req.arrayBuffer()) : null;
    const res = await channel.call("fetch", [{
      url: req.url,
      method: req.method,
      headers: [...req.headers],
      body,
    }]) as {
      status: number;
      statusText: string;
      headers: [string, string][];
      body: Uint8Array<ArrayBuffer>;
      url: string;
      redirected: boolean;
    };
    const nullBody = res.status === 204 || res.status === 304 || req.method === "HEAD";
    const response = new Response(nullBody ? null : res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
    Object.defineProperty(response, "url", { value: res.url });
    Object.defineProperty(response, "redirected", { value: res.redirected });
    return response;
  };
}

async function main(): Promise<void> {
  // The kernel passes the bridge socket's path as the last argument.
  const channel = await openChannel(Deno.args[Deno.args.length - 1]);
  await dropPermissions();
  const store = new AsyncLocalStorage<string>();
  const log = (level: "debug" | "info" | "warn" | "error") => (...args: unknown[]) =>
    channel.send({ t: "log", level, message: format(args), requestId: store.getStore() ?? null });
  const g = globalThis as Record<string, unknown>;
  g.console = {
    ...console,
    log: log("info"),
    info: log("info"),
    debug: log("debug"),
    warn: log("warn"),
    error: log("error"),
  };
  g.fetch = makeFetch(channel);
  const lock = lockDown();
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log("error")("Unhandled promise rejection:", e.reason);
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    log("error")("Uncaught error:", e.error ?? e.message);
  });

  let handler: Handler | undefined;
  let fazt: Record<string, unknown> | undefined;
  let loading: Promise<void> = Promise.resolve();

  async function init(msg: Extract<ToChild, { t: "init" }>): Promise<void> {
    let entryUrl: string | undefined;
    try {
      const modules = createModuleSystem(
        msg.files,
        (name) => channel.call("stdlib", [name]) as Promise<string>,
        lock.builtin,
      );
      entryUrl = modules.entryUrl(msg.entry);
      lock.setEntry(msg.entry, entryUrl);
      await modules.preload();
      fazt = makeFazt(channel, msg.app, msg.capabilities);
      g.fazt = fazt;
      g.require = modules.requireFrom(msg.entry);
      handler = pickHandler(await modules.loadEntry(msg.entry, { fazt }));
      channel.send({ t: "loaded" });
    } catch (err) {
      let message = err instanceof Error ? err.stack ?? err.message : String(err);
      // Deno's messages name the entry by its (long) data: URL.
      if (entryUrl) message = message.split(entryUrl).join(`app:///${msg.entry}`);
      // A named import of a refused built-in fails to link before any code
      // runs, with a message that does not say why.
      const missing = message.match(/The requested module '([^']+)' does not provide an export/);
      if (missing && lock.refused(missing[1])) message = refusalMessage(missing[1]);
      channel.send({ t: "load_error", message });
    }
  }
  const controllers = new Map<number, AbortController>();
  /** Response bodies the kernel paused, with the wake-up of their sending loop. */
  const paused = new Map<number, () => void>();
  const resume = (id: number) => {
    const wake = paused.get(id);
    paused.delete(id);
    wake?.();
  };
  channel.send({ t: "ready" });

  async function serve(msg: Extract<ToChild, { t: "req" }>): Promise<void> {
    const controller = new AbortController();
    controllers.set(msg.id, controller);
    try {
      await loading;
      if (!handler) throw new Error("The app's code is not loaded.");
      const req = new Request(msg.url, {
        method: msg.method,
        headers: msg.headers,
        body: msg.body === null ? null : fromBase64(msg.body),
      });
      // Handing the signal to the constructor makes Deno build a dependent
      // signal for every request (more than half its cost); the app sees the
      // kernel-driven one through the property instead.
      Object.defineProperty(req, "signal", { value: controller.signal });
      const ctx = { requestId: msg.requestId, app: (fazt as { app: unknown }).app, fazt };
      const run = handler;
      const res = toAnswer(await store.run(msg.requestId, () => run(req, ctx)));
      if (!(res instanceof Response)) {
        channel.send(wholeMessage(msg.id, res.status, res.headers, res.bytes, res.text));
        return;
      }
      const whole = await readWhole(res);
      const headers = headerPairs(res.headers);
      if (whole.done) {
        channel.send(wholeMessage(msg.id, res.status, headers, whole.bytes));
        return;
      }
      channel.send({ t: "head", id: msg.id, status: res.status, headers });
      if (whole.rest) {
        let yielded = performance.now();
        send: for await (const chunk of whole.rest) {
          // At most 1 MiB per message, however large the app's chunks are.
          for (let at = 0; at < chunk.length; at += CHUNK_BYTES) {
            while (paused.has(msg.id) && !controller.signal.aborted) {
              await new Promise<void>((wake) => paused.set(msg.id, wake));
            }
            if (controller.signal.aborted) break send;
            const data = toBase64(chunk.subarray(at, at + CHUNK_BYTES));
            channel.send({ t: "chunk", id: msg.id, data });
            // The bridge takes bytes only so fast: wait for it rather than
            // queueing an endless body in memory.
            await channel.drain(4 * CHUNK_BYTES);
            // A body that is always ready keeps this loop in microtasks, where
            // the kernel's messages (abort, ping) never get in: yield now and then.
            if (performance.now() - yielded > 20) {
              await new Promise((resolve) => setTimeout(resolve, 0));
              yielded = performance.now();
            }
          }
        }
      }
      channel.send({ t: "end", id: msg.id });
    } catch (err) {
      const message = err instanceof BridgeError
        ? `${err.code}: ${err.message}`
        : err instanceof Error
        ? err.stack ?? err.message
        : String(err);
      store.run(msg.requestId, () => log("error")("Request failed:", message));
      channel.send({ t: "fail", id: msg.id, message });
    } finally {
      controllers.delete(msg.id);
      paused.delete(msg.id);
    }
  }

  await channel.listen((msg) => {
    switch (msg.t) {
      case "init":
        loading = init(msg);
        break;
      case "req":
        serve(msg);
        break;
      case "abort":
        controllers.get(msg.id)?.abort();
        resume(msg.id);
        break;
      case "pause":
        if (controllers.has(msg.id) && !paused.has(msg.id)) paused.set(msg.id, () => {});
        break;
      case "resume":
        resume(msg.id);
        break;
      case "ping":
        channel.send({ t: "pong", id: msg.id });
        break;
    }
  });
  // The kernel closed the bridge: nothing is left to serve.
  Deno.exit(0);
}

await main();
