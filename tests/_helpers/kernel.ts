/**
 * In-process kernel helpers: a real kernel on a temp data folder, driven
 * through its real HTTP handler (no socket), for fast tests of the REST
 * codec, operations and services.
 *
 * @module
 */
import { zipSync } from "fflate";
import { createKernel, type Kernel } from "../../kernel/boot/kernel.ts";
import type { KernelConfig } from "../../kernel/boot/config.ts";

/** A kernel on a temp folder plus request helpers. */
export interface TestKernel {
  /** The kernel. */
  kernel: Kernel;
  /** The temp data folder. */
  dataDir: string;
  /** Calls the REST API (owner token unless `token` is given; `null` = none). */
  api(method: string, path: string, init?: ApiInit): Promise<Response>;
  /** Deploys files (path → text) as an app through the REST API. */
  deploy(app: string, files: Record<string, string | Uint8Array>): Promise<Response>;
  /** Requests a path on a host. */
  get(host: string, path: string, headers?: Record<string, string>): Promise<Response>;
}

/** Options for {@linkcode TestKernel.api}. */
export interface ApiInit {
  /** JSON body (objects are serialised). */
  body?: unknown;
  /** Raw body and its content type. */
  raw?: { body: BodyInit; type: string };
  /** Bearer token; `null` sends none. */
  token?: string | null;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** Zips files given as path → text or bytes. */
export function zipFiles(files: Record<string, string | Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? enc.encode(v) : v]),
    ),
  );
}

/** Runs `fn` with a fresh kernel and always closes it and removes its folder. */
export async function withKernel(
  fn: (t: TestKernel) => Promise<void>,
  config: Partial<KernelConfig> = {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-kernel-" });
  const kernel = await createKernel({ dataDir, ...config });
  const t: TestKernel = {
    kernel,
    dataDir,
    async api(method, path, init = {}) {
      const headers = new Headers(init.headers);
      const token = init.token === undefined ? kernel.ownerToken : init.token;
      if (token !== null) headers.set("authorization", `Bearer ${token}`);
      let body: BodyInit | undefined;
      if (init.raw) {
        body = init.raw.body;
        headers.set("content-type", init.raw.type);
      } else if (init.body !== undefined) {
        body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
      return await kernel.handler(
        new Request(`http://127.0.0.1/_fazt/api${path}`, { method, headers, body }),
      );
    },
    deploy(app, files) {
      return t.api("POST", `/deploy?app=${encodeURIComponent(app)}`, {
        raw: { body: zipFiles(files) as Uint8Array<ArrayBuffer>, type: "application/zip" },
      });
    },
    async get(host, path, headers = {}) {
      return await kernel.handler(
        new Request(`http://${host}${path}`, { headers: { host, ...headers } }),
      );
    },
  };
  try {
    await fn(t);
  } finally {
    await kernel.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}
