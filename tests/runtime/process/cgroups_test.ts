import assert from "node:assert/strict";
import {
  cgroupFolder,
  cgroupNumber,
  detectCgroups,
  oomKillsIn,
  parseMountinfo,
  parseProcCgroup,
} from "../../../runtime/process/cgroups.ts";
import { openSysFiles, type SysFiles } from "../../../runtime/process/sys_files.ts";
import { isAlive } from "../../_helpers/process.ts";

const MB = 1024 * 1024;

/** This machine's kind of `/proc/self/cgroup`: v1 controllers plus an empty v2 hierarchy. */
const HYBRID = `9:name=systemd:/
4:memory:/process_api/0d9c57fd
2:cpuacct:/
1:cpu:/
0::/
`;

const MOUNTS = `
25 24 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
30 25 0:27 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
31 25 0:28 /docker/abc /sys/fs/cgroup/cpu\\040x rw - cgroup cgroup rw,cpu
`;

Deno.test("/proc/<pid>/cgroup lines give each hierarchy's controllers and path", () => {
  assert.deepEqual(parseProcCgroup(HYBRID), [
    { id: 9, controllers: ["name=systemd"], path: "/" },
    { id: 4, controllers: ["memory"], path: "/process_api/0d9c57fd" },
    { id: 2, controllers: ["cpuacct"], path: "/" },
    { id: 1, controllers: ["cpu"], path: "/" },
    { id: 0, controllers: [], path: "/" },
  ]);
});

Deno.test("mountinfo gives cgroup mounts, their roots and (v1) controllers", () => {
  const mounts = parseMountinfo(MOUNTS);
  assert.deepEqual(mounts.map((m) => [m.fsType, m.mountPoint, m.root]), [
    ["tmpfs", "/sys/fs/cgroup", "/"],
    ["cgroup2", "/sys/fs/cgroup/unified", "/"],
    ["cgroup", "/sys/fs/cgroup/memory", "/"],
    ["cgroup", "/sys/fs/cgroup/cpu x", "/docker/abc"],
  ]);
  assert.deepEqual(mounts[2].superOptions, ["rw", "memory"]);
  // A group path is relative to the hierarchy; a mount of a sub-folder (containers) strips it.
  assert.equal(
    cgroupFolder(mounts[2], "/process_api/0d9c57fd"),
    "/sys/fs/cgroup/memory/process_api/0d9c57fd",
  );
  assert.equal(cgroupFolder(mounts[3], "/docker/abc/app"), "/sys/fs/cgroup/cpu x/app");
  assert.equal(cgroupFolder(mounts[1], "/"), "/sys/fs/cgroup/unified");
});

