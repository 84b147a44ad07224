import assert from "node:assert/strict";
import { join } from "node:path";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  createDiskGuard,
  type DiskProbeResult,
  folderBytes,
} from "../../../../kernel/services/cockpit/disk_guard.ts";

const GB = 1024 ** 3; // one GiB

/** A probe whose answer the test sets, counting calls. */
function fakeProbe(initial: DiskProbeResult) {
  const state = { result: initial, calls: 0 };
  return {
    state,
    probe: (_dir: string) => {
      state.calls++;
      return Promise.resolve(structuredClone(state.result));
    },
  };
}

function volume(ratio: number, total = 100 * GB) {
  const used = Math.round(total * ratio);
  return { total, used, available: total - used, ratio };
}

function refusal(fn: () => void): FaztError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FaztError, `expected a FaztError, got ${err}`);
    return err;
  }
  assert.fail("the write was not refused");
}

Deno.test("a fresh guard allows writes until the first measurement", () => {
  const guard = createDiskGuard({
    dataDir: "/nowhere",
    probe: fakeProbe({ volume: null, dataBytes: 0 }).probe,
  });
  guard.assertWritable("Deploy");
  const s = guard.status();
  assert.equal(s.tripped, false);
  assert.equal(s.checkedAt, 0);
  assert.equal(s.maxUsedRatio, 0.8);
  assert.equal(s.quotaBytes, null);
});

Deno.test("the guard trips at the volume ratio with a 507 and actionable details", async () => {
  const fake = fakeProbe({ volume: volume(0.79), dataBytes: 5 });
  const guard = createDiskGuard({ dataDir: "/d", probe: fake.probe, now: () => 1000 });
  await guard.refresh();
  guard.assertWritable("Deploy");
  assert.equal(guard.status().tripped, false);

  fake.state.result = { volume: volume(0.8), dataBytes: 5 };
  await guard.refresh();
  assert.equal(guard.status().tripped, true, "exactly at the limit refuses writes");

  fake.state.result = { volume: volume(0.83), dataBytes: 5 };
  await guard.refresh();
  const s = guard.status();
  assert.equal(s.tripped, true);
  assert.equal(s.reason, "the data volume is 83% full (limit 80%)");
  assert.equal(s.checkedAt, 1000);
  const err = refusal(() => guard.assertWritable("Deploy"));
  assert.equal(err.code, "insufficient_storage");
  assert.equal(err.status, 507);
  assert.equal(
    err.message,
    "Deploy refused: the data volume is 83% full (limit 80%). Free space or raise --disk-limit; reads keep working.",
  );
  assert.equal(err.details.limit, "volume");
  assert.deepEqual(err.details.volume, { total: 100 * GB, used: 83 * GB, ratio: 0.83 });
  assert.equal(err.details.maxUsedRatio, 0.8);
  assert.equal(err.details.dataBytes, 5);
});

Deno.test("the guard trips at the quota and names --disk-quota, in binary units", async () => {
  const fake = fakeProbe({ volume: volume(0.1), dataBytes: 0.9 * GB });
  // `--disk-quota 1024` (MiB): 1 GiB.
  const guard = createDiskGuard({ dataDir: "/d", quotaBytes: 1 * GB, probe: fake.probe });
  await guard.refresh();
  guard.assertWritable("Saving app data");

  fake.state.result = { volume: volume(0.1), dataBytes: 1.2 * GB };
  await guard.refresh();
  const err = refusal(() => guard.assertWritable("Saving app data"));
  assert.equal(err.status, 507);
  assert.match(
    err.message,
    /^Saving app data refused: the data folder uses 1\.2 GiB of its 1 GiB quota \(--disk-quota\)\. .*raise --disk-quota; reads keep working\.$/,
  );
  assert.equal(err.details.limit, "quota");
  assert.equal(err.details.quotaBytes, 1 * GB);
  assert.equal(err.details.dataBytes, 1.2 * GB);
});

Deno.test("the quota still applies when the volume cannot be measured", async () => {
  const fake = fakeProbe({ volume: null, volumeError: "no statfs", dataBytes: 2 * GB });
  const guard = createDiskGuard({ dataDir: "/d", quotaBytes: 1 * GB, probe: fake.probe });
  await guard.refresh();
  const s = guard.status();
  assert.equal(s.volume, null);
  assert.equal(s.volumeError, "no statfs");
  assert.equal(s.tripped, true);
});

Deno.test("the guard recovers when usage drops, and re-measures after a refusal", async () => {
  let clock = 10_000;
  const fake = fakeProbe({ volume: volume(0.95), dataBytes: 1 });
  const guard = createDiskGuard({ dataDir: "/d", probe: fake.probe, now: () => clock });
  await guard.refresh();
  assert.equal(fake.state.calls, 1);
  refusal(() => guard.assertWritable("Deploy"));
  assert.equal(fake.state.calls, 1, "a fresh verdict is not re-measured");

  fake.state.result = { volume: volume(0.5), dataBytes: 1 };
  clock += 1500;
  refusal(() => guard.assertWritable("Deploy")); // still the old verdict, but triggers a recheck
  assert.equal(fake.state.calls, 2);
  await guard.refresh(); // joins or follows the background check
  guard.assertWritable("Deploy");
  const s = guard.status();
  assert.equal(s.tripped, false);
  assert.equal(s.reason, null);
});

