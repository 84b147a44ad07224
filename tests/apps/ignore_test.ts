/**
 * Specification of `.faztignore` matching: gitignore semantics for the
 * common subset (comments, escapes, negation, directory-only and anchored
 * patterns, `*`, `?`, classes and `**`).
 *
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ALWAYS_IGNORED, parseIgnore } from "../../apps/ignore.ts";

/** One expectation: `path` (a directory when it ends with "/") is ignored or not. */
type Case = [path: string, ignored: boolean];

/** A named `.faztignore` and what it must decide for a set of paths. */
interface Spec {
  name: string;
  ignore: string;
  cases: Case[];
}

const specs: Spec[] = [
  {
    name: "parseIgnore() ignores nothing for an empty file",
    ignore: "",
    cases: [["a.txt", false], ["dir/", false], ["dir/a.txt", false]],
  },
  {
    name: "parseIgnore() skips blank lines and # comments",
    ignore: "\n   \n# secret.txt\n  # not a comment\n",
    cases: [["secret.txt", false], ["# secret.txt", false], ["  # not a comment", true]],
  },
  {
    name: "parseIgnore() reads \\# and \\! as literal characters",
    ignore: "\\#notes.md\n\\!important.txt\n",
    cases: [["#notes.md", true], ["!important.txt", true], ["important.txt", false]],
  },
  {
    name: "parseIgnore() trims trailing spaces unless escaped with a backslash",
    ignore: "a.txt   \nb\\ \n",
    cases: [["a.txt", true], ["a.txt ", false], ["b ", true], ["b", false]],
  },
  {
    name: "parseIgnore() accepts CRLF line endings and a leading byte-order mark",
    ignore: "\uFEFFa.txt\r\nb.txt\r\n",
    cases: [["a.txt", true], ["b.txt", true], ["dir/b.txt", true]],
  },
  {
    name: "parseIgnore() matches a pattern without a slash at any depth",
    ignore: "secret.txt\n",
    cases: [
      ["secret.txt", true],
      ["a/secret.txt", true],
      ["a/b/secret.txt", true],
      ["secret.txt.bak", false],
      ["my-secret.txt", false],
    ],
  },
  {
    name: "parseIgnore() matches a name pattern against directories too, hiding their content",
    ignore: "cache\n",
    cases: [["cache/", true], ["cache/x.bin", true], ["a/cache/x.bin", true], ["cached", false]],
  },
  {
    name: "parseIgnore() anchors a pattern with a leading slash to the root",
    ignore: "/todo.txt\n",
    cases: [["todo.txt", true], ["docs/todo.txt", false]],
  },
  {
    name: "parseIgnore() anchors a pattern with a slash in the middle to the root",
    ignore: "docs/draft.md\n",
    cases: [["docs/draft.md", true], ["site/docs/draft.md", false], ["draft.md", false]],
  },
  {
    name: "parseIgnore() applies a trailing-slash pattern to directories only",
    ignore: "build/\n",
    cases: [
      ["build/", true],
      ["build", false],
      ["build/app.js", true],
      ["src/build/", true],
      ["src/build/x.js", true],
    ],
  },
  {
    name: "parseIgnore() does not let * cross a slash",
    ignore: "/docs/*.md\n",
    cases: [["docs/a.md", true], ["docs/.md", true], ["docs/sub/a.md", false], ["a.md", false]],
  },
  {
    name: "parseIgnore() matches *.ext by extension at any depth",
    ignore: "*.log\n",
    cases: [["a.log", true], ["logs/deep/b.log", true], ["a.log.txt", false], ["log", false]],
  },
  {
    name: "parseIgnore() matches ? as exactly one character other than a slash",
    ignore: "file?.txt\na?b\n",
    cases: [
      ["file1.txt", true],
      ["file.txt", false],
      ["file10.txt", false],
      ["a/b", false],
      ["axb", true],
    ],
  },
  {
    name: "parseIgnore() supports [abc], [a-z] and [!a] classes",
    ignore: "img[123].png\n[a-c]x\nlog[!0-9]\n",
    cases: [
      ["img1.png", true],
      ["img3.png", true],
      ["img4.png", false],
      ["bx", true],
      ["dx", false],
      ["logs", true],
      ["log5", false],
    ],
  },
  {
    name: "parseIgnore() supports [^a] negation, ] first in a class and escapes inside",
    ignore: "v[^0-9]\nk[]]\nq[\\]x]\n",
    cases: [["va", true], ["v1", false], ["k]", true], ["q]", true], ["qx", true], ["qy", false]],
  },
  {
    name: "parseIgnore() supports POSIX classes such as [[:digit:]]",
    ignore: "v[[:digit:]]\nw[[:upper:]]\n",
    cases: [["v7", true], ["vx", false], ["wQ", true], ["wq", false]],
  },
  {
    name: "parseIgnore() never lets a class match a slash",
    ignore: "a[!x]b\nc[+-9]d\n",
    cases: [["a/b", false], ["azb", true], ["c/d", false], ["c5d", true]],
  },
  {
    name: "parseIgnore() drops invalid patterns: trailing backslash, unclosed [, unknown class",
    ignore: "abc\\\nv[[:nope:]]\n[draft\nx[a\\\n",
    cases: [["abc", false], ["abc\\", false], ["v1", false], ["[draft", false], ["xa", false]],
  },
  {
    name: "parseIgnore() treats regular-expression characters literally",
    ignore: "a+b(1).txt\n$x^|{y}\n",
    cases: [["a+b(1).txt", true], ["aab1.txt", false], ["$x^|{y}", true]],
  },
  {
    name: "parseIgnore() matches a leading **/ at any depth, including the root",
    ignore: "**/logs/debug.log\n",
    cases: [
      ["logs/debug.log", true],
      ["a/logs/debug.log", true],
      ["a/b/logs/debug.log", true],
      ["logs/x/debug.log", false],
    ],
  },
  {
    name: "parseIgnore() matches everything inside a directory with a trailing /**",
    ignore: "assets/**\n",
    cases: [
      ["assets/", false],
      ["assets/a.png", true],
      ["assets/x/y/z.png", true],
      ["src/assets/a.png", false],
    ],
  },
  {
    name: "parseIgnore() matches zero or more directories with a/**/b",
    ignore: "a/**/b\n",
    cases: [["a/b", true], ["a/x/b", true], ["a/x/y/b", true], ["a/xb", false], ["c/a/b", false]],
  },
  {
    name: "parseIgnore() treats ** that is not a whole segment as a single *",
    ignore: "foo**bar\n",
    cases: [["foobar", true], ["fooXbar", true], ["foo/bar", false]],
  },
  {
    name: "parseIgnore() matches everything with a lone **",
    ignore: "**\n",
    cases: [["a", true], ["a/b/c.txt", true], ["dir/", true]],
  },
  {
    name: "parseIgnore() lets the last matching pattern win with ! negation",
    ignore: "*.log\n!keep.log\nkeep.log\n!important.log\n",
    cases: [["a.log", true], ["keep.log", true], ["important.log", false]],
  },
  {
    name: "parseIgnore() re-includes a file excluded by a file pattern",
    ignore: "*.md\n!README.md\n",
    cases: [["notes.md", true], ["README.md", false], ["docs/README.md", false]],
  },
  {
    name: "parseIgnore() does not re-include a file inside an ignored directory",
    ignore: "build/\n!build/keep.txt\nsecret\n!secret/ok.txt\n",
    cases: [
      ["build/keep.txt", true],
      ["build/other.txt", true],
      ["secret/ok.txt", true],
      ["a/secret/ok.txt", true],
    ],
  },
  {
    name: "parseIgnore() re-includes files under dir/** because the directory itself is kept",
    ignore: "public/**\n!public/index.html\n",
    cases: [["public/index.html", false], ["public/app.js", true]],
  },
  {
    name: "parseIgnore() supports the whitelist idiom *, !*/, !*.html",
    ignore: "*\n!*/\n!*.html\n",
    cases: [["index.html", false], ["docs/", false], ["docs/a.html", false], ["docs/a.js", true]],
  },
  {
    name: "parseIgnore() can re-include a directory with a negated directory pattern",
    ignore: "dist/\n!dist/\n",
    cases: [["dist/", false], ["dist/app.js", false]],
  },
  {
    name: "parseIgnore() ignores a lone ! or / line",
    ignore: "!\n/\n",
    cases: [["a", false], ["!", false]],
  },
  {
    name: "parseIgnore() is case-sensitive",
    ignore: "Secret.txt\n",
    cases: [["Secret.txt", true], ["secret.txt", false]],
  },
  {
    // Deliberately unlike git, which compares bytes: é is one character, not two.
    name: "parseIgnore() matches non-ASCII names one Unicode character per ?",
    ignore: "caf?.txt\n?.txt\n",
    cases: [["café.txt", true], ["😀.txt", true], ["ab.txt", false]],
  },
];

for (const spec of specs) {
  Deno.test(spec.name, () => {
    const matcher = parseIgnore(spec.ignore);
    for (const [path, ignored] of spec.cases) {
      const isDir = path.endsWith("/");
      const p = isDir ? path.slice(0, -1) : path;
      assertEquals(
        matcher.ignores(p, isDir),
        ignored,
        `${JSON.stringify(spec.ignore)} on ${JSON.stringify(path)}`,
      );
    }
  });
}

Deno.test("IgnoreMatcher.ignores() treats a trailing slash in the path as a directory", () => {
  const matcher = parseIgnore("build/\n");
  assertEquals(matcher.ignores("build/", false), true);
  assertEquals(matcher.ignores("", true), false);
});

Deno.test("ALWAYS_IGNORED lists the names skipped at any depth", () => {
  assertEquals([...ALWAYS_IGNORED], [
    ".git",
    "node_modules",
    ".faztignore",
    ".DS_Store",
    "Thumbs.db",
  ]);
  assertEquals(Object.isFrozen(ALWAYS_IGNORED), true);
});
