/**
 * Backups in an S3-compatible bucket (`s3://bucket/prefix`): AWS S3,
 * MinIO, R2, B2, Wasabi and the like. Each archive is one object under the
 * prefix, uploaded with a single signed PUT (at most 5 GiB) whose body is
 * covered by the signature: the file's SHA-256 is computed first, so S3
 * refuses bytes that differ from the file on disk, even over plain HTTP
 * to a server on the local network. Requests go through `node:http` over
 * a Deno socket (see `s3_socket.ts` for why neither `fetch` nor
 * `node:https`). Every request fails when no byte moves for `timeoutMs`.
 *
 * @module
 */
import { Agent, type IncomingMessage, request as httpRequest } from "node:http";
import { createReadStream, createWriteStream } from "node:fs";
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { FaztError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";
import type { BackupTarget, StoredBackup } from "./backup_target.ts";
import { EMPTY_SHA256, type S3Credentials, signV4 } from "./s3_signer.ts";
import { parseListPage, parseS3Error } from "./s3_xml.ts";
import { openSocket } from "./s3_socket.ts";
import { parseS3Location, validSegment } from "./s3_location.ts";

/** The largest object one PUT may create (S3's limit). */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/** How to reach a bucket. */
export interface S3TargetOptions extends S3Credentials {
  /** `s3://bucket` or `s3://bucket/prefix`. */
  location: string;
  /**
   * The server's URL, like `http://127.0.0.1:9000` (MinIO) or
   * `https://<account>.r2.cloudflarestorage.com`; buckets are addressed by
   * path (`<endpoint>/<bucket>/<key>`). Omitted: AWS S3 in `region`,
   * addressed by virtual host (`https://<bucket>.s3.<region>.amazonaws.com`).
   */
  endpoint?: string;
  /** Region to sign for (default `us-east-1`; R2 uses `auto`). */
  region?: string;
  /** A request fails when no byte moves for this long (ms, default 60 000). */
  timeoutMs?: number;
  /** Objects per ListObjectsV2 page (1–1000, default 1000). */
  pageSize?: number;
  /** Extra root certificates (PEM) to trust: a self-hosted server with a private CA, tests. */
  caCerts?: string[];
}

/** Percent-encodes a key for a URL path, keeping its `/` (RFC 3986, as SigV4 canonicalizes it). */
function encodeKey(key: string): string {
  return key.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  ).join("/");
}

