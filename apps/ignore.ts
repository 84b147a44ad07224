/**
 * `.faztignore` matching with gitignore semantics: blank lines and `#`
 * comments, `\#` / `\!` escapes, trimmed trailing spaces, `!` negation (the
 * last matching pattern wins), trailing `/` for directories only, anchoring
 * for patterns that contain a `/`, and the glob syntax `*`, `?`, `[a-z]`,
 * `[!a]`, `[[:digit:]]` and `**` (as a leading `**` + slash, a trailing slash +
 * `**`, or a whole segment between slashes). As in git, a file inside an
 * ignored directory cannot be re-included by a later `!` pattern.
 *
 * Each pattern is compiled to one RegExp when the file is parsed; matching is
 * case-sensitive and works on relative, `/`-separated paths.
 *
 * @module
 */

/** Decides whether a path is excluded by a parsed `.faztignore`. */
export interface IgnoreMatcher {
  /**
   * Whether `path` (relative to the folder root, `/`-separated, no leading
   * slash) is ignored. `isDir` tells whether the path names a directory.
   */
  ignores(path: string, isDir: boolean): boolean;
}

/** Names skipped at any depth of a deployed folder, whatever `.faztignore` says. */
export const ALWAYS_IGNORED: readonly string[] = Object.freeze([
  ".git",
  "node_modules",
  ".faztignore",
  ".DS_Store",
  "Thumbs.db",
]);

/** One compiled line of a `.faztignore`. */
interface Rule {
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

/** Bracket expressions `[[:name:]]` and the class body each stands for. */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "a-zA-Z0-9",
  alpha: "a-zA-Z",
  blank: " \\t",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: " \\t\\n\\r\\f\\v",
  upper: "A-Z",
  xdigit: "0-9A-Fa-f",
};

/** Marks a pattern that can never match (git rejects it the same way). */
const INVALID = Symbol("invalid");

/** Escapes a character for use outside a RegExp class (`u` mode). */
function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Escapes a character for use inside a RegExp class (`u` mode). */
function escapeClassChar(c: string): string {
  return /[\\\]\[^\-]/.test(c) ? `\\${c}` : c;
}

/**
 * Parses a bracket expression starting at `chars[start] === "["`. Returns
 * the RegExp source and the index after the closing `]`, or INVALID when the
 * bracket is never closed or names an unknown `[:name:]` class (git never
 * matches such a pattern).
 */
