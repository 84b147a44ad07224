/**
 * The upgrade journal, `<data>/upgrade/state.json`: which upgrade is under
 * way and how far it got, written (atomically: temporary file, sync,
 * rename) before each step that changes something. After a crash it tells
 * `fazt upgrade --rollback` what to undo; after a finished upgrade it
 * remembers what `--rollback` returns to.
 *
 * @module
 */
import { join } from "node:path";
import { syncFolder } from "./binary_swap.ts";
import type { ServerLaunch } from "./server_control.ts";
import { UPGRADE_DIR } from "./pre_upgrade_snapshot.ts";

/**
 * How far an upgrade got, in order: `stopping` (the server is being
 * stopped), `snapshotting`, `swapping` (the binary is being replaced),
 * `starting` (the new binary was started; waiting for its health),
 * `rolling_back`, `done` (the new version answered).
 */
export type UpgradePhase =
  | "stopping"
  | "snapshotting"
  | "swapping"
  | "starting"
  | "rolling_back"
  | "done";

/** The journal's content. */
export interface UpgradeState {
  /** The version before. */
  from: string;
  /** The version being installed. */
  to: string;
  /** The installed executable. */
  binary: string;
  /** How far it got. */
  phase: UpgradePhase;
  /** The pid of the `fazt upgrade` command (to tell a running upgrade from an interrupted one). */
  pid: number;
  /** The data snapshot, once taken. */
  snapshot: string | null;
  /** The kernel schema version of the snapshot, once taken. */
  snapshotSchema: number | null;
  /** How the server was started (null: no server ran, or it runs under systemd). */
  launch: ServerLaunch | null;
  /** The systemd unit the server ran in, if any. */
  unit: string | null;
  /** The pid of the new server once started (a plain process), so a rollback can stop it. */
  startedPid: number | null;
  /** When the upgrade began (ISO time). */
  startedAt: string;
}

/** The journal's path for a data folder. */
export function statePath(dataDir: string): string {
  return join(dataDir, UPGRADE_DIR, "state.json");
}

/** Reads the journal, or undefined when there is none. */
export async function readState(dataDir: string): Promise<UpgradeState | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(statePath(dataDir))) as UpgradeState;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Writes the journal atomically and durably. */
export async function writeState(dataDir: string, state: UpgradeState): Promise<void> {
  const path = statePath(dataDir);
  const dir = join(dataDir, UPGRADE_DIR);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await f.write(new TextEncoder().encode(JSON.stringify(state, null, 2)));
    await f.sync();
  } finally {
    f.close();
  }
  await Deno.rename(tmp, path);
  await syncFolder(dir);
}

/** Removes the journal. */
export async function clearState(dataDir: string): Promise<void> {
  await Deno.remove(statePath(dataDir)).catch(() => {});
}
