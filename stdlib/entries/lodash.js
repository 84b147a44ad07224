// Bundle entry for `require("lodash")` in app code (built by stdlib/build.ts).
// lodash ships CommonJS only and its export IS the `_` function (`_([1, 2]).map(...)`),
// so re-export it CommonJS-style: `export * from` would turn it into a plain object.
module.exports = require("lodash");
