// Bundle entry for `require("zod")` in app code (built by stdlib/build.ts).
// The ESM build bundles smaller than zod's index.cjs; `default` is re-exported so
// `require("zod").default === require("zod").z`, as in Node.
export * from "zod";
export { default } from "zod";
