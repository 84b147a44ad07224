/**
 * The "reverse proxy" reference of the runtime suite: a throwaway nginx in
 * front of the bare `Deno.serve` hello, configured the way a self-hosted
 * PaaS (Dokku, Coolify, CapRover) puts nginx in front of an app: one
 * worker per CPU (`worker_processes auto`), HTTP/1.1 to the upstream with a
 * pool of kept-alive connections (`keepalive 64`, `proxy_http_version 1.1`,
 * an empty `Connection` header), the usual forwarded headers, and response
 * buffering left on (nginx's default). No access log, as in the other
 * references. Its own prefix, pid, logs and temp folders live in the
 * benchmark's temp dir.
 *
 * @module
 */
import { join } from "node:path";
import { type Child, freePort, spawnChild, waitForPort } from "./process.ts";

/** A running nginx reverse proxy. */
export interface NginxProxy {
  /** The bound port. */
  port: number;
  /** The master process. */
  child: Child;
  /** The command line that started it. */
  command: string[];
  /** The generated configuration. */
  config: string;
}

/** The proxy configuration: 127.0.0.1:`port` → 127.0.0.1:`upstreamPort`. */
export function nginxProxyConfig(options: {
  prefix: string;
  port: number;
  upstreamPort: number;
  asRoot: boolean;
}): string {
  const { prefix, port, upstreamPort } = options;
  return [
    "daemon off;",
    "master_process on;",
    "worker_processes auto;",
    // Workers of a root master drop to `nobody` unless told otherwise.
    ...(options.asRoot ? ["user root;"] : []),
    `pid ${join(prefix, "nginx.pid")};`,
    `error_log ${join(prefix, "logs", "error.log")} warn;`,
    "events {",
    "  worker_connections 1024;",
    "}",
    "http {",
    "  access_log off;",
    "  keepalive_requests 1000000;",
    `  client_body_temp_path ${join(prefix, "temp", "client_body")};`,
    `  proxy_temp_path ${join(prefix, "temp", "proxy")};`,
    `  fastcgi_temp_path ${join(prefix, "temp", "fastcgi")};`,
    `  uwsgi_temp_path ${join(prefix, "temp", "uwsgi")};`,
    `  scgi_temp_path ${join(prefix, "temp", "scgi")};`,
    "  upstream app {",
    `    server 127.0.0.1:${upstreamPort};`,
    "    keepalive 64;",
    "    keepalive_requests 1000000;",
    "  }",
    "  server {",
    `    listen 127.0.0.1:${port};`,
    "    server_name _;",
    "    location / {",
    "      proxy_pass http://app;",
    "      proxy_http_version 1.1;",
    '      proxy_set_header Connection "";',
    "      proxy_set_header Host $host;",
    "      proxy_set_header X-Real-IP $remote_addr;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto $scheme;",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Writes the proxy's config under `prefix` and starts `nginx` in the foreground. */
export async function startNginxProxy(
  nginx: string,
  prefix: string,
  upstreamPort: number,
): Promise<NginxProxy> {
  await Deno.mkdir(join(prefix, "logs"), { recursive: true });
  await Deno.mkdir(join(prefix, "temp"), { recursive: true });
  const port = freePort();
  const config = nginxProxyConfig({ prefix, port, upstreamPort, asRoot: Deno.uid() === 0 });
  const confPath = join(prefix, "nginx.conf");
  await Deno.writeTextFile(confPath, config);
  const args = ["-p", prefix, "-e", join(prefix, "logs", "error.log"), "-c", confPath];
  const child = spawnChild(
    "nginx proxy",
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
