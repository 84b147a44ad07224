/**
 * Certificates made with the `openssl` command (present on Debian) for TLS
 * tests: a throwaway CA that issues leaves with chosen names, validity dates
 * and key types.
 *
 * @module
 */
import { join } from "node:path";

/** Runs `openssl` in `dir`; throws with its stderr when it fails. */
export async function openssl(dir: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** What {@linkcode TestCa.issue} makes. */
export interface IssueOptions {
  /** subjectAltName entries, e.g. `["DNS:a.example.test", "IP:127.0.0.1"]`. */
  sans: string[];
  /** Subject common name (default: none). */
  commonName?: string;
  /** Validity start (default: an hour ago). */
  notBefore?: Date;
  /** Expiry (default: in two days). */
  notAfter?: Date;
  /** Key type (default EC P-256). */
  keyType?: "ec" | "rsa";
}

/** A leaf certificate and its key, PEM. */
export interface IssuedCertificate {
  /** The leaf certificate. */
  certPem: string;
  /** Its private key (PKCS#8). */
  keyPem: string;
}

/** A throwaway certificate authority. */
export interface TestCa {
  /** The CA certificate, PEM. */
  caPem: string;
  /** Issues a leaf certificate. */
  issue(options: IssueOptions): Promise<IssuedCertificate>;
  /** Removes the CA's files. */
  remove(): Promise<void>;
}

const CA_CONFIG = `[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = optional
`;

function opensslTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
}

function keyArgs(type: "ec" | "rsa"): string[] {
  return type === "ec"
    ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    : ["-newkey", "rsa:2048", "-nodes"];
}

/** Makes a CA (ECDSA P-256, valid two days) in a temporary folder. */
export async function createTestCa(name = "fazt test CA"): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-test-ca-" });
  await openssl(dir, [
    "req",
    "-x509",
    ...keyArgs("ec"),
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
  await Deno.writeTextFile(join(dir, "ca.cnf"), CA_CONFIG);
  await Deno.writeTextFile(join(dir, "index.txt"), "");
  await Deno.writeTextFile(join(dir, "serial"), "01\n");
  let n = 0;
  return {
    caPem: await Deno.readTextFile(join(dir, "ca.pem")),
    async issue(options) {
      const leaf = `leaf${++n}`;
      await Deno.writeTextFile(
        join(dir, `${leaf}.cnf`),
        `subjectAltName=${options.sans.join(",")}\nbasicConstraints=CA:FALSE\n` +
          "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
      );
      await openssl(dir, [
        "req",
        ...keyArgs(options.keyType ?? "ec"),
        "-keyout",
        `${leaf}.key`,
        "-out",
        `${leaf}.csr`,
        "-subj",
        options.commonName ? `/CN=${options.commonName}` : "/",
      ]);
      await openssl(dir, [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "ca.pem",
        "-keyfile",
        "ca.key",
        "-in",
        `${leaf}.csr`,
        "-out",
        `${leaf}.pem`,
        "-startdate",
        opensslTime(options.notBefore ?? new Date(Date.now() - 3_600_000)),
        "-enddate",
        opensslTime(options.notAfter ?? new Date(Date.now() + 2 * 86_400_000)),
        "-extfile",
        `${leaf}.cnf`,
        "-notext",
      ]);
      return {
        certPem: await Deno.readTextFile(join(dir, `${leaf}.pem`)),
        keyPem: await Deno.readTextFile(join(dir, `${leaf}.key`)),
      };
    },
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
