/**
 * Every capability app code can reach, one list: the groups offered as
 * `fazt.<group>.<function>`, and the sandbox's own plumbing (`fetch`,
 * `require` of the stdlib). The dispatcher, the names sent to each sandbox
 * and `docs/fazt.d.ts` all come from here. A new capability is one
 * `defineCapability` in its group's file; a new group is one file and one
 * line below.
 *
 * @module
 */
import type { AnyCapability, CapabilityGroup } from "./capability.ts";
import { KV } from "./kv.ts";
import { DOCS } from "./docs.ts";
import { BLOBS } from "./blobs.ts";
import { SQL } from "./sql.ts";
import { ENV } from "./env.ts";
import { fetchCapability } from "./fetch.ts";
import { stdlibCapability } from "./stdlib.ts";

/** The `fazt.*` groups, in the order app authors read them. */
export const CAPABILITY_GROUPS: readonly CapabilityGroup[] = [KV, DOCS, BLOBS, SQL, ENV];

/** The capabilities the sandbox's own code calls (never part of `fazt`). */
export const INTERNAL_CAPABILITIES: readonly AnyCapability[] = [fetchCapability, stdlibCapability];

/** Every capability. */
export const CAPABILITIES: readonly AnyCapability[] = [
  ...CAPABILITY_GROUPS.flatMap((g) => g.capabilities),
  ...INTERNAL_CAPABILITIES,
];

/** The names offered to app code as `fazt.*` (sent to every sandbox). */
export const FAZT_CAPABILITY_NAMES: readonly string[] = Object.freeze(
  CAPABILITIES.filter((c) => !c.internal).map((c) => c.name),
);
