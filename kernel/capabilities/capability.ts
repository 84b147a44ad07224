/**
 * A capability is one thing app code can ask the kernel for (`fazt.kv.set`,
 * `fazt.docs.find`, the sandbox's `fetch`, …), declared once as data: its
 * name, a summary, a zod tuple of its positional arguments, a zod schema of
 * its result, the permission it needs, whether it writes, and a handler.
 * One dispatcher (`dispatch.ts`) runs every capability; the sandbox's
 * `fazt` object and the app authors' types (`docs/fazt.d.ts`, made by
 * `fazt_dts.ts`) come from the same list (`registry.ts`).
 *
 * Argument schemas say what TypeScript can say (types, shapes, and the fixed
 * numeric bounds); rules that depend on configured limits or on content (key
 * sizes, collection names, blob paths, filters, strict JSON) stay in the
 * services, which every transport shares.
 *
 * @module
 */
import { z } from "zod";
import type { AppData, AppDataService } from "../services/appdata/app_data_service.ts";
import type { SecretService } from "../services/secrets/secret_service.ts";

/**
 * What a capability reaches, so that an app can be denied it (e.g. by a
 * marketplace listing later). Today every app holds every permission.
 */
export const PERMISSIONS = {
  data: "The app's own data: kv, documents, blobs and SQL.",
  secrets: "The app's secrets.",
  network: "Internet hosts, through the egress guard (metered).",
  stdlib: "fazt's embedded libraries, loaded with require().",
} as const;

/** A permission a capability needs. */
export type Permission = keyof typeof PERMISSIONS;

/** Fetch as the egress guard offers it. */
export interface EgressFetch {
  /** Performs a guarded request. */
  fetch(
    req: { url: string; method?: string; headers?: [string, string][]; body?: Uint8Array | null },
    signal?: AbortSignal,
  ): Promise<
    {
      status: number;
      statusText: string;
      headers: [string, string][];
      body: Uint8Array;
      url: string;
      redirected: boolean;
    }
  >;
}

/** The kernel services capabilities use. */
export interface CapabilityServices {
  /** Per-app data. */
  appData: AppDataService;
  /** Per-app secrets. */
  secrets: Pick<SecretService, "reveal">;
  /** The egress guard. */
  egress: EgressFetch;
  /** Monthly egress per app: fetches count, and stop past the limit. */
  meter: { fetched(appId: string, bytes: number): void; assertWithinLimit(appId: string): void };
}

/** What a handler gets besides its arguments. */
export interface CapabilityContext {
  /** The app the kernel bound the calling sandbox to (never named by the sandbox). */
  appId: string;
  /** Kernel services. */
  services: CapabilityServices;
  /** Aborted when the call is no longer wanted. */
  signal?: AbortSignal;
}

/** One capability. */
export interface Capability<
  A extends z.ZodTuple = z.ZodTuple,
  R extends z.ZodType = z.ZodType,
> {
  /**
   * The dotted name, `<group>.<function>` (`kv.set` is `fazt.kv.set`), or a
   * bare name for the sandbox's own plumbing (`fetch`, `stdlib`).
   */
  name: string;
  /** One or two sentences for app authors (the doc comment in `fazt.d.ts`). */
  summary: string;
  /**
   * The positional arguments, each made with {@linkcode arg} (which names
   * it). Trailing optional arguments may be left out; extra ones are ignored.
   */
  args: A;
  /** The result (bytes as {@linkcode bytes}; nothing as `z.void()`). */
  result: R;
  /** What the capability reaches. */
  permission: Permission;
  /** True when it writes app data: refused while the disk guard has tripped. */
  writes: boolean;
  /** Called by the sandbox's own code (global `fetch`, `require`), not offered as `fazt.*`. */
  internal?: boolean;
  /** Does the work; throws `FaztError` for anything the app can fix. */
  handler(
    ctx: CapabilityContext,
    ...args: z.output<A>
  ): Promise<z.input<R>> | z.input<R>;
}

/** Defines a capability with its handler's types inferred from the schemas. */
export function defineCapability<A extends z.ZodTuple, R extends z.ZodType>(
  capability: Capability<A, R>,
): Capability<A, R> {
  return capability;
}

/** A capability of any arguments and result. */
// deno-lint-ignore no-explicit-any -- a heterogeneous list of capabilities needs erased generics
export type AnyCapability = Capability<any, any>;

/** A group of capabilities: `fazt.<name>`, one file each. */
export interface CapabilityGroup {
  /** The group's name, the first part of its capabilities' names (`kv`). */
  name: string;
  /** One sentence for app authors. */
  summary: string;
  /** Its capabilities, in the order app authors read them. */
  capabilities: readonly AnyCapability[];
}

/**
 * A named argument: `name` shows in error messages and as the parameter
 * name in `fazt.d.ts`, `description` as its `@param` text.
 */
export function arg<T extends z.ZodType>(name: string, schema: T, description?: string): T {
  return schema.meta(description === undefined ? { title: name } : { title: name, description });
}

/** The name {@linkcode arg} gave a schema, if any. */
export function argName(schema: z.ZodType): string | undefined {
  const title = schema.meta()?.title;
  return typeof title === "string" ? title : undefined;
}

/** Bytes: a `Uint8Array` in app code and in handlers (tagged on the bridge). */
export const bytes: z.ZodCustom<Uint8Array, Uint8Array> = z.instanceof(Uint8Array).meta({
  id: "Bytes",
});

/**
 * Any JSON value (the services check that it really is strict JSON, with
 * messages that name the offending place).
 */
export const jsonValue: z.ZodUnknown = z.unknown().meta({ id: "JsonValue" });

/** The app data of the calling app. */
export function dataOf(ctx: CapabilityContext): AppData {
  return ctx.services.appData.forApp(ctx.appId);
}

/** `value`, or `undefined` for `null` (JSON's spelling of a left-out argument). */
export function given<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}
