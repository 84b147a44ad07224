import assert from "node:assert/strict";
import { hostProblem, refuseRequest, SERVED_METHODS } from "../../../kernel/http/request_gate.ts";

/** A request as the listener gets it; `Request` refuses TRACE and friends, so fake those. */
function incoming(method: string, host: string | null): Request {
  const headers = new Headers();
  if (host !== null) headers.set("host", host);
  return { method, headers, url: "http://localhost/" } as unknown as Request;
}

async function errorOf(res: Response | undefined): Promise<{ status: number; code: string }> {
  assert.ok(res, "the request should have been refused");
  const body = await res.json();
  return { status: res.status, code: body.error.code };
}

Deno.test("request gate: host names, IP literals and ports that fazt can route pass", () => {
  for (
    const host of [
      "localhost",
      "localhost:8080",
      "127.0.0.1",
      "127.0.0.1:65535",
      "[::1]",
      "[::1]:80",
      "[2001:db8::1]:443",
      "example.com",
      "Blog.Example.COM",
      "blog.example.com.",
      "my-app.localhost:3000",
      "a_b.example.com",
      "x".repeat(63) + ".example.com",
    ]
  ) {
    assert.equal(hostProblem(host), undefined, host);
  }
});

Deno.test("request gate: a missing, empty or malformed Host is a problem", () => {
  for (
    const host of [
      null,
      "",
      " ",
      "a b",
      "a\tb",
      "user@example.com",
      "example.com:80:81",
      "example.com:",
      "example.com:0",
      "example.com:65536",
      "example.com:http",
      "café.localhost",
      "caf\u00c3\u00a9.localhost",
      "a..b",
      ".example.com",
      "x".repeat(64) + ".example.com",
      ("a".repeat(60) + ".").repeat(5),
      "[::1",
      "[::1]x",
      "[zz::1]",
      "example.com/path",
      "exa%6dple.com",
    ]
  ) {
    assert.ok(hostProblem(host), `${JSON.stringify(host)} should be refused`);
  }
});

Deno.test("request gate: the served methods pass on a good host", () => {
  for (const method of SERVED_METHODS) {
    assert.equal(refuseRequest(incoming(method, "localhost")), undefined, method);
  }
});

Deno.test("request gate: TRACE, TRACK and CONNECT get 405 with Allow, in any case", async () => {
  for (const method of ["TRACE", "TRACK", "CONNECT", "trace", "Track"]) {
    const res = refuseRequest(incoming(method, "localhost"));
    assert.deepEqual(await errorOf(res), { status: 405, code: "method_not_allowed" }, method);
    assert.equal(res!.headers.get("allow"), SERVED_METHODS.join(", "));
  }
});

Deno.test("request gate: made-up and lower-case methods get 501", async () => {
  for (const method of ["FOO", "PROPFIND", "get", "post", "Delete", "X-CUSTOM"]) {
    assert.deepEqual(
      await errorOf(refuseRequest(incoming(method, "localhost"))),
      { status: 501, code: "not_implemented" },
      method,
    );
  }
});

Deno.test("request gate: a bad Host gets 400 bad_request, before any routing", async () => {
  for (const host of [null, "", "a b", "a@b", "a:1:2"]) {
    assert.deepEqual(
      await errorOf(refuseRequest(incoming("GET", host))),
      { status: 400, code: "bad_request" },
      String(host),
    );
  }
});
