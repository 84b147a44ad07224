import assert from "node:assert/strict";
import {
  bitString,
  contextTag,
  objectIdentifier,
  sequence,
  setOf,
  tlv,
  unsignedInteger,
  utf8String,
} from "../../../../kernel/services/tls/der.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

Deno.test("lengths use the short form below 128 bytes and the long form from 128", () => {
  assert.equal(hex(tlv(0x04, new Uint8Array(127))).slice(0, 4), "047f");
  assert.equal(hex(tlv(0x04, new Uint8Array(128))).slice(0, 6), "048180");
  assert.equal(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8), "0482012c");
  assert.equal(tlv(0x04, new Uint8Array(300)).length, 304);
});

Deno.test("integers are minimal and positive", () => {
  assert.equal(hex(unsignedInteger(Uint8Array.of(0))), "020100");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0, 0, 5))), "020105");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0x80))), "02020080", "a sign byte is added");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0, 0x7f, 1))), "02027f01");
  assert.equal(hex(unsignedInteger(new Uint8Array(0))), "020100");
});

Deno.test("object identifiers encode their arcs in base 128", () => {
  assert.equal(hex(objectIdentifier("2.5.4.3")), "0603550403");
  assert.equal(hex(objectIdentifier("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  assert.equal(hex(objectIdentifier("1.2.840.113549.1.9.14")), "06092a864886f70d01090e");
  assert.throws(() => objectIdentifier("1"), /not an object identifier/);
  assert.throws(() => objectIdentifier("1.x.3"), /not an object identifier/);
});

Deno.test("strings, bit strings, context tags, sequences and sorted sets", () => {
  assert.equal(hex(utf8String("é")), "0c02c3a9");
  assert.equal(hex(bitString(Uint8Array.of(0xff))), "030200ff");
  assert.equal(hex(contextTag(2, false, Uint8Array.of(0x61))), "820161");
  assert.equal(hex(contextTag(0, true, sequence())), "a0023000");
  assert.equal(hex(sequence(Uint8Array.of(5, 0))), "30020500");
  const b = Uint8Array.of(0x04, 1, 2);
  const a = Uint8Array.of(0x04, 1, 1);
  assert.equal(hex(setOf(b, a)), "3106040101040102");
});
