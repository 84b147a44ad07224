/**
 * Specification of `resolvePath()`, the URL → file policy of static apps.
 *
 * @module
 */
import { type ResolvedPath, resolvePath } from "../../../../kernel/http/static/path_resolver.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

/** The files of the app most cases run against. */
const SITE: ReadonlySet<string> = new Set([
  "index.html",
  "about.html",
  "docs/index.html",
  "docs/intro.html",
  "docs/guide/index.html",
  "blog.html",
  "blog/index.html",
  "LICENSE",
  "robots.txt",
  "assets/app.js",
  "assets/logo.svg",
  "feed",
  "feed.html",
  "café.html",
  "a b/index.html",
  "q?x.html",
  "100%.html",
  "weird#name.html",
  "notes/todo",
  ".well-known/security.txt",
  "v1.2/index.html",
  "page.html.html",
]);

const has = (path: string): boolean => SITE.has(path);
const file = (path: string): ResolvedPath => ({ kind: "file", path });
const redirect = (location: string): ResolvedPath => ({ kind: "redirect", location });
const SPA: ResolvedPath = { kind: "spa", path: "index.html" };
const SPA_NAVIGATION: ResolvedPath = { kind: "spa_navigation", path: "index.html" };
const NOT_FOUND: ResolvedPath = { kind: "not_found" };
const BAD: ResolvedPath = { kind: "bad_request" };

const cases: ReadonlyArray<
  readonly [name: string, pathname: string, spa: boolean, expected: ResolvedPath]
