/**
 * The serverless runtime: runs an app's `api/` code in sandbox processes
 * and answers `/api` requests with it. The kernel plugs in through
 * {@linkcode RuntimeHost}; nothing outside this folder knows how isolation
 * is done (see docs/RUNTIME.md).
 *
 * @module
 */
import { FaztError } from "../kernel/core/errors.ts";
import { selfLauncher } from "./process/launcher.ts";
import { refusingImportMap } from "./builtins.ts";
import { NODE_BUILTINS } from "./node_builtins.ts";
import { type BoundProcess, createPool, type PoolStats } from "./pool.ts";
import { type Sandbox, type SandboxAnswer, SandboxError, type SpawnSpec } from "./sandbox.ts";
import type { RuntimeHost, RuntimeTarget } from "./host.ts";
import { readUpTo } from "../kernel/core/bytes.ts";

export type { RuntimeHost, RuntimeTarget } from "./host.ts";
export type { BoundProcess } from "./pool.ts";

/** Runtime settings. */
export interface RuntimeOptions {
  /** The kernel side of the bridge. */
  host: RuntimeHost;
  /** How to start a sandbox process ({@linkcode sandboxSpawnSpec}). */
  spawn: SpawnSpec;
  /** Wall-clock limit per request (ms). */
  timeoutMs: number;
  /** Requests in flight per app at most. */
  maxConcurrency: number;
  /** Largest request body passed to an app (bytes). */
  maxBodyBytes: number;
  /** Warm app processes kept at most. */
  maxWarm: number;
  /** Idle processes are stopped after this long (ms). */
  idleMs: number;
  /** Keep a spare process started ahead of need. */
  spare: boolean;
}

/** The runtime's answer to one `/api` request. */
export interface RuntimeAnswer {
  /** The app's response. */
  res: Response;
  /**
   * True when the body streams from the app as it writes it (it can be
   * large and slow): the caller's transport should watch for a client that
   * stops reading it. False for a whole answer (or none).
   */
  streamed: boolean;
}

/** The runtime. */
export interface Runtime {
  /** Answers one `/api` request of an app. */
  handle(
    req: Request,
    target: RuntimeTarget,
    requestId: string,
    served?: (bytes: number) => void,
  ): Promise<RuntimeAnswer>;
  /** Pool state and counters. */
  stats(): PoolStats;
  /** Stops idle sandboxes (memory pressure); returns how many. */
  evictIdle(): number;
  /** Every live sandbox bound to an app (for the per-app resource watchdog). */
  processes(): BoundProcess[];
  /** Stops every sandbox of an app that went over its limits; in-flight requests get 502 + `message`. */
  stopApp(appId: string, message: string): number;
  /**
   * Starts the spare sandbox ahead of the first request (the kernel calls
   * it while some app has server code, so a server without any keeps no
   * spare process).
   */
  prewarm(): void;
  /** Stops every sandbox. */
  close(): Promise<void>;
}

/** Default heap cap of one sandbox process, in MiB. */
export const SANDBOX_HEAP_MB = 128;

/**
 * The sandboxes' own Deno cache (compiled code of fazt's child and of the
 * apps' `data:` modules) is cleared when it grows past this many bytes.
 */
export const SANDBOX_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * `deno run` flags of every sandbox: no `npm:` specifier resolves (npm
 * imports ignore revoked permissions: they read Deno's cache and fetch from
 * the registry), no remote module either, and the import map refuses the
 * `node:` built-ins apps may not use (./builtins.ts).
 */
function lockedFlags(importMap: string): string[] {
  return ["--no-npm", "--no-remote", `--import-map=${importMap}`];
}

/** The bytes under `dir` (0 when it does not exist). */
function sizeOf(dir: string): number {
  let total = 0;
  try {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) total += sizeOf(path);
      else if (entry.isFile) total += Deno.statSync(path).size;
    }
  } catch {
    // gone meanwhile, or never made
  }
  return total;
}

/**
 * How to start a sandbox process for the way fazt itself runs (see
 * `selfLauncher`): the compiled binary re-runs itself with `__runtime`; from
 * source, the child script is run directly with no config and no permission
 * but to connect to its bridge socket; from a bundle, the bundle is re-run
 * with `__runtime`. Each child gets the path of its bridge socket as its last
 * argument.
 *
 * Sandboxes never see the kernel's Deno cache (where npm packages and
 * fazt's own modules live): their environment names a private one in the
 * runtime's folder, which holds only compiled code, is cleared past
 * {@linkcode SANDBOX_CACHE_BYTES} when a sandbox starts, and goes with the
 * runtime. A compiled binary takes no `deno run` flags, so there only the
 * revoked permissions, the private cache and the child's own lockdown apply
 * (docs/RUNTIME.md).
 */
