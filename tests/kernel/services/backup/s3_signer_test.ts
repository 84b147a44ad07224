/**
 * The signer as the S3 target configures it, held to signatures AWS
 * published. S3 examples: Amazon S3 API Reference, "Signature Calculations
 * for the Authorization Header: Transferring Payload in a Single Chunk"
 * (sig-v4-header-based-auth), examples GET Object, PUT Object, GET Bucket
 * Lifecycle and Get Bucket (List Objects). Generic examples: the
 * aws-sig-v4-test-suite cases get-vanilla, get-vanilla-query-order-key-case
 * and post-vanilla. A matching HMAC-SHA256 cannot happen by chance, so each
 * passing vector also confirms its transcription.
 */
import assert from "node:assert/strict";
import { EMPTY_SHA256, signV4 } from "../../../../kernel/services/backup/s3_signer.ts";

const S3_KEYS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const S3_AT = { region: "us-east-1", datetime: "20130524T000000Z" };
const S3_SCOPE = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";

const SUITE_KEYS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const SUITE_AT = { region: "us-east-1", service: "service", datetime: "20150830T123600Z" };
const SUITE_SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

function authorization(scope: string, signed: string, signature: string): string {
  return `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${signed}, Signature=${signature}`;
}

Deno.test("S3 example GET Object (a ranged read of test.txt)", async () => {
  const headers = await signV4({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
    headers: { range: "bytes=0-9" },
    payloadHash: EMPTY_SHA256,
    ...S3_AT,
  }, S3_KEYS);
  assert.equal(
    headers.authorization,
    authorization(
      S3_SCOPE,
      "host;range;x-amz-content-sha256;x-amz-date",
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    ),
  );
  assert.equal(headers["x-amz-date"], "20130524T000000Z");
  assert.equal(headers["x-amz-content-sha256"], EMPTY_SHA256);
});

Deno.test("S3 example PUT Object (a key with $ and a signed payload hash)", async () => {
  const body = "Welcome to Amazon S3.";
  const hash = Buffer.from(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)),
  ).toString("hex");
  assert.equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const headers = await signV4({
    method: "PUT",
    url: new URL("https://examplebucket.s3.amazonaws.com/test$file.text"),
    headers: { date: "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY" },
    payloadHash: hash,
    ...S3_AT,
  }, S3_KEYS);
  assert.equal(
    headers.authorization,
    authorization(
      S3_SCOPE,
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    ),
  );
});

Deno.test("S3 example GET Bucket Lifecycle (a subresource without a value)", async () => {
  const headers = await signV4({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/?lifecycle"),
    payloadHash: EMPTY_SHA256,
    ...S3_AT,
  }, S3_KEYS);
  assert.equal(
    headers.authorization,
    authorization(
      S3_SCOPE,
      "host;x-amz-content-sha256;x-amz-date",
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    ),
  );
});

Deno.test("S3 example Get Bucket (List Objects) with max-keys and prefix", async () => {
  const headers = await signV4({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J"),
    payloadHash: EMPTY_SHA256,
    ...S3_AT,
  }, S3_KEYS);
  assert.equal(
    headers.authorization,
    authorization(
      S3_SCOPE,
      "host;x-amz-content-sha256;x-amz-date",
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    ),
  );
});

for (
  const [name, method, url, signature] of [
    [
      "get-vanilla",
      "GET",
      "https://example.amazonaws.com/",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ],
    [
      "get-vanilla-query-order-key-case",
      "GET",
      "https://example.amazonaws.com/?Param2=value2&Param1=value1",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ],
    [
      "post-vanilla",
      "POST",
      "https://example.amazonaws.com/",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ],
  ]
) {
  Deno.test(`SigV4 test suite: ${name}`, async () => {
    const headers = await signV4({ method, url: new URL(url), ...SUITE_AT }, SUITE_KEYS);
    assert.equal(headers.authorization, authorization(SUITE_SCOPE, "host;x-amz-date", signature));
    assert.equal(headers["x-amz-content-sha256"], undefined, "other services get no S3 header");
  });
}

Deno.test("a session token is sent and signed; a changed secret changes the signature", async () => {
  const request = {
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
    payloadHash: EMPTY_SHA256,
    ...S3_AT,
  };
  const plain = await signV4(request, S3_KEYS);
  const withToken = await signV4(request, { ...S3_KEYS, sessionToken: "TOKEN/EXAMPLE" });
  assert.equal(withToken["x-amz-security-token"], "TOKEN/EXAMPLE");
  assert.match(
    withToken.authorization,
    /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/,
  );
  assert.notEqual(withToken.authorization, plain.authorization);
  const other = await signV4(request, { ...S3_KEYS, secretAccessKey: "another" });
  assert.notEqual(other.authorization, plain.authorization);
  assert.equal(JSON.stringify(plain).includes(S3_KEYS.secretAccessKey), false);
});
