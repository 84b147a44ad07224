/**
 * Specification of the remotes file: where it lives, that it round-trips,
 * that it is private (file 0600, folder 0700) and written atomically, and
 * what add/use/rm do to the current remote.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FaztError } from "../../../kernel/core/errors.ts";
import {
  addRemote,
  currentRemote,
  defaultRemoteName,
  emptyRemotes,
  loadRemotes,
  normalizeUrl,
  type Remote,
  remoteForUrl,
  remotesPath,
  removeRemote,
  saveRemotes,
  useRemote,
} from "../../../kernel/cli/remotes.ts";

const POSIX = Deno.build.os !== "windows";

function remote(url: string, token = "fzt_secret"): Remote {
  return { url, token, addedAt: "2025-01-02T03:04:05.000Z" };
}

async function withConfigHome(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-remotes-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("remotes: the file lives under XDG_CONFIG_HOME, else HOME/.config, else nowhere", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    remotesPath(env({ XDG_CONFIG_HOME: "/x", HOME: "/h" })),
    join("/x", "fazt", "remotes.json"),
  );
  assert.equal(remotesPath(env({ HOME: "/h" })), join("/h", ".config", "fazt", "remotes.json"));
  assert.equal(
    remotesPath(env({ XDG_CONFIG_HOME: "", HOME: "/h" })),
    join("/h", ".config", "fazt", "remotes.json"),
  );
  assert.equal(remotesPath(env({})), undefined);
});

Deno.test("remotes: a missing file is an empty configuration", async () => {
  await withConfigHome(async (dir) => {
    const path = remotesPath((n) => n === "XDG_CONFIG_HOME" ? dir : undefined)!;
    assert.deepEqual(await loadRemotes(path), { current: null, remotes: {} });
  });
});

Deno.test("remotes: save then load round-trips, with file 0600 and folder 0700", async () => {
  await withConfigHome(async (dir) => {
    const path = remotesPath((n) => n === "XDG_CONFIG_HOME" ? dir : undefined)!;
    const config = addRemote(emptyRemotes(), "example.com", remote("https://example.com"));
    await saveRemotes(path, config);
    assert.deepEqual(await loadRemotes(path), config);
    if (POSIX) {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(join(dir, "fazt"))).mode! & 0o777, 0o700);
    }
    // Saving again replaces the file (still private) and leaves no temp files.
    await saveRemotes(path, useRemote(addRemote(config, "b", remote("http://b:1")), "example.com"));
    assert.equal((await loadRemotes(path)).current, "example.com");
    if (POSIX) assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [];
    for await (const e of Deno.readDir(join(dir, "fazt"))) names.push(e.name);
    assert.deepEqual(names, ["remotes.json"]);
  });
});

Deno.test("remotes: a file that was readable by others is made private on save", {
  ignore: !POSIX,
}, async () => {
  await withConfigHome(async (dir) => {
    const path = join(dir, "fazt", "remotes.json");
    await Deno.mkdir(join(dir, "fazt"), { mode: 0o755 });
    await Deno.chmod(join(dir, "fazt"), 0o755);
    await Deno.writeTextFile(path, JSON.stringify(emptyRemotes()), { mode: 0o644 });
    await saveRemotes(path, addRemote(emptyRemotes(), "a", remote("http://a")));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dir, "fazt"))).mode! & 0o777, 0o700);
  });
});

Deno.test("remotes: a broken file is an error that says how to recover", async () => {
  await withConfigHome(async (dir) => {
    const path = join(dir, "remotes.json");
    for (const text of ["{not json", JSON.stringify({ current: 3, remotes: [] })]) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(loadRemotes(path), (err: FaztError) => {
        assert.equal(err.code, "invalid_input");
        assert.match(err.message, /fazt login/);
        return true;
      });
    }
  });
});

Deno.test("remotes: a current name that points nowhere loads as no current remote", async () => {
  await withConfigHome(async (dir) => {
    const path = join(dir, "remotes.json");
    await Deno.writeTextFile(path, JSON.stringify({ current: "gone", remotes: {} }));
    assert.equal((await loadRemotes(path)).current, null);
  });
});

Deno.test("remotes: add makes the new remote current and replaces one of the same name", () => {
  let config = addRemote(emptyRemotes(), "a", remote("http://a", "t1"));
  config = addRemote(config, "b", remote("http://b"));
  assert.equal(config.current, "b");
  assert.deepEqual(Object.keys(config.remotes), ["a", "b"]);
  config = addRemote(config, "a", remote("http://a", "t2"));
  assert.equal(config.current, "a");
  assert.equal(config.remotes.a.token, "t2");
  assert.deepEqual(currentRemote(config), { name: "a", ...remote("http://a", "t2") });
  assert.throws(() => addRemote(config, "has space", remote("http://x")), /without spaces/);
});

Deno.test("remotes: use switches the current remote; an unknown name says what to run", () => {
  const before = addRemote(
    addRemote(emptyRemotes(), "a", remote("http://a")),
    "b",
    remote("http://b"),
  );
  const after = useRemote(before, "a");
  assert.equal(after.current, "a");
  assert.equal(before.current, "b", "the input is not changed");
  assert.throws(() => useRemote(before, "nope"), (err: FaztError) => {
    assert.equal(err.code, "not_found");
    assert.match(err.message, /No remote named "nope"\. Run `fazt remote list`/);
    return true;
  });
  assert.throws(() => useRemote(before, "toString"), /No remote named/);
});

Deno.test("remotes: rm deletes, and clears current only when it was the current one", () => {
  const config = addRemote(
    addRemote(emptyRemotes(), "a", remote("http://a")),
    "b",
    remote("http://b"),
  );
  const withoutA = removeRemote(config, "a");
  assert.deepEqual(Object.keys(withoutA.remotes), ["b"]);
  assert.equal(withoutA.current, "b");
  const withoutB = removeRemote(config, "b");
  assert.deepEqual(Object.keys(withoutB.remotes), ["a"]);
  assert.equal(withoutB.current, null);
  assert.equal(currentRemote(withoutB), undefined);
  assert.throws(() => removeRemote(withoutB, "b"), /No remote named "b"/);
});

Deno.test("remotes: URLs are compared by origin and default names are the host", () => {
  assert.equal(normalizeUrl("http://127.0.0.1:4698/_fazt/"), "http://127.0.0.1:4698");
  assert.equal(normalizeUrl("example.com"), "https://example.com");
  assert.equal(normalizeUrl("HTTPS://Example.com:443"), "https://example.com");
  assert.throws(() => normalizeUrl("ftp://example.com"), /http\(s\)/);
  assert.throws(() => normalizeUrl("http://"), /not a server URL/);
  assert.equal(defaultRemoteName("https://example.com"), "example.com");
  assert.equal(defaultRemoteName("http://127.0.0.1:4698"), "127.0.0.1:4698");
  const config = addRemote(
    addRemote(emptyRemotes(), "x", remote("http://127.0.0.1:4698", "tx")),
    "y",
    remote("https://example.com", "ty"),
  );
  assert.equal(remoteForUrl(config, "http://127.0.0.1:4698/")?.token, "tx");
  assert.equal(remoteForUrl(config, "example.com")?.name, "y");
  assert.equal(remoteForUrl(config, "http://example.com"), undefined);
});
