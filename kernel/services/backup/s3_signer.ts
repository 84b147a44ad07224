/**
 * AWS Signature Version 4 for S3 requests, done by `aws4fetch`'s signer
 * (a small, well-kept library on Web Crypto). We sign every header we pass
 * (`allHeaders`), so what is signed is exactly what the caller chose; the
 * tests hold this configuration to AWS's published signatures.
 *
 * @module
 */
import { AwsV4Signer } from "aws4fetch";

/** The SHA-256 of an empty payload, for requests without a body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** The keys a request is signed with. */
export interface S3Credentials {
  /** Access key ID (shown in listings). */
  accessKeyId: string;
  /** Secret access key (never shown). */
  secretAccessKey: string;
  /** Session token of temporary credentials (never shown). */
  sessionToken?: string;
}

/** One request to sign. */
export interface SignRequest {
  /** HTTP method. */
  method: string;
  /** Full URL; its host (with a non-default port) is signed. */
  url: URL;
  /** Headers to send and sign (besides host, x-amz-date and the payload hash). */
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`; sent as `x-amz-content-sha256` (S3 requires it). Omit for other services. */
  payloadHash?: string;
  /** Region, like `us-east-1` (`auto` for R2). */
  region: string;
  /** Service name (default `s3`). */
  service?: string;
  /** Signing time as `YYYYMMDDTHHMMSSZ` (default: now). */
  datetime?: string;
}

/**
 * Signs `request` and returns the headers to send with it: the given ones
 * plus `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a
 * session token) and `authorization`. `host` is left to the HTTP client,
 * which sends the URL's host as signed.
 */
export async function signV4(
  request: SignRequest,
  credentials: S3Credentials,
): Promise<Record<string, string>> {
  const headers = new Headers(request.headers);
  if (request.payloadHash !== undefined) headers.set("x-amz-content-sha256", request.payloadHash);
  const signer = new AwsV4Signer({
    method: request.method,
    url: request.url.href,
    headers,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
    service: request.service ?? "s3",
    region: request.region,
    datetime: request.datetime,
    allHeaders: true,
  });
  const signed = await signer.sign();
  return Object.fromEntries(signed.headers);
}
