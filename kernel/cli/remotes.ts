/**
 * Remotes: the servers `fazt login` remembers, each with a URL and an API
 * token, and which one is current. Stored as JSON in
 * `$XDG_CONFIG_HOME/fazt/remotes.json` (else `$HOME/.config/fazt/remotes.json`),
 * readable only by the user (file 0600, folder 0700), written atomically.
 *
 * The functions that change a configuration are pure: they return a new
 * configuration, which {@linkcode saveRemotes} writes.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { z } from "zod";
import { FaztError } from "../core/errors.ts";

/** One remembered server. */
export interface Remote {
  /** The server's origin, e.g. `https://example.com`. */
  url: string;
  /** An API token of that server. */
  token: string;
  /** When the remote was added (ISO time). */
  addedAt: string;
}

/** The whole remotes file. */
export interface RemotesConfig {
  /** The name of the current remote, if any. */
  current: string | null;
  /** Remotes by name. */
  remotes: Record<string, Remote>;
}

const RemotesSchema = z.object({
  current: z.string().nullable(),
  remotes: z.record(
    z.string(),
    z.object({ url: z.string(), token: z.string(), addedAt: z.string() }),
  ),
});

/** The file name inside the `fazt` config folder. */
export const REMOTES_FILE = "remotes.json";

/** An empty configuration. */
export function emptyRemotes(): RemotesConfig {
  return { current: null, remotes: {} };
}

/**
 * Where the remotes file lives, from `XDG_CONFIG_HOME` or `HOME`; undefined
 * when neither is set.
 */
export function remotesPath(env: (name: string) => string | undefined): string | undefined {
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "fazt", REMOTES_FILE);
  const home = env("HOME");
  if (home) return join(home, ".config", "fazt", REMOTES_FILE);
  return undefined;
}

/**
 * Normalises a server URL to its origin (`https://host[:port]`). A URL
 * without a scheme gets `https://`.
 */
export function normalizeUrl(raw: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FaztError(
      "invalid_input",
      `"${raw}" is not a server URL. Give one like https://example.com or http://127.0.0.1:4698.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FaztError(
      "invalid_input",
      `"${raw}" is not an http(s) URL. Give one like https://example.com.`,
    );
  }
  return url.origin;
}

/** The default name of a remote: its URL's host, e.g. `example.com` or `127.0.0.1:4698`. */
export function defaultRemoteName(url: string): string {
  return new URL(url).host;
}

/** Checks a remote name: 1–100 characters, no whitespace or control characters. */
export function checkRemoteName(name: string): string {
  // deno-lint-ignore no-control-regex
  if (name.length === 0 || name.length > 100 || /[\s\x00-\x1f\x7f]/.test(name)) {
    throw new FaztError(
      "invalid_input",
      `"${name}" cannot name a remote: use 1 to 100 characters without spaces.`,
    );
  }
  return name;
}

/** Reads the remotes file; an absent file is an empty configuration. */
export async function loadRemotes(path: string): Promise<RemotesConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return emptyRemotes();
    throw new FaztError(
      "unavailable",
      `Cannot read ${path} (${(err as Error).message}). Check its permissions.`,
      { cause: err },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const parsed = RemotesSchema.safeParse(data);
  if (!parsed.success) {
    throw new FaztError(
      "invalid_input",
      `${path} is not a valid remotes file. Fix it, or delete it and run \`fazt login <url>\` again.`,
    );
  }
  const config = parsed.data;
  return {
    current: config.current !== null && config.current in config.remotes ? config.current : null,
    remotes: config.remotes,
  };
}

/**
 * Writes the remotes file atomically: a temp file created with mode 0600 in
 * the same folder (itself 0700), then renamed over the old file.
 */
export async function saveRemotes(path: string, config: RemotesConfig): Promise<void> {
  const dir = dirname(path);
  const posix = Deno.build.os !== "windows";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  if (posix) await Deno.chmod(dir, 0o700);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16))
    .join("");
  const temp = `${path}.${suffix}.tmp`;
  try {
    await Deno.writeTextFile(temp, JSON.stringify(config, null, 2) + "\n", {
      mode: 0o600,
      createNew: true,
    });
    if (posix) await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw new FaztError(
      "unavailable",
      `Cannot write ${path} (${(err as Error).message}). Check the folder's permissions.`,
      { cause: err },
    );
  }
}

/** Adds (or replaces) a remote and makes it current. */
export function addRemote(config: RemotesConfig, name: string, remote: Remote): RemotesConfig {
  checkRemoteName(name);
  return { current: name, remotes: { ...config.remotes, [name]: remote } };
}

function unknownRemote(name: string): FaztError {
  return new FaztError(
    "not_found",
    `No remote named "${name}". Run \`fazt remote list\` to see your remotes.`,
  );
}

/** Makes a remote current. */
export function useRemote(config: RemotesConfig, name: string): RemotesConfig {
  if (!Object.hasOwn(config.remotes, name)) throw unknownRemote(name);
  return { ...config, current: name };
}

/** Removes a remote; when it was current, no remote is current afterwards. */
export function removeRemote(config: RemotesConfig, name: string): RemotesConfig {
  if (!Object.hasOwn(config.remotes, name)) throw unknownRemote(name);
  const { [name]: _removed, ...remotes } = config.remotes;
  return { current: config.current === name ? null : config.current, remotes };
}

/** The current remote, with its name. */
export function currentRemote(
  config: RemotesConfig,
): (Remote & { name: string }) | undefined {
  const name = config.current;
  if (name === null || !Object.hasOwn(config.remotes, name)) return undefined;
  return { name, ...config.remotes[name] };
}

/** The remote stored for a URL (compared by origin), preferring the current one. */
export function remoteForUrl(
  config: RemotesConfig,
  url: string,
): (Remote & { name: string }) | undefined {
  let origin: string;
  try {
    origin = normalizeUrl(url);
  } catch {
    return undefined;
  }
  const current = currentRemote(config);
  if (current && current.url === origin) return current;
  const found = Object.entries(config.remotes).find(([, r]) => r.url === origin);
  return found ? { name: found[0], ...found[1] } : undefined;
}
