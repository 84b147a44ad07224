/**
 * End-to-end helpers: start a real fazt server process on 127.0.0.1 with
 * exactly the permission flags of the `fazt` task in deno.json, run the
 * real CLI, and send requests with any `Host` header.
 *
 * @module
 */
import { request } from "node:http";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };

/** The repository root. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** The `deno run` flags of the `fazt` task (the compiled binary's permissions). */
export const FAZT_FLAGS: string[] = denoJson.tasks.fazt.split(/\s+/).filter((a) =>
  a.startsWith("--")
);

/**
 * The environment the `fazt` task sets before `deno run` (its leading
 * `NAME=value` words): the kernel's allocator settings.
 */
export const FAZT_ENV: Record<string, string> = Object.fromEntries(
  denoJson.tasks.fazt.split(/\s+/).filter((a) => /^[A-Z_]+=/.test(a)).map((a) => {
    const at = a.indexOf("=");
    return [a.slice(0, at), a.slice(at + 1)];
  }),
);

/** Options for {@linkcode faztCommand}. */
export interface CommandOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Standard input (default `"null"`). */
  stdin?: "null" | "piped";
  /**
   * A cgroup's `cgroup.procs` file the process joins before fazt starts
   * (through `/bin/sh`, which then execs deno), so that a test can measure
   * everything the server and its children hold.
   */
  cgroupProcs?: string;
}

/** The command line that runs fazt like `deno task fazt`. */
export function faztCommand(
  args: string[],
  env: Record<string, string> = {},
  options: CommandOptions = {},
): Deno.Command {
  const deno = [Deno.execPath(), "run", ...FAZT_FLAGS, join(ROOT, "main.ts"), ...args];
  const [command, ...argv] = options.cgroupProcs
    ? ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', options.cgroupProcs, ...deno]
    : deno;
  return new Deno.Command(command, {
    args: argv,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...FAZT_ENV, ...env },
    clearEnv: false,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Result of a CLI run. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options for {@linkcode cli}. */
export interface CliOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Text written to standard input, which is then closed (default: no stdin). */
  stdin?: string;
}

/** Runs the real CLI to completion. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
  options: CliOptions = {},
): Promise<CliResult> {
  const command = faztCommand(args, env, {
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
  });
  let out: Deno.CommandOutput;
  if (options.stdin === undefined) {
    out = await command.output();
  } else {
    const child = command.spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
    await writer.close().catch(() => {});
    out = await child.output();
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A running server process. */
export interface TestServer {
  /** The data folder. */
  dataDir: string;
  /** The bound port. */
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The owner token. */
  token: string;
  /** The process. */
  process: Deno.ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Sends a request with a chosen `Host` header. */
  fetch(host: string, path: string, init?: HostRequestInit): Promise<Response>;
  /** Calls the REST API with the owner token. */
  api(method: string, path: string, body?: unknown): Promise<Response>;
}

/** Options for {@linkcode startServer}. */
export interface StartOptions {
  /** Reuse a data folder (e.g. to test restarts). */
  dataDir?: string;
  /** Extra `fazt serve` flags. */
  args?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Join this cgroup (its `cgroup.procs` file) before starting (see {@linkcode CommandOptions}). */
  cgroupProcs?: string;
}

/** Starts `fazt serve --port 0` and waits until it is listening. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "fazt-e2e-" });
  const proc = faztCommand(
    ["serve", "--port", "0", "--data", dataDir, ...(options.args ?? [])],
    options.env,
    { cgroupProcs: options.cgroupProcs },
  ).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const deadline = Date.now() + 20_000;
  let port = 0;
  while (!port) {
    const m = text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (m) port = Number(m[1]);
    else if (Date.now() > deadline) {
      try {
        proc.kill("SIGKILL");
      } catch {
        // it already exited: its output says why
      }
      throw new Error(`fazt did not start:\n${text}`);
    } else await new Promise((r) => setTimeout(r, 25));
  }
  const token = (await Deno.readTextFile(join(dataDir, "owner.token"))).trim();
  const url = `http://127.0.0.1:${port}`;
  let exited: Promise<number> | undefined;
  const server: TestServer = {
    dataDir,
    port,
    url,
    token,
    process: proc,
    output: () => text,
    stop(signal = "SIGTERM") {
      exited ??= (async () => {
        try {
          proc.kill(signal);
        } catch { /* already gone */ }
        const status = await proc.status;
        await pumps;
        return status.code;
      })();
      return exited;
    },
    fetch: (host, path, init) => hostFetch(port, host, path, init),
    api: (method, path, body) =>
      fetch(`${url}/_fazt/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
  return server;
}

/** Request options for {@linkcode hostFetch}. */
export interface HostRequestInit {
  /** HTTP method (default GET). */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body. */
  body?: Uint8Array | string;
}

/**
 * Sends one request to 127.0.0.1:`port` with an arbitrary `Host` header
 * (Deno's fetch always derives Host from the URL) and returns a standard
 * Response with the raw bytes (no automatic decompression).
 */
export function hostFetch(
  port: number,
  host: string,
  path: string,
  init: HostRequestInit = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      method: init.method ?? "GET",
      headers: { ...init.headers, host },
    }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
        }
        const status = res.statusCode ?? 0;
        const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          body.set(c, at);
          at += c.length;
        }
        const nullBody = status === 204 || status === 304 || init.method === "HEAD";
        resolve(new Response(nullBody ? null : body, { status, headers }));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${host}${path}: no answer within 30 s`)));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
