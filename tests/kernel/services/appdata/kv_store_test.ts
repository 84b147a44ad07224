import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  MAX_TTL_SECONDS,
  PURGE_BATCH,
  PURGE_EVERY_WRITES,
} from "../../../../kernel/services/appdata/kv_store.ts";
import type { ErrorCode } from "../../../../kernel/core/errors.ts";
import { APP_A as APP, rejectsWith, T0, withApp } from "../../../_helpers/appdata.ts";

const ROUNDTRIP: [string, unknown][] = [
  ["a string", "hello"],
  ["an empty string", ""],
  ["a number", 42.5],
  ["zero", 0],
  ["a negative integer", -7],
  ["false", false],
  ["true", true],
  ["a nested object", { a: { b: [1, "two", null, { c: true }] } }],
  ["an array", [1, 2, 3]],
  ["unicode text", "héllo 👋 \u0000 end"],
  ["an object with odd keys", { "a.b": 1, "'; DROP TABLE kv; --": 2, "": 3 }],
];

for (const [name, value] of ROUNDTRIP) {
  Deno.test(`kv set() then get() returns ${name} unchanged`, async () => {
    await withApp(async (app) => {
      await app.kv.set("k", value);
      assert.deepEqual(await app.kv.get("k"), value);
    });
  });
}

Deno.test("kv get() of a missing key is null", async () => {
  await withApp(async (app) => {
    assert.equal(await app.kv.get("missing"), null);
  });
});

Deno.test("kv set() overwrites and delete() reports whether the key existed", async () => {
  await withApp(async (app) => {
    await app.kv.set("k", 1);
    await app.kv.set("k", { v: 2 });
    assert.deepEqual(await app.kv.get("k"), { v: 2 });
    assert.equal(await app.kv.delete("k"), true);
    assert.equal(await app.kv.get("k"), null);
    assert.equal(await app.kv.delete("k"), false);
  });
});

Deno.test("kv keys that look like SQL are ordinary keys", async () => {
  await withApp(async (app) => {
    const keys = ["'; DROP TABLE kv; --", "x' OR '1'='1", "%", "_", "a\\b"];
    for (const [i, key] of keys.entries()) await app.kv.set(key, i);
    for (const [i, key] of keys.entries()) assert.equal(await app.kv.get(key), i);
    assert.equal((await app.kv.list()).keys.length, keys.length);
    assert.equal(await app.kv.get("anything else"), null);
  });
});

Deno.test("kv ttl: a key is visible until its expiry and invisible from then on", async () => {
  await withApp(async (app, { clock }) => {
    await app.kv.set("session", { user: 1 }, { ttl: 10 });
    const listed = await app.kv.list();
    assert.deepEqual(listed.keys, [{ key: "session", expiresAt: T0 + 10_000 }]);
    clock.t = T0 + 9_999;
    assert.deepEqual(await app.kv.get("session"), { user: 1 });
    clock.t = T0 + 10_000;
    assert.equal(await app.kv.get("session"), null);
    assert.deepEqual((await app.kv.list()).keys, []);
    assert.equal(await app.kv.delete("session"), false, "an expired key does not count as deleted");
  });
});

Deno.test("kv ttl: set() without ttl makes the key permanent again", async () => {
  await withApp(async (app, { clock }) => {
    await app.kv.set("k", 1, { ttl: 1 });
    await app.kv.set("k", 2);
    clock.t = T0 + 60_000;
    assert.equal(await app.kv.get("k"), 2);
    assert.deepEqual((await app.kv.list()).keys, [{ key: "k", expiresAt: null }]);
  });
});

