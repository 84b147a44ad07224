/**
 * Linux memory cgroups for app processes: the hard per-app memory cap. Each
 * app gets one group holding all its processes (its sandbox and its SQL
 * process); the kernel caps the group's memory, and when the group's
 * processes together reach the cap the kernel's OOM killer stops the
 * largest of them, whatever allocated the memory (ArrayBuffers, strings,
 * WebAssembly memory, malloc, SQLite).
 *
 * {@linkcode detectCgroups} picks the strongest hierarchy fazt can use:
 *
 * - **cgroup v2** when fazt's own cgroup offers the `memory` controller and
 *   fazt may enable it for children. v2 forbids processes in a group whose
 *   children have controllers (the "no internal processes" rule), so fazt
 *   makes `<own>/fazt-<pid>/`, moves itself into its leaf `kernel`, and
 *   writes `+memory` to `<own>` and `<own>/fazt-<pid>`'s
 *   `cgroup.subtree_control`. That only works when `<own>` holds nothing but
 *   fazt: under systemd, a unit with `Delegate=yes`. Caps are `memory.max`
 *   (with `memory.swap.max` 0), peaks `memory.peak`, kills the `oom_kill`
 *   count of `memory.events`.
 * - **cgroup v1** when the v1 `memory` hierarchy is mounted and fazt may
 *   create groups in its own: `<own>/fazt-<pid>/<app>`. Caps are
 *   `memory.limit_in_bytes` (and `memory.memsw.limit_in_bytes` when swap is
 *   accounted), peaks `memory.max_usage_in_bytes`, kills the `oom_kill`
 *   count of `memory.oom_control`.
 * - otherwise none (the caller falls back on rlimits and the watchdog).
 *
 * A group charges the memory its processes allocate after they join it,
 * page cache of files they read included (the kernel reclaims that before
 * it kills anything). Groups of servers whose process is gone are removed
 * at detection. Every file is read and written through {@linkcode SysFiles}
 * (Deno needs `--allow-all` for `/sys`).
 *
 * @module
 */
import type { SysFiles } from "./sys_files.ts";

/** One app's group. */
export interface AppCgroup {
  /** Its folder in the cgroup file system. */
  readonly path: string;
  /** The file holding the most memory the group held (bytes); read it with {@linkcode cgroupNumber}. */
  readonly peakFile: string;
  /** The file counting OOM kills in the group; read it with {@linkcode oomKillsIn}. */
  readonly oomFile: string;
  /** Caps the memory its processes may hold together, in bytes. */
  setMemoryLimit(bytes: number): Promise<void>;
  /** Moves process `pid` (all its threads) into the group; throws when it cannot. */
  add(pid: number): Promise<void>;
  /** Deletes the group; false when it still holds processes. */
  remove(): Promise<boolean>;
}

/** The groups of one fazt server. */
export interface CgroupTree {
  /** The cgroup version in use. */
  readonly version: 1 | 2;
  /** The folder holding this server's groups. */
  readonly root: string;
  /** The group called `name` (made when missing). */
  group(name: string): Promise<AppCgroup>;
  /** Deletes every group made here that holds no process. */
  close(): Promise<void>;
}

/** What {@linkcode detectCgroups} found. */
export interface CgroupDetection {
  /** The usable tree, or null. */
  tree: CgroupTree | null;
  /** Why each hierarchy was or was not used, for `system.status`. */
  note: string;
}

/** Inputs of {@linkcode detectCgroups}. */
export interface DetectOptions {
  /** The process whose cgroups count: fazt's kernel (default `Deno.pid`). */
  pid?: number;
  /** Other processes of fazt's that must follow it into a v2 leaf (its helpers). */
  companions?: number[];
  /** The text of `/proc/<pid>/cgroup` (default: read it). */
  procCgroup?: string;
  /** The text of `/proc/<pid>/mountinfo` (default: read it). */
  mountinfo?: string;
  /** Skip cgroup v2 (to use v1 even where v2 would work). */
  skipV2?: boolean;
}

/** A line of `/proc/<pid>/cgroup`. */
export interface ProcCgroupLine {
  /** Hierarchy ID (0 for v2). */
  id: number;
  /** Controllers bound to the hierarchy (empty for v2). */
  controllers: string[];
  /** The process's group, relative to the hierarchy's root. */
  path: string;
}

/** Parses `/proc/<pid>/cgroup`. */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const out: ProcCgroupLine[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({ id: Number(m[1]), controllers: m[2] ? m[2].split(",") : [], path: m[3] });
  }
  return out;
}

