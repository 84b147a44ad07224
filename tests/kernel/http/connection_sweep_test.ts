import assert from "node:assert/strict";
import {
  type Connection,
  cutConnection,
  sweepConnections,
  type TrackedBody,
} from "../../../kernel/http/connection_sweep.ts";

const LIMITS = { bodyTimeoutMs: 1_000, sendTimeoutMs: 5_000 };

/** A connection whose engine records what the sweep asked of it. */
function connection(overrides: Partial<Connection> = {}): Connection & { did: string[] } {
  const did: string[] = [];
  return {
    deadline: 10_000,
    closing: false,
    bodies: new Set(),
    sending: null,
    engine: { close: () => void did.push("close"), cut: () => void did.push("cut") },
    did,
    ...overrides,
  };
}

function body(overrides: Partial<TrackedBody> = {}): TrackedBody & { failed: string[] } {
  const failed: string[] = [];
  return {
    since: 0,
    reading: false,
    abandoned: false,
    fail: (err) => void failed.push(err.message),
    failed,
    ...overrides,
  };
}

Deno.test("a connection past its deadline is closed gracefully, once; one before it is left alone", () => {
  const late = connection({ deadline: 500 });
  const early = connection({ deadline: 2_000 });
  sweepConnections([late, early], 1_000, false, LIMITS);
  sweepConnections([late, early], 1_100, false, LIMITS);
  assert.deepEqual(late.did, ["close"]);
  assert.ok(late.closing);
  assert.deepEqual(early.did, []);
});

Deno.test("stopping closes every connection without unread bodies", () => {
  const idle = connection();
  const uploading = connection();
  uploading.bodies.add(body({ reading: true, since: 900 }));
  sweepConnections([idle, uploading], 1_000, true, LIMITS);
  assert.deepEqual(idle.did, ["close"]);
  assert.deepEqual(uploading.did, [], "a graceful close would wait for the body: not yet");
});

Deno.test("a body that stalls while read, or after it was abandoned, fails and cuts the connection", () => {
  for (const state of [{ reading: true }, { abandoned: true }]) {
    const c = connection({ deadline: 0 });
    const b = body({ ...state, since: 0 });
    c.bodies.add(b);
    sweepConnections([c], 999, false, LIMITS);
    assert.deepEqual(c.did, [], "within the body timeout");
    sweepConnections([c], 1_000, false, LIMITS);
    assert.deepEqual(b.failed, ["The request body stalled."]);
    assert.deepEqual(c.did, ["cut"]);
  }
  const waiting = connection();
  const unread = body({ since: 0 }); // the handler is not reading: its time never counts
  waiting.bodies.add(unread);
  sweepConnections([waiting], 60_000, false, LIMITS);
  assert.deepEqual(unread.failed, []);
  assert.deepEqual(waiting.did, []);
});

Deno.test("a client that stops reading a watched response is cut, even while closing", () => {
  const failed: string[] = [];
  const progress = { idleSince: 0, fail: (err: Error) => void failed.push(err.message) };
  const c = connection({ sending: progress, closing: true });
  sweepConnections([c], 4_999, false, LIMITS);
  assert.equal(failed.length, 0);
  sweepConnections([c], 5_000, false, LIMITS);
  assert.match(failed[0], /stopped reading a large response/);
  assert.equal(c.sending, null);
  assert.deepEqual(c.did, [], "a graceful close already began: failing the body ends it");
  const producing = connection({ sending: { idleSince: -1, fail: () => void failed.push("no") } });
  sweepConnections([producing], 60_000, false, LIMITS);
  assert.equal(failed.length, 1, "time the producer takes never counts");
});

Deno.test("cutConnection() cuts once, and never a connection already closing", () => {
  const c = connection();
  cutConnection(c);
  cutConnection(c);
  assert.deepEqual(c.did, ["cut"]);
  const closing = connection({ closing: true });
  cutConnection(closing);
  assert.deepEqual(closing.did, []);
});