/** Checks the endpoint URL and returns it without a trailing slash. */
function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    url = new URL("invalid:");
  }
  if (
    (url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password ||
    url.search || url.hash
  ) {
    throw new FaztError(
      "invalid_input",
      `"${endpoint}" is not an S3 endpoint URL. Give the server's base URL, like https://s3.example.com or http://127.0.0.1:9000, without credentials or a query.`,
      { details: { endpoint } },
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

/** What went wrong with one request, before it becomes a {@linkcode FaztError}. */
interface Attempt {
  /** What the request was doing, for messages: "uploading x.tar". */
  doing: string;
  /** The backup's name, for a missing object. */
  name?: string;
}

/** A response whose body has not been read yet. */
type Response = IncomingMessage & { statusCode: number };

/** The largest error or listing body read into memory. */
const MAX_XML_BYTES = 8 * 1024 * 1024;

/** A backup target in an S3-compatible bucket. */
export interface S3Target extends BackupTarget {
  /** Lists one key under the prefix: fails as a backup would when the bucket, keys or endpoint are wrong. */
  check(): Promise<void>;
}

/**
 * Creates a backup target for an S3-compatible bucket. Nothing is sent
 * until a method is called; options are checked at once.
 */
export function createS3Target(options: S3TargetOptions): S3Target {
  const { bucket, prefix, location } = parseS3Location(options.location);
  const region = options.region ?? "us-east-1";
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new FaztError("invalid_input", "pageSize must be an integer from 1 to 1000.");
  }
  const endpoint = options.endpoint ? parseEndpoint(options.endpoint) : undefined;
  const origin = endpoint?.origin ?? `https://${bucket}.s3.${region}.amazonaws.com`;
  const credentials: S3Credentials = {
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    sessionToken: options.sessionToken,
  };

  /** The URL of `key` in the bucket (`""` for the bucket itself). */
  function urlOf(key: string, query: Record<string, string> = {}): URL {
    const url = endpoint
      ? new URL(`${endpoint.href.replace(/\/$/, "")}/${bucket}/${encodeKey(key)}`)
      : new URL(`${origin}/${encodeKey(key)}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  /** Removes every secret from a string that may reach a message or log. */
  function scrub(text: string): string {
    let out = text;
    for (const s of [credentials.secretAccessKey, credentials.sessionToken]) {
      if (s) out = out.split(s).join("****");
    }
    return out;
  }

  /** Sends one signed request; `body` streams a file of a known size and hash. */
  async function send(
    method: string,
    url: URL,
    attempt: Attempt,
    body?: { file: string; size: number; sha256: string },
  ): Promise<Response> {
    const headers = await signV4(
      { method, url, region, payloadHash: body?.sha256 ?? EMPTY_SHA256 },
      credentials,
    );
    if (body) headers["content-length"] = String(body.size);
    headers.host = url.host;
    headers.connection = "close";
    return await new Promise<Response>((resolve, reject) => {
      let answered = false;
      // A server that refuses an upload may answer and close before it reads
      // the body: its answer says more than the broken pipe, so wait for it.
      const fail = (err: unknown) => {
        const broken = err instanceof Deno.errors.BrokenPipe ||
          err instanceof Deno.errors.ConnectionReset ||
          ["EPIPE", "ECONNRESET"].includes((err as { code?: string }).code ?? "");
        if (!broken) return reject(networkError(err, attempt));
        setTimeout(() => answered || reject(networkError(err, attempt)), 1000);
      };
      // node:http asks the request's agent for its socket.
      const agent = Object.assign(new Agent({ keepAlive: false }), {
        createConnection: () =>
          openSocket(url, {
            caCerts: options.caCerts,
            idleMs: timeoutMs,
            onIdle: () => timedOut(attempt),
          }),
      });
      const req = httpRequest({
        host: url.hostname,
        port: Number(url.port) || (url.protocol === "https:" ? 443 : 80),
        method,
        path: url.pathname + url.search,
        headers,
        agent,
      }, (res) => {
        answered = true;
        resolve(res as Response);
      });
      req.on("error", fail);
      if (body) pipeline(createReadStream(body.file), req).catch(fail);
      else req.end();
    });
  }

  function timedOut(attempt: Attempt): FaztError {
    return new FaztError(
      "gateway_timeout",
      `The S3 server at ${origin} sent or took nothing for ${
        timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`
      } while ${attempt.doing} at ${location}. Check the network and the endpoint, then try again.`,
      { details: { location } },
    );
  }

  function networkError(err: unknown, attempt: Attempt): FaztError {
    if (err instanceof FaztError) return err;
    const reason = (err as { code?: string }).code ??
      (err instanceof Error ? err.message.slice(0, 200) : "");
    const untrusted = /certificate/i.test(reason)
      ? " and that its TLS certificate is valid for that name"
      : "";
    return new FaztError(
      "unavailable",
      `Could not reach the S3 server at ${origin} while ${attempt.doing} at ${location}${
        reason ? ` (${scrub(reason)})` : ""
      }. Check the endpoint URL, that the server is running${untrusted}.`,
      { details: { location }, cause: err },
    );
  }

  /** Reads a small body (an error or a listing), refusing more than {@linkcode MAX_XML_BYTES}. */
  async function readText(res: Response, attempt: Attempt): Promise<string> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of res) {
        total += (chunk as Uint8Array).length;
        if (total > MAX_XML_BYTES) {
          res.destroy();
          throw new FaztError(
            "bad_gateway",
            `The S3 server at ${origin} answered with more than ${
              formatBytes(MAX_XML_BYTES)
            } while ${attempt.doing}; is the endpoint an S3 server?`,
            { details: { location } },
          );
        }
        chunks.push(chunk as Uint8Array);
      }
    } catch (err) {
      throw networkError(err, attempt);
    }
    return new TextDecoder().decode(Buffer.concat(chunks));
  }

  /** Turns a non-2xx answer into a {@linkcode FaztError} with S3's code and message. */
  async function failure(res: Response, attempt: Attempt): Promise<FaztError> {
    const { code, message } = parseS3Error(await readText(res, attempt).catch(() => ""));
    const status = res.statusCode;
    const said = code
      ? ` (S3 said ${code}${message ? `: ${scrub(message).slice(0, 300)}` : ""})`
      : ` (HTTP ${status})`;
    const details = { location, status, ...(code ? { s3Code: code } : {}) };
    const fix = "Check the location, endpoint, region and keys with `fazt backup target list`" +
      " and set them again with `fazt backup target set`.";
    if (code === "NoSuchBucket" || (!code && status === 404 && !attempt.name)) {
      return new FaztError(
        "not_found",
        `The bucket "${bucket}" does not exist at ${origin}${said}. Create it there, or fix the location.`,
        { details },
      );
    }
    if (code === "NoSuchKey" || (!code && status === 404)) {
      return new FaztError(
        "not_found",
        `No backup named "${attempt.name}" at ${location}${said}. List the backups there to see their names.`,
        { details },
      );
    }
    if (
      status === 401 || status === 403 || status === 301 || status === 400 &&
        (code === "AuthorizationHeaderMalformed" || code === "InvalidRegion")
    ) {
      return new FaztError(
        "forbidden",
        `The S3 server refused ${attempt.doing} at ${location}${said}. ${fix}`,
        { details },
      );
    }
    if (code === "EntityTooLarge" || status === 413) {
      return new FaztError(
        "payload_too_large",
        `The S3 server refused ${attempt.doing} as too large${said}.`,
        { details },
      );
    }
    return new FaztError(
      status === 503 ? "unavailable" : "bad_gateway",
      `The S3 server at ${origin} failed ${attempt.doing} at ${location}${said}. Try again later; if it persists, ${
        fix[0].toLowerCase()
      }${fix.slice(1)}`,
      { details },
    );
  }

  /** Sends a request that must answer 2xx; returns the open response. */
  async function call(
    method: string,
    url: URL,
    attempt: Attempt,
    body?: { file: string; size: number; sha256: string },
  ): Promise<Response> {
    const res = await send(method, url, attempt, body);
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    throw await failure(res, attempt);
  }

  /** Drains a response whose body is not needed. */
  async function drain(res: Response, attempt: Attempt): Promise<void> {
    await readText(res, attempt);
  }

  function checkName(name: string): void {
    if (!validSegment(name) || name.includes("/") || name.includes("\\") || name.length > 255) {
      throw new FaztError(
        "invalid_input",
        `"${name}" is not a backup name: use a plain file name (no slashes, at most 255 characters).`,
        { details: { name } },
      );
    }
  }

  /** Reads one ListObjectsV2 page of up to `maxKeys` keys. */
  async function listPage(maxKeys: number, token: string | undefined, attempt: Attempt) {
    const query: Record<string, string> = {
      "list-type": "2",
      "max-keys": String(maxKeys),
      prefix,
    };
    if (token) query["continuation-token"] = token;
    const xml = await readText(await call("GET", urlOf("", query), attempt), attempt);
    try {
      return parseListPage(xml);
    } catch (err) {
      throw new FaztError(
        "bad_gateway",
        `The S3 server at ${origin} gave a listing fazt cannot read while ${attempt.doing} at ${location}: ${
          (err as Error).message
        } Is the endpoint an S3 server?`,
        { details: { location }, cause: err },
      );
    }
  }

  return {
    location,

    async check() {
      await listPage(1, undefined, { doing: "checking the bucket" });
    },

    async put(name, file) {
      checkName(name);
      const attempt = { doing: `uploading ${name}`, name };
      const { size } = await Deno.stat(file);
      if (size > MAX_SINGLE_PUT_BYTES) {
        throw new FaztError(
          "payload_too_large",
          `The backup ${name} is ${formatBytes(size)}; one S3 upload holds at most ${
            formatBytes(MAX_SINGLE_PUT_BYTES)
          } and fazt does not do multipart uploads yet. Back up to a folder instead, or free space in the store first.`,
          { details: { name, bytes: size, limit: MAX_SINGLE_PUT_BYTES, location } },
        );
      }
      const hash = createHash("sha256");
      await pipeline(createReadStream(file), hash);
      const sha256 = hash.digest("hex");
      await drain(
        await call("PUT", urlOf(prefix + name), attempt, { file, size, sha256 }),
        attempt,
      );
    },

    async list() {
      const attempt = { doing: "listing backups" };
      const found: StoredBackup[] = [];
      let token: string | undefined;
      do {
        const page = await listPage(pageSize, token, attempt);
        if (page.nextToken !== undefined && page.nextToken === token) {
          throw new FaztError(
            "bad_gateway",
            `The S3 server at ${origin} repeated its continuation token while ${attempt.doing}; the listing would never end.`,
            { details: { location } },
          );
        }
        for (const o of page.objects) {
          const rest = o.key.slice(prefix.length);
          if (!o.key.startsWith(prefix) || rest === "" || rest.includes("/")) continue;
          found.push({ name: rest, bytes: o.size, modifiedAt: o.lastModified });
        }
        token = page.nextToken;
      } while (token !== undefined);
      return found.sort((a, b) =>
        b.modifiedAt - a.modifiedAt || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)
      );
    },

    async fetch(name, toFile) {
      checkName(name);
      const attempt = { doing: `downloading ${name}`, name };
      const partial = `${toFile}.partial`;
      // A local problem (no such folder, no permission) shows as itself, before any download.
      await Deno.writeFile(partial, new Uint8Array(), { mode: 0o600 });
      let res: Response;
      try {
        res = await call("GET", urlOf(prefix + name), attempt);
      } catch (err) {
        await Deno.remove(partial).catch(() => {});
        throw err;
      }
      const expected = Number(res.headers["content-length"]);
      let received = 0;
      try {
        await pipeline(
          res,
          async function* (source: AsyncIterable<Uint8Array>) {
            for await (const chunk of source) {
              received += chunk.length;
              yield chunk;
            }
          },
          createWriteStream(partial, { mode: 0o600 }),
        );
        if (Number.isSafeInteger(expected) && received !== expected) {
          throw new FaztError(
            "bad_gateway",
            `The download of ${name} from ${location} stopped at ${received} of ${expected} bytes. Try again.`,
            { details: { name, location, received, expected } },
          );
        }
        await Deno.rename(partial, toFile);
      } catch (err) {
        await Deno.remove(partial).catch(() => {});
        throw networkError(err, attempt);
      }
    },

    async remove(name) {
      checkName(name);
      const attempt = { doing: `deleting ${name}`, name };
      await drain(await call("HEAD", urlOf(prefix + name), attempt), attempt);
      await drain(await call("DELETE", urlOf(prefix + name), attempt), attempt);
    },
  };
}
