// Bundle entry for `require("cheerio")` in app code (built by stdlib/build.ts).
// With `--platform browser` this resolves cheerio's "browser" export (dist/browser):
// `load`, `contains`, `merge`; not the Node-only `loadBuffer`, `fromURL`, `stringStream`,
// `decodeStream`, which need Node streams and undici.
export * from "cheerio";
