/**
 * Upgrading fazt in place and rolling back. {@linkcode upgrade}: verify the
 * release (signed manifest, size, SHA-256, the new binary reports the
 * version) before anything changes; then stop the server, snapshot the
 * data, swap the binary, start it (it runs its forward migrations as it
 * opens the store) and wait for `/_fazt/health` to report the new version.
 * If it does not within the deadline, {@linkcode rollback} runs by itself:
 * stop it, put the old binary and the data snapshot back, start the old
 * one. Every step is journaled first (`upgrade_state.ts`), so an
 * interrupted upgrade is undone by `fazt upgrade --rollback`.
 *
 * @module
 */
import { join } from "node:path";
import { FaztError } from "../../core/errors.ts";
import { binaryPaths, exists, swapBack, swapIn } from "./binary_swap.ts";
import type { PreUpgradeSnapshot } from "./pre_upgrade_snapshot.ts";
import { UPGRADE_DIR } from "./pre_upgrade_snapshot.ts";
import { downloadBinary, fetchManifest } from "./release_download.ts";
import { platformName, verifyManifest } from "./release_manifest.ts";
import {
  processAlive,
  processControl,
  type ServerControl,
  type ServerLaunch,
  stopProcess,
  systemdControl,
} from "./server_control.ts";
import {
  clearState,
  readState,
  type UpgradePhase,
  type UpgradeState,
  writeState,
} from "./upgrade_state.ts";

/** The server running on the data folder when the command starts. */
export interface RunningServer {
  /** Its pid. */
  pid: number;
  /** How it was started (null: it recorded nothing, e.g. an older fazt). */
  launch: ServerLaunch | null;
  /** Its systemd unit, or null. */
  unit: string | null;
}

/** What an upgrade or a rollback works on. */
export interface UpgradeContext {
  /** The data folder. */
  dataDir: string;
  /** The installed fazt executable. */
  binary: string;
  /** The running fazt's version. */
  currentVersion: string;
  /** The server running on the data folder, or null. */
  server: RunningServer | null;
  /** Snapshot before, restore on failure. */
  snapshot: PreUpgradeSnapshot;
  /** The kernel schema version of the data in a folder (null: none there). */
  schemaVersionOf(dir: string): number | null;
  /** How long the new server has to report its version on `/_fazt/health` (ms). */
  healthTimeoutMs: number;
  /** Progress, one line at a time. */
  log(line: string): void;
}

/** Which release to install. */
export interface UpgradeRequest {
  /** The manifest's URL (`http(s):` or `file:`). */
  manifestUrl: URL;
  /** The release public keys to trust. */
  keys: readonly string[];
  /** The version asked for (`--to`); the manifest must be that version. */
  version?: string;
  /** Refuse a release that is not newer than the running version (`latest`). */
  requireNewer: boolean;
}

/** How an upgrade or rollback ended. */
export interface UpgradeResult {
  /** The version before. */
  from: string;
  /** The version now installed. */
  to: string;
  /** Whether a server was restarted and answered health. */
  restarted: boolean;
}

const ORDER: UpgradePhase[] = ["stopping", "snapshotting", "swapping", "starting", "done"];

function reached(state: UpgradeState, phase: UpgradePhase): boolean {
  return ORDER.indexOf(state.phase) >= ORDER.indexOf(phase);
}

/** Compares dotted versions numerically part by part (`0.10.0` > `0.9.1`); a pre-release sorts first. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [main, pre] = v.split("-", 2);
    return { parts: main.split(".").map((p) => Number.parseInt(p, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the data folder's server reports `version` on `/_fazt/health`. */
