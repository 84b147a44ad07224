/**
 * Measures everything a fazt server and its children hold, independently of
 * fazt: the test makes a cgroup v1 memory group of its own (no limit), the
 * server joins it before it starts (`startServer({ cgroupProcs })`), and
 * every process it spawns is born inside it; the group's
 * `memory.max_usage_in_bytes` is then the true peak of the whole tree, with
 * nothing sampled. Needs a writable cgroup v1 memory hierarchy (root, as
 * here); {@linkcode createMemoryMeter} returns null elsewhere.
 *
 * @module
 */

/** A measuring group around one server. */
export interface MemoryMeter {
  /** The group's `cgroup.procs` file, for `startServer({ cgroupProcs })`. */
  procsFile: string;
  /** Memory the group holds now, in bytes. */
  usage(): number;
  /** The most it held since the last {@linkcode resetPeak}, in bytes. */
  peak(): number;
  /** Starts a new peak measurement. */
  resetPeak(): void;
  /** Removes the group (its processes must be gone). */
  remove(): void;
}

function ownMemoryGroup(): string | null {
  try {
    const line = Deno.readTextFileSync("/proc/self/cgroup").split("\n")
      .find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
    if (!line) return null;
    const dir = `/sys/fs/cgroup/memory${line.slice(line.lastIndexOf(":") + 1)}`.replace(/\/$/, "");
    Deno.statSync(`${dir}/memory.max_usage_in_bytes`);
    return dir;
  } catch {
    return null;
  }
}

/** Removes folder `path` and the empty groups inside it; leaves what is still busy. */
function removeGroup(path: string): void {
  try {
    for (const entry of Deno.readDirSync(path)) {
      if (entry.isDirectory) removeGroup(`${path}/${entry.name}`);
    }
    Deno.removeSync(path);
  } catch {
    // still busy, or gone: left for the machine to clean
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes a measuring group named `name` (plus this process's ID), or null
 * without cgroup v1. Groups of earlier test processes that are gone are
 * removed first, and this one when the test process ends.
 */
export function createMemoryMeter(name: string): MemoryMeter | null {
  const parent = ownMemoryGroup();
  if (!parent) return null;
  for (const entry of Deno.readDirSync(parent)) {
    const m = new RegExp(`^${name}-(\\d+)$`).exec(entry.name);
    if (entry.isDirectory && m && !alive(Number(m[1]))) removeGroup(`${parent}/${entry.name}`);
  }
  const dir = `${parent}/${name}-${Deno.pid}`;
  try {
    Deno.mkdirSync(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) return null;
  }
  const num = (file: string) => Number(Deno.readTextFileSync(`${dir}/${file}`).trim());
  return {
    procsFile: `${dir}/cgroup.procs`,
    usage: () => num("memory.usage_in_bytes"),
    peak: () => num("memory.max_usage_in_bytes"),
    resetPeak: () => Deno.writeTextFileSync(`${dir}/memory.max_usage_in_bytes`, "0"),
    // fazt's own groups inside it go first (they are empty once it stopped).
    remove: () => removeGroup(dir),
  };
}
