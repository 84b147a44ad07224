/**
 * Hostile apps against a real server. Each case deploys an app whose
 * `api/main.js` attacks the platform (spins, allocates without end, starts
 * workers, reaches for the network, the disk, the environment or another
 * app's data, looks for its bridge socket, floods it, or streams without end),
 * and checks what the attack gets: an error it can catch or a 5xx, never a
 * way out. After every case a well-behaved app (`good`) and the kernel
 * itself must still answer promptly.
 *
 * The server runs with a 3 s request limit and a 64 MB sandbox heap, so
 * stuck and bloated processes are caught quickly. Process checks read
 * `/proc` (Linux).
 */
import assert from "node:assert/strict";
import { eventually, isAlive } from "../_helpers/process.ts";
import {
  assertNoBusyChildren,
  assertUnharmed,
  childrenOf,
  type HostileCase,
  kernelRssKb,
  procStatus,
  runHostileSuite,
  sleep,
  within,
} from "../_helpers/hostile.ts";
import { QUEUE_PER_APP } from "../../runtime/mod.ts";

const TIMEOUT_MS = 3_000;
/** The per-app concurrency limit (the kernel default). */
const CONCURRENCY = 32;

// ---------------------------------------------------------------------------
// The apps

const SPIN = {
  "api/main.js": `export default (req) => {
  if (new URL(req.url).pathname === "/api/spin") while (true) {}
  return "alive";
};
`,
};

const SPIN_AT_LOAD = {
  "api/main.js": `while (true) {}
export default () => "never";
`,
};

const MEMORY_BOMB = {
  "api/main.js": `export default (req) => {
  if (new URL(req.url).pathname !== "/api/bomb") return "alive";
  const a = [];
  while (true) a.push(new Array(1e6).fill(1));
};
`,
};

// Bounded loops: if workers ever became available again, the test fails on
// the count instead of exhausting the machine.
const WORKER_BOMB = {
  "api/main.js": `import { Worker as NodeWorker } from "node:worker_threads";
const tryMany = (make) => {
  let made = 0;
  try {
    for (; made < 64; made++) make();
    return { made, error: null };
  } catch (err) {
    return { made, error: String(err) };
  }
};
export default (req) => {
  if (new URL(req.url).pathname !== "/api/bomb") return "alive";
  const code = "setInterval(() => {}, 1000)";
  return {
    typeofWorker: typeof Worker,
    typeofSharedWorker: typeof SharedWorker,
    web: tryMany(() => new Worker("data:text/javascript," + code, { type: "module" })),
    node: tryMany(() => new NodeWorker(code, { eval: true })),
    nodeSubclass: tryMany(() => new (class extends NodeWorker {})(code, { eval: true })),
    restore: tryMany(() => Object.setPrototypeOf(NodeWorker, Object.getPrototypeOf(Object))),
  };
};
`,
};

/** Fetches each URL of the JSON body; answers URL → what happened. */
const EGRESS = {
  "api/main.js": `export default async (req) => {
  const out = {};
  for (const url of await req.json()) {
    try {
      const res = await fetch(url);
      out[url] = "fetched: " + res.status + " " + (await res.text()).slice(0, 200);
    } catch (err) {
      out[url] = String(err);
    }
  }
  return out;
};
`,
};

/**
 * Every way to reach the disk, the environment, processes, native code, the
 * system and sockets; `allowed` probes are controls that must work. Answers
 * probe → { ok, result }.
 */
