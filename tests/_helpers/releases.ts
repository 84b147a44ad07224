/**
 * Test releases of fazt for upgrade tests. A release's "binary" is a
 * stand-in: an executable shell script that execs the real `main.ts` with
 * the `fazt` task's permissions and an import map replacing exactly three
 * modules, as a compiled build would fix them: the version
 * (`kernel/core/version.ts`), the trusted release keys (a test key), and
 * the executable's own path (`executable.ts`, the installed stand-in);
 * optionally the schema (one more migration, so rollbacks must restore
 * data). Releases are served from a loopback HTTP server with signed
 * manifests.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { FAZT_FLAGS, ROOT } from "./server.ts";
import {
  generateReleaseKeyPair,
  platformName,
  type ReleaseKeyPair,
  signManifest,
} from "../../kernel/services/upgrade/release_manifest.ts";

/** How a test release behaves. */
export type ReleaseKind =
  /** A working fazt of that version. */
  | "good"
  /** A working fazt with one more kernel migration (its data cannot be opened by older ones). */
  | "migrates"
  /** Answers `version` correctly, but `serve` exits at once (after migrating nothing). */
  | "exits"
  /** Answers `version` correctly, but its server migrates and reports another version. */
  | "lies"
  /** Answers `version` correctly, but `serve` never answers (it sleeps). */
  | "hangs";

/** A release built for a test. */
export interface TestRelease {
  /** Its version. */
  version: string;
  /** The stand-in binary. */
  file: string;
}

const moduleUrl = (path: string) => new URL(path, `file://${ROOT}`).href;

/** A folder of test releases plus the loopback server that publishes them. */
export class ReleaseShop {
  /** The test key pair manifests are signed with. */
  keys!: ReleaseKeyPair;
  /** The base URL releases are served under (`<url><version>/manifest.json`). */
  url = "";
  /** Requests per path. */
  readonly hits = new Map<string, number>();
  /** A path whose body stops after half until `release()` (for kills during a download). */
  stall: string | null = null;
  #server?: Deno.HttpServer<Deno.NetAddr>;
  #unstall: (() => void) | null = null;

  constructor(readonly root: string, readonly installedBinary: string) {}

