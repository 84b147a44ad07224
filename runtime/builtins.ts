/**
 * Which of Deno's `node:` built-in modules app code may use. Apps get the
 * pure ones that need no permission (buffers, events, streams, hashing,
 * paths as strings, compression); every module that exists to reach the
 * file system, sockets, processes, threads, the VM, the inspector or native
 * code is refused, whether asked for as `node:fs` or `fs`, by `import`,
 * `require` or `process.getBuiltinModule`. Revoked permissions already stop
 * those modules from doing anything; refusing them closes the doors whose
 * lock is Deno's own (as `npm:` imports showed, see docs/PLATFORM.md).
 *
 * The kernel turns the refusals into an import map (one throwing module per
 * refused name) passed to each sandbox with `--import-map`; the child applies
 * the same list to `require` and `process.getBuiltinModule`.
 *
 * @module
 */

/** The `node:` modules apps may use (without the `node:` prefix). */
export const ALLOWED_NODE_BUILTINS: ReadonlySet<string> = new Set([
  "assert",
  "assert/strict",
  "async_hooks",
  "buffer",
  "crypto",
  "diagnostics_channel",
  "events",
  "path",
  "path/posix",
  "path/win32",
  "process",
  "punycode",
  "querystring",
  "stream",
  "stream/consumers",
  "stream/promises",
  "stream/web",
  "string_decoder",
  "timers",
  "timers/promises",
  "url",
  "util",
  "util/types",
  "zlib",
]);

/**
 * Refused built-ins the import map must leave alone. Deno 2.9.6 ignores a
 * mapping of `node:worker_threads` for static imports (they get the real
 * module) and panics when an entry also imports another mapped built-in, so
 * it is not mapped: its `Worker`, the one export that matters, refuses
 * instead (runtime/child/lockdown.ts), and `require` and
 * `process.getBuiltinModule` refuse the module.
 */
const UNMAPPED_BUILTINS: ReadonlySet<string> = new Set(["worker_threads"]);

/** A built-in's name without the `node:` prefix (`node:fs` → `fs`). */
export function builtinName(specifier: string): string {
  return specifier.startsWith("node:") ? specifier.slice(5) : specifier;
}

/** True when app code may use the built-in `specifier` (`events` or `node:events`). */
export function isAllowedBuiltin(specifier: string): boolean {
  return ALLOWED_NODE_BUILTINS.has(builtinName(specifier));
}

/** What app code is told when it asks for a refused built-in. */
export function refusalMessage(specifier: string): string {
  return `node:${builtinName(specifier)} is not available to apps: a fazt app has no ` +
    "file system, sockets, processes, threads or native code (use fazt.* and fetch). " +
    `The node: modules apps can use: ${[...ALLOWED_NODE_BUILTINS].join(", ")}.`;
}

/** An import map (https://github.com/WICG/import-maps). */
export interface ImportMap {
  /** Specifier → URL, for every module. */
  imports: Record<string, string>;
  /** Module URL → its own mappings, which win over `imports`. */
  scopes: Record<string, Record<string, string>>;
}

/**
 * The import map that refuses every built-in in `builtins` (Deno's
 * `node:module` `builtinModules`) but the allowed ones (and
 * `worker_threads`, see above): both `name` and `node:name` lead to a
 * module that throws {@linkcode refusalMessage}; an allowed bare `name`
 * leads to `node:name`.
 * Modules under `ownCode` (fazt's own code when it runs as one bundle, which
 * imports such modules itself) keep the real ones.
 */
export function refusingImportMap(builtins: readonly string[], ownCode?: string): ImportMap {
  const imports: Record<string, string> = {};
  const own: Record<string, string> = {};
  for (const builtin of builtins) {
    const name = builtinName(builtin);
    if (UNMAPPED_BUILTINS.has(name)) continue;
    if (ALLOWED_NODE_BUILTINS.has(name)) {
      // With an import map, Deno no longer finds bare built-in names itself.
      imports[name] = `node:${name}`;
      continue;
    }
    // A default export lets `import x from "fs"` link, so it fails with
    // the message rather than a link error.
    const refusal = `data:text/javascript,${
      encodeURIComponent(
        `export default undefined; throw new Error(${
          JSON.stringify(refusalMessage(name))
        });\n//# sourceURL=node:${name}`,
      )
    }`;
    for (const specifier of [name, `node:${name}`]) {
      imports[specifier] = refusal;
      own[specifier] = `node:${name}`;
    }
  }
  return { imports, scopes: ownCode ? { [ownCode]: own } : {} };
}