export async function sandboxSpawnSpec(heapMb = SANDBOX_HEAP_MB): Promise<SpawnSpec> {
  const launcher = await selfLauncher({
    script: new URL("./child/main.ts", import.meta.url),
    dispatch: "__runtime",
    heapMb,
  });
  const socketDir = await Deno.makeTempDir({ prefix: "fazt-sandbox-" });
  await Deno.chmod(socketDir, 0o700);
  const cache = `${socketDir}/deno`;
  const importMap = `${socketDir}/imports.json`;
  // Fazt's own code keeps the real modules when it runs as one bundle
  // (which is then the sandbox's main module too).
  await Deno.writeTextFile(
    importMap,
    JSON.stringify(refusingImportMap(NODE_BUILTINS, Deno.mainModule)),
  );
  const { HOME: _home, XDG_CACHE_HOME: _xdg, ...env } = launcher.env;
  return {
    // A child's `process.argv0` is the command it was started as, and no
    // code can change it: on Linux the kernel's own executable is named by
    // a path that says nothing about where it is installed.
    command: Deno.build.os === "linux" ? "/proc/self/exe" : launcher.command,
    args: (socket) => {
      if (sizeOf(cache) > SANDBOX_CACHE_BYTES) {
        try {
          Deno.removeSync(cache, { recursive: true });
        } catch {
          // cleared meanwhile
        }
      }
      return launcher.args([socket], [
        ...lockedFlags(importMap),
        `--allow-net=unix:${socket}`,
        `--allow-read=${socket}`,
        `--allow-write=${socket}`,
      ]);
    },
    env: { ...env, DENO_DIR: cache, DENO_NO_UPDATE_CHECK: "1" },
    socketDir,
  };
}

function failure(
  code: "unavailable" | "payload_too_large",
  message: string,
  retry?: number,
): FaztError {
  return new FaztError(code, message, retry ? { headers: { "retry-after": String(retry) } } : {});
}

async function readBody(req: Request, max: number): Promise<Uint8Array | null> {
  if (!req.body) return null;
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) {
    await req.body.cancel();
    throw tooLarge(max);
  }
  return await readUpTo(req.body, max, () => tooLarge(max));
}

function tooLarge(max: number): FaztError {
  return failure(
    "payload_too_large",
    `The request body is larger than this app's limit of ${max} bytes.`,
  );
}

/** Requests waiting per app for a free slot, beyond the ones in flight. */
export const QUEUE_PER_APP = 64;

/** How often deadlines are checked (ms): one timer for every request. */
const SWEEP_MS = 50;

/**
 * A request this old with no answer starts watching for its client going
 * away (ms). Watching costs an abort signal per request, so quick requests
 * never pay for it.
 */
const WATCH_CLIENT_AFTER_MS = 250;

/** A request sent to a sandbox and not finished yet. */
interface Flight {
  sandbox: Sandbox;
  id: number;
  req: Request;
  started: number;
  deadline: number;
  watching: boolean;
  expired: boolean;
  /** The app and request, for the app's logs. */
  appId: string;
  requestId: string;
  /** Set once the response head went out and its body streams. */
  streaming: boolean;
}

/** A request waiting for one of its app's slots. */
interface Waiter {
  deadline: number;
  go(): void;
  fail(err: FaztError): void;
}

/** One app's slots. */
interface AppSlots {
  inflight: number;
  queue: Waiter[];
}

