import assert from "node:assert/strict";
import { createMountTable, type Mount, type PathRule } from "../../../kernel/http/mounts.ts";
import type { HostRule } from "../../../kernel/http/mounts.ts";

/** A mount that answers with its own name. */
function mount(name: string, path: PathRule, host: HostRule = "any", extra: Partial<Mount> = {}) {
  return {
    name,
    path,
    host,
    class: "user",
    handle: () => new Response(name),
    ...extra,
  } satisfies Mount;
}

Deno.test("a prefix matches its path and everything below it, never a longer name", () => {
  const table = createMountTable([
    mount("api", { prefix: "/api" }),
    mount("rest", { prefix: "/_fazt/api/" }),
    mount("root", { prefix: "/" }),
  ]);
  const cases: [string, string][] = [
    ["/api", "api"],
    ["/api/", "api"],
    ["/api/x/y", "api"],
    ["/apix", "root"],
    ["/ap", "root"],
    ["/_fazt/api/apps", "rest"],
    ["/_fazt/api/", "rest"],
    ["/_fazt/api", "root"], // a prefix ending in "/" matches only below it
    ["/", "root"],
    ["/%61pi", "root"], // paths are compared as sent (still encoded)
  ];
  for (const [path, want] of cases) assert.equal(table.find(path, "app")?.name, want, path);
});

Deno.test("precedence: exact before prefix, longer prefix first, one host kind before any", () => {
  // Listed in the worst order on purpose: precedence never depends on it.
  const table = createMountTable([
    mount("catch-all", { prefix: "/" }),
    mount("kernel-any", { prefix: "/_fazt" }),
    mount("kernel-admin", { prefix: "/_fazt" }, "admin"),
    mount("rest", { prefix: "/_fazt/api/" }, "admin"),
    mount("health", { exact: "/_fazt/health" }),
    mount("files", { prefix: "/" }, "app"),
  ]);
  const cases: [string, "admin" | "app" | "unknown", string][] = [
    ["/_fazt/health", "admin", "health"],
    ["/_fazt/health", "unknown", "health"],
    ["/_fazt/health/x", "admin", "kernel-admin"],
    ["/_fazt/api/x", "admin", "rest"],
    ["/_fazt/api/x", "app", "kernel-any"],
    ["/_fazt", "admin", "kernel-admin"],
    ["/_fazt/", "unknown", "kernel-any"],
    ["/_faztx", "admin", "catch-all"],
    ["/index.html", "app", "files"],
    ["/index.html", "admin", "catch-all"],
    ["/index.html", "unknown", "catch-all"],
  ];
  for (const [path, host, want] of cases) {
    assert.equal(table.find(path, host)?.name, want, `${path} on ${host}`);
  }
});

Deno.test("host rules: admin and app mounts answer only there; any answers everywhere", () => {
  const table = createMountTable([
    mount("admin", { exact: "/x" }, "admin"),
    mount("app", { exact: "/x" }, "app"),
    mount("acme", { prefix: "/.well-known/acme-challenge/" }),
  ]);
  assert.equal(table.find("/x", "admin")?.name, "admin");
  assert.equal(table.find("/x", "app")?.name, "app");
  assert.equal(table.find("/x", "unknown"), undefined, "an unknown host matches only `any` mounts");
  for (const host of ["admin", "app", "unknown"] as const) {
    assert.equal(table.find("/.well-known/acme-challenge/token", host)?.name, "acme");
  }
  assert.equal(table.find("/.well-known/other", "app"), undefined);
  assert.equal(table.find("/nothing", "admin"), undefined, "no catch-all: nothing found");
});

Deno.test("a malformed table is refused when it is built", () => {
  const refused: [Mount[], RegExp][] = [
    [[mount("a", { exact: "x" })], /invalid path rule "x"/],
    [[mount("a", { prefix: "/a?b" })], /invalid path rule/],
    [[mount("a", { exact: "/a" }, "everywhere" as HostRule)], /invalid host rule "everywhere"/],
    [[mount("a", { exact: "/a" }, "any", { class: "owner" as "user" })], /invalid class/],
    [[mount("a", { exact: "/a" }, "any", { methods: [] })], /methods fazt does not serve/],
    [[mount("a", { exact: "/a" }, "any", { methods: ["TRACE"] })], /methods fazt does not serve/],
    [[mount("a", { exact: "/a" }, "any", { methods: ["get"] })], /methods fazt does not serve/],
    [[mount("a", { exact: "/a" }), mount("a", { exact: "/b" })], /Two mounts are named "a"/],
    [
      [mount("a", { prefix: "/a" }, "app"), mount("b", { prefix: "/a" }, "app")],
      /Mounts "a" and "b" have the same path and host rule/,
    ],
  ];
  for (const [mounts, message] of refused) {
    assert.throws(() => createMountTable(mounts), message);
  }
  // The same path for different hosts, or exact beside prefix, is fine.
  createMountTable([
    mount("a", { prefix: "/a" }, "app"),
    mount("b", { prefix: "/a" }, "admin"),
    mount("c", { prefix: "/a" }, "any"),
    mount("d", { exact: "/a" }, "app"),
  ]);
});