const ESCAPE = {
  "api/lib.js": `module.exports = "own file";`,
  "api/main.js": `const dec = new TextDecoder();
const PROBES = {
  "Deno.readTextFile": () => Deno.readTextFile("/etc/passwd"),
  "Deno.readFileSync": () => dec.decode(Deno.readFileSync("/etc/passwd")),
  "Deno.open": async () => {
    const file = await Deno.open("/etc/passwd");
    const buf = new Uint8Array(4096);
    return dec.decode(buf.subarray(0, (await file.read(buf)) ?? 0));
  },
  "Deno.statSync": () => JSON.stringify(Deno.statSync("/etc/passwd")),
  "Deno.writeTextFile": () => Deno.writeTextFile("/tmp/fazt-hostile-escape", "x"),
  'fetch("file:///etc/passwd")': async () => (await fetch("file:///etc/passwd")).text(),
  'import("file:///etc/passwd")': () => import("file:///etc/passwd"),
  'import("/etc/passwd")': () => import("/etc/passwd"),
  'import("https://example.com/x.js")': () => import("https://example.com/x.js"),
  'import("node:fs") readFileSync': async () =>
    (await import("node:fs")).readFileSync("/etc/passwd", "utf8"),
  'require("/etc/passwd")': () => require("/etc/passwd"),
  'require("../../../../etc/passwd")': () => require("../../../../etc/passwd"),
  'require("fs")': () => require("fs").readFileSync("/etc/passwd", "utf8"),
  'require("node:fs")': () => require("node:fs").readFileSync("/etc/passwd", "utf8"),
  'Deno.env.get("HOME")': () => {
    const home = Deno.env.get("HOME");
    if (home === undefined) throw new Error("HOME is hidden");
    return home;
  },
  "Deno.env.toObject()": () => JSON.stringify(Deno.env.toObject()),
  "process.env": async () => JSON.stringify({ ...(await import("node:process")).env }),
  'new Deno.Command("id").output()': async () =>
    dec.decode((await new Deno.Command("id").output()).stdout),
  'node:child_process execSync("id")': async () =>
    String((await import("node:child_process")).execSync("id")),
  "Deno.run": () => Deno.run({ cmd: ["id"] }),
  "Deno.dlopen": () => Deno.dlopen("libc.so.6", {}),
  "Deno.osRelease()": () => Deno.osRelease(),
  "Deno.hostname()": () => Deno.hostname(),
  "Deno.systemMemoryInfo()": () => JSON.stringify(Deno.systemMemoryInfo()),
  "Deno.listen": () => "listening on " + Deno.listen({ hostname: "127.0.0.1", port: 0 }).addr.port,
  "Deno.connect to the kernel": (port) => Deno.connect({ hostname: "127.0.0.1", port }),
  'Deno.permissions.request({ name: "read" })': async () => {
    const status = await Deno.permissions.request({ name: "read" });
    if (status.state !== "granted") throw new Error("read permission " + status.state);
    return status.state;
  },
};
const ALLOWED = {
  'import("data:text/javascript,export default 1")': async () =>
    (await import("data:text/javascript,export default 1")).default,
  'require("./lib")': () => require("./lib"),
};
export default async (req) => {
  const port = Number(new URL(req.url).searchParams.get("port"));
  const run = async (table) => {
    const out = {};
    for (const [name, probe] of Object.entries(table)) {
      try {
        out[name] = { ok: true, result: String(await probe(port)).slice(0, 500) };
      } catch (err) {
        out[name] = { ok: false, result: String(err).slice(0, 500) };
      }
    }
    return out;
  };
  return { refused: await run(PROBES), allowed: await run(ALLOWED) };
};
`,
};

/** The app whose data the forger is after. */
function victimApp(kvValue: string): Record<string, string> {
  return {
    "api/main.js": `export default async (req) => {
  if (new URL(req.url).pathname === "/api/seed") {
    await fazt.kv.set("secret", ${JSON.stringify(kvValue)});
    return "seeded";
  }
  return { kv: await fazt.kv.get("secret"), env: await fazt.env.get("OTHER_SECRET") };
};
`,
  };
}

/**
 * Looks for a way to write forged messages into its bridge socket: Deno's
 * internals (`core.resources()` / `core.write` reached it until the sandbox
 * removed them), old and Node-style descriptor APIs, the socket's path and
 * `/proc`. Answers route → what happened. (A process that does reach its
 * socket is tested in tests/runtime/forged_bridge_test.ts: the kernel
 * treats every message as untrusted.)
 */
const FORGER = {
  "api/main.js":
    `const line = new TextEncoder().encode('{"t":"call","id":999,"op":"kv.get","args":["secret"]}\\n');
const ROUTES = {
  "Deno[Deno.internal].core": () => Deno[Deno.internal].core.write(3, line),
  "Deno.core": () => Deno.core.ops,
  "globalThis.__bootstrap": () => globalThis.__bootstrap.core,
  "Deno.resources()": () => Deno.resources(),
  "Deno.writeSync(rid)": () => Deno.writeSync(3, line),
  "Deno.fsFile(rid)": () => new Deno.FsFile(3).writeSync(line),
  'process.binding("pipe_wrap")': () => new (process.binding("pipe_wrap").Pipe)(),
  'process.binding("stream_wrap")': () => process.binding("stream_wrap"),
  "node:net Socket({ fd })": async () => new (await import("node:net")).Socket({ fd: 3 }),
  'node:fs writeSync(fd)': async () => (await import("node:fs")).writeSync(3, line),
  "the socket path in Deno.args": () => {
    const path = Deno.args[Deno.args.length - 1];
    if (!path) throw new Error("no path in Deno.args");
    return Deno.connect({ transport: "unix", path });
  },
  "/proc/self/fd": () => [...Deno.readDirSync("/proc/self/fd")].length,
};
export default async (req) => {
  if (new URL(req.url).pathname === "/api/own") return { kv: await fazt.kv.get("secret") };
  const out = {};
  for (const [name, route] of Object.entries(ROUTES)) {
    try {
      out[name] = { ok: true, result: String(await route()).slice(0, 200) };
    } catch (err) {
      out[name] = { ok: false, result: String(err).slice(0, 200) };
    }
  }
  return out;
};
`,
};