Deno.test("OOM kill counts and one-value files are read from both versions' formats", () => {
  assert.equal(oomKillsIn("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
  assert.equal(oomKillsIn("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n"), 2);
  assert.equal(oomKillsIn(null), 0);
  assert.equal(cgroupNumber("134217728\n"), 134217728);
  assert.equal(cgroupNumber("max\n"), null);
  assert.equal(cgroupNumber(null), null);
});

async function withFiles(fn: (files: SysFiles) => Promise<void>): Promise<void> {
  const files = await openSysFiles();
  assert.ok(files, "no /proc reader on this machine");
  try {
    await fn(files);
  } finally {
    await files.close();
  }
}

/**
 * Cgroup v2 cannot be tried here (its hierarchy has no memory controller),
 * so this runs the v2 steps against a folder laid out like a delegated v2
 * group (systemd `Delegate=yes`): it checks which files fazt writes, in
 * which folders, not that a kernel enforces them.
 */
Deno.test("cgroup v2: fazt moves itself into a leaf, enables memory, and caps app groups", async () => {
  const fake = await Deno.makeTempDir({ prefix: "fazt-cgroup2-" });
  const own = `${fake}/system.slice/fazt.service`;
  await Deno.mkdir(own, { recursive: true });
  await Deno.writeTextFile(`${own}/cgroup.controllers`, "cpuset cpu io memory pids\n");
  await Deno.writeTextFile(`${own}/cgroup.subtree_control`, "");
  // A stale tree of a fazt that is gone is removed first.
  await Deno.mkdir(`${own}/fazt-999999999/kernel`, { recursive: true });
  try {
    await withFiles(async (files) => {
      const { tree, note } = await detectCgroups(files, {
        pid: 4242,
        companions: [4343],
        procCgroup: "0::/system.slice/fazt.service\n",
        mountinfo: `40 1 0:30 / ${fake} rw - cgroup2 cgroup2 rw\n`,
      });
      assert.ok(tree, note);
      assert.equal(tree.version, 2);
      assert.equal(tree.root, `${own}/fazt-4242`);
      assert.match(note, /^v2: app groups under/);
      assert.equal(
        await Deno.readTextFile(`${own}/fazt-4242/kernel/cgroup.procs`),
        "4343\n",
        "fazt and its reader were written to the leaf, one at a time",
      );
      assert.equal(await Deno.readTextFile(`${own}/cgroup.subtree_control`), "+memory\n");
      assert.equal(await Deno.readTextFile(`${own}/fazt-4242/cgroup.subtree_control`), "+memory\n");
      await assert.rejects(Deno.stat(`${own}/fazt-999999999`), Deno.errors.NotFound);

      const app = await tree.group("app_aaaaaaaaaaaaaaaa");
      assert.equal(app.path, `${own}/fazt-4242/app_aaaaaaaaaaaaaaaa`);
      await Deno.writeTextFile(`${app.path}/memory.swap.max`, "max\n");
      await app.setMemoryLimit(128 * MB);
      assert.equal(await Deno.readTextFile(`${app.path}/memory.max`), `${128 * MB}\n`);
      assert.equal(await Deno.readTextFile(`${app.path}/memory.swap.max`), "0\n");
      await app.add(777);
      assert.equal(await Deno.readTextFile(`${app.path}/cgroup.procs`), "777\n");
      assert.equal(app.peakFile, `${app.path}/memory.peak`);
      assert.equal(app.oomFile, `${app.path}/memory.events`);
      await assert.rejects(tree.group("../escape"), RangeError);
    });
  } finally {
    await Deno.remove(fake, { recursive: true });
  }
});

Deno.test("cgroup v2 without a delegated memory controller is not used, and the note says why", async () => {
  const fake = await Deno.makeTempDir({ prefix: "fazt-cgroup2-" });
  await Deno.writeTextFile(`${fake}/cgroup.controllers`, "cpu pids\n");
  try {
    await withFiles(async (files) => {
      const { tree, note } = await detectCgroups(files, {
        pid: 4242,
        procCgroup: "0::/\n",
        mountinfo: `40 1 0:30 / ${fake} rw - cgroup2 cgroup2 rw\n`,
      });
      assert.equal(tree, null);
      assert.match(note, /v2: .* is not given the memory controller; v1: no memory hierarchy/);
      assert.deepEqual([...Deno.readDirSync(fake)].map((e) => e.name), ["cgroup.controllers"]);
    });
  } finally {
    await Deno.remove(fake, { recursive: true });
  }
});

/** True when this machine has a cgroup v1 memory hierarchy this test may write to. */
function v1Writable(): boolean {
  try {
    const line = Deno.readTextFileSync("/proc/self/cgroup").split("\n")
      .find((l) => /:memory:/.test(l));
    if (!line) return false;
    const dir = `/sys/fs/cgroup/memory${line.slice(line.lastIndexOf(":") + 1)}`;
    Deno.statSync(`${dir}/memory.limit_in_bytes`);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "cgroup v1 for real: a group caps a process, the OOM killer stops it, the peak stays under",
  ignore: !v1Writable(),
  async fn() {
    await withFiles(async (files) => {
      const { tree, note } = await detectCgroups(files, { skipV2: true });
      assert.ok(tree, note);
      assert.equal(tree.version, 1);
      assert.match(note, /^v1: app groups under .*\/fazt-\d+$/);
      const group = await tree.group("app_test");
      await group.setMemoryLimit(64 * MB);
      assert.equal((await files.read([`${group.path}/memory.limit_in_bytes`]))[0], `${64 * MB}\n`);
      // Waits to be moved into the group, then touches 256 MB.
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          "await new Promise((r) => setTimeout(r, 500)); const a = []; for (let i = 0; i < 16; i++) a.push(new Uint8Array(16 << 20).fill(1)); console.log('survived');",
        ],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      await group.add(child.pid);
      const { code, signal, stdout } = await child.output();
      assert.equal(new TextDecoder().decode(stdout), "", "the process outgrew its group");
      assert.deepEqual([code, signal], [137, "SIGKILL"]);
      const [events, peak] = await files.read([group.oomFile, group.peakFile]);
      assert.equal(oomKillsIn(events), 1);
      assert.ok(cgroupNumber(peak)! <= 64 * MB, `peak ${peak}`);
      assert.ok(!isAlive(child.pid));
      await tree.close();
      assert.equal((await files.read([`${tree.root}/memory.limit_in_bytes`]))[0], null);
    });
  },
});
