import assert from "node:assert/strict";
import {
  processAlive,
  stopProcess,
  unitFromCgroup,
} from "../../../../kernel/services/upgrade/server_control.ts";

Deno.test("the systemd unit comes from a system service's cgroup line only", () => {
  assert.equal(unitFromCgroup("0::/system.slice/fazt.service\n"), "fazt.service");
  assert.equal(unitFromCgroup("0::/system.slice/fazt@blog.service\n"), "fazt@blog.service");
  assert.equal(unitFromCgroup("0::/user.slice/user-1000.slice/session-2.scope\n"), null);
  assert.equal(
    unitFromCgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service\n"),
    null,
  );
  assert.equal(unitFromCgroup("0::/\n"), null);
});

Deno.test("stopProcess sends SIGTERM and returns once the process is gone", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" }).spawn();
  assert.equal(processAlive(child.pid), true);
  const status = child.status;
  await stopProcess(child.pid);
  assert.equal((await status).signal, "SIGTERM");
  assert.equal(processAlive(child.pid), false);
});

Deno.test("stopProcess SIGKILLs a process that ignores SIGTERM after the grace period", async () => {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  const status = child.status;
  await stopProcess(child.pid, 300);
  assert.equal((await status).signal, "SIGKILL");
  await child.stdout.cancel();
});