Deno.test("a failing probe keeps the last verdict", async () => {
  let fail = false;
  const guard = createDiskGuard({
    dataDir: "/d",
    probe: () =>
      fail
        ? Promise.reject(new Error("boom"))
        : Promise.resolve({ volume: volume(0.9), dataBytes: 0 }),
  });
  await guard.refresh();
  fail = true;
  await assert.rejects(guard.refresh(), /boom/);
  assert.equal(guard.status().tripped, true);
});

Deno.test("start() measures periodically and stop() clears the timer", async () => {
  const fake = fakeProbe({ volume: volume(0.1), dataBytes: 0 });
  const guard = createDiskGuard({ dataDir: "/d", probe: fake.probe, refreshMs: 5 });
  guard.start();
  guard.start(); // idempotent
  await new Promise((r) => setTimeout(r, 60));
  await guard.stop();
  const calls = fake.state.calls;
  assert.ok(calls >= 3, `expected several refreshes, got ${calls}`);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fake.state.calls, calls, "refreshes continued after stop()");
});

Deno.test("bad limits are refused with a clear message", () => {
  assert.throws(() => createDiskGuard({ dataDir: "/d", maxUsedRatio: 80 }), /between 0 and 1/);
  assert.throws(
    () => createDiskGuard({ dataDir: "/d", quotaBytes: 0 }),
    /positive number of bytes/,
  );
});

Deno.test("the default probe measures a real folder: volume from statfs, bytes of its files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-disk-" });
  try {
    await Deno.mkdir(join(dir, "a", "b"), { recursive: true });
    await Deno.writeFile(join(dir, "one.bin"), new Uint8Array(1000));
    await Deno.writeFile(join(dir, "a", "two.bin"), new Uint8Array(20_000));
    await Deno.writeFile(join(dir, "a", "b", "three.bin"), new Uint8Array(300_000));
    await Deno.writeFile(join(dir, "a", "b", "empty"), new Uint8Array(0));
    await Deno.link(join(dir, "one.bin"), join(dir, "a", "hardlink.bin"));
    await Deno.symlink(join(dir, "a"), join(dir, "loop")); // not followed
    const outside = await Deno.makeTempFile();
    await Deno.writeFile(outside, new Uint8Array(50_000));
    await Deno.symlink(outside, join(dir, "outside.bin")); // not counted
    const written = 1000 + 20_000 + 300_000;

    const guard = createDiskGuard({ dataDir: dir });
    await guard.refresh();
    const s = guard.status();
    assert.equal(s.dataBytes, written);
    assert.ok(s.volume, `statfs failed: ${s.volumeError}`);
    assert.ok(s.volume.total > 0);
    assert.ok(s.volume.used > 0 && s.volume.used <= s.volume.total);
    assert.ok(s.volume.ratio > 0 && s.volume.ratio <= 1);
    assert.ok(s.checkedAt > 0);
    assert.equal(await folderBytes(join(dir, "missing")), 0);
    await Deno.remove(outside);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("folderBytes() walks a few thousand files quickly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-disk-many-" });
  try {
    const data = new Uint8Array(10);
    for (let d = 0; d < 20; d++) {
      const sub = join(dir, `d${d}`);
      Deno.mkdirSync(sub);
      for (let i = 0; i < 100; i++) Deno.writeFileSync(join(sub, `f${i}`), data);
    }
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const started = performance.now();
    const bytes = await folderBytes(dir);
    const ms = performance.now() - started;
    clearInterval(ticker);
    assert.equal(bytes, 2000 * 10);
    assert.ok(ms < 3000, `walking 2000 files took ${ms.toFixed(0)} ms`);
    assert.ok(ticks > 0 || ms < 10, `the ${ms.toFixed(0)} ms walk never yielded to the event loop`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without --allow-sys=statfs the default probe says so and still measures the folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fazt-disk-nosys-" });
  try {
    await Deno.writeFile(join(dir, "f"), new Uint8Array(123));
    const module =
      new URL("../../../../kernel/services/cockpit/disk_guard.ts", import.meta.url).href;
    const code = `import { defaultDiskProbe } from ${JSON.stringify(module)};
      console.log(JSON.stringify(await defaultDiskProbe(${JSON.stringify(dir)})));`;
    const script = join(dir, "probe.ts");
    await Deno.writeTextFile(script, code);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", `--allow-read`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(result.volume, null);
    assert.match(result.volumeError, /--allow-sys=statfs/);
    assert.equal(result.dataBytes, 123 + new TextEncoder().encode(code).length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
