/**
 * `deno task bench`: measures fazt on this machine with wrk and writes
 * `docs/BENCHMARKS.md`. Four suites, run one after the other:
 *
 * - `static` (`static_suite.ts`): static file serving against nginx (when
 *   installed, with 1 and with 2 worker processes) and a bare `Deno.serve`.
 * - `runtime` (`runtime_suite.ts`): the serverless runtime: a hello handler
 *   against the same handler on a bare `Deno.serve`, warm latency,
 *   `fazt.kv` calls from a handler, cold starts and memory per warm app.
 * - `data` (`data_suite.ts`): the app data stores from a handler:
 *   `fazt.kv.set` writes/s and `fazt.docs.find` on 100,000 documents with
 *   and without a declared index.
 * - `https` (`https_suite.ts`): a 2 KB static file over HTTPS (keep-alive,
 *   and a new connection per request with resumed and with full
 *   handshakes) against Caddy and nginx with the same certificate, each
 *   server's memory, and the cockpit's p99 while an app is flooded over
 *   HTTPS.
 *
 * Each suite starts its own servers and stops them when it ends, so they
 * never share the CPUs. The report gets one section per suite; a run that
 * skips a suite keeps that suite's section from the file as it was
 * (`document.ts`). The tables are also printed. Every child process and
 * temp folder is removed at the end, also on failure or Ctrl-C.
 *
 * Environment: `BENCH_SUITES` (comma-separated, default `static,runtime,data,https`),
 * `BENCH_DURATION` (wrk `-d`, default `5s`), `BENCH_WARMUP` (default `2s`),
 * `BENCH_ROUNDS` (default `1`).
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../tests/_helpers/server.ts";
import { type Child, findExecutable } from "./process.ts";
import { renderStaticSection, renderText } from "./report.ts";
import { renderRuntimeSection, renderRuntimeText } from "./runtime_report.ts";
import { runStaticSuite } from "./static_suite.ts";
import { runRuntimeSuite } from "./runtime_suite.ts";
import { runDataSuite } from "./data_suite.ts";
import { renderDataSection, renderDataText } from "./data_report.ts";
import { runHttpsSuite } from "./https_suite.ts";
import { renderHttpsSection, renderHttpsText } from "./https_report.ts";
import { renderDocument } from "./document.ts";
import {
  durationSetting,
  type LoadSettings,
  roundsSetting,
  type SuiteContext,
  type SuiteName,
  SUITES,
  suitesSetting,
} from "./suite.ts";

/** Where the report is written. */
export const REPORT_PATH: string = join(ROOT, "docs", "BENCHMARKS.md");

/** Runs the chosen suites; returns the process exit code. */
export async function main(): Promise<number> {
  const log = (msg: string) => console.error(`bench: ${msg}`);
  let suites: SuiteName[];
  let load: LoadSettings;
  try {
    suites = suitesSetting();
    load = {
      duration: durationSetting("BENCH_DURATION", "5s"),
      warmup: durationSetting("BENCH_WARMUP", "2s"),
      rounds: roundsSetting("BENCH_ROUNDS", 1),
    };
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const wrk = await findExecutable("wrk");
  if (!wrk) {
    console.error(
      "wrk is not installed; the benchmark needs it to generate load.\n" +
        "Install it with: apt-get install wrk   (Debian/Ubuntu; or build it from https://github.com/wg/wrk)",
    );
    return 1;
  }

  const tmp = await Deno.makeTempDir({ prefix: "fazt-bench-" });
  const children: Child[] = [];
  const abortLoad = new AbortController();
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    cleaned ??= (async () => {
      abortLoad.abort();
      for (const c of children.reverse()) await c.stop().catch(() => {});
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    })();
  const onSignal = () => {
    log("interrupted; stopping servers and removing temp files");
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const context = async (suite: SuiteName): Promise<SuiteContext> => {
    const dir = join(tmp, suite);
    await Deno.mkdir(dir, { recursive: true });
    return {
      wrk,
      tmp: dir,
      load,
      signal: abortLoad.signal,
      log: (msg) => log(`[${suite}] ${msg}`),
      track: (child) => {
        children.push(child);
        return child;
      },
    };
  };

  try {
    log(`suites: ${suites.join(", ")}`);
    const sections: Partial<Record<SuiteName, string>> = {};
    const texts: string[] = [];
    if (suites.includes("static")) {
      const report = await runStaticSuite(await context("static"));
      sections.static = renderStaticSection(report);
      texts.push(renderText(report));
    }
    if (suites.includes("runtime")) {
      const report = await runRuntimeSuite(await context("runtime"));
      sections.runtime = renderRuntimeSection(report);
      texts.push(renderRuntimeText(report));
    }
    if (suites.includes("data")) {
      const report = await runDataSuite(await context("data"));
      sections.data = renderDataSection(report);
      texts.push(renderDataText(report));
    }
    if (suites.includes("https")) {
      const report = await runHttpsSuite(await context("https"));
      sections.https = renderHttpsSection(report);
      texts.push(renderHttpsText(report));
    }
    const previous = await Deno.readTextFile(REPORT_PATH).catch(() => "");
    await Deno.mkdir(join(ROOT, "docs"), { recursive: true });
    await Deno.writeTextFile(REPORT_PATH, renderDocument(sections, previous));
    // Format with the repository's settings so `deno task check` stays green.
    const fmt = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", REPORT_PATH],
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!fmt.success) {
      log(`warning: deno fmt failed on the report: ${new TextDecoder().decode(fmt.stderr)}`);
    }
    console.log(texts.join("\n\n"));
    const kept = SUITES.filter((s) => !suites.includes(s));
    log(
      `wrote ${REPORT_PATH}${
        kept.length ? ` (kept the ${kept.join(", ")} section(s) from the previous file)` : ""
      }`,
    );
    return 0;
  } catch (err) {
    console.error(`bench: failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  const code = await main().catch((err) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  });
  Deno.exit(code);
}
