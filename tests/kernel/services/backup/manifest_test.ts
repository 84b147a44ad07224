import assert from "node:assert/strict";
import {
  backupName,
  compareVersions,
  parseBackupName,
  parseManifest,
} from "../../../../kernel/services/backup/manifest.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";

Deno.test("backup names carry the UTC second the snapshot began and the version", () => {
  const at = Date.UTC(2026, 11, 7, 21, 9, 48, 512);
  const name = backupName(at, "1.2.3-rc.1");
  assert.equal(name, "fazt-backup-20261207T210948Z-1.2.3-rc.1.tar");
  assert.deepEqual(parseBackupName(name), {
    startedAt: Date.UTC(2026, 11, 7, 21, 9, 48),
    version: "1.2.3-rc.1",
  });
  for (const bad of ["fazt-backup-x.tar", ".fazt-backup-20261207T210948Z-1.0.0.tar", "a.tar"]) {
    assert.equal(parseBackupName(bad), null, bad);
  }
});

Deno.test("versions compare like semver", () => {
  assert.ok(compareVersions("0.2.0", "0.10.0") < 0);
  assert.ok(compareVersions("1.0.0", "1.0.0-rc.1") > 0);
  assert.ok(compareVersions("1.0.0-rc.1", "1.0.0-rc.2") < 0);
  assert.equal(compareVersions("1.0.0", "1.0.0"), 0);
  assert.ok(compareVersions("2.0.0", "1.99.99") > 0);
});

Deno.test("a manifest with a path outside the data layout is refused", () => {
  const manifest = {
    format: "fazt-backup",
    formatVersion: 1,
    version: "0.1.0",
    schemaVersion: 1,
    appStoreSchemaVersion: 1,
    startedAt: 1,
    finishedAt: 2,
    files: [{ path: "../etc/passwd", kind: "file", bytes: 1, sha256: "0".repeat(64) }],
  };
  assert.throws(() => parseManifest("x.tar", JSON.stringify(manifest)), FaztError);
  manifest.files[0].path = "kernel.db";
  assert.equal(parseManifest("x.tar", JSON.stringify(manifest)).files.length, 1);
  assert.throws(() => parseManifest("x.tar", "{"), /not JSON/);
});
