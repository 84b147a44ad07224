/**
 * The disk breaker. A full disk is the one failure SQLite cannot recover
 * from gracefully, so fazt stops *writing* well before the volume is full
 * and keeps *serving*: deploys, app data writes and secrets are refused with
 * a 507 `insufficient_storage` error while every read keeps working.
 *
 * The guard trips on either of two limits:
 *
 * - **volume ratio** — the data volume is at or above `maxUsedRatio` full
 *   (used / (used + available to unprivileged users), the same figure `df`
 *   shows as `Use%`);
 * - **quota** — the data folder itself holds `quotaBytes` or more.
 *
 * Usage is measured by a probe every `refreshMs` (default 5 s), never on the
 * write path: {@linkcode DiskGuard.assertWritable} only reads the last
 * result, so it costs a field check. The default probe reads the volume with
 * `node:fs` `statfs` (Deno needs `--allow-sys=statfs`; without it the volume
 * is reported as unknown and only the quota applies) and sums the sizes of
 * the files under the data folder (symlinks are not followed; hard links are
 * counted once).
 *
 * @example
 * ```ts
 * const disk = createDiskGuard({ dataDir: "/var/lib/fazt", quotaBytes: 10e9 });
 * await disk.refresh();
 * disk.start();
 * disk.assertWritable("Deploy"); // throws FaztError("insufficient_storage") when tripped
 * disk.stop();
 * ```
 *
 * @module
 */
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { FaztError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";

/** Space on the volume that holds the data folder, in bytes. */
export interface VolumeUsage {
  /** Size of the file system. */
  total: number;
  /** Bytes in use (`total` minus all free blocks). */
  used: number;
  /** Bytes an unprivileged process can still write (excludes root-reserved blocks). */
  available: number;
  /** How full the volume is, 0..1: `used / (used + available)`, like `df`'s `Use%`. */
  ratio: number;
}

/** What a probe measured. */
export interface DiskProbeResult {
  /** The data volume, or null when it cannot be measured. */
  volume: VolumeUsage | null;
  /** Why the volume could not be measured (null when it was). */
  volumeError?: string | null;
  /** Bytes held by files under the data folder. */
  dataBytes: number;
}

/** Measures disk usage for a data folder. */
export type DiskProbe = (dataDir: string) => Promise<DiskProbeResult>;

/** Options for {@linkcode createDiskGuard}. */
export interface DiskGuardOptions {
  /** The data folder. */
  dataDir: string;
  /** Refuse writes once the volume is this full (0..1). Default 0.8. */
  maxUsedRatio?: number;
  /** Refuse writes once the data folder holds this many bytes. Default: no quota. */
  quotaBytes?: number;
  /** How often {@linkcode DiskGuard.start} re-measures, in ms. Default 5000. */
  refreshMs?: number;
  /** Measures usage; defaults to {@linkcode defaultDiskProbe}. */
  probe?: DiskProbe;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
  /**
   * After a refused write, re-measure in the background if the last check is
   * older than this (ms), so freed space is noticed quickly. Default 1000.
   */
  recheckAfterRefusalMs?: number;
  /** Where background refresh failures are reported. Default `console.error`. */
  onError?: (err: unknown) => void;
}

/** The guard's last measurement and verdict. */
export interface DiskGuardStatus {
  /** The data volume, or null when unknown (e.g. no `--allow-sys=statfs`). */
  volume: { total: number; used: number; ratio: number } | null;
  /** Why the volume is unknown, or null. */
  volumeError: string | null;
  /** Bytes held by files under the data folder. */
  dataBytes: number;
  /** The data folder quota, or null when none is set. */
  quotaBytes: number | null;
  /** The volume ratio at which writes are refused. */
  maxUsedRatio: number;
  /** True while writes are refused. */
  tripped: boolean;
  /** Why writes are refused, as a sentence fragment (null when not tripped). */
  reason: string | null;
  /** When usage was last measured (ms since epoch; 0 = never). */
  checkedAt: number;
}

/** The disk breaker. */
export interface DiskGuard {
  /** The last measurement and verdict (cheap: no I/O). */
  status(): DiskGuardStatus;
  /**
   * Measures usage now and updates the verdict. Concurrent calls share one
   * measurement. Rejects only when the probe itself fails; the previous
   * verdict is then kept.
   */
  refresh(): Promise<void>;
  /**
   * Throws `FaztError("insufficient_storage")` (HTTP 507) when writes are
   * refused. `what` names the refused action, capitalized, e.g. `"Deploy"`
   * or `"Saving app data"`. Cheap: reads the last verdict, no I/O.
   */
  assertWritable(what: string): void;
  /** Measures now and then every `refreshMs` until {@linkcode stop}. */
  start(): void;
  /**
   * Stops the periodic refresh (idempotent). The returned promise settles
   * once a measurement still in flight has finished; awaiting it is optional.
   */
  stop(): Promise<void>;
}

/** Files stat'ed between two yields to the event loop in {@linkcode folderBytes}. */
const SLICE = 128;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads the volume holding `path` with `statfs`. Throws when it cannot. */
export async function volumeUsage(path: string): Promise<VolumeUsage> {
  const s = await statfs(path);
  const bsize = Number(s.bsize);
  const total = Number(s.blocks) * bsize;
  const used = (Number(s.blocks) - Number(s.bfree)) * bsize;
  const available = Number(s.bavail) * bsize;
  const denominator = used + available;
  return { total, used, available, ratio: denominator > 0 ? used / denominator : 0 };
}

/**
 * Sums the sizes of the regular files under `dir`. Symlinks are not
 * followed, hard links count once, and files or folders that vanish during
 * the walk are skipped. Entries are stat'ed synchronously (several times
 * cheaper than one async op per file) in slices of `SLICE` files, yielding
 * to the event loop between slices, so a walk over a few thousand files
 * never blocks requests for more than a few milliseconds at a time.
 */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let sinceYield = 0;
  const seen = new Set<string>();
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(current)];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        continue;
      }
      throw err;
    }
    for (const entry of entries) {
      if (entry.isSymlink) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory) {
        pending.push(path);
        continue;
      }
      if (!entry.isFile) continue;
      if (++sinceYield >= SLICE) {
        sinceYield = 0;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(path);
      } catch {
        continue; // removed (or replaced) since the listing
      }
      if (!info.isFile) continue;
      if (info.nlink !== null && info.nlink > 1 && info.ino !== null) {
        const key = `${info.dev}:${info.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += info.size;
    }
  }
  return total;
}

/**
 * The default probe: the volume from `statfs` (null, with the reason, when
 * it fails, e.g. without `--allow-sys=statfs`) and the data folder's size
 * from {@linkcode folderBytes}.
 */
export async function defaultDiskProbe(dataDir: string): Promise<DiskProbeResult> {
  const [volume, dataBytes] = await Promise.all([
    volumeUsage(dataDir).then(
      (v) => ({ v, error: null }),
      (err) => ({
        v: null,
        error: err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied
          ? "statfs is not allowed; run fazt with --allow-sys=statfs to watch the data volume"
          : `could not read the data volume: ${message(err)}`,
      }),
    ),
    folderBytes(dataDir),
  ]);
  return { volume: volume.v, volumeError: volume.error, dataBytes };
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/** Creates the disk breaker. Call {@linkcode DiskGuard.refresh} or `start()` to measure. */
export function createDiskGuard(options: DiskGuardOptions): DiskGuard {
  const maxUsedRatio = options.maxUsedRatio ?? 0.8;
  if (!(maxUsedRatio > 0 && maxUsedRatio <= 1)) {
    throw new FaztError(
      "invalid_input",
      `The disk limit must be a fraction between 0 and 1 (e.g. 0.8 for 80%); got ${maxUsedRatio}.`,
    );
  }
  const quotaBytes = options.quotaBytes ?? null;
  if (quotaBytes !== null && !(quotaBytes > 0)) {
    throw new FaztError(
      "invalid_input",
      `The disk quota must be a positive number of bytes; got ${quotaBytes}.`,
    );
  }
  const refreshMs = options.refreshMs ?? 5000;
  const probe = options.probe ?? defaultDiskProbe;
  const now = options.now ?? Date.now;
  const recheckMs = options.recheckAfterRefusalMs ?? 1000;
  const onError = options.onError ?? ((err) => console.error("fazt: disk check failed:", err));

  let volume: VolumeUsage | null = null;
  let volumeError: string | null = null;
  let dataBytes = 0;
  let checkedAt = 0;
  /** Which limit tripped, or null. */
  let trip: "volume" | "quota" | null = null;
  let reason: string | null = null;
  let inflight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  function judge(): void {
    if (volume !== null && volume.ratio >= maxUsedRatio) {
      trip = "volume";
      reason = `the data volume is ${percent(volume.ratio)} full (limit ${percent(maxUsedRatio)})`;
    } else if (quotaBytes !== null && dataBytes >= quotaBytes) {
      trip = "quota";
      reason = `the data folder uses ${formatBytes(dataBytes)} of its ${
        formatBytes(quotaBytes)
      } quota (--disk-quota)`;
    } else {
      trip = null;
      reason = null;
    }
  }

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      try {
        const result = await probe(options.dataDir);
        volume = result.volume;
        volumeError = result.volume ? null : (result.volumeError ?? "the volume is unknown");
        dataBytes = result.dataBytes;
        checkedAt = now();
        judge();
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  }

  function background(): void {
    refresh().catch(onError);
  }

  function schedule(): void {
    if (!running || timer !== undefined) return; // one timer chain, even after stop() + start()
    timer = setTimeout(() => {
      timer = undefined;
      refresh().catch(onError).finally(schedule);
    }, refreshMs);
  }

  function publicVolume(): DiskGuardStatus["volume"] {
    return volume && { total: volume.total, used: volume.used, ratio: volume.ratio };
  }

  return {
    status() {
      return {
        volume: publicVolume(),
        volumeError,
        dataBytes,
        quotaBytes,
        maxUsedRatio,
        tripped: trip !== null,
        reason,
        checkedAt,
      };
    },
    refresh,
    assertWritable(what) {
      if (trip === null) return;
      if (now() - checkedAt >= recheckMs && inflight === null) background();
      const hint = trip === "volume"
        ? "Free space or raise --disk-limit; reads keep working."
        : "Delete apps, old versions or app data, or raise --disk-quota; reads keep working.";
      throw new FaztError("insufficient_storage", `${what} refused: ${reason}. ${hint}`, {
        details: {
          limit: trip,
          volume: publicVolume(),
          maxUsedRatio,
          dataBytes,
          quotaBytes,
          checkedAt,
        },
      });
    },
    start() {
      if (running) return;
      running = true;
      refresh().catch(onError).finally(schedule);
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await inflight?.catch(() => undefined);
    },
  };
}
