/**
 * The scope matrix: every operation × every scope, over REST. A token
 * holding only scope S may call operation O exactly when O is public, O
 * needs S, or S is `admin`; otherwise the answer is 403 `forbidden`.
 * Every operation needs an example call below, so adding an operation
 * without deciding how it is authorized makes this file fail.
 *
 * Also: tokens limited to some apps.
 */
import assert from "node:assert/strict";
import { OPERATIONS } from "../../../../kernel/ops/registry.ts";
import type { AnyOperation, HttpMethod } from "../../../../kernel/ops/operation.ts";
import { type Scope, SCOPES } from "../../../../kernel/services/auth/scopes.ts";
import { type TestKernel, withKernel, zipFiles } from "../../../_helpers/kernel.ts";

const OWNER_EMAIL = "owner@example.com";
const OWNER_PASSWORD = "correct horse battery";

/** One REST call: a JSON body or a raw upload. */
interface Call {
  method: HttpMethod;
  path: string;
  body?: unknown;
  raw?: { body: Uint8Array<ArrayBuffer>; type: string };
  /**
   * What a caller allowed to run it gets, when that is not a success: the
   * certificate operations answer 409 in these kernels, which serve plain
   * HTTP (no TLS service).
   */
  allowed?: { status: number; code: string };
}

/** The answer of the certificate operations while HTTPS is off. */
const HTTPS_OFF = { status: 409, code: "conflict" };

/** What an example may use to prepare the state its call needs. */
interface Ctx {
  t: TestKernel;
  /** A name no other call used. */
  unique(prefix: string): string;
  /** A new app with `versions` deployed versions; returns its name. */
  freshApp(versions?: number): Promise<string>;
  /** Makes sure the owner account exists (with OWNER_EMAIL / OWNER_PASSWORD). */
  ensureOwner(): Promise<void>;
}

type Example = (ctx: Ctx) => Call | Promise<Call>;

function site(text: string): Uint8Array<ArrayBuffer> {
  return zipFiles({ "index.html": `<h1>${text}</h1>` }) as Uint8Array<ArrayBuffer>;
}

/**
 * A valid call of every operation. Each one prepares fresh state when the
 * call would change or consume it, so the same example succeeds for every
 * scope that may run it.
 */
