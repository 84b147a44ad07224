// Bundle entry for `require("uuid")` in app code (built by stdlib/build.ts).
// With `--platform browser` this resolves uuid's esm-browser build (Web Crypto, no node:crypto).
export * from "uuid";
