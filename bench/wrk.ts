/**
 * Running `wrk` and reading its report: requests/s, latency (average, and
 * p50 and p99 from `--latency`), transfer/s and error counts.
 *
 * @module
 */

/** Load parameters for one wrk run. */
export interface WrkOptions {
  /** The full URL to load. */
  url: string;
  /** Threads (`-t`). */
  threads: number;
  /** Open connections (`-c`). */
  connections: number;
  /** Duration in wrk syntax, e.g. `5s` (`-d`). */
  duration: string;
  /** A `Host` header to send instead of the URL's host. */
  host?: string;
  /** More request headers (`-H`), e.g. `Connection: close` for a new connection per request. */
  headers?: string[];
}

/** How wrk itself is run (not part of its command line). */
export interface WrkProcessOptions {
  /** Aborts the run. */
  signal?: AbortSignal;
  /** Extra environment variables for wrk (e.g. `OPENSSL_CONF`). */
  env?: Record<string, string>;
}

/** What one wrk run measured. */
export interface WrkResult {
  /** Completed requests per second. */
  requestsPerSec: number;
  /** Average latency in milliseconds. */
  latencyAvgMs: number;
  /** Median (50th percentile) latency in milliseconds. */
  latencyP50Ms: number;
  /** 99th percentile latency in milliseconds. */
  latencyP99Ms: number;
  /** Bytes read per second (headers and bodies). */
  transferBytesPerSec: number;
  /** Total completed requests. */
  requests: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx3xx: number;
  /** Socket errors: connect + read + write + timeout. */
  socketErrors: number;
  /** The socket error counts as wrk printed them, e.g. `connect 0, read 0, write 0, timeout 0`. */
  socketErrorDetail: string;
  /** wrk's full output. */
  raw: string;
  /** What wrk printed on stderr (empty when parsed from text alone). */
  stderr: string;
}

/** The wrk command line (arguments after `wrk`) for `options`. */
export function wrkArgs(options: WrkOptions): string[] {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.duration}`,
    "--latency",
  ];
  if (options.host) args.push("-H", `Host: ${options.host}`);
  for (const h of options.headers ?? []) args.push("-H", h);
  args.push(options.url);
  return args;
}

/** Quotes an argument for display in a shell command line. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs wrk to completion and parses its output; throws when wrk fails or the
 * signal aborts. `run` is an abort signal, or the signal and extra
 * environment.
 */
export async function runWrk(
  wrk: string,
  options: WrkOptions,
  run?: AbortSignal | WrkProcessOptions,
): Promise<WrkResult> {
  const { signal, env }: WrkProcessOptions = run instanceof AbortSignal
    ? { signal: run }
    : run ?? {};
  const out = await new Deno.Command(wrk, {
    args: wrkArgs(options),
    signal,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  const stderr = dec.decode(out.stderr);
  if (!out.success) {
    throw new Error(`wrk failed (exit ${out.code}) for ${options.url}:\n${stdout}${stderr}`);
  }
  return { ...parseWrk(stdout), stderr };
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

function toMs(value: string, unit: string): number {
  const factor = TIME_UNITS[unit];
  if (factor === undefined) throw new Error(`Unknown wrk time unit "${unit}".`);
  return Number(value) * factor;
}

function toBytes(value: string, unit: string): number {
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) throw new Error(`Unknown wrk size unit "${unit}".`);
  return Number(value) * factor;
}

function need(match: RegExpMatchArray | null, what: string, text: string): RegExpMatchArray {
  if (!match) throw new Error(`Could not find ${what} in wrk output:\n${text}`);
  return match;
}

/** Parses the text wrk prints (run with `--latency`). */
export function parseWrk(text: string): WrkResult {
  const rps = need(text.match(/Requests\/sec:\s+([\d.]+)/), "Requests/sec", text);
  const transfer = need(
    text.match(/Transfer\/sec:\s+([\d.]+)([KMGT]?B)/),
    "Transfer/sec",
    text,
  );
  const avg = need(
    text.match(/^\s*Latency\s+([\d.]+)(us|ms|s|m|h)\s/m),
    "the average latency",
    text,
  );
  const p50 = need(
    text.match(/^\s*50(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$/m),
    "the p50 latency (was --latency passed?)",
    text,
  );
  const p99 = need(
    text.match(/^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$/m),
    "the p99 latency (was --latency passed?)",
    text,
  );
  const total = need(text.match(/(\d+) requests in /), "the request count", text);
  const sock = text.match(
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/,
  );
  const non2xx = text.match(/Non-2xx or 3xx responses: (\d+)/);
  return {
    requestsPerSec: Number(rps[1]),
    latencyAvgMs: toMs(avg[1], avg[2]),
    latencyP50Ms: toMs(p50[1], p50[2]),
    latencyP99Ms: toMs(p99[1], p99[2]),
    transferBytesPerSec: toBytes(transfer[1], transfer[2]),
    requests: Number(total[1]),
    non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1, 5).reduce((n, v) => n + Number(v), 0) : 0,
    socketErrorDetail: sock
      ? `connect ${sock[1]}, read ${sock[2]}, write ${sock[3]}, timeout ${sock[4]}`
      : "none",
    raw: text,
    stderr: "",
  };
}