function parseClass(
  chars: readonly string[],
  start: number,
): { source: string; end: number } | typeof INVALID {
  let i = start + 1;
  let negate = false;
  if (chars[i] === "!" || chars[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  let first = true;
  while (i < chars.length) {
    const c = chars[i];
    if (c === "]" && !first) {
      const source = negate ? `[^/${body}]` : body === "" ? "(?!)" : `(?!/)[${body}]`;
      return { source, end: i + 1 };
    }
    first = false;
    if (c === "[" && chars[i + 1] === ":") {
      const close = chars.indexOf(":", i + 2);
      if (close !== -1 && chars[close + 1] === "]") {
        const name = chars.slice(i + 2, close).join("");
        const cls = POSIX_CLASSES[name];
        if (cls === undefined) return INVALID;
        body += cls;
        i = close + 2;
        continue;
      }
    }
    let lo = c;
    if (c === "\\") {
      i++;
      if (i >= chars.length) return INVALID;
      lo = chars[i];
    }
    i++;
    if (chars[i] === "-" && i + 1 < chars.length && chars[i + 1] !== "]") {
      i++;
      let hi = chars[i];
      if (hi === "\\") {
        i++;
        if (i >= chars.length) return INVALID;
        hi = chars[i];
      }
      i++;
      // An inverted range such as [z-a] matches nothing, as in git.
      if (lo.codePointAt(0)! <= hi.codePointAt(0)!) {
        body += `${escapeClassChar(lo)}-${escapeClassChar(hi)}`;
      }
    } else {
      body += escapeClassChar(lo);
    }
  }
  return INVALID;
}

/**
 * Compiles a pattern body (negation, trailing slash and leading slash
 * already removed) to RegExp source, or INVALID when it can never match.
 */
function globToSource(pattern: string): string | typeof INVALID {
  const chars = Array.from(pattern);
  const n = chars.length;
  let src = "";
  let i = 0;
  while (i < n) {
    const c = chars[i];
    if (c === "*") {
      let j = i;
      while (chars[j] === "*") j++;
      const boundedLeft = i === 0 || chars[i - 1] === "/";
      const boundedRight = j === n || chars[j] === "/";
      if (j - i >= 2 && boundedLeft && boundedRight) {
        if (j === n) {
          // "x/**": everything inside x; a lone "**": everything.
          src += i === 0 ? ".*" : ".+";
        } else {
          // "**/x" and "a/**/b": zero or more whole directories.
          src += "(?:.*/)?";
          j++;
        }
      } else {
        src += "[^/]*";
      }
      i = j;
    } else if (c === "?") {
      src += "[^/]";
      i++;
    } else if (c === "[") {
      const cls = parseClass(chars, i);
      if (cls === INVALID) return INVALID;
      src += cls.source;
      i = cls.end;
    } else if (c === "\\") {
      // A trailing backslash makes the pattern invalid, as in git.
      if (i + 1 >= n) return INVALID;
      src += escapeChar(chars[i + 1]);
      i += 2;
    } else {
      src += escapeChar(c);
      i++;
    }
  }
  return src;
}

/** Removes trailing spaces that are not escaped with a backslash. */
function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === " ") {
    let backslashes = 0;
    while (end - 2 - backslashes >= 0 && line[end - 2 - backslashes] === "\\") backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return line.slice(0, end);
}

/** Compiles one line of a `.faztignore`, or returns null for a line that matches nothing. */
function compileLine(raw: string): Rule | null {
  let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.startsWith("#")) return null;
  line = trimTrailingSpaces(line);
  let negate = false;
  if (line.startsWith("!")) {
    negate = true;
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith("/")) {
    dirOnly = true;
    line = line.slice(0, -1);
  }
  const anchored = line.includes("/");
  if (line.startsWith("/")) line = line.slice(1);
  if (line === "") return null;
  const body = globToSource(line);
  if (body === INVALID) return null;
  const regex = new RegExp(`^${anchored ? "" : "(?:.*/)?"}${body}$`, "su");
  return { regex, negate, dirOnly };
}

/**
 * Parses the text of a `.faztignore` into a matcher. Invalid patterns (a
 * trailing backslash, an unclosed `[`, an unknown `[:class:]`) never match,
 * as in git. Unlike git, which compares bytes, `?`, `*` and classes work on
 * Unicode characters, so `caf?.txt` matches `café.txt`.
 *
 * @example
 * ```ts
 * const m = parseIgnore("dist/\n*.log\n!keep.log\n");
 * m.ignores("dist", true); // true
 * m.ignores("logs/a.log", false); // true
 * m.ignores("keep.log", false); // false
 * ```
 */
export function parseIgnore(text: string): IgnoreMatcher {
  const rules: Rule[] = [];
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  for (const line of source.split("\n")) {
    const rule = compileLine(line);
    if (rule !== null) rules.push(rule);
  }

  /** The verdict of the last rule matching `path` alone (parents not considered). */
  const lastMatch = (path: string, isDir: boolean): boolean => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i];
      if (rule.dirOnly && !isDir) continue;
      if (rule.regex.test(path)) return !rule.negate;
    }
    return false;
  };

  return {
    ignores(path: string, isDir: boolean): boolean {
      let p = path;
      let dir = isDir;
      while (p.endsWith("/")) {
        p = p.slice(0, -1);
        dir = true;
      }
      if (p === "" || rules.length === 0) return false;
      // A path inside an ignored directory stays ignored, whatever follows.
      for (let slash = p.indexOf("/"); slash !== -1; slash = p.indexOf("/", slash + 1)) {
        if (lastMatch(p.slice(0, slash), true)) return true;
      }
      return lastMatch(p, dir);
    },
  };
}