> = [
  // Root.
  ["serves index.html for /", "/", false, file("index.html")],
  ["redirects /index.html to /", "/index.html", false, redirect("/")],

  // Exact files.
  ["serves an exact file with an extension", "/robots.txt", false, file("robots.txt")],
  ["serves an exact file without an extension", "/LICENSE", false, file("LICENSE")],
  ["serves a nested asset", "/assets/app.js", false, file("assets/app.js")],
  [
    "serves files in dot-directories",
    "/.well-known/security.txt",
    false,
    file(
      ".well-known/security.txt",
    ),
  ],
  ["serves an exact file before trying .html", "/feed", false, file("feed")],
  ["serves an extensionless file in a directory", "/notes/todo", false, file("notes/todo")],

  // Clean URLs.
  ["serves x.html for /x", "/about", false, file("about.html")],
  ["serves nested x.html for /dir/x", "/docs/intro", false, file("docs/intro.html")],
  ["prefers x.html over x/index.html for /x", "/blog", false, file("blog.html")],
  ["redirects /x.html to /x", "/about.html", false, redirect("/about")],
  ["redirects nested /dir/x.html to /dir/x", "/docs/intro.html", false, redirect("/docs/intro")],
  ["serves x.html as is when a file x would shadow /x", "/feed.html", false, file("feed.html")],
  ["redirects /x.html.html to /x.html", "/page.html.html", false, redirect("/page.html")],

  // Directories.
  ["redirects /dir to /dir/ when only dir/index.html exists", "/docs", false, redirect("/docs/")],
  ["serves dir/index.html for /dir/", "/docs/", false, file("docs/index.html")],
  ["serves nested dir/index.html", "/docs/guide/", false, file("docs/guide/index.html")],
  ["redirects nested /dir to /dir/", "/docs/guide", false, redirect("/docs/guide/")],
  ["redirects /dir/index.html to /dir/", "/docs/index.html", false, redirect("/docs/")],
  [
    "serves dir/index.html for /dir/ even when dir.html exists",
    "/blog/",
    false,
    file(
      "blog/index.html",
    ),
  ],
  ["serves a directory whose name contains a dot", "/v1.2/", false, file("v1.2/index.html")],
  [
    "serves dir/index.html for /dir/index without redirecting",
    "/docs/index",
    false,
    file(
      "docs/index.html",
    ),
  ],

  // Trailing slash on files.
  ["redirects /x/ to /x when x.html exists", "/about/", false, redirect("/about")],
  ["redirects /x/ to /x when file x exists", "/LICENSE/", false, redirect("/LICENSE")],
  ["redirects /x/ to /x when both x and x.html exist", "/feed/", false, redirect("/feed")],
  ["redirects /x.html/ straight to /x", "/about.html/", false, redirect("/about")],
  ["redirects /index.html/ straight to /", "/index.html/", false, redirect("/")],
  ["redirects /file.txt/ to /file.txt", "/robots.txt/", false, redirect("/robots.txt")],

  // Percent-encoding.
  ["decodes percent-encoded UTF-8", "/caf%C3%A9", false, file("café.html")],
  ["decodes lower-case percent-encoding", "/caf%c3%a9", false, file("café.html")],
  ["decodes an encoded space in a directory", "/a%20b/", false, file("a b/index.html")],
  ["decodes encoded letters", "/%61bout", false, file("about.html")],
  ["re-encodes UTF-8 in redirects", "/caf%C3%A9.html", false, redirect("/caf%C3%A9")],
  ["re-encodes spaces in redirects", "/a%20b", false, redirect("/a%20b/")],
  ["re-encodes ? so it cannot start a query", "/q%3Fx.html", false, redirect("/q%3Fx")],
  [
    "re-encodes # so it cannot start a fragment",
    "/weird%23name.html",
    false,
    redirect(
      "/weird%23name",
    ),
  ],
  [
    "re-encodes % so the location is not decoded twice",
    "/100%25.html",
    false,
    redirect(
      "/100%25",
    ),
  ],
  ["keeps a literal + as a plus, not a space", "/a+b", false, NOT_FOUND],

  // Rejected paths.
  ["rejects a path without a leading slash", "about", false, BAD],
  ["rejects the empty string", "", false, BAD],
  ["rejects .. segments", "/docs/../about", false, BAD],
  ["rejects a leading .. segment", "/../etc/passwd", false, BAD],
  ["rejects a trailing .. segment", "/docs/..", false, BAD],
  ["rejects . segments", "/./about", false, BAD],
  ["rejects a trailing . segment", "/docs/.", false, BAD],
  ["rejects encoded .. segments", "/%2e%2e/etc/passwd", false, BAD],
  ["rejects mixed-encoded .. segments", "/.%2E/x", false, BAD],
  ["rejects an encoded . segment", "/docs/%2e/", false, BAD],
  ["rejects an encoded slash inside a segment", "/docs%2Fintro", false, BAD],
  ["rejects an encoded slash in lower case", "/docs%2fintro", false, BAD],
  ["rejects a raw backslash", "/docs\\intro", false, BAD],
  ["rejects an encoded backslash", "/docs%5Cintro", false, BAD],
  ["rejects an encoded NUL", "/about%00.html", false, BAD],
  ["rejects a raw NUL", "/about\0", false, BAD],
  ["rejects malformed percent-encoding", "/%E0%A4%A", false, BAD],
  ["rejects a lone percent sign", "/100%", false, BAD],
  ["rejects invalid UTF-8", "/%C3%28", false, BAD],
  ["rejects duplicate slashes (never collapsed)", "/docs//intro", false, BAD],
  ["rejects a leading double slash (no //host open redirect)", "//evil.example/", false, BAD],
  ["rejects a leading double slash to a real file", "//about.html", false, BAD],
  ["rejects a trailing double slash", "/docs//", false, BAD],
  ["rejects a traversal even in SPA mode", "/app/../x", true, BAD],

  // Dot-containing names that are not dot segments.
  ["treats ... as an ordinary name", "/...", false, NOT_FOUND],
  ["treats .hidden as an ordinary name", "/.hidden", false, NOT_FOUND],

  // Not found.
  ["returns not_found for an unknown path", "/missing", false, NOT_FOUND],
  ["returns not_found for an unknown file", "/missing.png", false, NOT_FOUND],
  ["returns not_found for an unknown directory", "/missing/", false, NOT_FOUND],
  ["matches .html case-sensitively", "/ABOUT.HTML", false, NOT_FOUND],

  // SPA fallback.
  ["falls back to index.html for an unknown route in SPA mode", "/app/users/42", true, SPA],
  ["falls back for an unknown route with a trailing slash", "/app/users/", true, SPA],
  ["falls back for a single unknown segment", "/dashboard", true, SPA],
  ["falls back for a dot in a route name", "/users/john.doe", true, SPA],
  ["falls back for a version-like last segment", "/app/v1.2", true, SPA],
  ["falls back for a dotted name with a trailing slash", "/users/john.doe/", true, SPA],
  ["falls back for a name that only starts with a dot", "/settings/.profile", true, SPA],
  ["falls back for a name ending in a dot", "/users/jr.", true, SPA],
  ["leaves a missing script to navigations", "/assets/missing.js", true, SPA_NAVIGATION],
  ["leaves a missing image to navigations", "/img/x.PNG", true, SPA_NAVIGATION],
  ["leaves a missing page to navigations", "/old/page.html", true, SPA_NAVIGATION],
  ["leaves a known type with a trailing slash to navigations", "/x.css/", true, SPA_NAVIGATION],
  ["falls back when only a directory name has a dot", "/v1.2/users", true, SPA],
  ["still serves real files in SPA mode", "/assets/app.js", true, file("assets/app.js")],
  ["still applies clean URLs in SPA mode", "/about", true, file("about.html")],
  ["still redirects in SPA mode", "/about.html", true, redirect("/about")],
];

