/**
 * `fazt.kv`: the app's key-value pairs, JSON values under string keys with
 * an optional expiry (`kernel/services/appdata/kv_store.ts`).
 *
 * @module
 */
import { z } from "zod";
import { MAX_TTL_SECONDS } from "../services/appdata/kv_store.ts";
import {
  arg,
  type CapabilityGroup,
  dataOf,
  defineCapability,
  given,
  jsonValue,
} from "./capability.ts";

const key = arg("key", z.string(), "The key: a non-empty string of at most 512 bytes (UTF-8).");

const setOptions = z.object({
  ttl: z.number().positive().max(MAX_TTL_SECONDS).optional().describe(
    "Seconds until the key expires (fractions allowed; at most 10 years). Leave it out for a key that never expires.",
  ),
}).meta({ id: "KvSetOptions" });

const listOptions = z.object({
  prefix: z.string().optional().describe("Only keys starting with this."),
  limit: z.number().int().min(1).optional().describe(
    "At most this many keys (default 100, at most 1000).",
  ),
  cursor: z.string().optional().describe("The `cursor` of the previous page."),
}).meta({ id: "KvListOptions" });

const listResult = z.object({
  keys: z.array(z.object({
    key: z.string(),
    expiresAt: z.number().nullable().describe(
      "When the key expires (ms since the epoch), or null for never.",
    ),
  })).describe("The keys of this page, in key order."),
  cursor: z.string().nullable().describe(
    "Pass this to get the next page; null when there is none.",
  ),
}).meta({ id: "KvListResult" });

/** `fazt.kv.get` */
export const kvGet = defineCapability({
  name: "kv.get",
  summary: "The value stored under `key`, or null when it is missing or expired.",
  args: z.tuple([key]),
  result: jsonValue,
  permission: "data",
  writes: false,
  handler: (ctx, key) => dataOf(ctx).kv.get(key),
});

/** `fazt.kv.set` */
export const kvSet = defineCapability({
  name: "kv.set",
  summary:
    "Stores a JSON value under `key`, replacing what was there; with `ttl` the key expires after that many seconds (an earlier expiry is cleared).",
  args: z.tuple([
    key,
    arg(
      "value",
      jsonValue,
      "Any JSON value (objects, arrays, strings, finite numbers, booleans, null).",
    ),
    arg("options", setOptions.nullish()),
  ]),
  result: z.void(),
  permission: "data",
  writes: true,
  handler: (ctx, key, value, options) => dataOf(ctx).kv.set(key, value, given(options)),
});

/** `fazt.kv.delete` */
export const kvDelete = defineCapability({
  name: "kv.delete",
  summary: "Deletes `key`; true when it existed (and had not expired).",
  args: z.tuple([key]),
  result: z.boolean(),
  permission: "data",
  writes: true,
  handler: (ctx, key) => dataOf(ctx).kv.delete(key),
});

/** `fazt.kv.list` */
export const kvList = defineCapability({
  name: "kv.list",
  summary:
    "The keys in key order, a page at a time (pass the returned `cursor` for the next page).",
  args: z.tuple([arg("options", listOptions.nullish())]),
  result: listResult,
  permission: "data",
  writes: false,
  handler: (ctx, options) => dataOf(ctx).kv.list(given(options)),
});

/** `fazt.kv.increment` */
export const kvIncrement = defineCapability({
  name: "kv.increment",
  summary:
    "Atomically adds `by` (default 1) to the number under `key` and returns the result. A missing key counts as 0; the key's expiry is kept.",
  args: z.tuple([key, arg("by", z.number().optional(), "The number to add (default 1).")]),
  result: z.number(),
  permission: "data",
  writes: true,
  handler: (ctx, key, by) => dataOf(ctx).kv.increment(key, by),
});

/** The `fazt.kv` group. */
export const KV: CapabilityGroup = {
  name: "kv",
  summary: "Key-value pairs: JSON values under string keys, with an optional expiry.",
  capabilities: [kvGet, kvSet, kvDelete, kvList, kvIncrement],
};