async function waitHealthy(
  ctx: UpgradeContext,
  version: string,
  control: ServerControl,
): Promise<void> {
  const deadline = Date.now() + ctx.healthTimeoutMs;
  while (Date.now() < deadline) {
    if (control.exited()) throw new Error("the server exited right after it started");
    let url: string | undefined;
    try {
      url = JSON.parse(await Deno.readTextFile(join(ctx.dataDir, "server.json"))).url;
    } catch {
      url = undefined;
    }
    if (url) {
      const answer = await fetch(new URL("/_fazt/health", url), {
        signal: AbortSignal.timeout(2000),
      }).then((r) => r.ok ? r.json() : undefined, () => undefined) as
        | { version?: string }
        | undefined;
      if (answer?.version === version) return;
      if (answer?.version !== undefined) {
        throw new Error(`the server reports version ${answer.version}, not ${version}`);
      }
    }
    await sleep(100);
  }
  throw new Error(`the server did not answer /_fazt/health within ${ctx.healthTimeoutMs / 1000} s`);
}

function controlFor(ctx: UpgradeContext, state: Pick<UpgradeState, "launch" | "unit">) {
  if (state.unit) return systemdControl(state.unit);
  if (state.launch) {
    return processControl(ctx.server?.pid ?? null, state.launch, ctx.binary, ctx.dataDir);
  }
  return null;
}

/** Refuses when another upgrade runs or an interrupted one waits for `--rollback`. */
async function refuseUnfinished(ctx: UpgradeContext): Promise<void> {
  const state = await readState(ctx.dataDir);
  if (!state || state.phase === "done") return;
  if (state.pid !== Deno.pid && processAlive(state.pid)) {
    throw new FaztError(
      "conflict",
      `Another upgrade (pid ${state.pid}) from ${state.from} to ${state.to} is running.`,
    );
  }
  throw new FaztError(
    "conflict",
    `An upgrade from ${state.from} to ${state.to} was interrupted (at "${state.phase}"). Run \`fazt upgrade --rollback\` to return to ${state.from}.`,
    { details: { from: state.from, to: state.to, phase: state.phase } },
  );
}

