/**
 * The app's module system inside the sandbox: `require()` over the app's
 * own files (held in memory, never the disk), the embedded stdlib and the
 * `node:` built-ins apps may use (../builtins.ts), and loading the entry
 * file as an ES module (JavaScript or TypeScript, from a data: URL) or as
 * CommonJS.
 *
 * @module
 */

/** Loads the source of a stdlib library (CommonJS text) from the kernel. */
export type StdlibLoader = (name: string) => Promise<string>;

/**
 * The built-in `specifier` for `require`: the module, undefined when it is
 * no built-in; throws when apps may not use it.
 */
export type BuiltinLoader = (specifier: string) => unknown;

const STDLIB = new Set(["lodash", "cheerio", "uuid", "zod"]);
const ESM = /^\s*(?:import\s*[\w{*'"]|export\s)/m;

/** True when a source looks like an ES module. */
export function looksLikeEsm(source: string): boolean {
  return ESM.test(source);
}

function normalize(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

/** The module system of one app. */
export interface ModuleSystem {
  /** A `require` bound to a file (for relative resolution). */
  requireFrom(file: string): (spec: string) => unknown;
  /** Loads the stdlib libraries the app's files mention, so `require` can stay synchronous. */
  preload(): Promise<void>;
  /** The URL an ES module entry is imported from (undefined for a CommonJS entry). */
  entryUrl(entry: string): string | undefined;
  /** Loads the entry and returns its exports. */
  loadEntry(entry: string, globals: Record<string, unknown>): Promise<unknown>;
}

/** Creates the module system over the app's files. */
export function createModuleSystem(
  files: Record<string, string>,
  loadStdlib: StdlibLoader,
  builtin: BuiltinLoader = () => undefined,
): ModuleSystem {
  const cache = new Map<string, { exports: unknown }>();
  const stdlibSource = new Map<string, string>();
  const stdlibCache = new Map<string, unknown>();
  let globals: Record<string, unknown> = {};

  function resolve(from: string, spec: string): string | undefined {
    const base = normalize(`${dirname(from)}/${spec}`);
    if (base === undefined) return undefined;
    for (
      const candidate of [base, `${base}.js`, `${base}.cjs`, `${base}.json`, `${base}/index.js`]
    ) {
      if (candidate in files) return candidate;
    }
    return undefined;
  }

  function evalCjs(source: string, file: string): unknown {
    const module = { exports: {} as unknown };
    cache.set(file, module);
    const names = Object.keys(globals);
    const params = ["module", "exports", "require", "__filename", "__dirname", ...names];
    // The wrapper opens on the file's first line, so stack traces give the
    // file's own line numbers (`new Function` would add two lines).
    const fn = (0, eval)(
      `(function (${params.join(", ")}) {${source}\n})\n//# sourceURL=app:///${file}`,
    ) as (...args: unknown[]) => void;
    fn(
      module,
      module.exports,
      requireFrom(file),
      file,
      dirname(file),
      ...names.map((n) => globals[n]),
    );
    return module.exports;
  }

  function requireFrom(file: string): (spec: string) => unknown {
    return (spec: string) => {
      if (STDLIB.has(spec)) {
        if (!stdlibCache.has(spec)) {
          const src = stdlibSource.get(spec);
          if (src === undefined) {
            throw new Error(
              `require("${spec}") needs a moment to load; it is loaded at start when a file mentions it.`,
            );
          }
          const module = { exports: {} as unknown };
          new Function(
            "module",
            "exports",
            "require",
            `${src}\n//# sourceURL=fazt:stdlib/${spec}.js`,
          )(
            module,
            module.exports,
            () => {
              throw new Error(`${spec} cannot require other modules.`);
            },
          );
          stdlibCache.set(spec, module.exports);
        }
        return stdlibCache.get(spec);
      }
      if (!spec.startsWith("./") && !spec.startsWith("../")) {
        const module = builtin(spec);
        if (module !== undefined) return module;
        throw new Error(
          `Cannot find module "${spec}". require() loads the app's own files ("./file"), the stdlib (${
            [...STDLIB].join(", ")
          }) and the node: modules apps can use ("node:events").`,
        );
      }
      const target = resolve(file, spec);
      if (target === undefined) {
        throw new Error(`Cannot find module "${spec}" from ${file}: no such file in this app.`);
      }
      const cached = cache.get(target);
      if (cached) return cached.exports;
      const source = files[target];
      if (target.endsWith(".json")) {
        const value = JSON.parse(source);
        cache.set(target, { exports: value });
        return value;
      }
      if (looksLikeEsm(source)) {
        throw new Error(
          `${target} is an ES module; require() loads CommonJS files (module.exports).`,
        );
      }
      return evalCjs(source, target);
    };
  }

  function entryUrl(entry: string): string | undefined {
    const source = files[entry];
    if (source === undefined) return undefined;
    if (!entry.endsWith(".ts") && !entry.endsWith(".mjs") && !looksLikeEsm(source)) {
      return undefined;
    }
    const type = entry.endsWith(".ts") ? "application/typescript" : "application/javascript";
    const bytes = new TextEncoder().encode(source);
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return `data:${type};base64,${btoa(bin)}`;
  }

  return {
    requireFrom,
    entryUrl,
    async preload() {
      const mentioned = new Set<string>();
      for (const source of Object.values(files)) {
        for (const name of STDLIB) {
          if (source.includes(`"${name}"`) || source.includes(`'${name}'`)) mentioned.add(name);
        }
      }
      for (const name of mentioned) stdlibSource.set(name, await loadStdlib(name));
    },
    async loadEntry(entry, g) {
      globals = g;
      const source = files[entry];
      if (source === undefined) throw new Error(`The entry file ${entry} is missing.`);
      const url = entryUrl(entry);
      return url === undefined ? evalCjs(source, entry) : await import(url);
    },
  };
}
