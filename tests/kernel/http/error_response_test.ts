import assert from "node:assert/strict";
import { errorResponse } from "../../../kernel/http/error_response.ts";
import { shedError } from "../../../kernel/services/cockpit/load_shedder.ts";
import { rateLimitedError } from "../../../kernel/services/cockpit/ip_rate_limiter.ts";
import { FaztError } from "../../../kernel/core/errors.ts";

function headersOf(res: Response): Record<string, string> {
  return Object.fromEntries(res.headers);
}

Deno.test("a shed request is a small JSON 503 with Retry-After: 5", async () => {
  const res = errorResponse(shedError("user"));
  assert.equal(res.status, 503);
  assert.deepEqual(headersOf(res), {
    "cache-control": "no-store",
    "content-type": "application/json; charset=utf-8",
    "retry-after": "5",
    "x-content-type-options": "nosniff",
  });
  assert.equal(
    await res.text(),
    '{"error":{"code":"unavailable","message":"fazt is under heavy load and is serving its owner first. Try again in a few seconds.","details":{}}}',
  );
  const cockpit = errorResponse(shedError("cockpit"));
  assert.equal(cockpit.status, 503);
  assert.equal(cockpit.headers.get("retry-after"), "5");
  assert.match((await cockpit.json()).error.message, /cockpit/);
});

Deno.test("a rate-limited request is the JSON 429 with Retry-After and the wait in details", async () => {
  const res = errorResponse(rateLimitedError(3));
  assert.equal(res.status, 429);
  assert.deepEqual(headersOf(res), {
    "cache-control": "no-store",
    "content-type": "application/json; charset=utf-8",
    "retry-after": "3",
    "x-content-type-options": "nosniff",
  });
  assert.equal(
    await res.text(),
    '{"error":{"code":"rate_limited","message":"Too many requests from your address. Try again in 3 seconds.","details":{"retryAfterSeconds":3}}}',
  );
});

Deno.test("a shared error renders the same way every time", async () => {
  const bodies = await Promise.all(
    Array.from({ length: 3 }, () => errorResponse(shedError("user")).text()),
  );
  assert.equal(new Set(bodies).size, 1);
});

Deno.test("internal errors keep their cause private: logged, never sent", async () => {
  const logged: unknown[] = [];
  const res = errorResponse(new Error("secret path /var/x"), {
    requestId: "r1",
    log: (line, cause) => logged.push(line, cause),
  });
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("x-request-id"), "r1");
  const text = await res.text();
  assert.doesNotMatch(text, /secret/);
  assert.equal(JSON.parse(text).error.code, "internal");
  assert.equal(logged[0], "[r1] internal error:");
  assert.match(String(logged[1]), /secret path/);
  const unauthorized = errorResponse(new FaztError("unauthorized", "Log in."));
  assert.equal(unauthorized.headers.get("www-authenticate"), 'Bearer realm="fazt"');
});
