/**
 * `deno task bench:mcp`: the MCP round trip. Starts a real `fazt serve`,
 * connects the MCP SDK client over HTTP with the owner token and measures
 * `tools/call apps_list` one call after another over the warm connection
 * (p50/p99 against a 5 ms target), next to the same operation over REST,
 * plus the cost of a connect (initialize handshake). Writes the "MCP"
 * section of `docs/BENCHMARKS.md` (between `<!-- bench:mcp -->` markers;
 * the rest of the file is kept) and prints it.
 *
 * Settings: `BENCH_MCP_CALLS` (default 1000), `BENCH_MCP_WARMUP` (default
 * 200).
 *
 * @module
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ROOT, startServer, type TestServer } from "../tests/_helpers/server.ts";
import * as sdk from "../kernel/http/mcp/mcp_sdk.ts";
import { writeSection } from "./report_section.ts";

/** Where the report goes. */
export const REPORT_PATH: string = join(ROOT, "docs", "BENCHMARKS.md");

/** The p50 the MCP round trip should stay under. */
export const TARGET_P50_MS = 5;

/** Latency summary of a series, in ms. */
export interface Stats {
  /** Samples. */
  n: number;
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Mean. */
  mean: number;
  /** Largest. */
  max: number;
}

/** Summarises samples (ms). */
export function summarize(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    max: sorted[sorted.length - 1],
  };
}

/** What one run measured. */
export interface McpBenchResult {
  /** When it ran. */
  date: string;
  /** `tools/call apps_list` over the warm connection. */
  toolCall: Stats;
  /** `GET /_fazt/api/apps` with fetch (same server, same data). */
  rest: Stats;
  /** The first connect after boot (loads the SDK in the server). */
  firstConnectMs: number;
  /** Later connects (initialize + initialized + the 405 GET). */
  connect: Stats;
  /** Building one stateless SDK server + transport and closing it, in process (µs). */
  setupMicros: number;
  /** Apps in the listing. */
  apps: number;
  /** Deno version. */
  deno: string;
  /** CPUs. */
  cpus: number;
  /** 1-minute load average before and after (other work on the machine makes p99 noisy). */
  load: [number, number];
}

function envInt(name: string, fallback: number): number {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}

async function connect(server: TestServer): Promise<Client> {
  const client = new Client({ name: "fazt-bench", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/_fazt/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${server.token}` } },
    }),
  );
  return client;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** What the codec does per POST before handling it: a new server and transport (µs). */
async function measureSetup(rounds = 2000): Promise<number> {
  const once = async () => {
    const server = new sdk.Server({ name: "fazt", version: "bench" }, {
      capabilities: { tools: {}, resources: {} },
      jsonSchemaValidator: sdk.jsonSchemaValidator,
    });
    server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({ tools: [] }));
    server.setRequestHandler(sdk.CallToolRequestSchema, () => ({ content: [] }));
    server.setRequestHandler(sdk.ListResourcesRequestSchema, () => ({ resources: [] }));
    server.setRequestHandler(sdk.ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: [],
    }));
    server.setRequestHandler(sdk.ReadResourceRequestSchema, () => ({ contents: [] }));
    await server.connect(
      new sdk.WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      }),
    );
    await server.close();
  };
  for (let i = 0; i < rounds / 4; i++) await once();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await once();
  return (performance.now() - t0) / rounds * 1000;
}

/** Runs the benchmark against a fresh server. */
export async function runMcpBench(
  calls = envInt("BENCH_MCP_CALLS", 1000),
  warmup = envInt("BENCH_MCP_WARMUP", 200),
): Promise<McpBenchResult> {
  const loadBefore = Deno.loadavg()[0];
  const server = await startServer();
  try {
    let client: Client | undefined;
    const firstConnectMs = await time(async () => client = await connect(server));
    const apps = 5;
    for (let i = 1; i <= apps; i++) {
      const r = await client!.callTool({
        name: "apps_deploy_files",
        arguments: { app: `bench-${i}`, files: { "index.html": { text: `<h1>${i}</h1>` } } },
      });
      if (r.isError) throw new Error(`deploy failed: ${JSON.stringify(r.content)}`);
    }
    const listTools = async () => {
      const r = await client!.callTool({ name: "apps_list", arguments: {} });
      if (r.isError) throw new Error(`apps_list failed: ${JSON.stringify(r.content)}`);
    };
    const listRest = async () => {
      const res = await fetch(`${server.url}/_fazt/api/apps`, {
        headers: { authorization: `Bearer ${server.token}` },
      });
      if (res.status !== 200) throw new Error(`GET /apps answered ${res.status}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < warmup; i++) {
      await listTools();
      await listRest();
    }
    const toolSamples: number[] = [];
    const restSamples: number[] = [];
    // Interleaved, so drifts in the machine's load hit both alike.
    for (let i = 0; i < calls; i++) {
      toolSamples.push(await time(listTools));
      restSamples.push(await time(listRest));
    }
    await client!.close();
    const connectSamples: number[] = [];
    for (let i = 0; i < 50; i++) {
      connectSamples.push(await time(async () => await (await connect(server)).close()));
    }
    return {
      date: new Date().toISOString(),
      setupMicros: await measureSetup(),
      toolCall: summarize(toolSamples),
      rest: summarize(restSamples),
      firstConnectMs,
      connect: summarize(connectSamples),
      apps,
      deno: Deno.version.deno,
      cpus: navigator.hardwareConcurrency,
      load: [loadBefore, Deno.loadavg()[0]],
    };
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
  }
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

/** The "MCP" section of `docs/BENCHMARKS.md`. */
export function renderMcpSection(r: McpBenchResult): string {
  const verdict = r.toolCall.p50 <= TARGET_P50_MS ? "met" : "missed";
  const row = (name: string, s: Stats) =>
    `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} | ${ms(s.max)} |`;
  return [
    "## MCP",
    "",
    `Round trip of an MCP tool call (\`deno task bench:mcp\`, bench/mcp_bench.ts). Date: ${r.date}. Deno ${r.deno}, ${r.cpus} CPUs, 1-minute load average ${
      r.load[0].toFixed(2)
    } before and ${r.load[1].toFixed(2)} after (client and server share the CPUs).`,
    "",
    "- A real `fazt serve` process; the MCP SDK client (`StreamableHTTPClientTransport`) connects over loopback HTTP with the owner token and calls `apps_list` (" +
    `${r.apps} apps) one call after another over the warm connection. The same listing over REST (\`GET /_fazt/api/apps\` with fetch) is measured interleaved with it, as the floor.`,
    `- Each MCP POST builds a fresh SDK server and transport (the endpoint is stateless) and answers with JSON (no SSE). Building and closing that pair costs ${
      r.setupMicros.toFixed(0)
    } µs (measured in process, outside the server).`,
    `- Target: p50 ≤ ${TARGET_P50_MS} ms for \`tools/call\` (${verdict}).`,
    "",
    "| What | Calls | p50 | p99 | mean | max |",
    "| ---- | ----: | --: | --: | ---: | --: |",
    row("MCP `tools/call apps_list`", r.toolCall),
    row("REST `GET /_fazt/api/apps`", r.rest),
    row("MCP connect (initialize, initialized, GET → 405)", r.connect),
    "",
    `The first connect after boot took ${
      ms(r.firstConnectMs)
    }: the server loads the MCP SDK on its first MCP request (a few hundred ms), so boots and in-process CLI commands never pay for it.`,
  ].join("\n");
}

if (import.meta.main) {
  const result = await runMcpBench();
  const section = renderMcpSection(result);
  await writeSection(REPORT_PATH, "mcp", section);
  console.log(section);
}
