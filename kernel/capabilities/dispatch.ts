/**
 * The one dispatcher every capability call goes through, whatever the
 * capability: look it up, check the app holds its permission, validate the
 * arguments against its zod tuple (an `invalid_input` naming the capability
 * and the argument), refuse a write while the disk guard has tripped, run
 * the handler for the app the kernel bound the sandbox to, and check the
 * result against its declaration (`result_shape.ts`, which copies
 * nothing). Arguments come from app code (or a process taken over) and are
 * untrusted; nothing in them can name another app.
 *
 * @module
 */
import type { z } from "zod";
import { FaztError } from "../core/errors.ts";
import {
  type AnyCapability,
  argName,
  type CapabilityServices,
  type Permission,
} from "./capability.ts";
import { CAPABILITIES } from "./registry.ts";
import { canHoldBytes, compileResultCheck, type ResultCheck } from "./result_shape.ts";

/** What the dispatcher needs. */
export interface DispatcherOptions {
  /** Kernel services for the handlers. */
  services: CapabilityServices;
  /** The disk breaker: writes are refused while it has tripped. */
  disk: { assertWritable(what: string): void };
  /** Whether an app holds a permission (default: every app holds every permission). */
  permits?: (appId: string, permission: Permission) => boolean;
  /** The capabilities (default: the registry's). */
  capabilities?: readonly AnyCapability[];
}

/** Runs one capability call for an app; rejects with a `FaztError` for anything the app can fix. */
export type Dispatch = (
  appId: string,
  name: string,
  args: unknown,
  signal?: AbortSignal,
) => Promise<unknown>;

/** The dispatcher. */
export interface Dispatcher {
  /** The names offered to app code as `fazt.*` (internal capabilities left out). */
  names: readonly string[];
  /** Runs one call. */
  call: Dispatch;
  /** The capabilities whose declared results can hold bytes. */
  answersWithBytes: ReadonlySet<string>;
}

/** A capability with what the dispatcher works out once. */
interface Entry {
  capability: AnyCapability;
  /** How the app calls it (`fazt.kv.set`, `fetch`). */
  label: string;
  /** Its arguments' names, in order. */
  names: string[];
  /** Checks a result against the declared one without copying it. */
  result: ResultCheck;
}

/** The longest capability name echoed in an error. */
const MAX_NAME_ECHO = 100;

function entryOf(capability: AnyCapability): Entry {
  const items = (capability.args as z.ZodTuple).def.items as z.ZodType[];
  return {
    capability,
    label: capability.internal ? capability.name : `fazt.${capability.name}`,
    names: items.map((item, i) => argName(item) ?? `argument ${i + 1}`),
    result: compileResultCheck(capability.result),
  };
}

/** What an issue says, and where. */
interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  errors?: Issue[][];
}

/**
 * A union's issue narrowed to the alternative that got furthest (a list of
 * SQL parameters with one bad element names that element), when one did.
 */
function narrowed(issue: Issue): Issue {
  if (issue.code !== "invalid_union" || !issue.errors) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    for (const inner of branch) if (inner.path.length > (best?.path.length ?? 0)) best = inner;
  }
  if (!best) return issue;
  const inner = narrowed(best);
  return { path: [...issue.path, ...inner.path], message: inner.message };
}

/** The `invalid_input` error for arguments that do not fit. */
function invalidArguments(entry: Entry, error: z.ZodError): FaztError {
  const issues = error.issues.map((original) => {
    const issue = narrowed(original as Issue);
    const [first, ...rest] = issue.path;
    const head = typeof first === "number" ? entry.names[first] ?? `argument ${first + 1}` : first;
    const path = [head, ...rest].filter((p) => p !== undefined).map(String).join(".");
    return { path, message: issue.message };
  });
  const first = issues[0];
  return new FaztError(
    "invalid_input",
    `Invalid input for ${entry.label}: ${first.path ? `"${first.path}" ` : ""}${first.message}.`,
    { details: { capability: entry.capability.name, issues } },
  );
}

/** Makes the dispatcher. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { services, disk, permits } = options;
  const entries = new Map<string, Entry>();
  const answersWithBytes = new Set<string>();
  const names: string[] = [];
  for (const capability of options.capabilities ?? CAPABILITIES) {
    if (!capability.internal) names.push(capability.name);
    if (entries.has(capability.name)) {
      throw new Error(`The capability "${capability.name}" is declared twice.`);
    }
    entries.set(capability.name, entryOf(capability));
    if (canHoldBytes(capability.result)) answersWithBytes.add(capability.name);
  }

  const call: Dispatch = async (appId, name, args, signal) => {
    const entry = typeof name === "string" ? entries.get(name) : undefined;
    if (!entry) {
      throw new FaztError(
        "not_found",
        `Unknown capability "${String(name).slice(0, MAX_NAME_ECHO)}".`,
      );
    }
    if (!Array.isArray(args)) throw new FaztError("invalid_input", "Arguments must be a list.");
    const { capability, label } = entry;
    if (permits && !permits(appId, capability.permission)) {
      throw new FaztError(
        "forbidden",
        `This app does not hold the "${capability.permission}" permission that ${label} needs.`,
        { details: { capability: capability.name, permission: capability.permission } },
      );
    }
    // Left-out trailing arguments are undefined; extra ones are ignored, as in any JS call.
    const arity = entry.names.length;
    let list = args;
    if (list.length !== arity) {
      list = args.slice(0, arity);
      while (list.length < arity) list.push(undefined);
    }
    const parsed = capability.args.safeParse(list);
    if (!parsed.success) throw invalidArguments(entry, parsed.error);
    if (capability.writes) disk.assertWritable("Saving app data");
    const value = await capability.handler({ appId, services, signal }, ...parsed.data);
    if (!entry.result(value)) {
      const problem = capability.result.safeParse(value).error;
      console.error(`fazt: ${label} produced a result of the wrong shape:`, problem ?? value);
      throw new FaztError(
        "internal",
        `${label} produced a result of the wrong shape; this is a bug in fazt.`,
        { cause: problem },
      );
    }
    return value;
  };
  return { names: Object.freeze(names), call, answersWithBytes };
}
