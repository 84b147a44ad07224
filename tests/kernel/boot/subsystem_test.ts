/**
 * The boot sequence: subsystems install in order, see only the parts of
 * those before them, flush in install order, close in reverse order (once),
 * and a failed install closes what was installed; a new subsystem is one
 * more entry in the list — it can add parts and HTTP mounts.
 */
import assert from "node:assert/strict";
import { boot, type Subsystem } from "../../../kernel/boot/subsystem.ts";
import { KERNEL_DEFAULTS, type KernelConfig } from "../../../kernel/boot/config.ts";
import { createKernel, SUBSYSTEMS } from "../../../kernel/boot/kernel.ts";
import { withKernel } from "../../_helpers/kernel.ts";

declare module "../../../kernel/boot/subsystem.ts" {
  interface Parts {
    testA: string;
    testB: string;
  }
}

const CONFIG: KernelConfig = {
  ...KERNEL_DEFAULTS,
  dataDir: "/nonexistent",
  flushIntervalMs: 60_000,
};

function recorder(events: string[], name: string, extra: Partial<Subsystem> = {}): Subsystem {
  return {
    name,
    install(ctx) {
      events.push(`install ${name}`);
      ctx.onFlush(() => void events.push(`flush ${name}`));
      ctx.onClose(() => void events.push(`close ${name}`));
      ctx.onReady(() => void events.push(`ready ${name}`));
    },
    ...extra,
  };
}

Deno.test("subsystems install in order, flush in order and close in reverse order, once", async () => {
  const events: string[] = [];
  const booted = await boot(CONFIG, [recorder(events, "a"), recorder(events, "b")]);
  assert.deepEqual(events, ["install a", "install b", "ready a", "ready b"]);
  events.length = 0;
  await booted.flush();
  assert.deepEqual(events, ["flush a", "flush b"]);
  events.length = 0;
  await Promise.all([booted.close(), booted.close()]);
  assert.deepEqual(events, ["close b", "close a"]);
});

Deno.test("a part is there only once provided: asking early names the subsystem, providing twice fails", async () => {
  const early: Subsystem = { name: "early", install: (ctx) => void ctx.get("testA") };
  await assert.rejects(() => boot(CONFIG, [early]), /early subsystem needs "testA"/);
  const a: Subsystem = { name: "a", install: (ctx) => ctx.provide("testA", "x") };
  const b: Subsystem = {
    name: "b",
    install: (ctx) => ctx.provide("testB", ctx.get("testA") + "y"),
  };
  const booted = await boot(CONFIG, [a, b]);
  assert.equal(booted.parts.testB, "xy");
  await booted.close();
  await assert.rejects(() => boot(CONFIG, [a, a]), /"testA" is provided twice \(again by a\)/);
});

Deno.test("a subsystem that fails to install closes the ones installed before it", async () => {
  const events: string[] = [];
  const broken: Subsystem = {
    name: "broken",
    install() {
      throw new Error("no disk");
    },
  };
  await assert.rejects(() => boot(CONFIG, [recorder(events, "a"), broken]), /no disk/);
  assert.deepEqual(events, ["install a", "close a"]);
});

Deno.test("the store subsystem writes every buffered counter before it closes the database", async () => {
  await withKernel(async (t) => {
    const deployed = await t.deploy("counted", { "index.html": "<p>hi</p>" });
    assert.equal(deployed.status, 200);
    const res = await t.get("counted.localhost", "/");
    await res.body?.cancel();
    await t.kernel.close();
    const again = await createKernel({ dataDir: t.dataDir });
    try {
      const traffic = again.db.read.prepare(
        "SELECT coalesce(sum(requests), 0) AS n FROM app_traffic",
      ).get() as { n: number };
      assert.equal(traffic.n, 1, "the request counted in memory reached the database at close");
    } finally {
      await again.close();
    }
  });
});

Deno.test("a new subsystem is one more list entry: it adds a part and an HTTP mount", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-boot-" });
  const challenge: Subsystem = {
    name: "challenge",
    install(ctx) {
      ctx.provide("testA", "token-123");
      ctx.get("mounts").push({
        name: "test-challenge",
        path: { prefix: "/.well-known/test-challenge/" },
        host: "any",
        class: "user",
        methods: ["GET"],
        handle: () => new Response(ctx.get("testA")),
      });
    },
  };
  const at = SUBSYSTEMS.findIndex((s) => s.name === "http");
  const booted = await boot(
    { ...KERNEL_DEFAULTS, dataDir },
    [...SUBSYSTEMS.slice(0, at), challenge, ...SUBSYSTEMS.slice(at)],
  );
  try {
    for (const host of ["localhost", "blog.localhost", "example.org"]) {
      const res = await booted.parts.handler!(
        new Request(`http://${host}/.well-known/test-challenge/x`, { headers: { host } }),
      );
      assert.equal(await res.text(), "token-123", host);
    }
  } finally {
    await booted.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
