import assert from "node:assert/strict";
import {
  createLoadShedder,
  SHED_RETRY_AFTER_SECONDS,
  shedError,
} from "../../../../kernel/services/cockpit/load_shedder.ts";

Deno.test("each budget admits up to its concurrency and sheds beyond it", () => {
  const shedder = createLoadShedder({ userConcurrency: 2, cockpitConcurrency: 1 });
  const u1 = shedder.enter("user");
  const u2 = shedder.enter("user");
  assert.ok(u1 && u2);
  assert.equal(shedder.enter("user"), null);
  const c1 = shedder.enter("cockpit");
  assert.ok(c1, "a full user budget does not touch the cockpit's");
  assert.equal(shedder.enter("cockpit"), null);
  assert.deepEqual(shedder.stats(), {
    user: { inflight: 2, shed: 1 },
    cockpit: { inflight: 1, shed: 1 },
    pressure: "ok",
  });
  u1();
  u1(); // a second release is ignored
  assert.equal(shedder.stats().user.inflight, 1);
  const u3 = shedder.enter("user");
  assert.ok(u3, "a released slot is reused");
  u2();
  u3();
  c1();
  assert.deepEqual(shedder.stats(), {
    user: { inflight: 0, shed: 1 },
    cockpit: { inflight: 0, shed: 1 },
    pressure: "ok",
  });
});

Deno.test("under pressure every user request is shed while the cockpit is still served", () => {
  const shedder = createLoadShedder({});
  const before = shedder.enter("user");
  assert.ok(before);
  shedder.setPressure("shed");
  assert.equal(shedder.stats().pressure, "shed");
  for (let i = 0; i < 10; i++) assert.equal(shedder.enter("user"), null);
  const cockpit = shedder.enter("cockpit");
  assert.ok(cockpit, "the owner is served first");
  before(); // requests admitted earlier still release cleanly
  cockpit();
  assert.deepEqual(shedder.stats().user, { inflight: 0, shed: 10 });
  shedder.setPressure("ok");
  const after = shedder.enter("user");
  assert.ok(after, "user traffic comes back when pressure clears");
  after();
});

Deno.test("the cockpit budget holds while user traffic floods", () => {
  const shedder = createLoadShedder({ userConcurrency: 256, cockpitConcurrency: 64 });
  const held: (() => void)[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = shedder.enter("user");
    if (r) held.push(r);
  }
  assert.equal(held.length, 256);
  const owner = Array.from({ length: 64 }, () => shedder.enter("cockpit"));
  assert.ok(owner.every((r) => r !== null));
  assert.equal(shedder.enter("cockpit"), null);
  assert.deepEqual(shedder.stats().user, { inflight: 256, shed: 744 });
  for (const r of held) r();
  for (const r of owner) r?.();
  assert.equal(shedder.stats().user.inflight + shedder.stats().cockpit.inflight, 0);
});

Deno.test("budgets must be positive whole numbers", () => {
  assert.throws(() => createLoadShedder({ userConcurrency: 0 }), /user concurrency/);
  assert.throws(() => createLoadShedder({ cockpitConcurrency: 1.5 }), /cockpit concurrency/);
});

Deno.test("a shed request's error is `unavailable` with Retry-After: 5, made once per budget", () => {
  const user = shedError("user");
  assert.equal(user.code, "unavailable");
  assert.equal(user.status, 503);
  assert.equal(SHED_RETRY_AFTER_SECONDS, 5);
  assert.deepEqual(user.headers, { "retry-after": "5" });
  assert.deepEqual(user.details, {});
  assert.equal(
    user.message,
    "fazt is under heavy load and is serving its owner first. Try again in a few seconds.",
  );
  assert.equal(shedError(), user, "user traffic is the default");
  assert.equal(shedError("user"), user, "the same instance every time: no new error per refusal");
  const cockpit = shedError("cockpit");
  assert.equal(cockpit.code, "unavailable");
  assert.deepEqual(cockpit.headers, { "retry-after": "5" });
  assert.match(cockpit.message, /cockpit/);
  assert.throws(
    () => {
      (user.headers as Record<string, string>)["retry-after"] = "0";
    },
    TypeError,
    "a shared error cannot be changed by one caller for the others",
  );
});

Deno.test("shed() counts a request refused before its budget and returns its error", () => {
  const shedder = createLoadShedder({});
  const err = shedder.shed("user");
  assert.equal(err, shedError("user"));
  assert.deepEqual(shedder.stats().user, { inflight: 0, shed: 1 });
  assert.deepEqual(shedder.stats().cockpit, { inflight: 0, shed: 0 });
});
