/**
 * One process's memory and CPU from `/proc` (Linux), for the per-app
 * resource watchdog and the memory guard: `/proc/<pid>/statm` for memory,
 * `/proc/<pid>/stat` for CPU, read in one batch per check through
 * {@linkcode SysFiles} (Deno needs `--allow-all` for `/proc`).
 *
 * "Owned" memory is what a process holds that no other process shares: its
 * resident anonymous pages (heap, ArrayBuffers, WebAssembly memory, malloc,
 * SQLite). Pages of files it maps, the deno executable above all, are left
 * out: every app process maps the same executable as the kernel, so they
 * are the kernel's pages too.
 *
 * @module
 */
import type { SysFiles } from "./sys_files.ts";

/** Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`: 100 on every Linux ABI fazt runs on). */
const USER_HZ = 100;

/** Memory figures of one process, in bytes. */
export interface ProcMemory {
  /** Resident pages only this process holds (anonymous memory). */
  owned: number;
  /** Address space of its private writable mappings and stack (`VmData` + `VmStk`). */
  data: number;
}

/** Parses `/proc/<pid>/statm` (pages of `pageBytes`); null when malformed. */
export function parseStatm(text: string | null, pageBytes: number): ProcMemory | null {
  // size resident shared text lib data dt; `shared` counts resident
  // file-backed and shared-memory pages.
  const f = (text ?? "").trim().split(" ").map(Number);
  if (f.length < 6 || f.some((n) => !Number.isFinite(n))) return null;
  return { owned: Math.max(0, f[1] - f[2]) * pageBytes, data: f[5] * pageBytes };
}

/** The CPU time (all threads, user + system) in `/proc/<pid>/stat`, in ms; null when malformed. */
export function parseStatCpuMs(text: string | null): number | null {
  if (!text) return null;
  // The command name may hold spaces and parentheses: fields start after the last ")".
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : null;
}

/** What {@linkcode readProcs} learned of one process. */
export interface ProcReading {
  /** Its memory, when asked for. */
  memory?: ProcMemory;
  /** Its CPU time in ms, when asked for. */
  cpuMs?: number;
}

/** Reads processes' `/proc` files; `createProcReader` measures the page size once. */
export interface ProcReader {
  /** The memory (and CPU, when `cpu`) of each live process among `pids`, in one batch. */
  read(pids: readonly number[], cpu: boolean): Promise<Map<number, ProcReading>>;
  /** Bytes per memory page. */
  readonly pageBytes: number;
}

/**
 * A reader over `files`. The page size is `rss / resident pages` of the
 * kernel itself, rounded to a power of two (4096 on x86-64; arm64 kernels
 * may use 16 or 64 KiB pages).
 */
export async function createProcReader(files: SysFiles): Promise<ProcReader> {
  const [self] = await files.read([`/proc/${Deno.pid}/statm`]);
  const pages = Number((self ?? "").split(" ")[1]);
  const rss = Deno.memoryUsage().rss;
  const pageBytes = pages > 0 ? 2 ** Math.round(Math.log2(rss / pages)) : 4096;
  return {
    pageBytes,
    async read(pids, cpu) {
      const unique = [...new Set(pids)];
      const paths = unique.flatMap((pid) =>
        cpu ? [`/proc/${pid}/statm`, `/proc/${pid}/stat`] : [`/proc/${pid}/statm`]
      );
      const texts = await files.read(paths);
      const out = new Map<number, ProcReading>();
      const step = cpu ? 2 : 1;
      unique.forEach((pid, i) => {
        const memory = parseStatm(texts[i * step], pageBytes);
        if (!memory) return;
        const reading: ProcReading = { memory };
        if (cpu) {
          const ms = parseStatCpuMs(texts[i * step + 1]);
          if (ms !== null) reading.cpuMs = ms;
        }
        out.set(pid, reading);
      });
      return out;
    },
  };
}
