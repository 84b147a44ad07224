/**
 * What the runtime needs from the kernel, and nothing more: the app's code,
 * the names of the capabilities offered as `fazt.*`, capability calls (data,
 * secrets, fetch) and logs, always keyed by the app ID the kernel assigned
 * to a sandbox.
 *
 * @module
 */

/** The kernel side of the bridge. */
export interface RuntimeHost {
  /** The code files (path → source) of an app version, and its entry file. */
  code(appId: string, versionId: number): Promise<{ files: Record<string, string>; entry: string }>;
  /**
   * The dotted names of the capabilities app code sees as `fazt.*`
   * (`kv.get`, …); sent to each sandbox, which builds its `fazt` from them.
   * Asynchronous so the kernel can load its capabilities with the first
   * sandbox rather than at boot.
   */
  capabilities(): Promise<readonly string[]>;
  /**
   * True when the answer of capability `op` can hold bytes: only those
   * answers are walked to tag bytes for the bridge (`bridge_values.ts`);
   * without this function, every answer is.
   */
  answersWithBytes?(op: string): boolean;
  /**
   * Runs one capability call (`kv.get`, `fetch`, …) for an app. `args` come
   * from the sandbox, decoded (bytes are `Uint8Array`s) but unchecked; the
   * answer may hold bytes too.
   */
  call(appId: string, op: string, args: unknown[], signal?: AbortSignal): Promise<unknown>;
  /** Records one log line of an app. */
  log(
    appId: string,
    level: "debug" | "info" | "warn" | "error",
    message: string,
    requestId: string | null,
  ): void;
  /**
   * A sandbox is about to load the app's code: put process `pid` under the
   * app's resource limits (memory group, ceilings). Optional.
   */
  bound?(appId: string, pid: number): Promise<void>;
  /**
   * Why a sandbox of the app ended, when the app's limits ended it (e.g. its
   * memory cap); null to use the runtime's own reason. `inflight`: requests
   * it had in flight. Optional.
   */
  exitReason?(
    appId: string,
    pid: number,
    status: Deno.CommandStatus,
    inflight: number,
  ): Promise<string | null>;
  /**
   * Throws (a `FaztError`, sent to the client as is) when the app may not
   * start a sandbox now, e.g. while it is paused for using too much CPU.
   * Optional.
   */
  admit?(appId: string): void;
}

/** The app and version a request goes to. */
export interface RuntimeTarget {
  /** App ID. */
  appId: string;
  /** App name (shown to the app as `fazt.app.name`). */
  appName: string;
  /** Live version ID. */
  versionId: number;
}
