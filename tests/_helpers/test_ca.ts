/**
 * A throwaway certificate authority for TLS tests, made with Debian's
 * `openssl`: a root, and leaf certificates (ECDSA P-256) for the names a test
 * asks for, so that clients verify the server against the root (never with
 * verification turned off).
 *
 * @module
 */
import { join } from "node:path";

/** A leaf certificate and its key, PEM. */
export interface TestLeaf {
  /** The leaf certificate. */
  certPem: string;
  /** Its private key (PKCS#8). */
  keyPem: string;
}

/** A test certificate authority. */
export interface TestCa {
  /** The root certificate, PEM: what clients trust. */
  caPem: string;
  /** Issues a leaf for `names` (DNS names; IP literals become IP SANs). */
  issue(names: string[]): Promise<TestLeaf>;
  /** Removes the CA's files. */
  remove(): Promise<void>;
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Makes a CA whose root is named `name`. */
export async function makeTestCa(name = "fazt test CA"): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-ca-" });
  await openssl(dir, [
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
  let serial = 0;
  return {
    caPem: await Deno.readTextFile(join(dir, "ca.pem")),
    async issue(names) {
      const n = ++serial;
      const san = names.map((h) => /^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`).join(",");
      await Deno.writeTextFile(join(dir, `${n}.ext`), `subjectAltName=${san}\n`);
      await openssl(dir, [
        "req",
        ...KEY,
        "-keyout",
        `${n}.key`,
        "-out",
        `${n}.csr`,
        "-subj",
        `/CN=${names[0]}`,
      ]);
      await openssl(dir, [
        "x509",
        "-req",
        "-in",
        `${n}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        String(1000 + n),
        "-days",
        "1",
        "-extfile",
        `${n}.ext`,
        "-out",
        `${n}.pem`,
      ]);
      return {
        certPem: await Deno.readTextFile(join(dir, `${n}.pem`)),
        keyPem: await Deno.readTextFile(join(dir, `${n}.key`)),
      };
    },
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
