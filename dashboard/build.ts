/**
 * Builds the dashboard: bundles `src/main.tsx` (Preact, fflate and the
 * dashboard's own code) with `deno bundle --platform browser --minify` into
 * one JavaScript file, minifies `src/styles.css`, names both by a hash of
 * their content and writes `dist/assets.ts`, which exports the page, the
 * script and the stylesheet as strings for `serve.ts` to answer from memory.
 *
 * Run with `deno task dashboard`, which first regenerates the API client's
 * types and route table (`codegen/gen_api.ts` → `src/gen/`) and then writes
 * `dashboard/dist/assets.ts`; or `deno run -A dashboard/build.ts <outDir>`
 * to build elsewhere (without regenerating). The output
 * depends only on the sources, `deno.json`/`deno.lock` and the Deno version,
 * so a rebuild is byte-identical; the generated file is committed so nothing
 * is built at run time.
 *
 * The build fails when the bundle would need `eval` (the page's
 * Content-Security-Policy forbids it) or loads anything from elsewhere.
 *
 * @module
 */

import { writeApi } from "./codegen/gen_api.ts";

const HERE = new URL("./", import.meta.url);
const ROOT = new URL("../", import.meta.url);

function toPath(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** Where the dashboard's assets are served. */
export const ASSET_BASE = "/_fazt/assets/";

/** What a build produced. */
export interface BuiltDashboard {
  /** The generated module's path. */
  path: string;
  /** The script's URL path. */
  jsPath: string;
  /** The stylesheet's URL path. */
  cssPath: string;
  /** The script's size in bytes. */
  jsBytes: number;
  /** The script's size gzipped (level 9). */
  jsGzipBytes: number;
  /** The stylesheet's size in bytes. */
  cssBytes: number;
  /** The stylesheet's size gzipped. */
  cssGzipBytes: number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

async function deno(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: toPath(ROOT),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) {
    throw new Error(`deno ${args.join(" ")} failed:\n${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function gzipSize(text: string): Promise<number> {
  const { gzipSync } = await import("node:zlib");
  return gzipSync(encoder.encode(text), { level: 9 }).length;
}

/**
 * A small, safe CSS minifier for our own stylesheet: drops comments and
 * collapses whitespace around punctuation (never inside strings: the
 * stylesheet's strings hold no such runs).
 */
export function minifyCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{};,>])\s*/g, "$1")
    .replace(/:\s+/g, ":")
    .replace(/;}/g, "}")
    .trim();
}

/** Reasons the bundle breaks the page's CSP or its self-containment. */
export function findProblems(js: string): string[] {
  const problems: string[] = [];
  const patterns: [RegExp, string][] = [
    [/(?<![\w$.])eval\s*\(/g, "eval()"],
    [/new\s+Function\s*\(/g, "new Function()"],
    [/(?<![\w$.])import\s*\(/g, "dynamic import()"],
    [/https?:\/\/(?!www\.w3\.org\/)[a-z0-9.-]+\.[a-z]{2,}\//gi, "an absolute URL"],
  ];
  for (const [pattern, what] of patterns) {
    for (const m of js.matchAll(pattern)) problems.push(`${what}: ${m[0]}`);
  }
  return problems;
}

/**
 * A TypeScript string literal for `s`, quoted the way `deno fmt` quotes it
 * (double quotes, or single quotes when the text holds more double quotes
 * than single ones), so the generated file is already formatted.
 */
export function tsString(s: string): string {
  const json = JSON.stringify(s);
  const doubles = s.split('"').length - 1;
  const singles = s.split("'").length - 1;
  if (doubles <= singles) return json;
  let out = "'";
  const body = json.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      const next = body[i + 1];
      out += next === '"' ? '"' : c + next;
      i++;
    } else if (c === "'") out += "\\'";
    else out += c;
  }
  return out + "'";
}

const FAVICON = "data:image/svg+xml," + encodeURIComponent(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#d9480f"/><path d="M18.5 5 9 18h6l-1.5 9L23 14h-6z" fill="#fff"/></svg>`,
);

function page(jsPath: string, cssPath: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer">` +
    `<title>fazt</title><link rel="icon" href="${FAVICON}">` +
    `<link rel="stylesheet" href="${cssPath}"><script type="module" src="${jsPath}"></script>` +
    `</head><body><div id="app"></div>` +
    `<noscript><p>fazt's dashboard needs JavaScript. The CLI and the REST API work without it.</p></noscript>` +
    `</body></html>`;
}

/**
 * Builds the dashboard into `<outDir>/assets.ts`.
 *
 * @param outDir Directory to write into (created if needed); defaults to `dashboard/dist/`.
 */
export async function buildDashboard(
  outDir: string = toPath(new URL("dist/", HERE)),
): Promise<BuiltDashboard> {
  const entry = toPath(new URL("src/main.tsx", HERE));
  const js = (await deno([
    "bundle",
    "--config",
    toPath(new URL("deno.json", ROOT)),
    "--platform",
    "browser",
    "--minify",
    entry,
  ])).trim() + "\n";
  const problems = findProblems(js);
  if (problems.length > 0) {
    throw new Error(`the dashboard bundle breaks its CSP:\n  ${problems.join("\n  ")}`);
  }
  const css = minifyCss(await Deno.readTextFile(new URL("src/styles.css", HERE))) + "\n";
  const jsPath = `${ASSET_BASE}app.${(await sha256Hex(js)).slice(0, 12)}.js`;
  const cssPath = `${ASSET_BASE}app.${(await sha256Hex(css)).slice(0, 12)}.css`;
  const html = page(jsPath, cssPath);
  const built = {
    jsPath,
    cssPath,
    jsBytes: encoder.encode(js).length,
    jsGzipBytes: await gzipSize(js),
    cssBytes: encoder.encode(css).length,
    cssGzipBytes: await gzipSize(css),
  };
  const text = [
    "// Generated by dashboard/build.ts (`deno task dashboard`); do not edit.",
    `// Bundled by deno ${Deno.version.deno} from dashboard/src (Preact, fflate).`,
    `// ${jsPath}: ${built.jsBytes} bytes, ${built.jsGzipBytes} gzipped.`,
    `// ${cssPath}: ${built.cssBytes} bytes, ${built.cssGzipBytes} gzipped.`,
    "",
    "/** The dashboard's files, answered from memory by dashboard/serve.ts. */",
    "export interface DashboardAssets {",
    "  /** The page every dashboard path answers with. */",
    "  html: string;",
    "  /** The script, served at `jsPath`. */",
    "  js: string;",
    "  /** The stylesheet, served at `cssPath`. */",
    "  css: string;",
    "  /** The script's URL path (named by a hash of its content). */",
    "  jsPath: string;",
    "  /** The stylesheet's URL path (named by a hash of its content). */",
    "  cssPath: string;",
    "}",
    "",
    "/** The built dashboard. */",
    "export const assets: DashboardAssets = {",
    `  jsPath: ${tsString(jsPath)},`,
    `  cssPath: ${tsString(cssPath)},`,
    `  html:`,
    `    ${tsString(html)},`,
    `  css:`,
    `    ${tsString(css)},`,
    `  js:`,
    `    ${tsString(js)},`,
    "};",
    "",
  ].join("\n");
  await Deno.mkdir(outDir, { recursive: true });
  const path = `${outDir.replace(/\/+$/, "")}/assets.ts`;
  await Deno.writeTextFile(path, text);
  return { path, ...built };
}

if (import.meta.main) {
  if (Deno.args[0] === undefined) {
    for (const path of await writeApi()) console.log(`wrote ${path}`);
  }
  const b = await buildDashboard(Deno.args[0]);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${b.jsPath}  ${kb(b.jsBytes)} (${kb(b.jsGzipBytes)} gzipped)`);
  console.log(`${b.cssPath}  ${kb(b.cssBytes)} (${kb(b.cssGzipBytes)} gzipped)`);
  console.log(`wrote ${b.path}`);
}