/** A line of `/proc/<pid>/mountinfo`. */
export interface Mount {
  /** The mounted folder of the file system. */
  root: string;
  /** Where it is mounted. */
  mountPoint: string;
  /** File system type (`cgroup`, `cgroup2`, …). */
  fsType: string;
  /** Per-superblock options (for v1 cgroups: the controllers). */
  superOptions: string[];
}

function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses `/proc/<pid>/mountinfo`. */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6 || fields.length < dash + 4) continue;
    out.push({
      root: unescapeMount(fields[3]),
      mountPoint: unescapeMount(fields[4]),
      fsType: fields[dash + 1],
      superOptions: fields[dash + 3].split(","),
    });
  }
  return out;
}

/** The folder of a group given its path in a hierarchy mounted at `mount`. */
export function cgroupFolder(mount: Mount, path: string): string {
  let rel = path;
  if (mount.root !== "/" && (rel === mount.root || rel.startsWith(mount.root + "/"))) {
    rel = rel.slice(mount.root.length);
  }
  return (mount.mountPoint.replace(/\/$/, "") + rel).replace(/\/$/, "");
}

/** The count `oom_kill` of `memory.oom_control` (v1) or `memory.events` (v2); 0 when absent. */
export function oomKillsIn(text: string | null): number {
  const m = text ? /^oom_kill (\d+)$/m.exec(text) : null;
  return m ? Number(m[1]) : 0;
}

/** The number a one-value cgroup file holds, or null. */
export function cgroupNumber(text: string | null): number | null {
  if (text === null || text.trim() === "") return null;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : null;
}

/** The group file names of one version. */
interface Flavor {
  limit: string;
  peak: string;
  oom: string;
  /** Files written to 0 alongside the limit (v2: `memory.swap.max`). */
  noSwap?: string;
  /** v1: the memory+swap limit, kept equal to the limit when swap is accounted. */
  memsw?: string;
}

const V1: Flavor = {
  limit: "memory.limit_in_bytes",
  peak: "memory.max_usage_in_bytes",
  oom: "memory.oom_control",
  memsw: "memory.memsw.limit_in_bytes",
};

const V2: Flavor = {
  limit: "memory.max",
  peak: "memory.peak",
  oom: "memory.events",
  noSwap: "memory.swap.max",
};

function makeTree(files: SysFiles, version: 1 | 2, root: string, flavor: Flavor): CgroupTree {
  const made = new Map<string, AppCgroup>();
  return {
    version,
    root,
    async group(name) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new RangeError(`Bad cgroup name "${name}".`);
      const known = made.get(name);
      if (known) return known;
      const dir = `${root}/${name}`;
      await files.mkdir(dir);
      const g: AppCgroup = {
        path: dir,
        peakFile: `${dir}/${flavor.peak}`,
        oomFile: `${dir}/${flavor.oom}`,
        async setMemoryLimit(bytes) {
          const n = String(Math.floor(bytes));
          if (flavor.noSwap) {
            const [swap] = await files.read([`${dir}/${flavor.noSwap}`]);
            if (swap !== null) await files.write(`${dir}/${flavor.noSwap}`, "0");
          }
          if (!flavor.memsw) return files.write(`${dir}/${flavor.limit}`, n);
          const [memsw, current] = await files.read([
            `${dir}/${flavor.memsw}`,
            `${dir}/${flavor.limit}`,
          ]);
          // memsw must stay at or above the plain limit: raise it first, lower it last.
          const raising = Number(n) > (cgroupNumber(current) ?? 0);
          if (memsw !== null && raising) await files.write(`${dir}/${flavor.memsw}`, n);
          await files.write(`${dir}/${flavor.limit}`, n);
          if (memsw !== null && !raising) await files.write(`${dir}/${flavor.memsw}`, n);
        },
        add: (pid) => files.write(`${dir}/cgroup.procs`, String(pid)),
        async remove() {
          if (!(await files.rmdir(dir))) return false;
          made.delete(name);
          return true;
        },
      };
      made.set(name, g);
      return g;
    },
    async close() {
      for (const g of [...made.values()]) await g.remove();
      if (version === 1) await files.rmdir(root);
    },
  };
}

/**
 * Removes groups of fazt servers that no longer run (`fazt-<pid>` folders
 * under `parent` whose process is gone): their app groups first.
 */
async function removeStale(files: SysFiles, parent: string, self: number): Promise<void> {
  for (const name of await files.list(parent)) {
    const m = /^fazt-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === self) continue;
    const [stat] = await files.read([`/proc/${m[1]}/stat`]);
    if (stat !== null) continue;
    const dir = `${parent}/${name}`;
    for (const child of await files.list(dir)) {
      if (!child.includes(".")) await files.rmdir(`${dir}/${child}`);
    }
    await files.rmdir(dir);
  }
}

function words(text: string | null): string[] {
  return (text ?? "").trim().split(/\s+/).filter((w) => w !== "");
}

