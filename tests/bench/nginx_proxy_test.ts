import assert from "node:assert/strict";
import { nginxProxyConfig, startNginxProxy } from "../../bench/nginx_proxy.ts";
import { findExecutable } from "../../bench/process.ts";

Deno.test("nginxProxyConfig keeps upstream connections alive over HTTP/1.1", () => {
  const text = nginxProxyConfig({ prefix: "/p", port: 8080, upstreamPort: 9000, asRoot: false });
  for (
    const line of [
      "listen 127.0.0.1:8080;",
      "server 127.0.0.1:9000;",
      "keepalive 64;",
      "proxy_pass http://app;",
      "proxy_http_version 1.1;",
      'proxy_set_header Connection "";',
      "worker_processes auto;",
    ]
  ) assert.ok(text.includes(line), `missing ${line}`);
});

const nginx = await findExecutable("nginx");

Deno.test({
  name: "the nginx proxy passes requests to the upstream over reused connections",
  ignore: nginx === undefined,
  async fn() {
    const peers = new Set<number>();
    const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req, info) => {
      peers.add(info.remoteAddr.port);
      return new Response(`hello ${req.headers.get("host")}`);
    });
    const prefix = await Deno.makeTempDir({ prefix: "fazt-nginx-proxy-" });
    const proxy = await startNginxProxy(nginx!, prefix, upstream.addr.port);
    try {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://127.0.0.1:${proxy.port}/`);
        // `$host`: the name the client asked for, without its port.
        assert.equal(await res.text(), "hello 127.0.0.1");
      }
      // One connection per nginx worker at most, not one per request.
      assert.ok(peers.size <= navigator.hardwareConcurrency, `${peers.size} upstream connections`);
    } finally {
      await proxy.child.stop();
      await upstream.shutdown();
      await Deno.remove(prefix, { recursive: true });
    }
  },
});
