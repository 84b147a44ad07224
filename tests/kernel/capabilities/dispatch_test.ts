/**
 * The capability dispatcher (kernel/capabilities/dispatch.ts) over real
 * services on a temp data folder: unknown names and malformed calls are
 * refused, arguments are validated against each declaration with messages
 * that name the capability and the argument (every numeric bound holds),
 * writes stop while the disk guard has tripped, a denied permission stops a
 * call before it runs, bytes go in and out as `Uint8Array`s, and a result
 * of the wrong shape never reaches the app.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { FaztError } from "../../../kernel/core/errors.ts";
import { createAppDataService } from "../../../kernel/services/appdata/app_data_service.ts";
import { MAX_TTL_SECONDS } from "../../../kernel/services/appdata/kv_store.ts";
import { MAX_FIND_OFFSET } from "../../../kernel/services/appdata/doc_store.ts";
import {
  type CapabilityServices,
  defineCapability,
  type Permission,
} from "../../../kernel/capabilities/capability.ts";
import { createDispatcher, type Dispatch } from "../../../kernel/capabilities/dispatch.ts";
import { CAPABILITIES } from "../../../kernel/capabilities/registry.ts";
import { APP_A as APP, APP_B as OTHER, rejectsWith } from "../../_helpers/appdata.ts";
import { type CapabilityWorld, withCapabilityWorld } from "../../_helpers/capabilities.ts";

/** Runs `fn` with a dispatcher over real services (see {@linkcode withCapabilityWorld}). */
async function withWorld(
  fn: (w: CapabilityWorld & { call: Dispatch }) => Promise<void>,
  options: { quotaBytes?: number; permits?: (appId: string, p: Permission) => boolean } = {},
): Promise<void> {
  await withCapabilityWorld(async (world) => {
    const { call } = createDispatcher({
      services: world.services,
      disk: world.disk,
      permits: options.permits,
    });
    await fn({ ...world, call });
  }, { quotaBytes: options.quotaBytes });
}

/** Asserts that `p` rejects with `invalid_input` whose message names `path` of `label`. */
async function refusedArgument(p: Promise<unknown>, label: string, path: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FaztError, String(err));
    assert.equal(err.code, "invalid_input", err.message);
    assert.ok(
      err.message.startsWith(`Invalid input for ${label}: "${path}" `),
      `expected the message to name ${label} and "${path}": ${err.message}`,
    );
    return true;
  });
}

