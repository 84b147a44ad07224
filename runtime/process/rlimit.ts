/**
 * A per-process ceiling on new memory, for machines where fazt cannot make
 * cgroups: `RLIMIT_DATA` set on a running process with util-linux's
 * `prlimit --pid` (Deno has no `setrlimit`). Since Linux 4.7 `RLIMIT_DATA`
 * bounds a process's private writable mappings (`VmData`): once it is
 * reached, `mmap`/`brk` fail, so a new ArrayBuffer throws `RangeError`, a
 * WebAssembly memory cannot grow, malloc (SQLite included) returns NULL and
 * a V8 heap that cannot grow ends its process.
 *
 * An idle deno process maps about 560 MB of `VmData` (thread stacks and
 * V8's reservations) while it touches some 10 MB, so the ceiling is set
 * relative to what the process has mapped when it is set: `data now +
 * allowance`. Memory mapped before that moment and released with `madvise`
 * could be touched again without new address space; in practice V8 and
 * glibc keep little of it (docs/BENCHMARKS.md).
 *
 * @module
 */

/** Sets data ceilings with `prlimit`. */
export interface DataLimiter {
  /** Sets process `pid`'s `RLIMIT_DATA` (soft and hard) to `bytes`; false when that failed. */
  limit(pid: number, bytes: number): Promise<boolean>;
}

/**
 * A limiter when `prlimit` runs here (it is tried once with `--version`),
 * else null.
 */
export async function createDataLimiter(command = "prlimit"): Promise<DataLimiter | null> {
  try {
    const probe = await new Deno.Command(command, {
      args: ["--version"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    if (!probe.success) return null;
  } catch {
    return null;
  }
  return {
    async limit(pid, bytes) {
      const n = Math.floor(bytes);
      try {
        const out = await new Deno.Command(command, {
          args: [`--pid=${pid}`, `--data=${n}:${n}`],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).output();
        return out.success;
      } catch {
        return false;
      }
    },
  };
}