const EXAMPLES: Record<string, Example> = {
  "apps.list": () => ({ method: "GET", path: "/apps" }),
  "apps.get": () => ({ method: "GET", path: "/apps/demo" }),
  "apps.create": (c) => ({ method: "POST", path: "/apps", body: { name: c.unique("new") } }),
  "apps.deploy": (c) => ({
    method: "POST",
    path: `/deploy?app=${c.unique("up")}`,
    raw: { body: site("up"), type: "application/zip" },
  }),
  "apps.versions": () => ({ method: "GET", path: "/apps/demo/versions" }),
  "apps.rename": async (c) => ({
    method: "POST",
    path: `/apps/${await c.freshApp()}/rename`,
    body: { name: c.unique("renamed") },
  }),
  "apps.rollback": async (c) => ({
    method: "POST",
    path: `/apps/${await c.freshApp(2)}/rollback`,
    body: {},
  }),
  "apps.delete": async (c) => ({ method: "DELETE", path: `/apps/${await c.freshApp()}` }),
  "apps.files": () => ({ method: "GET", path: "/apps/demo/files" }),
  "apps.read_file": () => ({ method: "GET", path: "/apps/demo/file?path=index.html" }),
  "apps.export": () => ({ method: "GET", path: "/apps/demo/export" }),
  "apps.logo": async (c) => {
    const name = c.unique("logo");
    const res = await c.t.deploy(name, {
      "index.html": "<h1>logo</h1>",
      "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect width="8" height="8"/></svg>',
    });
    assert.equal(res.status, 200, await res.text());
    return { method: "GET", path: `/apps/${name}/logo` };
  },
  "apps.import": async (c) => {
    const out = await c.t.kernel.services.appExport.exportApp("demo", { withData: false });
    const bytes = new Uint8Array(await new Response(out.stream).arrayBuffer());
    return {
      method: "POST",
      path: `/apps/import?name=${c.unique("imported")}`,
      raw: { body: bytes, type: "application/zip" },
    };
  },
  "apps.deploy_files": (c) => ({
    method: "POST",
    path: `/apps/${c.unique("inline")}/deploy-files`,
    body: { files: { "index.html": { text: "<h1>inline</h1>" } } },
  }),
  "data.kv_get": () => ({ method: "GET", path: "/apps/demo/data/kv/greeting" }),
  "data.kv_list": () => ({ method: "GET", path: "/apps/demo/data/kv?limit=5" }),
  "data.kv_set": () => ({
    method: "PUT",
    path: "/apps/demo/data/kv/greeting",
    body: { value: { hello: "world" } },
  }),
  "data.kv_delete": () => ({ method: "DELETE", path: "/apps/demo/data/kv/greeting" }),
  "data.docs_collections": () => ({ method: "GET", path: "/apps/demo/data/docs" }),
  "data.docs_find": () => ({
    method: "GET",
    path: `/apps/demo/data/docs/posts?filter=${encodeURIComponent('{"draft":false}')}`,
  }),
  "data.docs_delete": () => ({ method: "DELETE", path: "/apps/demo/data/docs/posts/doc_none" }),
  "data.blobs_list": () => ({ method: "GET", path: "/apps/demo/data/blobs?limit=5" }),
  "data.blobs_get": async (c) => {
    const id = c.t.kernel.services.apps.resolve("demo").id;
    await c.t.kernel.services.appData.forApp(id).blobs.put("a.txt", new Uint8Array([104, 105]));
    return { method: "GET", path: "/apps/demo/data/blob?path=a.txt" };
  },
  "data.blobs_delete": () => ({ method: "DELETE", path: "/apps/demo/data/blob?path=gone.txt" }),
  "data.sql_query": () => ({
    method: "POST",
    path: "/apps/demo/data/sql",
    body: { sql: "SELECT ? AS answer", params: [42] },
  }),
  "routes.list": () => ({ method: "GET", path: "/routes" }),
  "routes.add": (c) => ({
    method: "POST",
    path: "/routes",
    body: { host: c.unique("alias"), app: "demo" },
  }),
  "routes.remove": async (c) => {
    const host = c.unique("gone");
    await c.t.kernel.services.routes.add(host, "demo");
    return { method: "DELETE", path: `/routes/${host}` };
  },
  "domains.list": () => ({ method: "GET", path: "/domains" }),
  "domains.add": (c) => ({
    method: "POST",
    path: "/domains",
    body: { domain: `${c.unique("shop")}.example.org`, app: "demo" },
  }),
  "domains.remove": async (c) => {
    const domain = `${c.unique("old")}.example.org`;
    await c.t.kernel.services.domains.add(domain, "demo");
    return { method: "DELETE", path: `/domains/${domain}` };
  },
  "certs.list": () => ({ method: "GET", path: "/certs", allowed: HTTPS_OFF }),
  "certs.add": () => ({
    method: "POST",
    path: "/certs",
    body: { certPem: "-----BEGIN CERTIFICATE-----", keyPem: "-----BEGIN PRIVATE KEY-----" },
    allowed: HTTPS_OFF,
  }),
  "certs.remove": () => ({
    method: "DELETE",
    path: "/certs/demo.example.org",
    allowed: HTTPS_OFF,
  }),
  "secrets.set": () => ({
    method: "PUT",
    path: "/apps/demo/secrets/API_KEY",
    body: { value: "new value" },
  }),
  "secrets.list": () => ({ method: "GET", path: "/apps/demo/secrets" }),
  "secrets.remove": async (c) => {
    const name = c.unique("OLD").replaceAll("-", "_");
    const demo = c.t.kernel.services.apps.resolve("demo");
    await c.t.kernel.services.secrets.set(demo.id, name, "to be removed");
    return { method: "DELETE", path: `/apps/demo/secrets/${name}` };
  },
  "backups.set_target": () => ({
    method: "PUT",
    path: "/backups/targets",
    body: {
      location: "s3://backups/matrix",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "matrix-secret",
      check: false,
    },
  }),
  "backups.list_targets": () => ({ method: "GET", path: "/backups/targets" }),
  "backups.remove_target": async (c) => {
    const location = `s3://backups/${c.unique("old")}`;
    await c.t.kernel.services.backupTargets.set({
      location,
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "to-be-removed",
    });
    return { method: "DELETE", path: `/backups/targets?location=${encodeURIComponent(location)}` };
  },
  "logs.query": () => ({ method: "GET", path: "/apps/demo/logs?limit=5" }),
  "logs.tail": () => ({ method: "GET", path: "/apps/demo/logs/stream?backlog=1" }),
  "tokens.create": (c) => ({
    method: "POST",
    path: "/tokens",
    body: { name: c.unique("ci"), scopes: ["apps:read"] },
  }),
  "tokens.list": () => ({ method: "GET", path: "/tokens" }),
  "tokens.revoke": async (c) => {
    const { record } = await c.t.kernel.services.tokens.create({
      name: c.unique("old"),
      scopes: ["apps:read"],
    });
    return { method: "DELETE", path: `/tokens/${record.id}` };
  },
  "auth.setup": async (c) => {
    // A fresh server: no owner yet, and a valid one-time setup token.
    await c.t.kernel.db.write((w) => w.prepare("DELETE FROM owners").run());
    c.t.kernel.services.limits.setupPerIp.reset("local");
    const token = await c.t.kernel.services.owners.issueSetupToken(60_000);
    return {
      method: "POST",
      path: "/auth/setup",
      body: { token, email: OWNER_EMAIL, password: OWNER_PASSWORD },
    };
  },
  "auth.login": async (c) => {
    await c.ensureOwner();
    c.t.kernel.services.limits.login.clear();
    return {
      method: "POST",
      path: "/auth/login",
      body: { email: OWNER_EMAIL, password: OWNER_PASSWORD },
    };
  },
  "auth.logout": () => ({ method: "POST", path: "/auth/logout" }),
  "auth.whoami": () => ({ method: "GET", path: "/auth/whoami" }),
  "owner.reset_password": async (c) => {
    await c.ensureOwner();
    return { method: "POST", path: "/owner/reset-password", body: { password: OWNER_PASSWORD } };
  },
  "owner.change_password": async (c) => {
    await c.ensureOwner();
    return {
      method: "POST",
      path: "/owner/password",
      body: { currentPassword: OWNER_PASSWORD, newPassword: OWNER_PASSWORD },
    };
  },
  "owner.change_email": async (c) => {
    await c.ensureOwner();
    return {
      method: "POST",
      path: "/owner/email",
      body: { email: OWNER_EMAIL, password: OWNER_PASSWORD },
    };
  },
  "owner.devices": () => ({ method: "GET", path: "/owner/devices" }),
  "owner.forget_devices": () => ({ method: "POST", path: "/owner/devices/forget", body: {} }),
  "system.health": () => ({ method: "GET", path: "/system/health" }),
  "system.info": () => ({ method: "GET", path: "/system/info" }),
  "system.stats": () => ({ method: "GET", path: "/system/stats" }),
  "system.status": () => ({ method: "GET", path: "/system/status" }),
  "apps.set_egress_limit": () => ({
    method: "PUT",
    path: "/apps/demo/egress-limit",
    body: { limitMb: 1000 },
  }),
  "apps.egress": () => ({ method: "GET", path: "/apps/demo/egress" }),
  "apps.set_memory_limit": () => ({
    method: "PUT",
    path: "/apps/demo/memory-limit",
    body: { limitMb: 256 },
  }),
  "backups.create": () => ({ method: "POST", path: "/backups", body: {} }),
  "backups.list": () => ({ method: "GET", path: "/backups" }),
  "backups.prune": () => ({ method: "POST", path: "/backups/prune", body: { keep: 5 } }),
};

