/**
 * What the runtime needs from the kernel, and nothing more: the app's code,
 * capability calls (data, secrets, fetch) and logs, always keyed by the app
 * ID the kernel assigned to a sandbox.
 *
 * @module
 */

/** The kernel side of the bridge. */
export interface RuntimeHost {
  /** The code files (path → source) of an app version, and its entry file. */
  code(appId: string, versionId: number): Promise<{ files: Record<string, string>; entry: string }>;
  /** Runs one capability call (`kv.get`, `fetch`, …) for an app. */
  call(appId: string, op: string, args: unknown[], signal?: AbortSignal): Promise<unknown>;
  /** Records one log line of an app. */
  log(
    appId: string,
    level: "debug" | "info" | "warn" | "error",
    message: string,
    requestId: string | null,
  ): void;
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