/** Runs `<binary> version` and checks it prints `fazt <version>`. */
async function checkReportsVersion(binary: string, version: string): Promise<void> {
  let text = "";
  try {
    const out = await new Deno.Command(binary, {
      args: ["version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(30_000),
    }).output();
    text = new TextDecoder().decode(out.stdout).trim();
  } catch (err) {
    text = `(${(err as Error).message})`;
  }
  if (text !== `fazt ${version}`) {
    throw new FaztError(
      "bad_gateway",
      `The downloaded binary does not run as fazt ${version} here (it printed "${
        text.slice(0, 200)
      }"): refusing it (nothing was changed).`,
    );
  }
}

/**
 * Installs the release `request` names. Nothing changes until the release
 * is verified; a new server that does not report its version on health in
 * time is rolled back (binary and data) and the old one started again,
 * and then this throws a FaztError (`unavailable`) saying so.
 */
export async function upgrade(
  ctx: UpgradeContext,
  request: UpgradeRequest,
): Promise<UpgradeResult> {
  await refuseUnfinished(ctx);
  if (ctx.server && !ctx.server.unit && !ctx.server.launch) {
    throw new FaztError(
      "conflict",
      "The running server did not record how it was started (it is older than this fazt, or runs as `deno run`). Restart it once with this binary, then upgrade.",
    );
  }
  const paths = binaryPaths(ctx.binary);
  ctx.log(`fetching ${request.manifestUrl.href}`);
  const manifest = await fetchManifest(request.manifestUrl);
  const release = await verifyManifest(manifest.bytes, request.keys);
  if (request.version !== undefined && release.version !== request.version) {
    throw new FaztError(
      "bad_gateway",
      `Asked for version ${request.version}, but the manifest is for ${release.version}: refusing it.`,
    );
  }
  if (release.version === ctx.currentVersion) {
    throw new FaztError("conflict", `fazt ${ctx.currentVersion} is already installed.`);
  }
  if (request.requireNewer && compareVersions(release.version, ctx.currentVersion) < 0) {
    throw new FaztError(
      "conflict",
      `The latest release (${release.version}) is older than this fazt (${ctx.currentVersion}); use --to ${release.version} to go back on purpose.`,
    );
  }
  const file = release.platforms[platformName()];
  if (!file) {
    throw new FaztError(
      "not_found",
      `Release ${release.version} has no binary for ${platformName()} (it has: ${
        Object.keys(release.platforms).join(", ") || "none"
      }).`,
    );
  }
  ctx.log(`downloading fazt ${release.version} for ${platformName()} (${file.size} bytes)`);
  await downloadBinary(file, manifest.url, paths.next);
  try {
    await checkReportsVersion(paths.next, release.version);
  } catch (err) {
    await Deno.remove(paths.next).catch(() => {});
    throw err;
  }
  ctx.log(`verified fazt ${release.version} (signature, size, SHA-256)`);

  const state: UpgradeState = {
    from: ctx.currentVersion,
    to: release.version,
    binary: ctx.binary,
    phase: "stopping",
    pid: Deno.pid,
    snapshot: null,
    snapshotSchema: null,
    launch: ctx.server?.launch ?? null,
    unit: ctx.server?.unit ?? null,
    startedPid: null,
    startedAt: new Date().toISOString(),
  };
  const step = async (phase: UpgradePhase) => {
    state.phase = phase;
    await writeState(ctx.dataDir, state);
  };
  const control = ctx.server ? controlFor(ctx, state) : null;
  await step("stopping");
  try {
    if (control) {
      ctx.log(`stopping the server (${control.kind})`);
      await control.stop();
    }
    await step("snapshotting");
    state.snapshot = await ctx.snapshot.take();
    state.snapshotSchema = ctx.schemaVersionOf(state.snapshot);
    ctx.log(`data snapshot in ${state.snapshot}`);
    await step("swapping");
    await swapIn(paths);
    await step("starting");
  } catch (err) {
    // A full disk, a binary folder we may not write: undo and start the old server again.
    ctx.log(`upgrade failed (${(err as Error).message}); putting ${state.from} back`);
    await undo(ctx, state, null);
    throw new FaztError(
      "unavailable",
      `The upgrade to ${release.version} failed while ${state.phase} (${
        (err as Error).message
      }): ${state.from} is back${control ? " and serves again" : ""}.`,
      { cause: err, details: { from: state.from, to: state.to, phase: state.phase } },
    );
  }
  if (!control) {
    await step("done");
    ctx.log(
      `installed fazt ${release.version}; no server answered for ${ctx.dataDir}, so none was restarted (start it to use the new version)`,
    );
    return { from: state.from, to: state.to, restarted: false };
  }
  ctx.log(`starting fazt ${release.version}`);
  try {
    await control.start();
    state.startedPid = control.startedPid();
    await writeState(ctx.dataDir, state);
    await waitHealthy(ctx, release.version, control);
  } catch (err) {
    const reason = (err as Error).message;
    ctx.log(`fazt ${release.version} failed: ${reason}; rolling back to ${state.from}`);
    await undo(ctx, state, control);
    throw new FaztError(
      "unavailable",
      `fazt ${release.version} did not come up (${reason}): rolled back to ${state.from} (binary and data); it serves again. The new server's output is in ${
        join(ctx.dataDir, UPGRADE_DIR, "server.log")
      }.`,
      { details: { from: state.from, to: state.to } },
    );
  }
  await step("done");
  return { from: state.from, to: state.to, restarted: true };
}

/**
 * Undoes `state`. Once the binary swap began: stops the server `control`
 * runs and the one the upgrade started, puts the old binary back and the
 * data snapshot (after a finished upgrade only when the schema changed,
 * keeping the newer data aside in `<data>/upgrade/data-<to>`). Then starts
 * the old server (if one ran before and none answers now) and waits for its
 * health; removes the snapshot and the journal. Safe to run again after an
 * interruption. Returns whether it started a server.
 */
async function undo(
  ctx: UpgradeContext,
  state: UpgradeState,
  control: ServerControl | null,
): Promise<boolean> {
  const paths = binaryPaths(state.binary);
  const swapped = reached(state, "swapping");
  if (swapped) {
    // Whatever runs may be the new version: stop it (and the one the upgrade started).
    if (control) await control.stop();
    if (state.startedPid !== null && state.phase !== "done" && processAlive(state.startedPid)) {
      await stopProcess(state.startedPid);
    }
    if (await exists(paths.next)) await Deno.remove(paths.next);
    else if (await exists(paths.prev)) await swapBack(paths);
  } else {
    await Deno.remove(paths.next).catch(() => {});
  }
  if (state.snapshot && await exists(state.snapshot) && swapped) {
    const changed = ctx.schemaVersionOf(ctx.dataDir) !== state.snapshotSchema;
    if (state.phase !== "done") {
      await ctx.snapshot.restore(state.snapshot);
    } else if (changed) {
      const aside = join(ctx.dataDir, UPGRADE_DIR, `data-${state.to}`);
      await ctx.snapshot.restore(state.snapshot, aside);
      ctx.log(
        `the data is back as it was before the upgrade; the data of ${state.to} is kept in ${aside}`,
      );
    } else {
      ctx.log(`the data keeps its changes since the upgrade (same schema)`);
    }
  }
  let restarted = false;
  // Before the swap nothing changed: a server that still answers is the old one.
  const oldServes = !swapped && control !== null;
  const starter = oldServes
    ? null
    : state.unit
    ? systemdControl(state.unit)
    : state.launch
    ? processControl(null, state.launch, state.binary, ctx.dataDir)
    : null;
  if (starter) {
    ctx.log(`starting fazt ${state.from}`);
    try {
      await starter.start();
      await waitHealthy(ctx, state.from, starter);
    } catch (err) {
      await clearState(ctx.dataDir);
      throw new FaztError(
        "unavailable",
        `fazt ${state.from} and its data are back in place, but it did not come up (${
          (err as Error).message
        }). Its output is in ${join(ctx.dataDir, UPGRADE_DIR, "server.log")}; start it by hand.`,
        { cause: err, details: { from: state.from, to: state.to } },
      );
    }
    restarted = true;
  }
  for (const leftover of [state.snapshot, join(ctx.dataDir, UPGRADE_DIR, "snapshot.partial")]) {
    if (leftover) await Deno.remove(leftover, { recursive: true }).catch(() => {});
  }
  await clearState(ctx.dataDir);
  return restarted;
}

/**
 * `fazt upgrade --rollback`: returns to the version before the last
 * upgrade, whether it finished or was interrupted.
 */
export async function rollback(ctx: UpgradeContext): Promise<UpgradeResult> {
  const state = await readState(ctx.dataDir);
  if (!state) {
    throw new FaztError("not_found", "There is no upgrade to roll back.");
  }
  if (state.pid !== Deno.pid && state.phase !== "done" && processAlive(state.pid)) {
    throw new FaztError(
      "conflict",
      `An upgrade (pid ${state.pid}) is still running; it rolls back by itself if it fails.`,
    );
  }
  if (state.phase === "done" && !(await exists(binaryPaths(state.binary).prev))) {
    throw new FaztError("not_found", `The binary of ${state.from} (${state.binary}.prev) is gone.`);
  }
  const running = ctx.server;
  const control = running
    ? running.unit
      ? systemdControl(running.unit)
      : processControl(running.pid, running.launch ?? emptyLaunch(), state.binary, ctx.dataDir)
    : null;
  ctx.log(`rolling back from ${state.to} to ${state.from}`);
  const restarted = await undo(ctx, state, control);
  return { from: state.to, to: state.from, restarted };
}

function emptyLaunch(): ServerLaunch {
  return { binary: null, args: [], cwd: "/", env: {}, unsetEnv: [] };
}
