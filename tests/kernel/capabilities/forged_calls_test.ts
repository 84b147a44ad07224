/**
 * A sandbox process taken over entirely (it writes its own messages into
 * the bridge) sends capability calls with bad arguments to the real runtime
 * host: every one gets an error answer with the dispatcher's code, none
 * reaches app data, and the process keeps being served. (Which app a call
 * runs for is shown in tests/runtime/forged_bridge_test.ts.)
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../../runtime/sandbox.ts";
import { createRuntimeHost } from "../../../kernel/capabilities/runtime_host.ts";
import { APP_A } from "../../_helpers/appdata.ts";
import { withCapabilityWorld } from "../../_helpers/capabilities.ts";
import { createAppCodeReader } from "../../../kernel/services/vfs/app_code.ts";

/** Forged calls, each with the error code it must get. */
const FORGED: [unknown, string][] = [
  [{ op: "kv.set", args: [{}, 1] }, "invalid_input"],
  [{ op: "kv.set", args: ["k", { $bytes: "%%% not base64" }], tagged: true }, "invalid_input"],
  [{ op: "blobs.put", args: ["p", { $bytes: "AQ==" }] }, "invalid_input"],
  [
    { op: "blobs.put", args: ["p", { $bytes: false, $object: [1] }], tagged: true },
    "invalid_input",
  ],
  [{ op: "kv.set", args: "not a list" }, "invalid_input"],
  [{ op: "kv.set" }, "invalid_input"],
  [{ op: "docs.delete", args: ["c"] }, "invalid_input"],
  [{ op: "docs.update", args: ["c", {}, { $where: "1" }] }, "invalid_input"],
  [{ op: "docs.insert", args: ["c", [{ _id: 5 }]] }, "invalid_input"],
  [{ op: "sql.exec", args: ["CREATE TABLE t (x)", "params"] }, "invalid_input"],
  [{ op: "kv.set", args: ["k", 1, { ttl: 1e300 }] }, "invalid_input"],
  [{ op: "constructor", args: [] }, "not_found"],
  [{ op: "__proto__", args: [] }, "not_found"],
  [{ op: ["kv.get"], args: ["k"] }, "not_found"],
  [{ op: "stdlib", args: ["../../etc/passwd"] }, "not_found"],
];

/** Answers each request with the answers its forged calls got. */
const FORGER_CHILD = `
const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const enc = new TextEncoder();
const dec = new TextDecoder();
const send = (msg) => conn.write(enc.encode(JSON.stringify(msg) + "\\n"));
const forged = ${JSON.stringify(FORGED.map(([call]) => call))};
const answers = new Map();
await send({ t: "ready" });
let buf = "";
let request = null;
for await (const chunk of conn.readable) {
  buf += dec.decode(chunk, { stream: true });
  let at;
  while ((at = buf.indexOf("\\n")) >= 0) {
    const msg = JSON.parse(buf.slice(0, at));
    buf = buf.slice(at + 1);
    if (msg.t === "init") await send({ t: "loaded" });
    if (msg.t === "req") {
      request = msg.id;
      answers.clear();
      for (let i = 0; i < forged.length; i++) await send({ t: "call", ...forged[i], id: 1000 + i });
    }
    if (msg.t === "ret") answers.set(msg.id - 1000, msg.ok ? "ok" : msg.error.code);
    if (request !== null && answers.size === forged.length) {
      const text = JSON.stringify(forged.map((_, i) => answers.get(i)));
      await send({ t: "res", id: request, status: 200, headers: [], body: null, text });
      request = null;
    }
  }
}
`;

Deno.test({
  name: "forged calls with bad arguments get errors from the real host and reach no app data",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withCapabilityWorld(async (world) => {
      const dir = await Deno.makeTempDir({ prefix: "fazt-forged-calls-" });
      const script = `${dir}/forger.js`;
      await Deno.writeTextFile(script, FORGER_CHILD);
      const denoDir = Deno.env.get("DENO_DIR");
      const sandbox = new Sandbox(
        {
          command: Deno.execPath(),
          args: (socket) => ["run", "--allow-all", "--no-config", "--no-lock", script, socket],
          env: denoDir ? { DENO_DIR: denoDir } : {},
          socketDir: dir,
        },
        createRuntimeHost({
          code: createAppCodeReader(world.db.read),
          appData: world.appData,
          secrets: world.secrets,
          logs: world.logs,
          egress: world.services.egress,
          disk: world.disk,
          meter: world.meter,
        }),
      );
      try {
        await sandbox.load({ id: APP_A, name: "alpha" }, { files: {}, entry: "api/main.js" });
        for (let round = 0; round < 2; round++) {
          const req = new Request("http://alpha.localhost/api");
          const { res } = await sandbox.request(req, `r${round}`, null).response;
          assert.equal(res.status, 200);
          const answers = await res.json() as string[];
          FORGED.forEach(([call, code], i) => {
            assert.equal(answers[i], code, JSON.stringify(call));
          });
        }
        assert.equal(sandbox.dead, false);
        const data = world.appData.forApp(APP_A);
        assert.deepEqual(await data.kv.list(), { keys: [], cursor: null });
        assert.deepEqual(await data.blobs.list(), []);
        assert.deepEqual(await data.docs.collections(), []);
        assert.deepEqual(await data.sql.query("SELECT name FROM sqlite_schema"), []);
      } finally {
        sandbox.kill("test over");
        await sandbox.exited;
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
