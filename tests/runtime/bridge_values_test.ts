/**
 * Values on the bridge (runtime/bridge_values.ts): bytes cross as tagged
 * base64 at any depth and come back as `Uint8Array`s; app data that looks
 * like a tag comes back unchanged; plain values are neither copied nor
 * changed; what a process taken over sends cannot break the decoder.
 */
import assert from "node:assert/strict";
import { BridgeValueError, decodeValue, encodeValue } from "../../runtime/bridge_values.ts";

/** Sends `value` across as the bridge does: encode, JSON text, parse, decode. */
function roundTrip(value: unknown): unknown {
  return decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));
}

Deno.test("bytes at any depth come back as equal Uint8Arrays", () => {
  const bytes = new Uint8Array([0, 1, 127, 128, 254, 255]);
  const value = {
    top: bytes,
    list: [bytes, "text", [new Uint8Array(0)]],
    nested: { deeper: { blob: new Uint8Array([9]) } },
  };
  const back = roundTrip(value) as typeof value;
  assert.ok(back.top instanceof Uint8Array);
  assert.deepEqual([...back.top], [...bytes]);
  assert.deepEqual([...(back.list[0] as Uint8Array)], [...bytes]);
  assert.equal(back.list[1], "text");
  assert.ok((back.list[2] as Uint8Array[])[0] instanceof Uint8Array);
  assert.deepEqual([...back.nested.deeper.blob], [9]);
  assert.ok(roundTrip(bytes) instanceof Uint8Array, "bytes alone");
});

Deno.test("objects that look like tags come back as the same objects", () => {
  const values: unknown[] = [
    { $bytes: "AAEC" },
    { $bytes: false, $object: { a: 1 } },
    { $bytes: new Uint8Array([1]) },
    [{ $bytes: "x", other: 1 }, { $object: "y" }],
    { outer: { $bytes: { $bytes: "AAEC" } } },
  ];
  const show = (v: unknown) =>
    JSON.stringify(v, (_k, x) => x instanceof Uint8Array ? `<bytes ${[...x]}>` : x);
  for (const value of values) assert.equal(show(roundTrip(value)), show(value));
});

Deno.test("values without bytes or tag-like keys are returned as they are, not copied", () => {
  const plain = { a: [1, { b: "c" }], d: null, e: { f: true } };
  assert.equal(encodeValue(plain), plain);
  const list = ["key", { ttl: 5 }];
  assert.equal(encodeValue(list), list);
  for (const scalar of ["x", 1, true, null, undefined]) assert.equal(encodeValue(scalar), scalar);
});

Deno.test("encoding never changes the caller's values", () => {
  const bytes = new Uint8Array([1, 2]);
  const inner = { blob: bytes };
  const list = [inner, "x"];
  const value = { list, $bytes: "mine" };
  const encoded = encodeValue(value) as Record<string, unknown>;
  assert.notEqual(encoded, value);
  assert.equal(value.list, list);
  assert.equal(list[0], inner);
  assert.equal(inner.blob, bytes);
  assert.equal(value.$bytes, "mine");
});

Deno.test("a __proto__ key stays an own data key both ways", () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "blob": null}');
  value.blob = new Uint8Array([7]);
  const back = roundTrip(value) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.ok(Object.hasOwn(back, "__proto__"));
  assert.deepEqual(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("what a process taken over sends decodes to something, or to an invalid_input error", () => {
  const odd: unknown[] = [
    { $bytes: 5 },
    { $bytes: false },
    { $bytes: false, $object: 5 },
    { $bytes: false, $object: [1, { $bytes: "AQ==" }] },
    { $bytes: null, x: 1 },
  ];
  for (const value of odd) decodeValue(JSON.parse(JSON.stringify(value)));
  const escapedList = decodeValue({ $bytes: false, $object: [{ $bytes: "AQ==" }] }) as unknown[];
  assert.ok(escapedList[0] instanceof Uint8Array);
  assert.throws(
    () => decodeValue({ $bytes: "%%% not base64" }),
    (err: unknown) =>
      err instanceof BridgeValueError && err.code === "invalid_input" && /base64/.test(err.message),
  );
});
