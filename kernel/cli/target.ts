/**
 * Which server a CLI command talks to, first match wins:
 *
 * 1. `--url`/`FAZT_URL`, with `--token`/`FAZT_TOKEN` or else the token of
 *    the remote stored for that URL by `fazt login`;
 * 2. `--data`/`FAZT_DATA`: that local data folder;
 * 3. the current remote (`fazt login`, `fazt remote use`);
 * 4. the local data folder `./fazt-data`.
 *
 * A local data folder is reached through its running server over HTTP, or,
 * when none runs, a kernel opened in-process. Either way the command goes
 * through the REST API.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { FaztError } from "../core/errors.ts";
import { DatabaseSync } from "node:sqlite";
import { ensureOwnerToken, readOwnerToken } from "../services/auth/owner_credential.ts";
import { createTokenService } from "../services/auth/token_service.ts";
import { openDatabase } from "../store/database.ts";
import { KERNEL_MIGRATIONS } from "../store/schema.ts";
import { createKernel, type Kernel } from "../boot/kernel.ts";
import { KERNEL_DB_FILE } from "../boot/config.ts";
import { finishInterruptedRestore } from "../services/backup/restore.ts";
import { type ApiClient, createApiClient } from "./api_client.ts";
import type { ServerLaunch } from "../services/upgrade/server_control.ts";
import { currentRemote, loadRemotes, normalizeUrl, remoteForUrl } from "./remotes.ts";

/** The default data folder, relative to the working directory. */
export const DEFAULT_DATA_DIR = "fazt-data";

/** The file a running server writes into its data folder. */
export const SERVER_FILE = "server.json";

/** What a running server records about itself. */
export interface ServerRecord {
  /** Where the server answers (loopback-reachable). */
  url: string;
  /** The server's process ID. */
  pid: number;
  /** fazt's version. */
  version: string;
  /** How it was started, so `fazt upgrade` can start it again (absent: an older fazt). */
  launch?: ServerLaunch;
}

/** How long the CLI waits for a recorded server's health check by default. */
export const HEALTH_WAIT_MS = 10_000;

/**
 * Reads `server.json` and returns it when that server answers its health
 * check. Nothing listening at its address (a server that crashed and left
 * the file behind) means no server. Something that takes the connection but
 * does not answer within `waitMs` is a live server too busy to answer: that
 * throws, because the caller must never open the data folder itself (a
 * second writer) or start a second server on it.
 */
export async function runningServer(
  dataDir: string,
  waitMs = HEALTH_WAIT_MS,
): Promise<ServerRecord | undefined> {
  let record: ServerRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(join(dataDir, SERVER_FILE)));
  } catch {
    return undefined;
  }
  try {
    const res = await fetch(new URL("/_fazt/health", record.url), {
      signal: AbortSignal.timeout(waitMs),
    });
    await res.body?.cancel();
    return res.ok ? record : undefined;
  } catch (err) {
    if (err instanceof DOMException && err.name === "TimeoutError") {
      throw new FaztError(
        "unavailable",
        `The fazt server of ${dataDir} (pid ${record.pid}, ${record.url}) took the connection but did not answer its health check within ${
          waitMs / 1000
        } s. Try again when it is less busy, or stop it before using the folder directly.`,
      );
    }
    return undefined;
  }
}

/** Where to send commands, and how to clean up afterwards. */
export interface Target {
  /** The API client. */
  client: ApiClient;
  /** Releases an in-process kernel, if one was opened. */
  close(): Promise<void>;
}

/** Options naming the server, from flags or the environment. */
export interface TargetOptions {
  /** `--url` or `FAZT_URL`. */
  url?: string;
  /** `--token` or `FAZT_TOKEN`. */
  token?: string;
  /** `--data` or `FAZT_DATA`. */
  dataDir?: string;
  /** The remotes file (see `remotes.ts`), when the environment names one. */
  remotesFile?: string;
}

/** Resolves the target server for a command. */
export async function openTarget(options: TargetOptions): Promise<Target> {
  const remotes = () => options.remotesFile ? loadRemotes(options.remotesFile) : undefined;
  if (options.url) {
    const url = normalizeUrl(options.url);
    let token = options.token;
    if (!token) {
      const config = await remotes();
      token = config ? remoteForUrl(config, url)?.token : undefined;
    }
    if (!token) {
      throw new FaztError(
        "unauthorized",
        `No token for ${url}. Run \`fazt login ${url}\` once, or pass --token (or set FAZT_TOKEN) with an API token of that server.`,
      );
    }
    return remoteTarget(url, token);
  }
  if (options.dataDir === undefined) {
    const config = await remotes();
    const remote = config ? currentRemote(config) : undefined;
    if (remote) return remoteTarget(remote.url, options.token ?? remote.token);
  }
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  await finishInterruptedRestore(dataDir);
  try {
    await Deno.stat(join(dataDir, KERNEL_DB_FILE));
  } catch {
    throw new FaztError(
      "not_found",
      `No fazt data in ${dataDir}. Start a server there first (\`fazt serve --data ${dataDir}\`), pass --data DIR, or run \`fazt login <url>\` to use another server.`,
    );
  }
  const server = await runningServer(dataDir);
  if (server) {
    const token = options.token ?? await localOwnerToken(dataDir, server.url);
    return { client: createApiClient(server.url, token), close: async () => {} };
  }
  const kernel: Kernel = await createKernel({ dataDir, ...(await lastServeSettings(dataDir)) });
  return {
    client: createApiClient(
      "http://127.0.0.1/",
      options.token ?? kernel.ownerToken,
      kernel.handler,
    ),
    close: () => kernel.close(),
  };
}

/**
 * The data folder's owner token for its running server. When the server
 * no longer accepts it (revoked, or the file deleted), a new one is created
 * straight in the data folder's database, which the server reads on every
 * request: whoever can read the data folder is the owner, so the local CLI
 * (and `fazt owner reset-password` with it) always has a way in, without a
 * restart and whatever the login limits say.
 */
async function localOwnerToken(dataDir: string, url: string): Promise<string> {
  const token = await readOwnerToken(dataDir);
  if (token !== undefined && await accepted(url, token)) return token;
  const path = join(dataDir, KERNEL_DB_FILE);
  const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS.slice(0, schemaVersion(path)) });
  try {
    return await ensureOwnerToken(dataDir, createTokenService({ db }));
  } finally {
    await db.close();
  }
}

/** True when the server at `url` authenticates `token`. */
async function accepted(url: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(new URL("/_fazt/api/auth/whoami", url), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    const me = await res.json() as { kind?: string };
    return res.ok && me.kind === "token";
  } catch {
    // Unreachable or not JSON: let the command itself report the problem.
    return true;
  }
}

/**
 * The schema version of a database file, read without changing it, so the
 * CLI never migrates the database under a running server.
 */
function schemaVersion(path: string): number {
  const conn = new DatabaseSync(path, { readOnly: true });
  try {
    const row = conn.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  } finally {
    conn.close();
  }
}

function remoteTarget(url: string, token: string): Target {
  return { client: createApiClient(url, token), close: async () => {} };
}

/** The file where `fazt serve` remembers its public settings for offline CLI use. */
export const SERVE_SETTINGS_FILE = "serve.json";

async function lastServeSettings(
  dataDir: string,
): Promise<{ domain?: string; publicPort?: number }> {
  try {
    const s = JSON.parse(await Deno.readTextFile(join(dataDir, SERVE_SETTINGS_FILE)));
    return { domain: s.domain, publicPort: s.port };
  } catch {
    return {};
  }
}
