/**
 * The boot sequence: a kernel is a list of subsystems, each of which
 * installs itself — builds its services from the parts installed before it,
 * provides its own parts, and registers its periodic work, its flush (of
 * buffered counters) and its shutdown. A new subsystem is one file in
 * `kernel/boot/subsystems/` (next to its services in `kernel/services/`) and
 * one line in the list in `kernel/boot/kernel.ts`; it declares the parts it
 * provides by augmenting {@linkcode Parts}:
 *
 * ```ts
 * declare module "../subsystem.ts" {
 *   interface Parts {
 *     logs: LogService;
 *   }
 * }
 * ```
 *
 * @module
 */
import type { KernelConfig } from "./config.ts";
import type { Mount } from "../http/mounts.ts";

/**
 * Every part of a running kernel, by name. Each subsystem file adds the
 * parts it provides (declaration merging), so this list is never edited by
 * hand; `config` and `mounts` are the parts every kernel has.
 */
export interface Parts {
  /** The kernel's configuration, defaults applied. */
  config: KernelConfig;
  /**
   * HTTP mounts subsystems add (ACME challenges, OAuth endpoints, webhook
   * paths…): push entries during install; the http subsystem, installed
   * last, serves them beside fazt's own (`kernel/http/fazt_mounts.ts`).
   */
  mounts: Mount[];
}

/** What a subsystem gets while it installs itself. */
export interface BootContext {
  /** The configuration. */
  readonly config: KernelConfig;
  /** A part installed earlier; throws when none is (the list is out of order). */
  get<K extends keyof Parts>(name: K): Parts[K];
  /** A part, or undefined when no subsystem provided it (optional parts). */
  find<K extends keyof Parts>(name: K): Parts[K] | undefined;
  /** Provides a part to the subsystems after this one, and to the kernel. */
  provide<K extends keyof Parts>(name: K, value: Parts[K]): void;
  /** Writes buffered state (counters, last-used times) on every flush and before shutdown. */
  onFlush(fn: () => Promise<void> | void): void;
  /** Runs every flush hook now (the store's shutdown does, before it closes the database). */
  flushAll(): Promise<void>;
  /** Stops what this subsystem started; shutdown runs these in reverse install order. */
  onClose(fn: () => Promise<void> | void): void;
  /** Runs when every subsystem is installed (e.g. start a spare sandbox). */
  onReady(fn: () => void): void;
}

/** One subsystem of the kernel. */
export interface Subsystem {
  /** A short name, for errors. */
  name: string;
  /** Builds and provides this subsystem's parts. */
  install(ctx: BootContext): void | Promise<void>;
}

/** A booted set of subsystems. */
export interface Booted {
  /** Every part provided. */
  parts: Partial<Parts> & Pick<Parts, "config" | "mounts">;
  /** Runs every flush hook, in install order. */
  flush(): Promise<void>;
  /** Stops the flush timer, then runs every close hook in reverse install order (once). */
  close(): Promise<void>;
}

/**
 * Installs `subsystems` in order, then starts the periodic flush (every
 * `config.flushIntervalMs`). If one fails to install, those installed
 * before it are closed and the error is rethrown.
 */
export async function boot(
  config: KernelConfig,
  subsystems: readonly Subsystem[],
): Promise<Booted> {
  const parts: Partial<Parts> & Pick<Parts, "config" | "mounts"> = { config, mounts: [] };
  const flushes: (() => Promise<void> | void)[] = [];
  const closes: (() => Promise<void> | void)[] = [];
  const readies: (() => void)[] = [];
  let current = "";
  const ctx: BootContext = {
    config,
    get(name) {
      const value = parts[name];
      if (value === undefined) {
        throw new Error(
          `The ${current} subsystem needs "${
            String(name)
          }", which no subsystem before it provides.`,
        );
      }
      return value as Parts[typeof name];
    },
    find: (name) => parts[name] as Parts[typeof name] | undefined,
    provide(name, value) {
      if (parts[name] !== undefined) {
        throw new Error(`"${String(name)}" is provided twice (again by ${current}).`);
      }
      parts[name] = value;
    },
    onFlush: (fn) => void flushes.push(fn),
    flushAll: () => flush(),
    onClose: (fn) => void closes.push(fn),
    onReady: (fn) => void readies.push(fn),
  };

  let closing: Promise<void> | undefined;
  const flushing: { timer?: ReturnType<typeof setInterval> } = {};
  async function flush(): Promise<void> {
    for (const fn of flushes) await fn();
  }
  function close(): Promise<void> {
    closing ??= (async () => {
      clearInterval(flushing.timer);
      for (const fn of closes.toReversed()) await fn();
    })();
    return closing;
  }

  try {
    for (const subsystem of subsystems) {
      current = subsystem.name;
      await subsystem.install(ctx);
    }
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  for (const fn of readies) fn();
  flushing.timer = setInterval(() => {
    flush().catch((err) => console.error("fazt: could not write counters:", err));
  }, config.flushIntervalMs);
  return { parts, flush, close };
}