for (const [name, pathname, spa, expected] of cases) {
  Deno.test(`resolvePath() ${name} (${JSON.stringify(pathname)}${spa ? ", spa" : ""})`, () => {
    assertEquals(resolvePath(pathname, has, { spa }), expected);
  });
}

const emptySite = (): boolean => false;
const noIndex = (path: string): boolean => path === "about.html";

const otherSites: ReadonlyArray<
  readonly [
    name: string,
    pathname: string,
    lookup: (path: string) => boolean,
    spa: boolean,
    expected: ResolvedPath,
  ]
> = [
  ["returns not_found for / without index.html", "/", noIndex, false, NOT_FOUND],
  ["returns not_found for / without index.html in SPA mode", "/", noIndex, true, NOT_FOUND],
  ["does not fall back to a missing index.html in SPA mode", "/route", noIndex, true, NOT_FOUND],
  ["returns not_found for anything in an empty app", "/x", emptySite, false, NOT_FOUND],
  ["returns not_found for / in an empty app", "/", emptySite, true, NOT_FOUND],
  [
    "does not redirect a file named just .html",
    "/.html",
    (p) => p === ".html",
    false,
    file(".html"),
  ],
];

for (const [name, pathname, lookup, spa, expected] of otherSites) {
  Deno.test(`resolvePath() ${name} (${JSON.stringify(pathname)}${spa ? ", spa" : ""})`, () => {
    assertEquals(resolvePath(pathname, lookup, { spa }), expected);
  });
}

Deno.test("resolvePath() redirects always land on the file they promise (no loops)", () => {
  for (const path of SITE) {
    let pathname = "/" + path.split("/").map(encodeURIComponent).join("/");
    for (let hops = 0;; hops++) {
      if (hops > 1) throw new Error(`${path}: more than one redirect`);
      const result = resolvePath(pathname, has, { spa: false });
      if (result.kind === "redirect") {
        pathname = result.location;
        continue;
      }
      assertEquals(result, file(path));
      break;
    }
  }
});

Deno.test("resolvePath() never produces a location that starts with //", () => {
  for (const path of ["/about.html", "/docs", "/docs/index.html", "/index.html", "/LICENSE/"]) {
    const result = resolvePath(path, has, { spa: true });
    if (result.kind !== "redirect") throw new Error(`${path}: expected a redirect`);
    if (!result.location.startsWith("/") || result.location.startsWith("//")) {
      throw new Error(`${path}: unsafe location ${result.location}`);
    }
  }
});

Deno.test("resolvePath() only asks the lookup about decoded relative paths", () => {
  const asked: string[] = [];
  resolvePath("/caf%C3%A9/x", (p) => {
    asked.push(p);
    return false;
  }, { spa: false });
  assertEquals(asked, ["café/x", "café/x.html", "café/x/index.html"]);
});

Deno.test("resolvePath() finds the NFC file for a name sent in NFD (as macOS spells it)", () => {
  // "cafe" + U+0301 COMBINING ACUTE ACCENT, percent-encoded.
  assertEquals(resolvePath("/cafe%CC%81", has, { spa: false }), file("café.html"));
  assertEquals(
    resolvePath("/cafe%CC%81.html", has, { spa: false }),
    redirect("/caf%C3%A9"),
  );
  assertEquals(resolvePath("/cafe%CC%81", has, { spa: true }), file("café.html"));
  assertEquals(resolvePath("/cafe%CC%81x", has, { spa: false }), { kind: "not_found" });
});

Deno.test("resolvePath() prefers an exact match: a file stored in NFD by an older version is found as sent", () => {
  const both = new Set(["cafe\u0301.html", "caf\u00e9.html", "only-nfd-e\u0301.html"]);
  const lookup = (p: string) => both.has(p);
  assertEquals(resolvePath("/cafe%CC%81", lookup, { spa: false }), file("cafe\u0301.html"));
  assertEquals(resolvePath("/caf%C3%A9", lookup, { spa: false }), file("caf\u00e9.html"));
  assertEquals(
    resolvePath("/only-nfd-e%CC%81", lookup, { spa: false }),
    file("only-nfd-e\u0301.html"),
  );
});
