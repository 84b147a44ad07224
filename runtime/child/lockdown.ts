/**
 * What a sandbox takes away from app code, after it has dropped its
 * permissions and before any app code loads:
 *
 * - Deno's internals (`Deno[Deno.internal]`, with `core`): they reach the
 *   bridge socket, every op, and `core.evalContext`, which runs code under
 *   any file name (and so outside the import map's refusals);
 * - threads: `Worker`, `SharedWorker` and `node:worker_threads`' `Worker`
 *   (a thread has a heap of its own, outside the process's heap cap);
 * - the Web Storage and Cache APIs (`localStorage`, `sessionStorage`,
 *   `caches` and their classes): Deno persists them in its cache folder,
 *   keyed by the main module, so every app would share one store outside
 *   its data and its disk quota;
 * - the paths of fazt's install and of the bridge: `Deno.cwd()` is `/`,
 *   `Deno.execPath()` is `deno`, `Deno.args` is empty, `Deno.mainModule` and
 *   `process.argv` name the app's entry as `app:///<entry>`, and stack traces
 *   hide fazt's own frames (./stack.ts);
 * - refused `node:` built-ins through `process.getBuiltinModule` (which
 *   answers `undefined` for them, as for a name that is no built-in),
 *   `process.binding` and `process.dlopen` (../builtins.ts).
 *
 * Each removal is checked; a Deno that no longer lets one happen stops the
 * sandbox before any app code arrives rather than run it with the door open.
 *
 * @module
 */
import { builtinName, isAllowedBuiltin, refusalMessage } from "../builtins.ts";
import { sanitizeStacks } from "./stack.ts";

/** What the locked-down sandbox still offers fazt's own code. */
export interface Lockdown {
  /**
   * The built-in `specifier` (`events`, `node:events`) for `require`: the
   * module when apps may use it, undefined when it is no built-in; throws
   * the refusal for the others.
   */
  builtin(specifier: string): unknown;
  /** True when `specifier` names a built-in apps may not use. */
  refused(specifier: string): boolean;
  /** Names the app's entry file and the URL it is loaded from (if it is an ES module). */
  setEntry(entry: string, url?: string): void;
}

type GetBuiltin = (id: string) => unknown;

interface NodeProcess {
  getBuiltinModule: GetBuiltin;
  execPath: string;
  title: string;
  argv: string[];
  execArgv: string[];
  cwd(): string;
  binding?: unknown;
  dlopen?: unknown;
}

/** Globals that persist data outside the app's own store. */
const STORAGE_GLOBALS = [
  "localStorage",
  "sessionStorage",
  "caches",
  "Storage",
  "CacheStorage",
  "Cache",
];

/** Globals that start threads. */
const THREAD_GLOBALS = ["Worker", "SharedWorker"];

function refuse(message: string): () => never {
  return () => {
    throw new Error(message);
  };
}

/** Fails the sandbox's start when `ok` is false: a removal did not take. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`The sandbox could not remove ${what} from app reach.`);
}

/**
 * `node:worker_threads`' `Worker` keeps its own reference to the thread
 * machinery, out of reach of `delete globalThis.Worker`: it is made to
 * refuse at its `super()` call, and frozen so app code cannot undo that.
 */
function refuseNodeWorkers(getBuiltin: GetBuiltin): void {
  const { Worker } = getBuiltin("worker_threads") as { Worker: object };
  // A function, not an arrow: `super()` calls it as a constructor.
  Object.setPrototypeOf(Worker, function Worker(): never {
    throw new Error("Workers are not available to apps.");
  });
  Object.freeze(Worker);
}

/** Locks the process down (once, before any app code exists). */
export function lockDown(): Lockdown {
  const g = globalThis as Record<string, unknown>;
  const deno = Deno as unknown as Record<string | symbol, unknown> & { internal: symbol };
  const proc = g.process as NodeProcess;
  const getBuiltin: GetBuiltin = proc.getBuiltinModule.bind(proc);
  const builtins = new Set(
    (getBuiltin("module") as { builtinModules: string[] }).builtinModules.map(builtinName),
  );

  delete deno[deno.internal];
  check(deno[deno.internal] === undefined, "Deno's internals");

  for (const name of [...THREAD_GLOBALS, ...STORAGE_GLOBALS]) {
    delete g[name];
    check(!(name in globalThis), name);
  }
  refuseNodeWorkers(getBuiltin);

  let mainModule = "app:///";
  let entryUrl: string | undefined;
  const neutral = {
    cwd: { value: () => "/" },
    execPath: { value: () => "deno" },
    args: { get: () => [] },
    mainModule: { get: () => mainModule },
  };
  for (const [name, descriptor] of Object.entries(neutral)) {
    Object.defineProperty(Deno, name, { ...descriptor, configurable: true, enumerable: true });
  }
  proc.cwd = () => "/";
  proc.execPath = "deno";
  proc.title = "deno";
  proc.argv = ["deno"];
  proc.execArgv = [];
  check(
    Deno.cwd() === "/" && Deno.execPath() === "deno" && Deno.args.length === 0 &&
      proc.execPath === "deno" && proc.title === "deno",
    "the install paths",
  );

  Object.defineProperty(proc, "getBuiltinModule", {
    value: (id: string) => isAllowedBuiltin(String(id)) ? getBuiltin(String(id)) : undefined,
    writable: false,
    configurable: false,
  });
  proc.binding = refuse("process.binding is not available to apps.");
  proc.dlopen = refuse("process.dlopen is not available to apps.");

  sanitizeStacks({
    hidden: (url) => url.startsWith("file:"),
    rename: (text) => entryUrl ? text.split(entryUrl).join(mainModule) : text,
  });

  return {
    builtin(specifier) {
      const name = builtinName(specifier);
      if (!builtins.has(name)) return undefined;
      if (!isAllowedBuiltin(name)) throw new Error(refusalMessage(name));
      return getBuiltin(name);
    },
    refused(specifier) {
      const name = builtinName(specifier);
      return builtins.has(name) && !isAllowedBuiltin(name);
    },
    setEntry(entry, url) {
      mainModule = `app:///${entry}`;
      entryUrl = url;
      proc.argv = ["deno", mainModule];
    },
  };
}