/**
 * Floods stdout (not the bridge: it leads nowhere) or stderr (read by the
 * kernel as the app's error log) with far more than any line may hold, and
 * no newline.
 */
const FLOOD = {
  "api/main.js": `export default (req) => {
  const path = new URL(req.url).pathname;
  const bytes = new Uint8Array(8 * 1024 * 1024).fill(120);
  if (path === "/api/stdout") {
    for (let i = 0; i < 16; i++) Deno.stdout.writeSync(bytes);
    return "stdout flooded";
  }
  if (path !== "/api/flood") return "alive";
  for (let i = 0; i < 16; i++) Deno.stderr.writeSync(bytes);
  return "flooded and survived";
};
`,
};

const SLOW = {
  "api/main.js": `export default async () => {
  await new Promise((r) => setTimeout(r, 1500));
  return "done";
};
`,
};

const STREAM = {
  "api/main.js": `export default (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/api/endless") {
    const block = new Uint8Array(64 * 1024).fill(46);
    return new Response(new ReadableStream({ pull(c) { c.enqueue(block); } }));
  }
  if (path === "/api/huge") return new Uint8Array(16 * 1024 * 1024).fill(46);
  return "alive";
};
`,
};

// ---------------------------------------------------------------------------
// The cases

const CASES: HostileCase[] = [
  {
    name: "a handler that spins gets 504 and its process is killed; the next request starts afresh",
    async run(ctx) {
      await ctx.deploy("spin", SPIN);
      assert.equal((await ctx.get("spin", "/api/alive")).text, "alive");
      const pid = await ctx.pidOf("spin");
      const killedBefore = (await ctx.runtime()).killed;
      const spun = await ctx.get("spin", "/api/spin");
      assert.equal(spun.status, 504, spun.text);
      assert.ok(spun.ms >= TIMEOUT_MS - 100, `504 after only ${spun.ms} ms`);
      assert.ok(spun.ms < TIMEOUT_MS + 1_000, `504 took ${spun.ms} ms`);
      await eventually(1_000, `spinning sandbox ${pid} is gone`, () => !isAlive(pid));
      assert.equal((await ctx.runtime()).killed, killedBefore + 1);
      const again = await ctx.get("spin", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
      assert.notEqual(await ctx.pidOf("spin"), pid);
      await assertNoBusyChildren(ctx);
    },
  },
  {
    name: "code that spins while loading gets 504 and leaves no process spinning",
    async run(ctx) {
      await ctx.deploy("spinload", SPIN_AT_LOAD);
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await within(
          TIMEOUT_MS + 2_000,
          "a request to code stuck loading",
          ctx.get("spinload", "/api/x"),
        );
        assert.equal(res.status, 504, res.text);
        assert.match(res.text, /load/);
        assert.ok(res.ms < TIMEOUT_MS + 1_000, `504 took ${res.ms} ms`);
      }
      const id = ctx.ids.get("spinload");
      assert.ok(!(await ctx.runtime()).processes.some((p) => p.appId === id));
      await assertNoBusyChildren(ctx);
    },
  },
  {
    name: "a memory bomb kills only its own process, with a message about memory",
    async run(ctx) {
      await ctx.deploy("membomb", MEMORY_BOMB);
      assert.equal((await ctx.get("membomb", "/api/alive")).text, "alive");
      const pid = await ctx.pidOf("membomb");
      const goodPid = await ctx.pidOf("good");
      const rssBefore = kernelRssKb(ctx);
      const res = await ctx.get("membomb", "/api/bomb");
      assert.ok(res.status === 502 || res.status === 504, `${res.status} ${res.text}`);
      assert.match(res.text, /memory/);
      await eventually(1_000, `bloated sandbox ${pid} is gone`, () => !isAlive(pid));
      assert.ok(isAlive(goodPid), "the good app's sandbox died too");
      assert.equal(await ctx.pidOf("good"), goodPid);
      const grownMb = (kernelRssKb(ctx) - rssBefore) / 1024;
      assert.ok(grownMb < 64, `the kernel grew by ${grownMb.toFixed(0)} MB`);
      const again = await ctx.get("membomb", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
      assert.notEqual(await ctx.pidOf("membomb"), pid);
    },
  },
  {
    name: "workers cannot be started, neither the web nor the node:worker_threads kind",
    async run(ctx) {
      await ctx.deploy("workers", WORKER_BOMB);
      assert.equal((await ctx.get("workers", "/api/alive")).text, "alive");
      const pid = await ctx.pidOf("workers");
      const threads = procStatus(pid, "Threads");
      const res = await ctx.get("workers", "/api/bomb");
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as Record<string, unknown>;
      assert.equal(out.typeofWorker, "undefined");
      assert.equal(out.typeofSharedWorker, "undefined");
      const refusals: [attempt: string, error: RegExp][] = [
        ["web", /ReferenceError: Worker is not defined/],
        ["node", /Workers are not available to apps/],
        ["nodeSubclass", /Workers are not available to apps/],
        ["restore", /not extensible/],
      ];
      for (const [attempt, error] of refusals) {
        const got = out[attempt] as { made: number; error: string | null };
        assert.equal(got.made, 0, `${attempt}: ${JSON.stringify(got)}`);
        assert.match(got.error ?? "", error, attempt);
      }
      assert.ok(isAlive(pid));
      assert.ok(procStatus(pid, "Threads") <= threads + 1, "the sandbox gained threads");
      assert.deepEqual(childrenOf(pid), [], "the sandbox started processes");
    },
  },
  {
    name:
      "fetch to this server, loopback, private and metadata addresses is refused before connecting",
    async run(ctx) {
      await ctx.deploy("egress", EGRESS);
      const port = ctx.server.port;
      // A listener on loopback that must never see a connection.
      const tripwire = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      let connections = 0;
      const accepting = (async () => {
        for await (const conn of tripwire) {
          connections++;
          conn.close();
        }
      })();
      const trip = tripwire.addr.port;
      const urls = [
        `http://127.0.0.1:${port}/_fazt/health`,
        `http://127.0.0.1:${trip}/`,
        `http://localhost:${port}/`,
        `http://localhost:${trip}/`,
        `http://good.localhost:${port}/api/ping`,
        `http://[::1]:${port}/`,
        `http://[::ffff:127.0.0.1]:${trip}/`,
        `http://0.0.0.0:${trip}/`,
        `http://2130706433:${trip}/`,
        `http://0x7f.1:${trip}/`,
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
      ];
      // A public name for 127.0.0.1, only when DNS works here. Redirects to
      // a refused address need a public host to redirect from, which this
      // test cannot rely on; the egress guard's unit tests check that every
      // redirect hop is re-checked and never fetched when refused.
      const nip = await Deno.resolveDns("127.0.0.1.nip.io", "A", {
        signal: AbortSignal.timeout(1_000),
      }).catch((): string[] => []);
      if (nip.includes("127.0.0.1")) urls.push(`http://127.0.0.1.nip.io:${trip}/`);
      const outputBefore = ctx.server.output();
      try {
        const res = await ctx.get("egress", "/api/fetch", {
          method: "POST",
          body: JSON.stringify(urls),
        });
        assert.equal(res.status, 200, res.text);
        const out = JSON.parse(res.text) as Record<string, string>;
        assert.deepEqual(Object.keys(out), urls);
        for (const url of urls) assert.match(out[url], /refused/, `${url}: ${out[url]}`);
        assert.equal(connections, 0, "a refused fetch reached the loopback listener");
        assert.equal(ctx.server.output(), outputBefore);
      } finally {
        tripwire.close();
        await accepting.catch(() => {});
      }
    },
  },
  {
    name: "the disk, environment, processes, native code, system info and sockets are out of reach",
    async run(ctx) {
      await ctx.deploy("escape", ESCAPE);
      const res = await ctx.get("escape", `/api/probe?port=${ctx.server.port}`);
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as Record<
        "refused" | "allowed",
        Record<string, { ok: boolean; result: string }>
      >;
      assert.equal(Object.keys(out.refused).length, 27);
      for (const [probe, { ok, result }] of Object.entries(out.refused)) {
        assert.equal(ok, false, `${probe} worked: ${result}`);
      }
      assert.deepEqual(out.allowed, {
        'import("data:text/javascript,export default 1")': { ok: true, result: "1" },
        'require("./lib")': { ok: true, result: "own file" },
      });
      const home = Deno.env.get("HOME") ?? "";
      for (const leak of ["root:x:0:0", "uid=", ...(home.length > 1 ? [home] : [])]) {
        assert.ok(!res.text.includes(leak), `the answer contains ${leak}`);
      }
      assert.ok(!(await Deno.stat("/tmp/fazt-hostile-escape").catch(() => null)));
    },
  },
  {
    name:
      "no route reaches the bridge socket (Deno's internals are gone), and the victim's data stays the victim's",
    async run(ctx) {
      const kvValue = `victim-kv-${crypto.randomUUID()}`;
      const secretValue = `victim-secret-${crypto.randomUUID()}`;
      await ctx.deploy("victim", victimApp(kvValue));
      await ctx.deploy("forger", FORGER);
      const put = await ctx.server.api("PUT", "/apps/victim/secrets/OTHER_SECRET", {
        value: secretValue,
      });
      assert.equal(put.status, 200, await put.text());
      assert.equal((await ctx.get("victim", "/api/seed")).text, "seeded");
      const victimView = async () => JSON.parse((await ctx.get("victim", "/api/read")).text);
      // Control: the values are there to be stolen.
      assert.deepEqual(await victimView(), { kv: kvValue, env: secretValue });

      const res = await ctx.get("forger", "/api/forge");
      assert.equal(res.status, 200, res.text);
      const out = JSON.parse(res.text) as Record<string, { ok: boolean; result: string }>;
      assert.equal(Object.keys(out).length, 12);
      for (const [route, { ok, result }] of Object.entries(out)) {
        assert.equal(ok, false, `${route} worked: ${result}`);
      }
      assert.deepEqual(JSON.parse((await ctx.get("forger", "/api/own")).text), { kv: null });
      assert.deepEqual(await victimView(), { kv: kvValue, env: secretValue });
      const logs = await (await ctx.server.api("GET", "/apps/forger/logs?limit=1000")).text();
      for (const [where, text] of [["answer", res.text], ["logs", logs]]) {
        for (const value of [kvValue, secretValue]) {
          assert.ok(!text.includes(value), `the forger's ${where} contain the victim's data`);
        }
      }
    },
  },
  {
    name:
      "flooding stdout goes nowhere; flooding stderr without a newline kills only the flooder; the kernel keeps answering",
    async run(ctx) {
      await ctx.deploy("flood", FLOOD);
      assert.equal((await ctx.get("flood", "/api/alive")).text, "alive");
      const stdout = await ctx.get("flood", "/api/stdout");
      assert.deepEqual([stdout.status, stdout.text], [200, "stdout flooded"]);
      const pid = await ctx.pidOf("flood");
      const rssBefore = kernelRssKb(ctx);
      const flooding = ctx.get("flood", "/api/flood");
      for (let i = 0; i < 4; i++) {
        await sleep(150);
        const health = await within(
          1_000,
          "health during the flood",
          fetch(`${ctx.server.url}/_fazt/health`),
        );
        assert.equal(health.status, 200);
        await health.body?.cancel();
      }
      const res = await flooding;
      assert.ok(res.status >= 500, `${res.status} ${res.text}`);
      assert.doesNotMatch(res.text, /survived/);
      await eventually(1_000, `flooding sandbox ${pid} is gone`, () => !isAlive(pid));
      const grownMb = (kernelRssKb(ctx) - rssBefore) / 1024;
      assert.ok(grownMb < 256, `the kernel grew by ${grownMb.toFixed(0)} MB`);
      const again = await ctx.get("flood", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
    },
  },
  {
    name:
      `past ${CONCURRENCY} requests in flight and ${QUEUE_PER_APP} waiting, one app's requests get 503 with Retry-After at once`,
    async run(ctx) {
      await ctx.deploy("slow", SLOW);
      const extra = 8;
      const started = performance.now();
      const all = Array.from(
        { length: CONCURRENCY + QUEUE_PER_APP + extra },
        () => ctx.get("slow", "/api/x").then((a) => ({ ...a, ms: performance.now() - started })),
      );
      await sleep(300);
      await assertUnharmed(ctx);
      const answers = await Promise.all(all);
      const refusedAtOnce = answers.filter((a) => a.status === 503 && a.ms < 1_000);
      assert.equal(refusedAtOnce.length, extra);
      for (const a of refusedAtOnce) assert.equal(a.headers.get("retry-after"), "1");
      // The first batch runs at once (1.5 s); waiting requests run as slots
      // free up, and those still waiting at the time limit (3 s) get 503.
      const done = answers.filter((a) => a.status === 200);
      assert.ok(done.length >= 2 * CONCURRENCY, `only ${done.length} answered`);
      for (const a of done) assert.equal(a.text, "done");
      for (const a of answers) assert.ok([200, 503].includes(a.status), `${a.status} ${a.text}`);
    },
  },
  {
    name: "a client can hang up on an endless stream; the sandbox is freed and keeps serving",
    async run(ctx) {
      await ctx.deploy("stream", STREAM);
      assert.equal((await ctx.get("stream", "/api/alive")).text, "alive");
      const pid = await ctx.pidOf("stream");
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: ctx.server.port });
      await conn.write(
        new TextEncoder().encode("GET /api/endless HTTP/1.1\r\nhost: stream.localhost\r\n\r\n"),
      );
      let received = 0;
      const buf = new Uint8Array(64 * 1024);
      while (received < 4 * 1024 * 1024) {
        const n = await conn.read(buf);
        assert.ok(n !== null, "the stream ended early");
        received += n;
      }
      conn.close();
      const id = ctx.ids.get("stream");
      await eventually(2_000, "the hung-up request is released", async () => {
        const proc = (await ctx.runtime()).processes.find((p) => p.appId === id);
        assert.ok(proc, "the stream's sandbox is gone");
        assert.ok(proc.inflight >= 0, `${proc.inflight} requests in flight`);
        return proc.inflight === 0;
      });
      assert.equal(await ctx.pidOf("stream"), pid);
      await assertNoBusyChildren(ctx);
      const again = await ctx.get("stream", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
    },
  },
  {
    name: "a client that stops reading an endless stream does not make the kernel buffer it",
    async run(ctx) {
      const rssBefore = kernelRssKb(ctx);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: ctx.server.port });
      try {
        await conn.write(
          new TextEncoder().encode("GET /api/endless HTTP/1.1\r\nhost: stream.localhost\r\n\r\n"),
        );
        await conn.read(new Uint8Array(1024));
        // Unread, the app could push tens of MB per second into the kernel.
        await sleep(2_000);
        const grownMb = (kernelRssKb(ctx) - rssBefore) / 1024;
        assert.ok(grownMb < 64, `the kernel grew by ${grownMb.toFixed(0)} MB`);
      } finally {
        conn.close();
      }
      const again = await ctx.get("stream", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
    },
  },
  {
    name: "a huge response arrives whole, and an endless one is cut at the time limit",
    async run(ctx) {
      const huge = await ctx.get("stream", "/api/huge");
      assert.equal(huge.status, 200);
      assert.equal(huge.text.length, 16 * 1024 * 1024);
      const rssBefore = kernelRssKb(ctx);
      const started = Date.now();
      const endless = await ctx.server.fetch("stream.localhost", "/api/endless").then(
        (res) => `status ${res.status}`,
        (err: unknown) => String(err),
      );
      const ms = Date.now() - started;
      assert.ok(ms < TIMEOUT_MS + 2_000, `the endless stream ran ${ms} ms (${endless})`);
      const grownMb = (kernelRssKb(ctx) - rssBefore) / 1024;
      assert.ok(grownMb < 256, `the kernel grew by ${grownMb.toFixed(0)} MB`);
      const again = await ctx.get("stream", "/api/alive");
      assert.deepEqual([again.status, again.text], [200, "alive"]);
    },
  },
];

runHostileSuite(
  "hostile apps cannot escape their sandbox or take the server down",
  CASES,
  {
    // A 16 MB response needs ~75 MB in its sandbox on top of what the streaming cases before it
    // left there (V8 keeps freed heap): more than the default app memory cap of 128 MB, which
    // tests/e2e/hostile_resources_test.ts covers.
    args: [
      "--api-timeout",
      String(TIMEOUT_MS / 1000),
      "--sandbox-heap",
      "64",
      "--app-memory",
      "256",
    ],
  },
  () => Deno.remove("/tmp/fazt-hostile-escape").catch(() => {}),
);