/** The rule under test. */
function mayCall(op: AnyOperation, scope: Scope): boolean {
  return op.access === "public" || op.access === scope || scope === "admin";
}

/** True when `path` (without query) is an instance of the operation's path template. */
function matchesTemplate(op: AnyOperation, path: string): boolean {
  const pattern = op.http.path.split("/").map((s) =>
    s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  return new RegExp(`^${pattern}$`).test(path.split("?")[0]);
}

/** Sends a call with a bearer token through the kernel's HTTP handler. */
async function send(t: TestKernel, call: Call, token: string): Promise<Response> {
  const init = call.raw ? { raw: call.raw, token } : { body: call.body, token };
  return await t.api(call.method, call.path, init);
}

/**
 * Reads a response fully (or cancels an event stream or a download) and
 * returns its JSON body, if any.
 */
async function drain(res: Response): Promise<unknown> {
  const type = res.headers.get("content-type") ?? "";
  const download = res.headers.get("content-disposition") !== null;
  if (type.startsWith("text/event-stream") || download) {
    await res.body?.cancel();
    return undefined;
  }
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

/** Sets up the `demo` app (deployed, with a secret and log entries). */
async function setUpDemo(t: TestKernel): Promise<string> {
  const res = await t.deploy("demo", { "index.html": "<h1>demo</h1>" });
  assert.equal(res.status, 200, await res.text());
  const demo = t.kernel.services.apps.resolve("demo");
  await t.kernel.services.secrets.set(demo.id, "API_KEY", "demo secret");
  return demo.id;
}

function context(t: TestKernel): Ctx {
  let n = 0;
  const ctx: Ctx = {
    t,
    unique: (prefix) => `${prefix}-${++n}`,
    async freshApp(versions = 1) {
      const name = ctx.unique("app");
      for (let v = 1; v <= versions; v++) {
        await t.kernel.services.deploy.deploy({
          app: name,
          archive: new Blob([site(`${name} v${v}`)]).stream(),
        });
      }
      return name;
    },
    async ensureOwner() {
      if (t.kernel.services.owners.hasOwner()) return;
      const token = await t.kernel.services.owners.issueSetupToken(60_000);
      await t.kernel.services.owners.setup(token, OWNER_EMAIL, OWNER_PASSWORD);
    },
  };
  return ctx;
}

Deno.test("scope matrix: every operation has an example call, and no example is stale", () => {
  const names = new Set(OPERATIONS.map((op) => op.name));
  const missing = [...names].filter((name) => !(name in EXAMPLES));
  assert.deepEqual(missing, [], `add an example call to EXAMPLES for: ${missing.join(", ")}`);
  const stale = Object.keys(EXAMPLES).filter((name) => !names.has(name));
  assert.deepEqual(stale, [], `EXAMPLES names operations that no longer exist: ${stale}`);
});

Deno.test("scope matrix: a token with one scope may call exactly the operations that scope grants", async (tc) => {
  await withKernel(async (t) => {
    await setUpDemo(t);
    const ctx = context(t);
    const tokens = new Map<Scope, string>();
    for (const scope of SCOPES) {
      const { token } = await t.kernel.services.tokens.create({ name: scope, scopes: [scope] });
      tokens.set(scope, token);
    }

    for (const op of OPERATIONS) {
      const example = EXAMPLES[op.name];
      if (!example) continue; // reported by the test above
      await tc.step(`${op.name} (needs ${op.access})`, async () => {
        for (const scope of SCOPES) {
          const call = await example(ctx);
          assert.equal(call.method, op.http.method, `${op.name}: example uses the wrong method`);
          assert.ok(matchesTemplate(op, call.path), `${op.name}: example path ${call.path}`);
          const res = await send(t, call, tokens.get(scope)!);
          const body = await drain(res);
          const shown = `${op.name} with only "${scope}" answered ${res.status} ${
            JSON.stringify(body)
          }`;
          if (mayCall(op, scope) && call.allowed) {
            assert.equal(res.status, call.allowed.status, shown);
            assert.equal((body as { error: { code: string } }).error.code, call.allowed.code);
          } else if (mayCall(op, scope)) {
            assert.ok(res.status >= 200 && res.status < 300, `expected success: ${shown}`);
          } else {
            assert.equal(res.status, 403, `expected 403: ${shown}`);
            const error = (body as { error: { code: string; details: Record<string, unknown> } })
              .error;
            assert.equal(error.code, "forbidden", shown);
            assert.deepEqual(error.details, { operation: op.name, scope: op.access }, shown);
          }
        }
      });
    }
  });
});

Deno.test("scope matrix: every scope grants some operation", () => {
  // A scope that grants nothing is a mistake.
  const needed = new Set(OPERATIONS.map((op) => op.access));
  const unused = SCOPES.filter((s) => s !== "admin" && !needed.has(s));
  assert.deepEqual(unused, []);
});

Deno.test("app-limited tokens reach only their apps", async () => {
  await withKernel(async (t) => {
    const demoId = await setUpDemo(t);
    const other = await t.deploy("other", { "index.html": "<h1>other</h1>" });
    assert.equal(other.status, 200);
    await t.kernel.services.routes.add("other-alias", "other");
    await t.kernel.services.routes.add("demo-alias", "demo");
    await t.kernel.services.domains.add("other.example.org", "other");
    await t.kernel.services.domains.add("demo.example.org", "demo");
    const { token: reader } = await t.kernel.services.tokens.create({
      name: "demo reader",
      scopes: ["apps:read"],
      apps: [demoId],
    });
    const { token: writer } = await t.kernel.services.tokens.create({
      name: "demo writer",
      scopes: ["apps:write", "secrets:write", "system:read"],
      apps: [demoId],
    });

    const cases: {
      name: string;
      token: string;
      call: Call;
      status: number;
    }[] = [
      { name: "get its app by name", token: reader, call: get("/apps/demo"), status: 200 },
      { name: "get its app by ID", token: reader, call: get(`/apps/${demoId}`), status: 200 },
      { name: "read its app's files", token: reader, call: get("/apps/demo/files"), status: 200 },
      {
        name: "list its app's secrets",
        token: reader,
        call: get("/apps/demo/secrets"),
        status: 200,
      },
      { name: "get another app", token: reader, call: get("/apps/other"), status: 403 },
      {
        name: "read another app's files",
        token: reader,
        call: get("/apps/other/files"),
        status: 403,
      },
      {
        name: "list another app's secrets",
        token: reader,
        call: get("/apps/other/secrets"),
        status: 403,
      },
      {
        name: "set a secret of its app",
        token: writer,
        call: { method: "PUT", path: "/apps/demo/secrets/X", body: { value: "v" } },
        status: 200,
      },
      {
        name: "set a secret of another app",
        token: writer,
        call: { method: "PUT", path: "/apps/other/secrets/X", body: { value: "v" } },
        status: 403,
      },
      {
        name: "deploy to its app",
        token: writer,
        call: {
          method: "POST",
          path: "/deploy?app=demo",
          raw: { body: site("v2"), type: "application/zip" },
        },
        status: 200,
      },
      {
        name: "deploy to another app",
        token: writer,
        call: {
          method: "POST",
          path: "/deploy?app=other",
          raw: { body: site("x"), type: "application/zip" },
        },
        status: 403,
      },
      {
        name: "deploy without naming an app (app.json decides)",
        token: writer,
        call: {
          method: "POST",
          path: "/deploy",
          raw: {
            body: zipFiles({
              "app.json": '{"name":"other"}',
              "index.html": "x",
            }) as Uint8Array<ArrayBuffer>,
            type: "application/zip",
          },
        },
        status: 403,
      },
      {
        name: "create an app (not about one of its apps)",
        token: writer,
        call: { method: "POST", path: "/apps", body: { name: "sneaky" } },
        status: 403,
      },
      {
        name: "point an alias at another app",
        token: writer,
        call: { method: "POST", path: "/routes", body: { host: "evil", app: "other" } },
        status: 403,
      },
      {
        name: "route the primary domain (@) to its own app",
        token: writer,
        call: { method: "POST", path: "/routes", body: { host: "@", app: "demo" } },
        status: 403,
      },
      {
        name: "claim a free host for its own app",
        token: writer,
        call: { method: "POST", path: "/routes", body: { host: "free-name", app: "demo" } },
        status: 403,
      },
      {
        name: "remove a route (routes name no app in their input)",
        token: writer,
        call: { method: "DELETE", path: "/routes/other-alias" },
        status: 403,
      },
      {
        name: "point a custom domain at another app",
        token: writer,
        call: { method: "POST", path: "/domains", body: { domain: "x.example.org", app: "other" } },
        status: 403,
      },
      {
        name: "add a custom domain for its own app",
        token: writer,
        call: { method: "POST", path: "/domains", body: { domain: "x.example.org", app: "demo" } },
        status: 403,
      },
      {
        name: "remove a custom domain, even its own app's (domains name no app in their input)",
        token: writer,
        call: { method: "DELETE", path: "/domains/demo.example.org" },
        status: 403,
      },
      {
        name: "read server info (not about one app)",
        token: writer,
        call: get("/system/info"),
        status: 403,
      },
    ];
    for (const c of cases) {
      const res = await send(t, c.call, c.token);
      const body = await drain(res);
      assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(body)}`);
      if (c.status === 403) {
        assert.equal((body as { error: { code: string } }).error.code, "forbidden", c.name);
      }
    }
    assert.deepEqual(t.kernel.services.apps.list().map((a) => a.name), ["demo", "other"]);
    const otherId = t.kernel.services.apps.resolve("other").id;
    assert.deepEqual(t.kernel.services.secrets.list(otherId), []);

    // List operations answer, narrowed to the token's apps.
    const apps = await send(t, get("/apps"), reader);
    assert.equal(apps.status, 200);
    assert.deepEqual((await apps.json() as { name: string }[]).map((a) => a.name), ["demo"]);
    const routes = await send(t, get("/routes"), reader);
    assert.equal(routes.status, 200);
    assert.deepEqual((await routes.json() as { host: string }[]).map((r) => r.host), [
      "demo-alias",
    ]);
    const domains = await send(t, get("/domains"), reader);
    assert.equal(domains.status, 200);
    assert.deepEqual((await domains.json() as { domain: string }[]).map((d) => d.domain), [
      "demo.example.org",
    ]);
    assert.equal(t.kernel.services.domains.list().length, 2);

    // The limit follows the app's ID, not its name: after a rename it still applies.
    await t.kernel.services.apps.rename("demo", "demo2");
    const renamed = await send(t, get("/apps/demo2"), reader);
    assert.equal(renamed.status, 200);
    await renamed.body?.cancel();
  });
});

function get(path: string): Call {
  return { method: "GET", path };
}
