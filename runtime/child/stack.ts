/**
 * Stack traces app code sees name no file of fazt's own: a sandbox runs
 * fazt's code from `file:` URLs under its install folder (or its bundle),
 * and every handler is called from there, so a plain `new Error().stack`
 * would show where fazt is installed. V8 hands every stack to
 * `Error.prepareStackTrace`, and Deno honours it; this module installs one
 * that drops the frames of fazt's own scripts (`file:` URLs: app code never
 * runs from a file, it arrives as `data:` URLs and in-memory CommonJS),
 * renames the entry's long `data:` URL wherever a frame names it, and
 * replaces any `file:` URL left in a frame (the origin of code built with
 * `eval`). An app that sets its own `Error.prepareStackTrace` gets call
 * sites that answer the same way.
 *
 * @module
 */

/** How stack traces show scripts. */
export interface StackNames {
  /** True for a script whose frames are left out (fazt's own code). */
  hidden(url: string): boolean;
  /** Rewrites the URLs a frame's text names (the entry's long `data:` URL). */
  rename(text: string): string;
}

/** What replaces a `file:` URL that remains inside a frame. */
const HIDDEN = "fazt:internal";

const FILE_URL = /file:\/\/[^\s)]*/g;

type CallSite = Record<string, (...args: unknown[]) => unknown> & {
  getFileName(): string | undefined | null;
  getScriptNameOrSourceURL(): string | undefined | null;
  getEvalOrigin(): string | undefined;
  toString(): string;
};

type Prepare = (error: Error, sites: CallSite[]) => unknown;

/** The script a call site runs. */
function scriptOf(site: CallSite): string {
  return site.getScriptNameOrSourceURL() ?? site.getFileName() ?? "";
}

/** `text` with its URLs renamed and any `file:` URL left hidden. */
function clean(text: string, names: StackNames): string {
  return names.rename(text).replace(FILE_URL, HIDDEN);
}

/** `site` with the script names and text it reports cleaned. */
function renamedSite(site: CallSite, names: StackNames): CallSite {
  const out: Record<string, unknown> = {};
  let proto: object | null = Object.getPrototypeOf(site);
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const fn = (site as Record<string, unknown>)[name];
      if (name !== "constructor" && typeof fn === "function" && !(name in out)) {
        out[name] = (...args: unknown[]) => fn.apply(site, args);
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  const cleaned = (text: string | null | undefined) => text ? clean(text, names) : text;
  out.getFileName = () => cleaned(site.getFileName());
  out.getScriptNameOrSourceURL = () => cleaned(site.getScriptNameOrSourceURL());
  out.getEvalOrigin = () => cleaned(site.getEvalOrigin());
  out.toString = () => clean(String(site.toString()), names);
  return out as CallSite;
}

/** The heading of a stack: `Name: message`, as V8 writes it. */
function heading(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return "Error";
  }
}

/**
 * Installs the rewriting `Error.prepareStackTrace` for good (app code cannot
 * remove it); an app's own function set there is called with the rewritten
 * call sites.
 */
export function sanitizeStacks(names: StackNames): void {
  let appPrepare: Prepare | undefined;
  const prepare: Prepare = (error, sites) => {
    const kept = sites.filter((site) => {
      const script = scriptOf(site);
      return !script || !names.hidden(script);
    });
    if (appPrepare) return appPrepare(error, kept.map((s) => renamedSite(s, names)));
    let out = heading(error);
    for (const site of kept) {
      try {
        out += `\n    at ${clean(String(site.toString()), names)}`;
      } catch {
        // a frame that cannot be shown is left out
      }
    }
    return out;
  };
  Object.defineProperty(Error, "prepareStackTrace", {
    get: () => prepare,
    // Code that saves the function and puts it back hands this one back.
    set: (fn: unknown) => {
      appPrepare = typeof fn === "function" && fn !== prepare ? fn as Prepare : undefined;
    },
    enumerable: false,
    configurable: false,
  });
}
