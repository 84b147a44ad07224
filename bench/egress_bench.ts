/**
 * `deno run --allow-all bench/egress_bench.ts`: what one guarded fetch costs
 * against a loopback server, with the pinned transport the guard uses now and
 * with Deno's `fetch` as the transport (what it used before the DNS-rebinding
 * fix). The guard logic is the same in both runs; the name is answered by an
 * injected resolver (no DNS), and `fetch` is pointed at the checked address
 * by rewriting the URL. The servers run in a child process, so the CPU
 * figure is the guard's side alone. Requests run one after another; the
 * figures are wall time per request (mean, p50, p99) and this process's CPU
 * time per request. Prints a table; writes nothing.
 *
 * Settings: `BENCH_EGRESS_REQUESTS` (default 400 per case).
 *
 * @module
 */
import https from "node:https";
import http from "node:http";
import process from "node:process";
import { createEgressGuard, type EgressTransport } from "../kernel/services/egress/egress_guard.ts";
import { testCa } from "../tests/kernel/services/egress/tls_fixture.ts";

const HOST = "127.0.0.2";
const NAME = "bench.test";
const REQUESTS = Number(Deno.env.get("BENCH_EGRESS_REQUESTS") ?? 400);

const BODIES: Record<string, number> = { "1 KiB": 1024, "1 MiB": 1024 * 1024 };

/** The child: HTTP and HTTPS servers on HOST; prints their ports as one JSON line. */
async function serve(cert: string, key: string): Promise<void> {
  const bodies = Object.fromEntries(
    Object.entries(BODIES).map(([size, bytes]) => [size, new Uint8Array(bytes).fill(97)]),
  );
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = bodies[decodeURIComponent((req.url ?? "/").slice(1))];
    res.setHeader("content-length", body.byteLength);
    res.end(body);
  };
  const ports: Record<string, number> = {};
  for (
    const [scheme, server] of Object.entries({
      http: http.createServer(handler),
      https: https.createServer({ cert, key }, handler),
    })
  ) {
    await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
    ports[scheme] = (server.address() as { port: number }).port;
  }
  console.log(JSON.stringify(ports));
}

if (Deno.args[0] === "serve") {
  await serve(Deno.env.get("BENCH_CERT") ?? "", Deno.env.get("BENCH_KEY") ?? "");
} else {
  await measure();
}

async function measure(): Promise<void> {
  const ca = await testCa();
  const tls = await ca.issue([`DNS:${NAME}`, `IP:${HOST}`]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(import.meta.url).pathname, "serve"],
    env: { BENCH_CERT: tls.cert, BENCH_KEY: tls.key },
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const ports: Record<string, number> = JSON.parse((await lines.read()).value ?? "{}");
  const resolve = () => Promise.resolve([HOST]);
  const client = Deno.createHttpClient({ caCerts: [ca.caPem] });
  const viaFetch: EgressTransport = (url, init) =>
    fetch(url.replace(`//${NAME}:`, `//${HOST}:`), { ...init, client });
  const guards = {
    "pinned (now)": createEgressGuard({
      resolve,
      allowLoopbackForTests: [HOST],
      caCerts: [ca.caPem],
    }),
    "fetch (before)": createEgressGuard({
      resolve,
      allowLoopbackForTests: [HOST],
      fetch: viaFetch,
    }),
  };

  function cpuMs(): number {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }

  const rows: string[] = [];
  for (const scheme of ["http", "https"]) {
    for (const size of Object.keys(BODIES)) {
      for (const [label, guard] of Object.entries(guards)) {
        const url = `${scheme}://${NAME}:${ports[scheme]}/${encodeURIComponent(size)}`;
        for (let i = 0; i < 20; i++) await guard.fetch({ url });
        const times: number[] = [];
        const cpuBefore = cpuMs();
        for (let i = 0; i < REQUESTS; i++) {
          const started = performance.now();
          const res = await guard.fetch({ url });
          times.push(performance.now() - started);
          if (res.body.byteLength !== BODIES[size]) throw new Error("short body");
        }
        const cpu = (cpuMs() - cpuBefore) / REQUESTS;
        times.sort((a, b) => a - b);
        const mean = times.reduce((a, b) => a + b, 0) / times.length;
        const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
        const ms = (v: number) => v.toFixed(2).padStart(7);
        rows.push(
          `| ${scheme.padEnd(5)} | ${size} | ${label.padEnd(16)} | ${ms(mean)} | ${
            ms(pick(0.5))
          } | ${ms(pick(0.99))} | ${ms(cpu)} |`,
        );
      }
    }
  }

  // New connections: the pinned transport's pool emptied after each request,
  // a new fetch client for each request.
  const coldFetchGuard = (() => {
    let cold: Deno.HttpClient | null = null;
    return createEgressGuard({
      resolve,
      allowLoopbackForTests: [HOST],
      fetch: (url, init) => {
        cold?.close();
        cold = Deno.createHttpClient({ caCerts: [ca.caPem] });
        return fetch(url.replace(`//${NAME}:`, `//${HOST}:`), { ...init, client: cold });
      },
    });
  })();
  const coldPinned = guards["pinned (now)"];
  for (
    const [label, guard, after] of [
      ["pinned, new conn", coldPinned, () => coldPinned.close()],
      ["fetch, new conn", coldFetchGuard, () => {}],
    ] as const
  ) {
    const url = `https://${NAME}:${ports.https}/${encodeURIComponent("1 KiB")}`;
    const times: number[] = [];
    const cpuBefore = cpuMs();
    for (let i = 0; i < REQUESTS / 4; i++) {
      const started = performance.now();
      await guard.fetch({ url });
      times.push(performance.now() - started);
      after();
    }
    const cpu = (cpuMs() - cpuBefore) / (REQUESTS / 4);
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    const ms = (v: number) => v.toFixed(2).padStart(7);
    rows.push(
      `| https | 1 KiB | ${label.padEnd(16)} | ${ms(mean)} | ${ms(pick(0.5))} | ${
        ms(pick(0.99))
      } | ${ms(cpu)} |`,
    );
  }

  console.log(
    `Guarded fetch against a loopback server, ${REQUESTS} requests per case (new-connection rows: ${
      REQUESTS / 4
    }), one at a time.`,
  );
  console.log("| proto | body  | transport        | mean ms |  p50 ms |  p99 ms |  CPU ms |");
  console.log("|-------|-------|------------------|---------|---------|---------|---------|");
  for (const row of rows) console.log(row);

  client.close();
  for (const guard of Object.values(guards)) guard.close();
  child.kill();
  await child.status;
  Deno.exit(0);
}
