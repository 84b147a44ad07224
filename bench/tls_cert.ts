/**
 * The https suite's certificate: a throwaway CA and one leaf signed by it,
 * both ECDSA P-256, made with the `openssl` command in the suite's temp
 * folder. fazt, Caddy and nginx all serve the same leaf and key; clients
 * that verify trust the CA.
 *
 * @module
 */
import { join } from "node:path";

/** The files of the benchmark certificate. */
export interface BenchCertificate {
  /** The CA certificate (PEM), for clients that verify. */
  caFile: string;
  /** The leaf certificate (PEM; the whole chain, since the CA is the root). */
  certFile: string;
  /** The leaf's private key (PEM, PKCS#8). */
  keyFile: string;
  /** The leaf's subject alternative names. */
  names: string[];
  /** Key type and signature, as the report states them. */
  description: string;
}

async function openssl(openssl: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(openssl, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `openssl ${args.join(" ")} failed (exit ${out.code}):\n${dec.decode(out.stdout)}${
        dec.decode(out.stderr)
      }`,
    );
  }
}

/**
 * Makes a CA and a leaf for `names` (DNS names, wildcards allowed) in `dir`,
 * valid for two days, with ECDSA P-256 keys and SHA-256 signatures.
 */
export async function makeBenchCertificate(
  opensslPath: string,
  dir: string,
  names: string[],
): Promise<BenchCertificate> {
  await Deno.mkdir(dir, { recursive: true });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(opensslPath, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-sha256",
    "-subj",
    "/CN=fazt benchmark CA",
  ], dir);
  await openssl(opensslPath, [
    "req",
    "-new",
    ...ec,
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    `/CN=${names[0]}`,
  ], dir);
  await Deno.writeTextFile(
    join(dir, "leaf.ext"),
    [
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await openssl(opensslPath, [
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "2",
    "-sha256",
    "-extfile",
    "leaf.ext",
  ], dir);
  return {
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "leaf.pem"),
    keyFile: join(dir, "leaf.key"),
    names,
    description: "ECDSA P-256 leaf (SHA-256) signed by a throwaway ECDSA P-256 CA",
  };
}
