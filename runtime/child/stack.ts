/**
 * Stack traces app code sees name no file of fazt's own: a sandbox runs
 * fazt's code from `file:` URLs under its install folder (or its bundle),
 * and every handler is called from there, so a plain `new Error().stack`
 * would show where fazt is installed. V8 hands every stack to
 * `Error.prepareStackTrace`, and Deno honours it; this module installs one
 * that drops frames of `file:` URLs (app code never runs from a file: it
 * arrives as `data:` URLs and in-memory CommonJS), renames the entry's long
 * `data:` URL, and replaces any `file:` URL left in a frame (the origin of
 * code built with `new Function`). An app that sets its own
 * `Error.prepareStackTrace` gets call sites that answer the same way.
 *
 * @module
 */

/** How a frame's script is shown: a new name, or null to drop the frame. */
export type ScriptRename = (url: string) => string | null;

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

/** A frame's text, or null when the frame is to be dropped. */
function frameText(site: CallSite, rename: ScriptRename): string | null {
  const script = site.getScriptNameOrSourceURL() ?? site.getFileName() ?? "";
  let text = String(site.toString());
  if (script) {
    const shown = rename(script);
    if (shown === null) return null;
    if (shown !== script) text = text.split(script).join(shown);
  }
  return text.replace(FILE_URL, HIDDEN);
}

/** `site` with the script names and text it reports renamed. */
function renamedSite(site: CallSite, rename: ScriptRename): CallSite {
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
  const name = (url: string | null | undefined) => url ? rename(url) ?? HIDDEN : url;
  out.getFileName = () => name(site.getFileName());
  out.getScriptNameOrSourceURL = () => name(site.getScriptNameOrSourceURL());
  out.getEvalOrigin = () => site.getEvalOrigin()?.replace(FILE_URL, HIDDEN);
  out.toString = () => frameText(site, rename) ?? HIDDEN;
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
export function sanitizeStacks(rename: ScriptRename): void {
  let appPrepare: Prepare | undefined;
  const prepare: Prepare = (error, sites) => {
    if (appPrepare) {
      const kept = sites.filter((s) => {
        const script = s.getScriptNameOrSourceURL() ?? s.getFileName();
        return !script || rename(script) !== null;
      });
      return appPrepare(error, kept.map((s) => renamedSite(s, rename)));
    }
    let out = heading(error);
    for (const site of sites) {
      let text: string | null;
      try {
        text = frameText(site, rename);
      } catch {
        text = null;
      }
      if (text !== null) out += `\n    at ${text}`;
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
