/**
 * The sandbox's `require()` of fazt's embedded libraries (`stdlib/`): the
 * kernel hands over a library's prebundled source the first time an app
 * requires it.
 *
 * @module
 */
import { z } from "zod";
import { FaztError } from "../core/errors.ts";
import { isStdlibName, loadStdlib, STDLIB_NAMES } from "../../stdlib/mod.ts";
import { arg, defineCapability } from "./capability.ts";

/** The sandbox's `require("<library>")` */
export const stdlibCapability = defineCapability({
  name: "stdlib",
  summary: `The CommonJS source of an embedded library (${STDLIB_NAMES.join(", ")}).`,
  args: z.tuple([arg("name", z.string(), "The library's name.")]),
  result: z.string(),
  permission: "stdlib",
  writes: false,
  internal: true,
  handler: (_ctx, name) => {
    if (!isStdlibName(name)) throw new FaztError("not_found", `No stdlib library "${name}".`);
    return loadStdlib(name);
  },
});
