import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import { FaztError } from "../../../../kernel/core/errors.ts";
import { createS3CredentialStore } from "../../../../kernel/services/backup/s3_credentials.ts";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN";

Deno.test("S3 targets are stored sealed, listed masked and opened for the kernel", async () => {
  const dir = await Deno.makeTempDir();
  const db = openDatabase({ path: `${dir}/kernel.db`, migrations: KERNEL_MIGRATIONS });
  try {
    const key = randomBytes(32);
    const store = createS3CredentialStore({ db, key, now: () => 1000 });
    const saved = await store.set({
      location: "s3://backups/fazt/",
      endpoint: "http://127.0.0.1:9000",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: `${SECRET}\n`,
      sessionToken: TOKEN,
    });
    assert.deepEqual(saved, {
      location: "s3://backups/fazt",
      endpoint: "http://127.0.0.1:9000",
      region: "us-east-1",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "****",
      sessionToken: "****",
      createdAt: 1000,
      updatedAt: 1000,
    });
    assert.deepEqual(store.list(), [saved]);
    assert.equal(JSON.stringify(store.list()).includes(SECRET), false);

    await db.checkpoint();
    const file = Buffer.from(await Deno.readFile(`${dir}/kernel.db`));
    assert.equal(file.includes(SECRET), false, "no clear secret in the database file");
    assert.equal(file.includes(TOKEN), false, "no clear token in the database file");

    assert.deepEqual(store.open("s3://backups/fazt"), {
      location: "s3://backups/fazt",
      endpoint: "http://127.0.0.1:9000",
      region: "us-east-1",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: SECRET,
      sessionToken: TOKEN,
    });
    assert.throws(
      () => createS3CredentialStore({ db, key: randomBytes(32) }).open("s3://backups/fazt"),
      "another data folder's key does not open it",
    );

    const replaced = await store.set({
      location: "s3://backups/fazt",
      region: "eu-west-1",
      accessKeyId: "AKIDOTHER",
      secretAccessKey: "other",
    });
    assert.equal(replaced.sessionToken, null);
    assert.equal(replaced.endpoint, null);
    assert.equal(store.open("s3://backups/fazt").sessionToken, undefined);

    for (
      const bad of [
        { location: "backups", accessKeyId: "a", secretAccessKey: "b" },
        {
          location: "s3://backups",
          region: "Not A Region",
          accessKeyId: "a",
          secretAccessKey: "b",
        },
        { location: "s3://backups", accessKeyId: "a b", secretAccessKey: "b" },
        { location: "s3://backups", accessKeyId: "a", secretAccessKey: "  " },
        { location: "s3://backups", endpoint: "ftp://x", accessKeyId: "a", secretAccessKey: "b" },
      ]
    ) {
      await assert.rejects(
        () => store.set(bad),
        (e) => e instanceof FaztError && e.code === "invalid_input",
        JSON.stringify(bad),
      );
    }

    await store.remove("s3://backups/fazt/");
    assert.deepEqual(store.list(), []);
    await assert.rejects(
      () => store.remove("s3://backups/fazt"),
      (e) =>
        e instanceof FaztError && e.code === "not_found" &&
        /fazt backup target set s3:\/\/backups\/fazt/.test(e.message),
    );
    assert.throws(
      () => store.open("s3://backups/fazt"),
      (e) => e instanceof FaztError && e.code === "not_found",
    );
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
