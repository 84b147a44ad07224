/**
 * fazt's version, read from deno.json so there is one place to bump it.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The running fazt's version. */
export const VERSION: string = denoJson.version;
