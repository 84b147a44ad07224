/**
 * A throwaway nginx serving the benchmark site: its own prefix, config,
 * pid, logs and temp folders inside the benchmark's temp dir, listening on
 * a free 127.0.0.1 port in the foreground (`daemon off`). Every instance is
 * rendered from the one template in {@linkcode nginxConfig}; only the worker
 * count, prefix and port differ, so the 1-worker and 2-worker references
 * are otherwise identical. With {@linkcode NginxTls} the same template
 * serves HTTPS (the `https` suite) instead of plain HTTP.
 *
 * @module
 */
import { join } from "node:path";
import { type Child, freePort, spawnChild, waitForPort } from "./process.ts";

/** A running nginx. */
export interface NginxServer {
  /** The bound port. */
  port: number;
  /** The master process. */
  child: Child;
  /** The command line that started it. */
  command: string[];
  /** The generated configuration. */
  config: string;
}

/** TLS settings for an nginx that serves HTTPS. */
export interface NginxTls {
  /** PEM certificate chain file. */
  certFile: string;
  /** PEM private key file. */
  keyFile: string;
  /** `ssl_protocols`, e.g. `TLSv1.3`. */
  protocols: string;
  /** `ssl_ecdh_curve`, e.g. `prime256v1`. */
  curve: string;
}

/** The nginx configuration template used by the benchmark. */
export function nginxConfig(options: {
  prefix: string;
  siteDir: string;
  port: number;
  asRoot: boolean;
  /** `worker_processes`: how many worker processes serve requests. */
  workers: number;
  /** Serve HTTPS with these settings (plain HTTP when absent). */
  tls?: NginxTls;
}): string {
  const { prefix, siteDir, port, workers, tls } = options;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`nginx worker count must be a positive integer (got ${workers}).`);
  }
  return [
    "daemon off;",
    "master_process on;",
    `worker_processes ${workers};`,
    // Workers of a root master drop to `nobody` unless told otherwise.
    ...(options.asRoot ? ["user root;"] : []),
    `pid ${join(prefix, "nginx.pid")};`,
    `error_log ${join(prefix, "logs", "error.log")} warn;`,
    "events {",
    "  worker_connections 1024;",
    "}",
    "http {",
    "  access_log off;",
    "  sendfile on;",
    "  tcp_nopush on;",
    "  keepalive_requests 1000000;",
    "  default_type application/octet-stream;",
    "  types {",
    "    text/html html;",
    "    application/octet-stream bin;",
    "  }",
    `  client_body_temp_path ${join(prefix, "temp", "client_body")};`,
    `  proxy_temp_path ${join(prefix, "temp", "proxy")};`,
    `  fastcgi_temp_path ${join(prefix, "temp", "fastcgi")};`,
    `  uwsgi_temp_path ${join(prefix, "temp", "uwsgi")};`,
    `  scgi_temp_path ${join(prefix, "temp", "scgi")};`,
    "  server {",
    `    listen 127.0.0.1:${port}${tls ? " ssl" : ""};`,
    "    server_name _;",
    ...(tls
      ? [
        `    ssl_certificate ${tls.certFile};`,
        `    ssl_certificate_key ${tls.keyFile};`,
        `    ssl_protocols ${tls.protocols};`,
        `    ssl_ecdh_curve ${tls.curve};`,
      ]
      : []),
    `    root ${siteDir};`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Writes a config under `prefix` (rendered from {@linkcode nginxConfig} with
 * `workers` worker processes, HTTPS when `tls` is given) and starts `nginx`
 * in the foreground.
 */
export async function startNginx(
  nginx: string,
  prefix: string,
  siteDir: string,
  workers: number,
  tls?: NginxTls,
): Promise<NginxServer> {
  await Deno.mkdir(join(prefix, "logs"), { recursive: true });
  await Deno.mkdir(join(prefix, "temp"), { recursive: true });
  const port = freePort();
  const config = nginxConfig({ prefix, siteDir, port, asRoot: Deno.uid() === 0, workers, tls });
  const confPath = join(prefix, "nginx.conf");
  await Deno.writeTextFile(confPath, config);
  const args = ["-p", prefix, "-e", join(prefix, "logs", "error.log"), "-c", confPath];
  const child = spawnChild(
    `nginx (${workers} worker${workers === 1 ? "" : "s"})`,
    new Deno.Command(nginx, { args, stdin: "null", stdout: "piped", stderr: "piped" }),
  );
  try {
    await waitForPort(child, port);
  } catch (err) {
    const log = await Deno.readTextFile(join(prefix, "logs", "error.log")).catch(() => "");
    await child.stop();
    throw new Error(`${err instanceof Error ? err.message : err}\nerror.log:\n${log}`);
  }
  return { port, child, command: [nginx, ...args], config };
}
