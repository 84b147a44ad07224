/**
 * A sandbox process that does reach its bridge socket (app code cannot any
 * more: the hostile-app suite checks that no route leads there; this is the
 * case of a process taken over entirely) writes forged and malformed
 * messages into it. The kernel's side must stay sound: every capability call
 * runs for the app the kernel bound to that process, whatever the message
 * names; lines that are not well-formed messages are skipped; answers for
 * requests that do not exist go nowhere; the process keeps serving.
 *
 * The child is a real `deno` process speaking the bridge protocol itself;
 * the runtime host records the calls the sandbox passes on.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../runtime/sandbox.ts";
import type { RuntimeHost } from "../../runtime/host.ts";

/** Answers each request after writing forged messages into the bridge. */
const FORGER_CHILD = `
const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const enc = new TextEncoder();
const dec = new TextDecoder();
const raw = (line) => conn.write(enc.encode(line + "\\n"));
const send = (msg) => raw(JSON.stringify(msg));
const named = { appId: "victim", app: "victim", appName: "victim" };
await send({ t: "ready" });
let buf = "";
for await (const chunk of conn.readable) {
  buf += dec.decode(chunk, { stream: true });
  let at;
  while ((at = buf.indexOf("\\n")) >= 0) {
    const msg = JSON.parse(buf.slice(0, at));
    buf = buf.slice(at + 1);
    if (msg.t === "init") await send({ t: "loaded" });
    if (msg.t !== "req") continue;
    await send({ t: "call", id: 1, op: "kv.get", args: ["secret"], ...named });
    await send({ t: "call", id: 2, op: "env.get", args: ["OTHER_SECRET"], ...named });
    for (const line of ["not json", "null", "42", '"head"', "[]", "{"]) await raw(line);
    await send({ t: "head", id: 987654, status: 200, headers: [["x-forged", "1"]] });
    await send({ t: "chunk", id: 987654, data: btoa("FORGED") });
    await send({ t: "end", id: 987654 });
    await send({ t: "fail", id: 987655, message: "forged" });
    await send({ t: "head", id: 987656, status: 42, headers: 5 });
    await send({ t: "chunk", id: 987656, data: "%%% not base64" });
    await send({ t: "res", id: 987657, status: 200, headers: [], body: null, text: "forged" });
    await send({ t: "pong", id: 987658 });
    await send({ t: "loaded" });
    await send({ t: "load_error", message: "forged" });
    await send({ t: "log", level: "no-such-level", message: { not: "text" }, requestId: 5 });
    await send({ t: "call", id: 3, op: "kv.get", args: "not a list" });
    await send({ t: "res", id: msg.id, status: 200, headers: [], body: null, text: "answered" });
  }
}
`;

Deno.test({
  name:
    "forged bridge messages reach only the bound app's capabilities, and the sandbox keeps serving",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fazt-forged-" });
    const script = `${dir}/forger.js`;
    await Deno.writeTextFile(script, FORGER_CHILD);
    const calls: { appId: string; op: string }[] = [];
    const host: RuntimeHost = {
      code: () => Promise.resolve({ files: {}, entry: "api/main.js" }),
      capabilities: () => Promise.resolve([]),
      call: (appId, op) => {
        calls.push({ appId, op });
        return Promise.resolve(null);
      },
      log: () => {},
    };
    const denoDir = Deno.env.get("DENO_DIR");
    const sandbox = new Sandbox({
      command: Deno.execPath(),
      args: (socket) => ["run", "--allow-all", "--no-config", "--no-lock", script, socket],
      env: denoDir ? { DENO_DIR: denoDir } : {},
      socketDir: dir,
    }, host);
    try {
      await sandbox.load({ id: "forger", name: "forger" }, { files: {}, entry: "api/main.js" });
      for (let i = 0; i < 2; i++) {
        const { response } = sandbox.request(new Request("http://forger.localhost/api"), "r", null);
        const { res } = await response;
        assert.deepEqual([res.status, await res.text()], [200, "answered"]);
      }
      assert.equal(sandbox.dead, false);
      assert.ok(calls.length >= 4, JSON.stringify(calls));
      for (const call of calls) assert.equal(call.appId, "forger", JSON.stringify(call));
    } finally {
      sandbox.kill("test over");
      await sandbox.exited;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
