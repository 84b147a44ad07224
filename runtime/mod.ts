/**
 * The serverless runtime: runs an app's `api/` code in sandbox processes
 * and answers `/api` requests with it. The kernel plugs in through
 * {@linkcode RuntimeHost}; nothing outside this folder knows how isolation
 * is done (see docs/RUNTIME.md).
 *
 * @module
 */
import { FaztError } from "../kernel/errors.ts";
import { createPool, type PoolStats } from "./pool.ts";
import { isComplete, SandboxError, type SpawnSpec } from "./sandbox.ts";
import type { RuntimeHost, RuntimeTarget } from "./host.ts";

export type { RuntimeHost, RuntimeTarget } from "./host.ts";

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

/** The runtime. */
export interface Runtime {
  /** Answers one `/api` request of an app. */
  handle(req: Request, target: RuntimeTarget, requestId: string): Promise<Response>;
  /** Pool state and counters. */
  stats(): PoolStats;
  /** Stops idle sandboxes (memory pressure); returns how many. */
  evictIdle(): number;
  /** Stops every sandbox. */
  close(): Promise<void>;
}

/** Default heap cap of one sandbox process, in MB. */
export const SANDBOX_HEAP_MB = 128;

/**
 * How to start a sandbox process for the way fazt itself runs: the compiled
 * binary re-runs itself with `__runtime`; from source, the child script is
 * run directly with no permissions and no config; from a bundle, the
 * bundle is re-run with `__runtime`.
 */
export async function sandboxSpawnSpec(heapMb = SANDBOX_HEAP_MB): Promise<SpawnSpec> {
  const v8 = `--max-old-space-size=${heapMb}`;
  const env: Record<string, string> = { NO_COLOR: "1", DENO_V8_FLAGS: v8 };
  const home = Deno.env.get("HOME");
  if (home) env.HOME = home;
  const deno = Deno.execPath();
  if ((Deno.build as { standalone?: boolean }).standalone) {
    return { command: deno, args: ["__runtime"], env };
  }
  const base = ["run", "--no-prompt", "--no-config", "--no-lock", "--quiet", `--v8-flags=${v8}`];
  const child = new URL("./child/main.ts", import.meta.url);
  if (child.protocol === "file:") {
    try {
      await Deno.stat(child);
      return { command: deno, args: [...base, child.href], env };
    } catch {
      // bundled: fall through
    }
  }
  return { command: deno, args: [...base, Deno.mainModule, "__runtime"], env };
}

function failure(
  code: "unavailable" | "payload_too_large" | "gateway_timeout",
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
    throw failure(
      "payload_too_large",
      `The request body is larger than this app's limit of ${max} bytes.`,
    );
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > max) {
      throw failure(
        "payload_too_large",
        `The request body is larger than this app's limit of ${max} bytes.`,
      );
    }
    parts.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
  const inflightByApp = new Map<string, number>();

  async function handle(req: Request, target: RuntimeTarget, requestId: string): Promise<Response> {
    const current = inflightByApp.get(target.appId) ?? 0;
    if (current >= options.maxConcurrency) {
      throw failure(
        "unavailable",
        `This app is already handling ${options.maxConcurrency} requests. Try again in a moment.`,
        1,
      );
    }
    inflightByApp.set(target.appId, current + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (inflightByApp.get(target.appId) ?? 1) - 1;
      if (n <= 0) inflightByApp.delete(target.appId);
      else inflightByApp.set(target.appId, n);
    };
    try {
      const body = await readBody(req, options.maxBodyBytes);
      const sandbox = await pool.acquire(target).catch((err) => {
        // Code that fails to load never reaches a handler; record why in the app's logs.
        if (err instanceof SandboxError) {
          options.host.log(target.appId, "error", err.message, requestId);
        }
        throw err;
      });
      sandbox.inflight++;
      sandbox.lastUsed = Date.now();
      let finished = false;
      const done = () => {
        // Called from several paths (end, error, cancel, timeout); count once.
        if (finished) return;
        finished = true;
        sandbox.inflight--;
        sandbox.lastUsed = Date.now();
        release();
      };
      const { id, response } = await sandbox.request(req, requestId, body);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(async () => {
          const message = `The app took longer than ${options.timeoutMs} ms to answer.`;
          if (!(await sandbox.responsive(500))) {
            pool.kill(sandbox, message);
          } else sandbox.abandon(id, 504, message);
          reject(failure("gateway_timeout", message));
        }, options.timeoutMs);
      });
      timedOut.catch(() => {});
      req.signal.addEventListener(
        "abort",
        () => sandbox.abandon(id, 499, "The client went away."),
        {
          once: true,
        },
      );
      let res: Response;
      try {
        res = await Promise.race([response, timedOut]);
      } catch (err) {
        clearTimeout(timer);
        done();
        throw err;
      }
      if (!res.body || isComplete(res)) {
        clearTimeout(timer);
        done();
        return res;
      }
      const reader = res.body.getReader();
      const guarded = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await reader.read();
            if (next.done) {
              clearTimeout(timer);
              done();
              controller.close();
            } else controller.enqueue(next.value);
          } catch (err) {
            clearTimeout(timer);
            done();
            controller.error(err);
          }
        },
        cancel(reason) {
          clearTimeout(timer);
          done();
          return reader.cancel(reason);
        },
      });
      return new Response(guarded, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
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
    close: () => pool.close(),
  };
}
