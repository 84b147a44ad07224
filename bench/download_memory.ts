/**
 * The download-memory step of the static suite: how much fazt's memory
 * grows while several clients download one large file at once (issue 18's
 * target: 10 parallel downloads of a 50 MB file grow it by at most 16 MiB).
 *
 * It runs `curl` clients in parallel (each checks that it received every
 * byte) and samples the resident memory of fazt and its child processes,
 * summed, every few milliseconds: the growth is the highest sum seen during
 * the downloads minus the sum just before them.
 *
 * @module
 */
import { childProcesses, processMemory } from "./process.ts";

/** What to download, from where. */
export interface DownloadMemoryOptions {
  /** fazt's process ID (its children are counted too). */
  pid: number;
  /** fazt's port on 127.0.0.1. */
  port: number;
  /** The `Host` header (the app's host). */
  host: string;
  /** The file's path on that host. */
  path: string;
  /** The file's size in bytes (each download must receive exactly that). */
  bytes: number;
  /** Downloads at once. */
  parallel: number;
  /** The curl executable. */
  curl: string;
}

/** The result of {@linkcode measureDownloadMemory}. */
export interface DownloadMemory {
  /** Downloads at once. */
  parallel: number;
  /** The file's size in bytes. */
  bytes: number;
  /** Resident bytes of fazt and its children just before the downloads. */
  before: number;
  /** The highest sum seen while they ran. */
  peak: number;
  /** `peak - before`. */
  growth: number;
  /** Seconds until the last download finished. */
  seconds: number;
}

/** Resident bytes of `pid` and its live children, summed (0 for a process gone meanwhile). */
export function treeRss(pid: number): number {
  let sum = 0;
  for (const p of [pid, ...childProcesses(pid).map((c) => c.pid)]) {
    try {
      sum += processMemory(p).rss;
    } catch {
      // gone between the listing and the read
    }
  }
  return sum;
}

/** Downloads the file once with curl; throws unless exactly `bytes` arrived with a 200. */
async function download(options: DownloadMemoryOptions): Promise<void> {
  const out = await new Deno.Command(options.curl, {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download}",
      "-H",
      `Host: ${options.host}`,
      `http://127.0.0.1:${options.port}${options.path}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const got = new TextDecoder().decode(out.stdout).trim();
  if (got !== `200 ${options.bytes}`) {
    throw new Error(
      `Downloading ${options.path} gave "${got}" (status and bytes); expected "200 ${options.bytes}".`,
    );
  }
}

/**
 * Runs one warm-up download, then `parallel` downloads at once while
 * sampling fazt's resident memory every 5 ms.
 */
export async function measureDownloadMemory(
  options: DownloadMemoryOptions,
): Promise<DownloadMemory> {
  await download(options);
  // Let the warm-up's garbage go before the baseline.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = treeRss(options.pid);
  let peak = before;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, treeRss(options.pid));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: options.parallel }, () => download(options)));
  } finally {
    running = false;
    await sampler;
  }
  return {
    parallel: options.parallel,
    bytes: options.bytes,
    before,
    peak,
    growth: peak - before,
    seconds: (performance.now() - started) / 1000,
  };
}