Deno.test("an unknown capability is not_found, also for names of Object.prototype", async () => {
  await withWorld(async ({ call }) => {
    for (
      const name of ["nope", "kv", "kv.nope", "constructor", "__proto__", "toString", "app.id"]
    ) {
      await rejectsWith(call(APP, name, []), "not_found", /^Unknown capability "/);
    }
    await rejectsWith(call(APP, 42 as unknown as string, []), "not_found", /"42"/);
  });
});

Deno.test("arguments must be a list", async () => {
  await withWorld(async ({ call }) => {
    for (const args of ["key", null, { 0: "key" }, 5]) {
      await rejectsWith(call(APP, "kv.get", args), "invalid_input", /^Arguments must be a list\.$/);
    }
  });
});

Deno.test("bad arguments are invalid_input naming the capability and the argument, and change nothing", async () => {
  await withWorld(async ({ call, appData }) => {
    await refusedArgument(call(APP, "kv.get", []), "fazt.kv.get", "key");
    await refusedArgument(call(APP, "kv.set", [42, "v"]), "fazt.kv.set", "key");
    await refusedArgument(call(APP, "kv.set", ["k", 1, "soon"]), "fazt.kv.set", "options");
    await refusedArgument(call(APP, "docs.insert", ["c", "doc"]), "fazt.docs.insert", "docs");
    await refusedArgument(call(APP, "docs.find", ["c", [], {}]), "fazt.docs.find", "filter");
    await refusedArgument(
      call(APP, "docs.find", ["c", {}, { sort: { n: 2 } }]),
      "fazt.docs.find",
      "options.sort.n",
    );
    await refusedArgument(call(APP, "blobs.put", ["p", 5]), "fazt.blobs.put", "data");
    await refusedArgument(call(APP, "sql.exec", ["SELECT ?", [{}]]), "fazt.sql.exec", "params.0");
    await refusedArgument(call(APP, "env.get", [null]), "fazt.env.get", "name");
    await refusedArgument(call(APP, "fetch", [{ url: 5 }]), "fetch", "request.url");
    await refusedArgument(call(APP, "stdlib", [[]]), "stdlib", "name");
    // The details list every issue, by argument name.
    const err = await call(APP, "kv.set", [1, 2, { ttl: -1 }]).catch((e) => e) as FaztError;
    assert.deepEqual(
      (err.details.issues as { path: string }[]).map((i) => i.path),
      ["key", "options.ttl"],
    );
    assert.equal(err.details.capability, "kv.set");
    // An update that is not made of operators says how to write one.
    await call(APP, "docs.insert", ["c", { _id: "d1", n: 1 }]);
    const update = await call(APP, "docs.update", ["c", {}, { n: 2 }]).catch((e) => e) as Error;
    assert.match(update.message, /"change" updates use the operators \$set, \$unset and \$inc/);
    assert.deepEqual(await appData.forApp(APP).kv.list(), { keys: [], cursor: null });
    assert.deepEqual(await appData.forApp(APP).docs.find("c"), [{ _id: "d1", n: 1 }]);
  });
});

Deno.test("every numeric bound of today holds: the value at the bound passes, one past it is refused", async () => {
  await withWorld(async ({ call, appData }) => {
    const kv = appData.forApp(APP).kv;
    await call(APP, "kv.set", ["k", 1, { ttl: MAX_TTL_SECONDS }]);
    await call(APP, "kv.set", ["k", 1, { ttl: 0.5 }]);
    for (const ttl of [MAX_TTL_SECONDS + 1, 1e300, 0, -1, "5"]) {
      await refusedArgument(call(APP, "kv.set", ["t", 1, { ttl }]), "fazt.kv.set", "options.ttl");
    }
    assert.equal(await kv.get("t"), null, "no refused ttl stored anything");

    await call(APP, "docs.insert", ["c", [{ n: 1 }, { n: 2 }]]);
    assert.deepEqual(await call(APP, "docs.find", ["c", {}, { offset: MAX_FIND_OFFSET }]), []);
    for (const offset of [MAX_FIND_OFFSET + 1, -1, 0.5, "1"]) {
      await refusedArgument(
        call(APP, "docs.find", ["c", {}, { offset }]),
        "fazt.docs.find",
        "options.offset",
      );
    }
    const limits: [string, unknown[], string][] = [
      ["docs.find", ["c", {}, { limit: 0 }], "options.limit"],
      ["docs.find", ["c", {}, { limit: 1.5 }], "options.limit"],
      ["kv.list", [{ limit: 0 }], "options.limit"],
      ["blobs.list", [{ limit: -3 }], "options.limit"],
      ["kv.increment", ["n", "1"], "by"],
    ];
    for (const [name, args, path] of limits) {
      await refusedArgument(call(APP, name, args), `fazt.${name}`, path);
    }
    // Bounds that depend on configured limits stay with the stores, for every transport.
    await rejectsWith(call(APP, "docs.find", ["c", {}, { limit: 1001 }]), "invalid_input", /1000/);
    await rejectsWith(call(APP, "kv.list", [{ limit: 1001 }]), "invalid_input", /1000/);
  });
});

Deno.test("left-out trailing arguments and null options are allowed; extra arguments are ignored", async () => {
  await withWorld(async ({ call }) => {
    assert.equal(await call(APP, "kv.set", ["k", { a: 1 }]), undefined);
    assert.equal(await call(APP, "kv.set", ["k2", null, null]), undefined);
    assert.deepEqual(await call(APP, "kv.get", ["k", "extra", 3]), { a: 1 });
    assert.equal(await call(APP, "kv.get", ["k2"]), null);
    assert.equal(await call(APP, "kv.increment", ["n"]), 1);
    assert.deepEqual(await call(APP, "kv.list", [null]), {
      keys: [{ key: "k", expiresAt: null }, { key: "k2", expiresAt: null }, {
        key: "n",
        expiresAt: null,
      }],
      cursor: null,
    });
    assert.equal(await call(APP, "docs.count", ["c"]), 0);
  });
});

Deno.test("filters that delete or update every document must be given", async () => {
  await withWorld(async ({ call, appData }) => {
    await call(APP, "docs.insert", ["c", [{ n: 1 }, { n: 2 }]]);
    await refusedArgument(call(APP, "docs.delete", ["c"]), "fazt.docs.delete", "filter");
    await refusedArgument(
      call(APP, "docs.update", ["c", null, { $set: { x: 1 } }]),
      "fazt.docs.update",
      "filter",
    );
    assert.equal(await appData.forApp(APP).docs.count("c"), 2);
    assert.equal(await call(APP, "docs.delete", ["c", {}]), 2, "{} means every document");
  });
});

Deno.test("while the disk guard has tripped, every write is refused before it runs; reads go on", async () => {
  await withWorld(async ({ call, disk, appData }) => {
    await call(APP, "kv.set", ["kept", "value"]);
    await call(APP, "blobs.put", ["b.txt", "blob"]);
    await disk.refresh();
    assert.equal(disk.status().tripped, true, "a 1-byte quota trips once data exists");
    const writes: [string, unknown[]][] = [
      ["kv.set", ["k", 1]],
      ["kv.delete", ["kept"]],
      ["kv.increment", ["n"]],
      ["docs.insert", ["c", { n: 1 }]],
      ["docs.update", ["c", {}, { $set: { n: 2 } }]],
      ["docs.delete", ["c", {}]],
      ["blobs.put", ["p", new Uint8Array([1])]],
      ["blobs.delete", ["b.txt"]],
      ["sql.exec", ["CREATE TABLE t (x)"]],
    ];
    const declared = CAPABILITIES.filter((c) => c.writes).map((c) => c.name).sort();
    assert.deepEqual(writes.map(([name]) => name).sort(), declared, "every writing capability");
    for (const [name, args] of writes) {
      await rejectsWith(call(APP, name, args), "insufficient_storage", /^Saving app data refused/);
    }
    assert.equal(await call(APP, "kv.get", ["kept"]), "value");
    assert.equal(await call(APP, "kv.get", ["k"]), null);
    assert.equal((await call(APP, "blobs.get", ["b.txt"]) as { size: number }).size, 4);
    assert.equal(await appData.forApp(APP).docs.count("c"), 0);
  }, { quotaBytes: 1 });
});

Deno.test("a capability whose permission the app does not hold is forbidden and does nothing", async () => {
  const denied = new Set<Permission>(["network", "secrets"]);
  await withWorld(async ({ call }) => {
    await rejectsWith(
      call(APP, "fetch", [{ url: "https://example.com/" }]),
      "forbidden",
      /does not hold the "network" permission that fetch needs/,
    );
    await rejectsWith(
      call(APP, "env.get", ["X"]),
      "forbidden",
      /"secrets" permission that fazt\.env\.get needs/,
    );
    // Another app, and other permissions, are not affected.
    assert.equal(await call(OTHER, "env.get", ["X"]), null);
    assert.equal(await call(APP, "kv.get", ["k"]), null);
  }, { permits: (appId, p) => appId !== APP || !denied.has(p) });
});

Deno.test("bytes go in and come out as Uint8Arrays; text is stored as UTF-8", async () => {
  await withWorld(async ({ call, appData }) => {
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    await call(APP, "blobs.put", ["a.bin", bytes, { type: "application/x-test" }]);
    const blob = await call(APP, "blobs.get", ["a.bin"]) as {
      bytes: Uint8Array;
      type: string;
      size: number;
    };
    assert.ok(blob.bytes instanceof Uint8Array);
    assert.deepEqual([...blob.bytes], [...bytes]);
    assert.deepEqual([blob.type, blob.size], ["application/x-test", 6]);
    await call(APP, "blobs.put", ["t.txt", "héllo"]);
    const stored = await appData.forApp(APP).blobs.get("t.txt");
    assert.equal(new TextDecoder().decode(stored!.bytes), "héllo");
    assert.equal(await call(APP, "blobs.get", ["none"]), null);
  });
});

Deno.test("fetch goes through the egress guard for the calling app", async () => {
  await withWorld(async ({ call }) => {
    await rejectsWith(call(APP, "fetch", [{ url: "http://127.0.0.1:1/" }]), "forbidden");
    await rejectsWith(call(APP, "stdlib", ["fs"]), "not_found", /No stdlib library "fs"/);
    assert.equal(typeof await call(APP, "stdlib", ["uuid"]), "string");
  });
});

Deno.test("a result of the wrong shape is an internal error, never the app's answer", async () => {
  const odd = defineCapability({
    name: "test.odd",
    summary: "Returns what its argument says.",
    args: z.tuple([z.string()]),
    result: z.object({ n: z.number() }),
    permission: "data",
    writes: false,
    handler: (_ctx, what) =>
      (what === "good" ? { n: 1 } : what === "extra" ? { n: 1, secret: "x" } : { n: "1" }) as {
        n: number;
      },
  });
  const appData = createAppDataService({ dataDir: "/nonexistent" });
  const { call } = createDispatcher({
    services: { appData } as CapabilityServices,
    disk: { assertWritable() {} },
    capabilities: [odd],
  });
  const logged: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    assert.deepEqual(await call(APP, "test.odd", ["good"]), { n: 1 });
    for (const what of ["bad", "extra"]) {
      await rejectsWith(call(APP, "test.odd", [what]), "internal", /wrong shape; this is a bug/);
    }
    assert.equal(logged.length, 2, "each is in the server log");
  } finally {
    console.error = error;
    await appData.close();
  }
});

Deno.test("a capability declared twice is refused when the dispatcher is made", () => {
  assert.throws(
    () =>
      createDispatcher({
        services: {} as CapabilityServices,
        disk: { assertWritable() {} },
        capabilities: [CAPABILITIES[0], CAPABILITIES[0]],
      }),
    /declared twice/,
  );
});
