/**
 * `fazt upgrade` end to end with real processes: releases (stand-in
 * binaries running the real fazt, see tests/_helpers/releases.ts) served by
 * a loopback HTTP server with manifests signed by a test key; the
 * installed binary is swapped, the server restarted, health waited for,
 * and failures rolled back (binary and data).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ReleaseShop } from "../_helpers/releases.ts";
import { eventually, isAlive } from "../_helpers/process.ts";
import { generateReleaseKeyPair } from "../../kernel/services/upgrade/release_manifest.ts";

interface Box {
  root: string;
  bin: string;
  data: string;
  shop: ReleaseShop;
  /** Runs the installed `fazt` with `args`. */
  fazt(...args: string[]): Promise<{ code: number; out: string }>;
  /** What the data folder's server answers on health (undefined: nothing answers). */
  health(): Promise<string | undefined>;
  /** Calls the running server's API with the owner token. */
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  /** The installed binary's text. */
  binary(): Promise<string>;
  close(): Promise<void>;
}

async function serverRecord(data: string): Promise<{ url: string; pid: number } | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(data, "server.json")));
  } catch {
    return undefined;
  }
}

/** A box with fazt `version` installed and its server running on a fresh data folder. */
async function box(version: string): Promise<Box> {
  const root = await Deno.makeTempDir({ prefix: "fazt-upgrade-" });
  const bin = join(root, "bin", "fazt");
  const data = join(root, "data");
  await Deno.mkdir(join(root, "bin"));
  const shop = new ReleaseShop(root, bin);
  await shop.start();
  const first = await shop.build(version);
  await Deno.copyFile(first.file, bin);
  await Deno.chmod(bin, 0o755);
  const b: Box = {
    root,
    bin,
    data,
    shop,
    async fazt(...args) {
      const out = await new Deno.Command(bin, {
        args: [...args, "--data", data],
        cwd: root,
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      return { code: out.code, out: text };
    },
    async health() {
      const record = await serverRecord(data);
      if (!record) return undefined;
      try {
        const res = await fetch(new URL("/_fazt/health", record.url), {
          signal: AbortSignal.timeout(2000),
        });
        return res.ok ? (await res.json()).version : undefined;
      } catch {
        return undefined;
      }
    },
    async api(method, path, body) {
      const record = (await serverRecord(data))!;
      const token = (await Deno.readTextFile(join(data, "owner.token"))).trim();
      const res = await fetch(new URL(`/_fazt/api${path}`, record.url), {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return await res.json();
    },
    binary: () => Deno.readTextFile(bin),
    async close() {
      // A hung test release a failed test left running.
      const state = await Deno.readTextFile(join(data, "upgrade", "state.json")).then(
        (t) => JSON.parse(t) as { startedPid?: number },
        () => ({ startedPid: undefined }),
      );
      if (state.startedPid && isAlive(state.startedPid)) Deno.kill(state.startedPid, "SIGKILL");
      const record = await serverRecord(data);
      if (record && isAlive(record.pid)) {
        Deno.kill(record.pid, "SIGTERM");
        await eventually(15_000, "the server stops", () => !isAlive(record.pid));
      }
      await shop.close();
      await Deno.remove(root, { recursive: true });
    },
  };
  // The first server: started like a user would, in its own session.
  new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'exec "$0" serve --port 0 --data "$1" >"$2" 2>&1',
      bin,
      data,
      join(root, "serve.log"),
    ],
    cwd: root,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn().unref();
  await eventually(30_000, `fazt ${version} answers`, async () => await b.health() === version);
  return b;
}

function statePath(b: Box): string {
  return join(b.data, "upgrade", "state.json");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

async function schemaVersion(b: Box): Promise<number> {
  return (await b.api("GET", "/system/info") as { schemaVersion: number }).schemaVersion;
}

async function keepToken(b: Box): Promise<string> {
  const created = await b.api("POST", "/tokens", { name: "kept", scopes: ["apps:read"] }) as {
    id: string;
  };
  return created.id;
}

async function tokenIds(b: Box): Promise<string[]> {
  const list = await b.api("GET", "/tokens") as { id: string }[];
  return list.map((t) => t.id);
}

Deno.test("upgrade: a good release replaces the binary, restarts, keeps data; --rollback returns", async () => {
  const b = await box("0.1.0-t1");
  try {
    const token = await keepToken(b);
    const oldBinary = await b.binary();
    const oldSchema = await schemaVersion(b);
    const next = await b.shop.build("0.1.0-t2", "migrates");
    await b.shop.publish(next);
    const command = new Deno.Command(b.bin, {
      args: ["upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url, "--data", b.data],
      // The server ran without FAZT_CACHE: restarted, it does not get this shell's.
      env: { FAZT_CACHE: "not-a-number" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Ctrl-C and a closed terminal do not stop it half-way.
    await eventually(30_000, "the upgrade began", () => exists(statePath(b)));
    command.kill("SIGINT");
    command.kill("SIGHUP");
    const output = await command.output();
    const up = {
      code: output.code,
      out: new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr),
    };
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, /still working; it finishes or rolls back by itself/);
    assert.match(up.out, /upgraded from 0\.1\.0-t1 to 0\.1\.0-t2; the server answers/);
    assert.equal(await b.health(), "0.1.0-t2");
    assert.equal(await b.binary(), await Deno.readTextFile(next.file));
    assert.equal(await Deno.readTextFile(`${b.bin}.prev`), oldBinary);
    assert.ok((await tokenIds(b)).includes(token), "the data came through");
    assert.equal(await schemaVersion(b), oldSchema + 1, "the new binary ran its migration");

    const back = await b.fazt("upgrade", "--rollback");
    assert.equal(back.code, 0, back.out);
    assert.match(back.out, /rolled back from 0\.1\.0-t2 to 0\.1\.0-t1/);
    assert.equal(await b.health(), "0.1.0-t1");
    assert.equal(await b.binary(), oldBinary);
    // 0.1.0-t2 added a migration: the old binary serves the data from before the upgrade.
    assert.equal(await schemaVersion(b), oldSchema);
    assert.ok((await tokenIds(b)).includes(token));
    assert.match(back.out, /data of 0\.1\.0-t2 is kept in/);

    const again = await b.fazt("upgrade", "--rollback");
    assert.equal(again.code, 1);
    assert.match(again.out, /no upgrade to roll back/);
  } finally {
    await b.close();
  }
});

Deno.test("upgrade: a bad checksum or a bad signature is refused before anything changes", async () => {
  const b = await box("0.1.0-t1");
  try {
    const before = await b.binary();
    const record = await serverRecord(b.data);
    const forged = await b.shop.build("0.1.0-t2");
    await b.shop.publish(forged, { wrongSha256: true });
    const sum = await b.fazt("upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url);
    assert.equal(sum.code, 1, sum.out);
    assert.match(sum.out, /SHA-256 .* differs from its signed manifest/);

    const stranger = await generateReleaseKeyPair();
    const other = await b.shop.build("0.1.0-t3");
    await b.shop.publish(other, { signWith: stranger.privateKey });
    const sig = await b.fazt("upgrade", "--to", "0.1.0-t3", "--releases", b.shop.url);
    assert.equal(sig.code, 1, sig.out);
    assert.match(sig.out, /signature of release 0\.1\.0-t3 does not match/);
    // The binary of a wrongly signed release is never even downloaded.
    assert.equal(b.shop.hits.get("/0.1.0-t3/fazt"), undefined);

    if (Deno.uid() === 0) {
      // A server run by another user is not restarted as this one (root here).
      const serverJson = join(b.data, "server.json");
      await Deno.chown(serverJson, 4321, 4321);
      const other = await b.fazt("upgrade", "--to", "0.1.0-t3", "--releases", b.shop.url);
      await Deno.chown(serverJson, 0, 0);
      assert.equal(other.code, 1, other.out);
      assert.match(other.out, /runs as user id 4321, this command as 0/);
    }

    assert.equal(await b.binary(), before);
    assert.equal(await b.health(), "0.1.0-t1");
    assert.deepEqual(await serverRecord(b.data), record, "the same server process serves");
    for (
      const leftover of [`${b.bin}.new`, `${b.bin}.prev`, join(b.data, "upgrade", "state.json")]
    ) {
      await assert.rejects(Deno.lstat(leftover), Deno.errors.NotFound);
    }
  } finally {
    await b.close();
  }
});

Deno.test("upgrade: a release whose server fails health is rolled back (binary and data)", async () => {
  const b = await box("0.1.0-t1");
  try {
    const token = await keepToken(b);
    const before = await b.binary();
    for (
      const [version, kind, reason] of [
        ["0.1.0-t2", "exits", /exited right after it started/],
        ["0.1.0-t3", "lies", /reports version 0\.1\.0-t3-other, not 0\.1\.0-t3/],
      ] as const
    ) {
      await b.shop.publish(await b.shop.build(version, kind));
      const up = await b.fazt("upgrade", "--to", version, "--releases", b.shop.url);
      assert.equal(up.code, 1, up.out);
      assert.match(up.out, reason);
      assert.match(up.out, /rolled back to 0\.1\.0-t1 \(binary and data\)/);
      assert.equal(await b.health(), "0.1.0-t1");
      assert.equal(await b.binary(), before);
      // "lies" migrated the store to a schema the old binary refuses: it serves only because
      // the snapshot came back.
      assert.ok((await tokenIds(b)).includes(token));
      await assert.rejects(Deno.lstat(join(b.data, "upgrade", "state.json")), Deno.errors.NotFound);
    }
  } finally {
    await b.close();
  }
});

Deno.test("upgrade: kill -9 during the download leaves the old server serving, untouched", async () => {
  const b = await box("0.1.0-t1");
  try {
    const before = await b.binary();
    const record = await serverRecord(b.data);
    await b.shop.publish(await b.shop.build("0.1.0-t2"));
    b.shop.stall = "/0.1.0-t2/fazt";
    const child = new Deno.Command(b.bin, {
      args: ["upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url, "--data", b.data],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await eventually(15_000, "the download began", () => b.shop.hits.has("/0.1.0-t2/fazt"));
    child.kill("SIGKILL");
    await child.status;
    assert.equal(await b.health(), "0.1.0-t1");
    assert.deepEqual(await serverRecord(b.data), record);
    assert.equal(await b.binary(), before);
    // The next upgrade starts over (the partial download is simply replaced), here from a
    // manifest file: its binary's relative URL is a file next to it.
    b.shop.stall = null;
    const up = await b.fazt("upgrade", "--from", join(b.root, "www", "0.1.0-t2", "manifest.json"));
    assert.equal(up.code, 0, up.out);
    assert.equal(await b.health(), "0.1.0-t2");
  } finally {
    await b.close();
  }
});

Deno.test("upgrade: kill -9 while the new server starts; --rollback stops it and serves the old state", async () => {
  const b = await box("0.1.0-t1");
  try {
    const token = await keepToken(b);
    const before = await b.binary();
    await b.shop.publish(await b.shop.build("0.1.0-t2", "hangs"));
    const child = new Deno.Command(b.bin, {
      args: ["upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url, "--data", b.data],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let started = 0;
    await eventually(30_000, "the new server was started", async () => {
      try {
        started = JSON.parse(await Deno.readTextFile(statePath(b))).startedPid ?? 0;
      } catch {
        started = 0;
      }
      return started > 0;
    });
    child.kill("SIGKILL");
    await child.status;
    assert.equal(await b.health(), undefined, "nothing serves: the old server was stopped");
    assert.ok(isAlive(started), "the new server still runs");

    // A new upgrade refuses until the interrupted one is rolled back.
    const refused = await b.fazt("upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /was interrupted \(at "starting"\)\. Run `fazt upgrade --rollback`/);

    const back = await b.fazt("upgrade", "--rollback");
    assert.equal(back.code, 0, back.out);
    assert.equal(await b.health(), "0.1.0-t1");
    assert.equal(await b.binary(), before);
    assert.equal(isAlive(started), false, "the hung new server was stopped");
    assert.ok((await tokenIds(b)).includes(token));
  } finally {
    await b.close();
  }
});

Deno.test("upgrade: fazt run from source refuses, there is no binary to replace", async () => {
  const { cli } = await import("../_helpers/server.ts");
  const result = await cli(["upgrade", "--to", "9.9.9"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /runs from source .* no fazt executable to replace/);
});

Deno.test("upgrade: a data folder written by a newer fazt is refused clearly (what rollbacks restore data for)", async () => {
  const { cli } = await import("../_helpers/server.ts");
  const { DatabaseSync } = await import("node:sqlite");
  const data = await Deno.makeTempDir({ prefix: "fazt-newer-" });
  try {
    const db = new DatabaseSync(join(data, "kernel.db"));
    db.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)",
    );
    db.exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)");
    db.close();
    const result = await cli(["serve", "--port", "0", "--data", data]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /schema version 999, newer than this fazt knows/);
    assert.doesNotMatch(result.stderr, /Something went wrong/);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("upgrade: kill -9 before the binary swap leaves the old binary and data; a plain start serves them", async () => {
  const b = await box("0.1.0-t1");
  try {
    const token = await keepToken(b);
    const before = await b.binary();
    // A large file makes the snapshot copy long enough to kill the command inside it.
    await Deno.writeFile(join(b.data, "ballast.bin"), new Uint8Array(192 * 1024 * 1024));
    await b.shop.publish(await b.shop.build("0.1.0-t2", "migrates"));
    const child = new Deno.Command(b.bin, {
      args: ["upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url, "--data", b.data],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 30_000;
    let phase: string | undefined;
    while (phase !== "snapshotting" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
      phase = await Deno.readTextFile(statePath(b)).then(
        (t) => JSON.parse(t).phase,
        () => undefined,
      );
    }
    assert.equal(phase, "snapshotting");
    child.kill("SIGKILL");
    await child.status;
    assert.equal(await b.health(), undefined, "the old server was stopped");
    assert.equal(await b.binary(), before);

    // A plain start of the installed binary serves the old version and data.
    new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'exec "$0" serve --port 0 --data "$1" >>"$2" 2>&1',
        b.bin,
        b.data,
        join(b.root, "serve.log"),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn().unref();
    await eventually(30_000, "the old version serves", async () => await b.health() === "0.1.0-t1");
    assert.ok((await tokenIds(b)).includes(token));

    // The interrupted upgrade is still on record: --rollback clears it and leaves the server be.
    const record = await serverRecord(b.data);
    const back = await b.fazt("upgrade", "--rollback");
    assert.equal(back.code, 0, back.out);
    assert.deepEqual(await serverRecord(b.data), record, "the same server keeps serving");
    assert.equal(await exists(statePath(b)), false);
    assert.equal(await exists(join(b.data, "upgrade", "snapshot.partial")), false);
    const up = await b.fazt("upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url);
    assert.equal(up.code, 0, up.out);
    assert.equal(await b.health(), "0.1.0-t2");
  } finally {
    await b.close();
  }
});

Deno.test({
  name:
    "upgrade: a failure before the swap (the snapshot cannot be written) starts the old server again",
  // chattr +i makes a folder no one, root included, can write into.
  ignore: Deno.uid() !== 0 || !(await Deno.lstat("/usr/bin/chattr").then(() => true, () => false)),
  fn: async () => {
    const b = await box("0.1.0-t1");
    const blocked = join(b.data, "upgrade", "snapshot.partial");
    try {
      const before = await b.binary();
      await b.shop.publish(await b.shop.build("0.1.0-t2"));
      await Deno.mkdir(blocked, { recursive: true });
      assert.ok((await new Deno.Command("chattr", { args: ["+i", blocked] }).output()).success);
      const up = await b.fazt("upgrade", "--to", "0.1.0-t2", "--releases", b.shop.url);
      assert.equal(up.code, 1, up.out);
      assert.match(up.out, /failed while snapshotting .*: 0\.1\.0-t1 is back and serves again/);
      assert.equal(await b.health(), "0.1.0-t1");
      assert.equal(await b.binary(), before);
      assert.equal(await exists(`${b.bin}.new`), false);
      assert.equal(await exists(statePath(b)), false);
    } finally {
      await new Deno.Command("chattr", { args: ["-i", blocked] }).output();
      await b.close();
    }
  },
});