Deno.test("kv ttl: expired keys are purged from the file lazily", async () => {
  await withApp(async (app, { clock, dataDir }) => {
    for (let i = 0; i < 5; i++) await app.kv.set(`old${i}`, i, { ttl: 1 });
    clock.t = T0 + 2_000;
    await app.kv.set("new", 1);
    const raw = new DatabaseSync(join(dataDir, "apps", APP, "store.db"), { readOnly: true });
    try {
      const keys = raw.prepare("SELECT key FROM kv ORDER BY key").all().map((r) => r.key);
      assert.deepEqual(keys, ["new"]);
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv ttl: a write purges at most once a second, or after enough writes", async () => {
  await withApp(async (app, { clock, dataDir }) => {
    await app.kv.set("first", 0); // the first write after opening purges
    const raw = new DatabaseSync(join(dataDir, "apps", APP, "store.db"), { readOnly: true });
    const stored = () => raw.prepare("SELECT count(*) AS n FROM kv").get()!.n;
    try {
      for (let i = 0; i < 5; i++) await app.kv.set(`old${i}`, i, { ttl: 0.1 });
      clock.t = T0 + 500;
      await app.kv.set("new", 1);
      assert.equal(stored(), 7, "no purge within a second of the last one");
      assert.equal(await app.kv.get("old0"), null, "expired keys are invisible anyway");
      assert.deepEqual((await app.kv.list()).keys.map((k) => k.key), ["first", "new"]);
      assert.equal(await app.kv.increment("old1"), 1, "an expired counter restarts at 0");
      assert.equal(await app.kv.delete("old2"), false);
      // get() queued its delete before the writes above, so it is done too.
      assert.equal(stored(), 5, "old0 deleted by get(), old2 by delete(), old1 live again");
      for (let i = 0; i < PURGE_EVERY_WRITES; i++) await app.kv.set("new", i);
      assert.equal(stored(), 3, "purged after enough writes, with the clock unchanged");
      assert.deepEqual((await app.kv.list()).keys.map((k) => k.key), ["first", "new", "old1"]);
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv ttl: a backlog of expired keys is purged in batches on the next writes", async () => {
  await withApp(async (app, { clock, dataDir }) => {
    const count = PURGE_BATCH * 2 + 10;
    await Promise.all(
      Array.from({ length: count }, (_, i) => app.kv.set(`old${i}`, i, { ttl: 1 })),
    );
    clock.t = T0 + 2_000;
    await app.kv.set("a", 1);
    await app.kv.set("b", 1);
    await app.kv.set("c", 1);
    const raw = new DatabaseSync(join(dataDir, "apps", APP, "store.db"), { readOnly: true });
    try {
      const keys = raw.prepare("SELECT key FROM kv ORDER BY key").all().map((r) => r.key);
      assert.deepEqual(keys, ["a", "b", "c"]);
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv 10,000 sets on one app stay within bounded memory", async () => {
  // In a child process, so tests running in parallel do not count.
  const code = `
    const { createAppDataService } = await import(${
    JSON.stringify(
      new URL("../../../../kernel/services/appdata/app_data_service.ts", import.meta.url).href,
    )
  });
    const dataDir = await Deno.makeTempDir({ prefix: "fazt-appdata-kv-mem-" });
    const service = createAppDataService({ dataDir });
    const app = service.forApp(${JSON.stringify(APP)});
    await app.kv.set("warm", 1);
    await app.kv.get("warm");
    const before = Deno.memoryUsage().rss;
    for (let i = 0; i < 10_000; i++) await app.kv.set("key" + i, { i, text: "value " + i });
    const grown = Deno.memoryUsage().rss - before;
    const last = await app.kv.get("key9999");
    await service.close();
    await Deno.remove(dataDir, { recursive: true });
    console.log(JSON.stringify({ grown, last }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  const { grown, last } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(last, { i: 9999, text: "value 9999" });
  const mib = grown / (1024 * 1024);
  assert.ok(mib < 60, `RSS grew by ${mib.toFixed(1)} MiB over 10,000 sets`);
});

const BAD_TTLS: unknown[] = [
  0,
  -1,
  Number.NaN,
  Infinity,
  "10",
  null,
  1e300,
  Number.MAX_VALUE,
  MAX_TTL_SECONDS + 1,
];
for (const ttl of BAD_TTLS) {
  Deno.test(`kv set() refuses ttl ${String(ttl)} with invalid_input`, async () => {
    await withApp(async (app) => {
      await rejectsWith(app.kv.set("k", 1, { ttl: ttl as number }), "invalid_input", /ttl/);
      assert.equal(await app.kv.get("k"), null);
    });
  });
}

Deno.test("kv increment() starts a missing key at 0 and adds any finite amount", async () => {
  await withApp(async (app) => {
    assert.equal(await app.kv.increment("n"), 1);
    assert.equal(await app.kv.increment("n", 10), 11);
    assert.equal(await app.kv.increment("n", -2.5), 8.5);
    assert.equal(await app.kv.get("n"), 8.5);
  });
});

Deno.test("kv increment() is atomic: 200 concurrent increments add up to 200", async () => {
  await withApp(async (app) => {
    const results = await Promise.all(
      Array.from({ length: 200 }, () => app.kv.increment("hits")),
    );
    assert.equal(await app.kv.get("hits"), 200);
    assert.deepEqual(
      results.toSorted((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i + 1),
      "every call saw a distinct value",
    );
  });
});

Deno.test("kv increment() keeps the key's expiry, and an expired counter restarts at 0", async () => {
  await withApp(async (app, { clock }) => {
    await app.kv.set("n", 5, { ttl: 10 });
    assert.equal(await app.kv.increment("n"), 6);
    assert.deepEqual((await app.kv.list()).keys, [{ key: "n", expiresAt: T0 + 10_000 }]);
    clock.t = T0 + 10_000;
    assert.equal(await app.kv.increment("n"), 1);
    assert.deepEqual((await app.kv.list()).keys, [{ key: "n", expiresAt: null }]);
  });
});

const NOT_NUMBERS: [string, unknown][] = [
  ["a string", "5"],
  ["an object", { n: 1 }],
  ["null", null],
  ["a boolean", true],
];
for (const [name, value] of NOT_NUMBERS) {
  Deno.test(`kv increment() of a key holding ${name} is invalid_input and changes nothing`, async () => {
    await withApp(async (app) => {
      await app.kv.set("k", value);
      await rejectsWith(app.kv.increment("k"), "invalid_input", /not a number/);
      assert.deepEqual(await app.kv.get("k"), value);
    });
  });
}

Deno.test("kv increment() refuses a non-finite amount", async () => {
  await withApp(async (app) => {
    await rejectsWith(app.kv.increment("k", Number.NaN), "invalid_input");
    await rejectsWith(app.kv.increment("k", "1" as unknown as number), "invalid_input");
    await app.kv.set("big", Number.MAX_VALUE);
    await rejectsWith(app.kv.increment("big", Number.MAX_VALUE), "invalid_input", /range/);
  });
});

Deno.test("kv list() pages through a prefix in key order with a cursor", async () => {
  await withApp(async (app) => {
    const userKeys = Array.from({ length: 25 }, (_, i) => `user:${String(i).padStart(2, "0")}`);
    for (const key of ["other:1", "user", "users:x", ...userKeys.toReversed()]) {
      await app.kv.set(key, key);
    }
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await app.kv.list({ prefix: "user:", limit: 10, cursor });
      pageSizes.push(page.keys.length);
      seen.push(...page.keys.map((k) => k.key));
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
    assert.deepEqual(pageSizes, [10, 10, 5]);
    assert.deepEqual(seen, userKeys);
  });
});

Deno.test("kv list() defaults to 100 keys and returns every key without a prefix", async () => {
  await withApp(async (app) => {
    for (let i = 0; i < 101; i++) await app.kv.set(`k${String(i).padStart(3, "0")}`, i);
    const first = await app.kv.list();
    assert.equal(first.keys.length, 100);
    assert.notEqual(first.cursor, null);
    const rest = await app.kv.list({ cursor: first.cursor! });
    assert.deepEqual(rest.keys.map((k) => k.key), ["k100"]);
    assert.equal(rest.cursor, null);
  });
});

Deno.test("kv list() prefixes match by code point, including non-ASCII", async () => {
  await withApp(async (app) => {
    for (const key of ["é", "éa", "é\u{10FFFF}", "ê", "e", "f"]) await app.kv.set(key, 1);
    const keys = (await app.kv.list({ prefix: "é" })).keys.map((k) => k.key);
    assert.deepEqual(keys, ["é", "éa", "é\u{10FFFF}"]);
  });
});

const BAD_LIST_OPTIONS: [string, Record<string, unknown>][] = [
  ["limit 0", { limit: 0 }],
  ["limit 1001", { limit: 1001 }],
  ["a fractional limit", { limit: 1.5 }],
  ["a forged cursor", { cursor: "not a cursor!" }],
  ["a cursor that is not UTF-8", { cursor: "_w" }],
  ["a prefix that is not a string", { prefix: 5 }],
];
for (const [name, opts] of BAD_LIST_OPTIONS) {
  Deno.test(`kv list() refuses ${name} with invalid_input`, async () => {
    await withApp(async (app) => {
      await rejectsWith(app.kv.list(opts), "invalid_input");
    });
  });
}

const NOT_JSON: [string, unknown][] = [
  ["undefined", undefined],
  ["a function", () => 1],
  ["NaN", Number.NaN],
  ["Infinity inside an object", { a: Infinity }],
  ["a bigint", 1n],
  ["a symbol", Symbol("s")],
  ["a Date", new Date(0)],
  ["a Map", new Map()],
  ["bytes", new Uint8Array(2)],
  ["undefined inside an array", [1, undefined]],
  [
    "a cycle",
    (() => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    })(),
  ],
];
for (const [name, value] of NOT_JSON) {
  Deno.test(`kv set() refuses ${name} as not JSON with invalid_input`, async () => {
    await withApp(async (app) => {
      await rejectsWith(app.kv.set("k", value), "invalid_input", /not plain JSON/);
      assert.equal(await app.kv.get("k"), null);
    });
  });
}

Deno.test("kv set() drops undefined object properties, as JSON does", async () => {
  await withApp(async (app) => {
    await app.kv.set("k", { a: 1, b: undefined });
    assert.deepEqual(await app.kv.get("k"), { a: 1 });
  });
});

const BAD_KEYS: [string, unknown, ErrorCode][] = [
  ["an empty key", "", "invalid_input"],
  ["a non-string key", 5, "invalid_input"],
  ["a 513-byte key", "k".repeat(513), "invalid_input"],
  ["a key of 257 two-byte characters (514 bytes)", "é".repeat(257), "invalid_input"],
  ["a key with a lone surrogate", "a\ud800", "invalid_input"],
];
for (const [name, key, code] of BAD_KEYS) {
  Deno.test(`kv refuses ${name} on get, set, delete and increment`, async () => {
    await withApp(async (app) => {
      const k = key as string;
      await rejectsWith(app.kv.get(k), code);
      await rejectsWith(app.kv.set(k, 1), code);
      await rejectsWith(app.kv.delete(k), code);
      await rejectsWith(app.kv.increment(k), code);
    });
  });
}

Deno.test("kv accepts keys of exactly 512 bytes", async () => {
  await withApp(async (app) => {
    await app.kv.set("k".repeat(512), 1);
    await app.kv.set("é".repeat(256), 2);
    assert.equal(await app.kv.get("é".repeat(256)), 2);
  });
});

Deno.test("kv values larger than 1 MiB of JSON are payload_too_large", async () => {
  await withApp(async (app) => {
    const fits = "x".repeat(1024 * 1024 - 2); // plus two quotes = 1 MiB exactly
    await app.kv.set("fits", fits);
    await rejectsWith(app.kv.set("big", fits + "x"), "payload_too_large", /1048576 bytes/);
    assert.equal(await app.kv.get("big"), null);
  });
});

Deno.test("kv limits are configurable", async () => {
  await withApp(async (app) => {
    await rejectsWith(app.kv.set("k".repeat(9), 1), "invalid_input", /at most 8 bytes/);
    await rejectsWith(app.kv.set("k", "x".repeat(20)), "payload_too_large");
    await rejectsWith(app.kv.list({ limit: 6 }), "invalid_input", /1 to 5/);
  }, { limits: { maxKeyBytes: 8, maxValueBytes: 16, maxListLimit: 5 } });
});

Deno.test("kv ttl: the longest ttl (10 years) is accepted and shown as a real date", async () => {
  await withApp(async (app) => {
    await app.kv.set("k", 1, { ttl: MAX_TTL_SECONDS });
    const [entry] = (await app.kv.list()).keys;
    assert.equal(entry.expiresAt, T0 + MAX_TTL_SECONDS * 1000);
  });
});

Deno.test("kv: a row an older version stored with an absurd expiry reads as never expiring", async () => {
  await withApp(async (app, { dataDir }) => {
    await app.kv.set("a", 1);
    await app.kv.set("b", 2);
    await app.kv.set("c", 3);
    const raw = new DatabaseSync(join(dataDir, "apps", APP, "store.db"));
    try {
      // What `ttl: 1e300` and `ttl: Number.MAX_VALUE` stored before ttls had a maximum.
      raw.prepare("UPDATE kv SET expires_at = ? WHERE key = ?").run(1e303, "a");
      raw.prepare("UPDATE kv SET expires_at = ? WHERE key = ?").run(Infinity, "b");
    } finally {
      raw.close();
    }
    assert.equal(await app.kv.get("a"), 1);
    assert.equal(await app.kv.get("b"), 2);
    const { keys } = await app.kv.list();
    assert.deepEqual(keys, [
      { key: "a", expiresAt: null },
      { key: "b", expiresAt: null },
      { key: "c", expiresAt: null },
    ]);
    assert.equal(await app.kv.increment("a"), 2, "still a live counter");
    assert.deepEqual((await app.kv.list({ prefix: "a" })).keys, [{ key: "a", expiresAt: null }]);
  });
});
