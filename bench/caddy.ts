/**
 * A throwaway Caddy serving the benchmark site over HTTPS with a given
 * certificate: its Caddyfile, home and XDG folders inside the benchmark's
 * temp dir (so it writes nothing elsewhere), the admin endpoint off, no
 * automatic HTTPS redirects, bound to a free 127.0.0.1 port, run in the
 * foreground with `caddy run`.
 *
 * @module
 */
import { join } from "node:path";
import { type Child, freePort, spawnChild, waitForPort } from "./process.ts";

/** A running Caddy. */
export interface CaddyServer {
  /** The HTTPS port. */
  port: number;
  /** The process. */
  child: Child;
  /** The command line that started it. */
  command: string[];
  /** The generated Caddyfile. */
  config: string;
}

/** The Caddyfile the benchmark runs. */
export function caddyfile(options: {
  siteDir: string;
  port: number;
  /** A free port for Caddy's plain-HTTP server, which it binds even with nothing to serve. */
  httpPort: number;
  certFile: string;
  keyFile: string;
  /** `tls protocols`, e.g. `tls1.3`. */
  protocols: string;
  /** `tls curves`, e.g. `secp256r1`. */
  curve: string;
}): string {
  const { siteDir, port, httpPort, certFile, keyFile, protocols, curve } = options;
  return [
    "{",
    "\tadmin off",
    "\tauto_https disable_redirects",
    "\tskip_install_trust",
    `\thttp_port ${httpPort}`,
    `\thttps_port ${port}`,
    "\tservers {",
    // No HTTP/3 (a UDP listener wrk never uses).
    "\t\tprotocols h1 h2",
    "\t}",
    "}",
    `https://localhost:${port} {`,
    "\tbind 127.0.0.1",
    `\ttls ${certFile} ${keyFile} {`,
    `\t\tprotocols ${protocols}`,
    `\t\tcurves ${curve}`,
    "\t}",
    `\troot * ${siteDir}`,
    "\tfile_server",
    "}",
    "",
  ].join("\n");
}

/**
 * Writes a Caddyfile under `prefix` and starts `caddy run` in the
 * foreground with `HOME`, `XDG_DATA_HOME` and `XDG_CONFIG_HOME` inside
 * `prefix`; resolves once the HTTPS port accepts connections.
 */
export async function startCaddy(
  caddy: string,
  prefix: string,
  options: Omit<Parameters<typeof caddyfile>[0], "port" | "httpPort">,
): Promise<CaddyServer> {
  for (const d of ["home", "data", "config"]) {
    await Deno.mkdir(join(prefix, d), { recursive: true });
  }
  const port = freePort();
  const config = caddyfile({ ...options, port, httpPort: freePort() });
  const file = join(prefix, "Caddyfile");
  await Deno.writeTextFile(file, config);
  const args = ["run", "--config", file, "--adapter", "caddyfile"];
  const child = spawnChild(
    "caddy",
    new Deno.Command(caddy, {
      args,
      env: {
        HOME: join(prefix, "home"),
        XDG_DATA_HOME: join(prefix, "data"),
        XDG_CONFIG_HOME: join(prefix, "config"),
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
  );
  try {
    await waitForPort(child, port);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { port, child, command: [caddy, ...args], config };
}