/** Creates the runtime. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const pool = createPool({
    host: options.host,
    spawn: options.spawn,
    maxWarm: options.maxWarm,
    idleMs: options.idleMs,
    spare: options.spare,
    loadTimeoutMs: options.timeoutMs,
  });
  const apps = new Map<string, AppSlots>();
  const flights = new Set<Flight>();

  function timeout(flight: Flight): void {
    flight.expired = true;
    const message = `The app took longer than ${options.timeoutMs} ms to answer.`;
    if (flight.streaming) {
      // The client already has a 200 and part of the body: the stream is
      // aborted (the listener cuts the connection), and the app's logs say so.
      options.host.log(
        flight.appId,
        "error",
        `The response stream was cut at the time limit (${options.timeoutMs} ms): the client got an incomplete answer.`,
        flight.requestId,
      );
    }
    // A process whose event loop is stuck (a loop in app code) cannot be
    // asked to stop: it is killed, which fails its other requests too.
    flight.sandbox.responsive(500).then((alive) => {
      if (!alive) pool.kill(flight.sandbox, message);
      flight.sandbox.abandon(flight.id, 504, message);
    });
  }

  function sweep(): void {
    const now = Date.now();
    for (const flight of flights) {
      if (flight.expired) continue;
      if (now >= flight.deadline) timeout(flight);
      else if (!flight.watching && now - flight.started >= WATCH_CLIENT_AFTER_MS) {
        flight.watching = true;
        const { sandbox, id } = flight;
        flight.req.signal.addEventListener(
          "abort",
          () => sandbox.abandon(id, 499, "The client went away."),
          { once: true },
        );
      }
    }
    for (const slots of apps.values()) {
      while (slots.queue.length > 0 && now >= slots.queue[0].deadline) {
        slots.queue.shift()!.fail(busy());
      }
    }
  }
  const sweeper = setInterval(sweep, SWEEP_MS);
  Deno.unrefTimer(sweeper);

  function busy(): FaztError {
    return failure(
      "unavailable",
      `This app is busy: ${options.maxConcurrency} requests are running and more are waiting. Try again in a moment.`,
      1,
    );
  }

  /** Takes one of the app's slots, waiting in line when all are taken. */
  function enter(appId: string): Promise<void> | undefined {
    let slots = apps.get(appId);
    if (!slots) apps.set(appId, slots = { inflight: 0, queue: [] });
    if (slots.inflight < options.maxConcurrency) {
      slots.inflight++;
      return undefined;
    }
    if (slots.queue.length >= QUEUE_PER_APP) return Promise.reject(busy());
    const line = slots.queue;
    return new Promise<void>((go, fail) => {
      line.push({ deadline: Date.now() + options.timeoutMs, go, fail });
    });
  }

  /** Gives a slot back: to the next request in line, or free. */
  function leave(appId: string): void {
    const slots = apps.get(appId);
    if (!slots) return;
    const next = slots.queue.shift();
    if (next) return next.go();
    if (--slots.inflight <= 0) apps.delete(appId);
  }

  /**
   * Answers one request; `served` hears of every body byte the client is
   * sent (once for a whole response, chunk by chunk for a stream).
   */
  async function handle(
    req: Request,
    target: RuntimeTarget,
    requestId: string,
    served: (bytes: number) => void = () => {},
  ): Promise<RuntimeAnswer> {
    const waiting = enter(target.appId);
    if (waiting) await waiting;
    let left = false;
    const release = () => {
      if (left) return;
      left = true;
      leave(target.appId);
    };
    try {
      // GET and HEAD carry no body to an app (a Request cannot have one), and
      // asking for one would build a stream per request.
      const body = req.method !== "GET" && req.method !== "HEAD" && req.body
        ? await readBody(req, options.maxBodyBytes)
        : null;
      const sandbox = pool.ready(target) ?? await pool.acquire(target).catch((err) => {
        // Code that fails to load never reaches a handler; record why in the app's logs.
        if (err instanceof SandboxError) {
          options.host.log(target.appId, "error", err.message, requestId);
        }
        throw err;
      });
      sandbox.inflight++;
      const now = Date.now();
      sandbox.lastUsed = now;
      const { id, response } = sandbox.request(req, requestId, body);
      const flight: Flight = {
        sandbox,
        id,
        req,
        started: now,
        deadline: now + options.timeoutMs,
        watching: false,
        expired: false,
        appId: target.appId,
        requestId,
        streaming: false,
      };
      flights.add(flight);
      let finished = false;
      const done = () => {
        // Called from several paths (end, error, cancel); count once.
        if (finished) return;
        finished = true;
        flights.delete(flight);
        sandbox.inflight--;
        sandbox.lastUsed = Date.now();
        release();
      };
      let answer: SandboxAnswer;
      try {
        answer = await response;
      } catch (err) {
        done();
        throw err;
      }
      const { res, size } = answer;
      // A whole answer is checked by its size: reading `res.body` would build a stream.
      if (size !== undefined || !res.body) {
        done();
        if (size) served(size);
        return { res, streamed: false };
      }
      flight.streaming = true;
      const reader = res.body.getReader();
      const guarded = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await reader.read();
            if (next.done) {
              done();
              controller.close();
            } else {
              served(next.value.byteLength);
              controller.enqueue(next.value);
            }
          } catch (err) {
            done();
            controller.error(err);
          }
        },
        cancel(reason) {
          done();
          return reader.cancel(reason);
        },
      });
      // A streamed answer can be large: the caller watches for a client that stops reading.
      return {
        res: new Response(guarded, {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        }),
        streamed: true,
      };
    } catch (err) {
      release();
      if (err instanceof SandboxError) {
        throw new FaztError(
          err.status === 504 ? "gateway_timeout" : err.status === 500 ? "app_error" : "bad_gateway",
          err.message,
        );
      }
      throw err;
    }
  }

  return {
    handle,
    stats: () => pool.stats(),
    evictIdle: () => pool.evictIdle(),
    processes: () => pool.bound(),
    stopApp: (appId, message) => pool.stopApp(appId, message),
    prewarm: () => pool.prewarm(),
    close: async () => {
      clearInterval(sweeper);
      await pool.close();
      await Deno.remove(options.spawn.socketDir, { recursive: true }).catch(() => {});
    },
  };
}