/** Tries cgroup v2 for the process `pid` in group `path` of the v2 hierarchy at `mount`. */
async function tryV2(
  files: SysFiles,
  mount: Mount,
  path: string,
  pid: number,
  companions: number[],
): Promise<{ tree: CgroupTree | null; why: string }> {
  const own = cgroupFolder(mount, path);
  const [controllers, enabled] = await files.read([
    `${own}/cgroup.controllers`,
    `${own}/cgroup.subtree_control`,
  ]);
  if (!words(controllers).includes("memory")) {
    return { tree: null, why: `v2: ${own} is not given the memory controller` };
  }
  const root = `${own}/fazt-${pid}`;
  const leaf = `${root}/kernel`;
  const undo = async () => {
    for (const p of [pid, ...companions]) {
      await files.write(`${own}/cgroup.procs`, String(p)).catch(() => {});
    }
    await files.rmdir(leaf);
    await files.rmdir(root);
  };
  try {
    await removeStale(files, own, pid);
    await files.mkdir(root);
    await files.mkdir(leaf);
    // The no-internal-processes rule: fazt and its helpers leave `own` for a leaf.
    for (const p of [pid, ...companions]) await files.write(`${leaf}/cgroup.procs`, String(p));
  } catch (err) {
    await undo();
    return { tree: null, why: `v2: cannot make groups in ${own} (${(err as Error).message})` };
  }
  try {
    if (!words(enabled).includes("memory")) {
      await files.write(`${own}/cgroup.subtree_control`, "+memory");
    }
    await files.write(`${root}/cgroup.subtree_control`, "+memory");
  } catch (err) {
    // Usually EBUSY: other processes share fazt's group (no Delegate=yes).
    await undo();
    return {
      tree: null,
      why: `v2: cannot enable memory for groups under ${own} (${
        (err as Error).message
      }); run fazt in a cgroup of its own (systemd: Delegate=yes)`,
    };
  }
  return { tree: makeTree(files, 2, root, V2), why: `v2: app groups under ${root}` };
}

/** Tries cgroup v1's memory hierarchy for this server. */
async function tryV1(
  files: SysFiles,
  mount: Mount,
  path: string,
  pid: number,
): Promise<{ tree: CgroupTree | null; why: string }> {
  const own = cgroupFolder(mount, path);
  const root = `${own}/fazt-${pid}`;
  try {
    await removeStale(files, own, pid);
    await files.mkdir(root);
    const [limit] = await files.read([`${root}/${V1.limit}`]);
    if (limit === null) throw new Error(`no ${V1.limit}`);
  } catch (err) {
    await files.rmdir(root);
    return { tree: null, why: `v1: cannot make groups in ${own} (${(err as Error).message})` };
  }
  return { tree: makeTree(files, 1, root, V1), why: `v1: app groups under ${root}` };
}

/**
 * Finds the strongest memory cgroup hierarchy fazt may use: v2, else v1,
 * else none (with the reasons in `note`).
 */
export async function detectCgroups(
  files: SysFiles,
  options: DetectOptions = {},
): Promise<CgroupDetection> {
  const pid = options.pid ?? Deno.pid;
  const [procText, mountText] = options.procCgroup !== undefined &&
      options.mountinfo !== undefined
    ? [options.procCgroup, options.mountinfo]
    : await files.read([`/proc/${pid}/cgroup`, `/proc/${pid}/mountinfo`]);
  if (procText === null || mountText === null) {
    return { tree: null, note: "cannot read /proc/<pid>/cgroup or mountinfo (not Linux?)" };
  }
  const lines = parseProcCgroup(procText);
  const mounts = parseMountinfo(mountText);
  const why: string[] = [];

  const unified = lines.find((l) => l.id === 0 && l.controllers.length === 0);
  const v2Mount = mounts.find((m) => m.fsType === "cgroup2");
  if (options.skipV2) why.push("v2: skipped");
  else if (unified && v2Mount) {
    const v2 = await tryV2(files, v2Mount, unified.path, pid, options.companions ?? []);
    if (v2.tree) return { tree: v2.tree, note: v2.why };
    why.push(v2.why);
  } else why.push("v2: not mounted");

  const memoryLine = lines.find((l) => l.controllers.includes("memory"));
  const v1Mount = mounts.find((m) => m.fsType === "cgroup" && m.superOptions.includes("memory"));
  if (memoryLine && v1Mount) {
    const v1 = await tryV1(files, v1Mount, memoryLine.path, pid);
    if (v1.tree) return { tree: v1.tree, note: v1.why };
    why.push(v1.why);
  } else why.push("v1: no memory hierarchy");
  return { tree: null, note: why.join("; ") };
}
