/**
 * `fazt-app.json` parsing: the format name, the format version (newer ones
 * are refused with a pointer to upgrading), and the schema.
 */
import assert from "node:assert/strict";
import {
  ARCHIVE_FORMAT_VERSION,
  parseArchiveManifest,
} from "../../../../kernel/services/apps/app_archive.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";

const enc = new TextEncoder();

function valid(): Record<string, unknown> {
  return {
    format: "fazt-app",
    formatVersion: 1,
    faztVersion: "0.1.0",
    exportedAt: "2026-12-07T00:00:00.000Z",
    withData: true,
    app: { id: "app_abcdefghijkmnpqr", name: "blog", title: null },
    manifest: { title: "Blog" },
    files: [{ path: "index.html", size: 3, sha256: "a".repeat(64) }],
    data: [{ path: "data/store.db", size: 4096, sha256: "b".repeat(64) }],
  };
}

function refusal(value: unknown): { reason: unknown; message: string } {
  const bytes = typeof value === "string" ? enc.encode(value) : enc.encode(JSON.stringify(value));
  try {
    parseArchiveManifest(bytes);
  } catch (err) {
    assert.ok(err instanceof FaztError);
    assert.equal(err.code, "invalid_archive");
    return { reason: err.details.reason, message: err.message };
  }
  throw new Error("expected a refusal");
}

Deno.test("a valid fazt-app.json parses", () => {
  const m = parseArchiveManifest(enc.encode(JSON.stringify(valid())));
  assert.equal(m.app.name, "blog");
  assert.equal(m.formatVersion, ARCHIVE_FORMAT_VERSION);
  assert.equal(m.data[0].path, "data/store.db");
});

Deno.test("fazt-app.json refusals name their reason", () => {
  assert.equal(refusal("{not json").reason, "bad_manifest");
  assert.equal(refusal([1, 2]).reason, "not_fazt_archive");
  assert.equal(refusal({ ...valid(), format: "zip" }).reason, "not_fazt_archive");
  const newer = refusal({ ...valid(), formatVersion: 99, somethingNew: true });
  assert.equal(newer.reason, "format_version");
  assert.match(newer.message, /Upgrade fazt/);
  assert.equal(refusal({ ...valid(), formatVersion: 0 }).reason, "bad_manifest");
  assert.equal(refusal({ ...valid(), extra: 1 }).reason, "bad_manifest");
  const badId = refusal({ ...valid(), app: { id: "app_../../x", name: "b", title: null } });
  assert.equal(badId.reason, "bad_manifest");
  assert.match(badId.message, /"app\.id"/);
  const badData = {
    ...valid(),
    data: [{ path: "data/../kernel.db", size: 1, sha256: "c".repeat(64) }],
  };
  assert.equal(refusal(badData).reason, "bad_manifest");
  const badHash = { ...valid(), files: [{ path: "a", size: 1, sha256: "XYZ" }] };
  assert.equal(refusal(badHash).reason, "bad_manifest");
});