  /** Makes the key pair and starts the server. */
  async start(): Promise<void> {
    this.keys = await generateReleaseKeyPair();
    await Deno.mkdir(join(this.root, "www"), { recursive: true });
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const path = new URL(req.url).pathname;
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = await Deno.readFile(join(this.root, "www", path));
      } catch {
        return new Response("not found", { status: 404 });
      }
      if (path !== this.stall) return new Response(bytes);
      const half = bytes.subarray(0, bytes.length >> 1);
      const gate = new Promise<void>((r) => this.#unstall = r);
      return new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(half);
            await gate;
            c.close();
          },
        }),
        { headers: { "content-length": String(bytes.length) } },
      );
    });
    this.url = `http://127.0.0.1:${this.#server.addr.port}/`;
  }

  /** Lets a stalled download end (short). */
  release(): void {
    this.#unstall?.();
  }

  /** Builds release `version` of `kind` (unpublished). */
  async build(version: string, kind: ReleaseKind = "good"): Promise<TestRelease> {
    const dir = join(this.root, `build-${version}`);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      join(dir, "version.ts"),
      `export const VERSION: string = ${JSON.stringify(version)};\n`,
    );
    await Deno.writeTextFile(
      join(dir, "lie_version.ts"),
      `export const VERSION: string = ${JSON.stringify(`${version}-other`)};\n`,
    );
    await Deno.writeTextFile(
      join(dir, "keys.ts"),
      `export const RELEASE_PUBLIC_KEYS: readonly string[] = [${
        JSON.stringify(this.keys.publicKey)
      }];\nexport const RELEASES_URL: string | null = null;\n`,
    );
    await Deno.writeTextFile(
      join(dir, "executable.ts"),
      `export function faztExecutable(): string | null {\n  return ${
        JSON.stringify(this.installedBinary)
      };\n}\n`,
    );
    const schema = (await Deno.readTextFile(join(ROOT, "kernel/store/schema.ts")))
      .replaceAll('"./', `"${moduleUrl("kernel/store/")}`)
      .replace(
        // After the last entry, whether the list ends in a trailing comma or not.
        /,?\s*\];\s*$/,
        ', { version: KERNEL_MIGRATIONS_BASE_LENGTH + 1, name: "upgrade_test", sql: "CREATE TABLE upgrade_test (x INTEGER)" }];\n',
      )
      .replace(
        "export const KERNEL_MIGRATIONS",
        `const KERNEL_MIGRATIONS_BASE_LENGTH = ${await this
          .#baseMigrations()};\nexport const KERNEL_MIGRATIONS`,
      );
    await Deno.writeTextFile(join(dir, "schema.ts"), schema);
    const map = (versionFile: string, migrates: boolean) => ({
      imports: {
        ...Object.fromEntries(Object.entries(denoJson.imports)),
        [moduleUrl("kernel/core/version.ts")]: `./${versionFile}`,
        [moduleUrl("kernel/services/upgrade/release_keys.ts")]: "./keys.ts",
        [moduleUrl("kernel/services/upgrade/executable.ts")]: "./executable.ts",
        ...(migrates ? { [moduleUrl("kernel/store/schema.ts")]: "./schema.ts" } : {}),
      },
    });
    await Deno.writeTextFile(
      join(dir, "map.json"),
      JSON.stringify(map("version.ts", kind === "migrates")),
    );
    await Deno.writeTextFile(
      join(dir, "lie_map.json"),
      JSON.stringify(map("lie_version.ts", true)),
    );
    const run = (mapFile: string) =>
      `exec ${Deno.execPath()} run ${FAZT_FLAGS.join(" ")} --import-map ${join(dir, mapFile)} ${
        join(ROOT, "main.ts")
      } "$@"`;
    const serveAs = {
      good: run("map.json"),
      migrates: run("map.json"),
      exits: "exit 3",
      lies: run("lie_map.json"),
      hangs: "exec sleep 600",
    }[kind];
    const script = [
      "#!/bin/sh",
      `if [ "$1" = serve ]; then ${serveAs}; fi`,
      run("map.json"),
      "",
    ].join("\n");
    const file = join(dir, "fazt");
    await Deno.writeTextFile(file, script, { mode: 0o755 });
    return { version, file };
  }

  async #baseMigrations(): Promise<number> {
    const { KERNEL_MIGRATIONS } = await import("../../kernel/store/schema.ts");
    return KERNEL_MIGRATIONS.length;
  }

  /**
   * Publishes `release` at `<url><version>/` with a manifest signed by the
   * test key (or `signWith`), optionally claiming a wrong SHA-256.
   */
  async publish(
    release: TestRelease,
    options: { signWith?: string; wrongSha256?: boolean } = {},
  ): Promise<string> {
    const dir = join(this.root, "www", release.version);
    await Deno.mkdir(dir, { recursive: true });
    const bytes = await Deno.readFile(release.file);
    await Deno.writeFile(join(dir, "fazt"), bytes);
    const sha256 = options.wrongSha256
      ? "0".repeat(64)
      : createHash("sha256").update(bytes).digest("hex");
    const manifest = await signManifest(
      {
        version: release.version,
        platforms: { [platformName()]: { url: "fazt", size: bytes.length, sha256 } },
      },
      options.signWith ?? this.keys.privateKey,
    );
    await Deno.writeTextFile(join(dir, "manifest.json"), manifest);
    return `${this.url}${release.version}/manifest.json`;
  }

  /** Stops the server. */
  async close(): Promise<void> {
    this.release();
    await this.#server?.shutdown();
  }
}
