/**
 * The S3 target against a real S3-compatible server on loopback (npm
 * s3rver, which checks no signatures: the signer's vectors test covers
 * those), and against plain loopback servers for the failures s3rver
 * cannot produce (silence, an error that quotes a key).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { FaztError } from "../../../../kernel/core/errors.ts";
import {
  createS3Target,
  MAX_SINGLE_PUT_BYTES,
  type S3TargetOptions,
} from "../../../../kernel/services/backup/s3_target.ts";
import { parseS3Location } from "../../../../kernel/services/backup/s3_location.ts";
import { signV4 } from "../../../../kernel/services/backup/s3_signer.ts";
import { S3RVER_ACCESS_KEY_ID, withS3rver } from "../../../_helpers/s3rver.ts";
import { createTestCa } from "../../../_helpers/openssl.ts";

const SECRET = "s3cr3t-Key/with+chars";
const TOKEN = "session-token-value";

function options(endpoint: string, location: string, extra: Partial<S3TargetOptions> = {}) {
  return {
    location,
    endpoint,
    region: "us-east-1",
    accessKeyId: S3RVER_ACCESS_KEY_ID,
    secretAccessKey: SECRET,
    sessionToken: TOKEN,
    ...extra,
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, text: RegExp): Promise<FaztError> {
  const err = await p.then(() => undefined, (e) => e);
  assert.ok(err instanceof FaztError, `expected a FaztError, got ${err}`);
  assert.equal(err.code, code, err.message);
  assert.match(err.message, text);
  const shown = err.message + JSON.stringify(err.details);
  assert.equal(shown.includes(SECRET), false, "the secret key never shows");
  assert.equal(shown.includes(TOKEN), false, "the session token never shows");
  return err;
}

Deno.test("locations are parsed, normalized and checked", () => {
  assert.deepEqual(parseS3Location("s3://backups"), {
    bucket: "backups",
    prefix: "",
    location: "s3://backups",
  });
  assert.deepEqual(parseS3Location("s3://my.backups/fazt/box1/"), {
    bucket: "my.backups",
    prefix: "fazt/box1/",
    location: "s3://my.backups/fazt/box1",
  });
  for (const bad of ["backups", "s3://", "s3://B", "s3://a..b", "s3://ok/x/../y", "s3://ok/a//b"]) {
    assert.throws(
      () => parseS3Location(bad),
      (e) => e instanceof FaztError && e.code === "invalid_input",
      bad,
    );
  }
  assert.throws(
    () => createS3Target({ ...options("ftp://x", "s3://backups") }),
    (e) => e instanceof FaztError && e.code === "invalid_input",
  );
});

Deno.test("put, list with a prefix over several pages, fetch byte-exact, remove", async () => {
  await withS3rver(async (endpoint, dir) => {
    const target = createS3Target(options(endpoint, "s3://backups/fazt/box1/", { pageSize: 2 }));
    assert.equal(target.location, "s3://backups/fazt/box1");
    const other = createS3Target(options(endpoint, "s3://backups/fazt"));
    const nested = createS3Target(options(endpoint, "s3://backups/fazt/box1/old"));

    const big = join(dir, "big.tar");
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    await Deno.writeFile(big, bytes);
    const names = [
      "fazt-backup-1.tar",
      "fazt-backup-2.tar",
      "fazt backup (3):x.tar",
      "b4.tar",
      "b5.tar",
    ];
    for (const name of names) {
      await target.put(name, big);
      await new Promise((r) => setTimeout(r, 5));
    }
    await other.put("outside.tar", big);
    await nested.put("deeper.tar", big);

    const listed = await target.list();
    assert.deepEqual(
      listed.map((b) => b.name).sort(),
      [...names].sort(),
      "only objects directly under the prefix",
    );
    assert.ok(listed.every((b) => b.bytes === bytes.length));
    for (let i = 1; i < listed.length; i++) {
      assert.ok(listed[i - 1].modifiedAt >= listed[i].modifiedAt, "newest first");
    }
    assert.deepEqual((await other.list()).map((b) => b.name), ["outside.tar"]);

    const back = join(dir, "back.tar");
    await target.fetch("fazt backup (3):x.tar", back);
    assert.deepEqual(await Deno.readFile(back), new Uint8Array(bytes));
    assert.equal(
      (await Array.fromAsync(Deno.readDir(dir))).some((e) => e.name.endsWith(".partial")),
      false,
    );

    await target.remove("b4.tar");
    assert.deepEqual((await target.list()).map((b) => b.name).includes("b4.tar"), false);
    await rejectsWith(target.remove("b4.tar"), "not_found", /No backup named "b4\.tar"/);
    await rejectsWith(
      target.fetch("b4.tar", back),
      "not_found",
      /No backup named "b4\.tar" at s3:\/\/backups\/fazt\/box1/,
    );
    assert.deepEqual(
      await Deno.readFile(back),
      new Uint8Array(bytes),
      "a failed fetch leaves the file alone",
    );
    await rejectsWith(target.put("../x.tar", big), "invalid_input", /not a backup name/);
    await assert.rejects(
      () => target.fetch("b5.tar", join(dir, "no-such-folder", "x.tar")),
      Deno.errors.NotFound,
      "a local folder problem shows as itself, not as a network one",
    );
  });
});

Deno.test("a missing bucket is a clear not_found; an unknown key is refused", async () => {
  await withS3rver(async (endpoint, dir) => {
    const target = createS3Target(options(endpoint, "s3://no-such-bucket/fazt"));
    const err = await rejectsWith(
      target.list(),
      "not_found",
      /The bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ \(S3 said NoSuchBucket/,
    );
    assert.equal(err.details.s3Code, "NoSuchBucket");
    const file = join(dir, "f.tar");
    await Deno.writeFile(file, new Uint8Array(10));
    await rejectsWith(target.put("f.tar", file), "not_found", /does not exist/);
    const stranger = createS3Target(
      options(endpoint, "s3://backups/fazt", { accessKeyId: "AKIDUNKNOWN" }),
    );
    const refused = await rejectsWith(
      stranger.put("f.tar", file),
      "forbidden",
      /refused uploading f\.tar at s3:\/\/backups\/fazt \(S3 said InvalidAccessKeyId: .*\)\. Check the location, endpoint, region and keys/,
    );
    assert.equal(refused.details.status, 403);
  });
});

Deno.test("an archive over 5 GiB is refused before anything is sent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "huge.tar");
    await Deno.writeFile(file, new Uint8Array(0));
    await Deno.truncate(file, MAX_SINGLE_PUT_BYTES + 1);
    const target = createS3Target(options("http://127.0.0.1:9", "s3://backups"));
    await rejectsWith(
      target.put("huge.tar", file),
      "payload_too_large",
      /at most 5 GiB.*multipart/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreachable server and a silent one fail with what to check", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  await rejectsWith(
    createS3Target(options(`http://127.0.0.1:${port}`, "s3://backups")).list(),
    "unavailable",
    /Could not reach the S3 server at http:\/\/127\.0\.0\.1:\d+ while listing backups.*Check the endpoint/,
  );

  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    const target = createS3Target(
      options(`http://127.0.0.1:${(silent.addr as Deno.NetAddr).port}`, "s3://backups", {
        timeoutMs: 300,
      }),
    );
    await rejectsWith(
      target.list(),
      "gateway_timeout",
      /sent or took nothing for 300 ms while listing backups/,
    );
  } finally {
    silent.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }
});

Deno.test("S3's error code and message reach the error, with any key in it masked", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>Key ${SECRET} &amp; token ${TOKEN} do not match</Message><StringToSign>${SECRET}</StringToSign></Error>`,
      { status: 403, headers: { "content-type": "application/xml" } },
    ));
  try {
    const target = createS3Target(
      options(`http://127.0.0.1:${server.addr.port}`, "s3://backups/x"),
    );
    const err = await rejectsWith(
      target.list(),
      "forbidden",
      /refused listing backups at s3:\/\/backups\/x \(S3 said SignatureDoesNotMatch: Key \*\*\*\* & token \*\*\*\* do not match\)\. Check the location, endpoint, region and keys/,
    );
    assert.equal(err.details.status, 403);
  } finally {
    await server.shutdown();
  }
});

Deno.test("an upload sends a Content-Length, the file's SHA-256 and a signature over what was sent", async () => {
  const seen: { method: string; url: string; headers: Headers }[] = [];
  const bodies: Uint8Array[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({ method: req.method, url: req.url, headers: new Headers(req.headers) });
    bodies.push(new Uint8Array(await req.arrayBuffer()));
    return new Response(null, { status: 200 });
  });
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "a b+c.tar");
    const bytes = randomBytes(200_000);
    await Deno.writeFile(file, bytes);
    const endpoint = `http://127.0.0.1:${server.addr.port}/base`;
    await createS3Target(options(endpoint, "s3://backups/p q")).put("a b+c.tar", file);
    const [req] = seen;
    assert.equal(req.method, "PUT");
    assert.equal(new URL(req.url).pathname, "/base/backups/p%20q/a%20b%2Bc.tar");
    assert.equal(req.headers.get("content-length"), String(bytes.length), "not chunked");
    assert.equal(req.headers.get("transfer-encoding"), null);
    assert.deepEqual(bodies[0], new Uint8Array(bytes));
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    assert.equal(req.headers.get("x-amz-content-sha256"), sha256);
    assert.equal(req.headers.get("x-amz-security-token"), TOKEN);

    // Signing again what arrived, at the time it was signed, gives the same signature:
    // the path, host and headers sent are the ones signed.
    const signedNames = /SignedHeaders=([^,]+)/.exec(req.headers.get("authorization")!)![1];
    const headers = Object.fromEntries(
      signedNames.split(";").filter((h) =>
        !["host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"].includes(h)
      ).map((h) => [h, req.headers.get(h)!]),
    );
    const again = await signV4({
      method: "PUT",
      url: new URL(req.url.replace(/^http:\/\/[^/]+/, `http://${req.headers.get("host")}`)),
      headers,
      payloadHash: sha256,
      region: "us-east-1",
      datetime: req.headers.get("x-amz-date")!,
    }, { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN });
    assert.equal(req.headers.get("authorization"), again.authorization);
    assert.match(signedNames, /^host;x-amz-content-sha256;x-amz-date;x-amz-security-token$/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("over HTTPS the server's certificate is verified; a trusted one serves a listing", async () => {
  const ca = await createTestCa();
  const leaf = await ca.issue({ sans: ["DNS:localhost"] });
  const hosts: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.certPem,
    key: leaf.keyPem,
    onListen() {},
  }, (req) => {
    hosts.push(req.headers.get("host") ?? "");
    return new Response(
      `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>fazt/a.tar</Key><Size>3</Size><LastModified>2026-12-07T21:00:00Z</LastModified></Contents></ListBucketResult>`,
    );
  });
  try {
    const endpoint = `https://localhost:${server.addr.port}`;
    const trusted = createS3Target(options(endpoint, "s3://backups/fazt", { caCerts: [ca.caPem] }));
    assert.deepEqual(await trusted.list(), [
      { name: "a.tar", bytes: 3, modifiedAt: Date.UTC(2026, 11, 7, 21) },
    ]);
    assert.deepEqual(hosts, [`localhost:${server.addr.port}`]);
    await rejectsWith(
      createS3Target(options(endpoint, "s3://backups/fazt")).list(),
      "unavailable",
      /Could not reach the S3 server at https:\/\/localhost:\d+ while listing backups .*certificate.*that its TLS certificate is valid/,
    );
    assert.equal(hosts.length, 1, "an untrusted server is sent no request");
  } finally {
    await server.shutdown();
    await ca.remove();
  }
});
