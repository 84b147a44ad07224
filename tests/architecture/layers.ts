/**
 * The layering rules of fazt, as data: which part of the tree each file
 * belongs to (the longest matching path prefix wins) and which parts each
 * part may import. `layering_test.ts` checks the real import graph
 * (`deno info --json` on every entry point) against this table, and
 * docs/ARCHITECTURE.md draws it. Change the rules here, deliberately, and
 * the diagram with them.
 *
 * @module
 */

/** A part of the tree. */
export interface Layer {
  /** Path prefixes (relative to the repository root) of the files in it. */
  paths: readonly string[];
  /** The layers its files may import (besides files of their own layer). */
  mayImport: readonly string[];
  /** npm packages it may import (`*`: any; absent: none). `node:` built-ins are always allowed. */
  npm?: readonly string[] | "*";
  /** Why the layer sits where it does, for the test's error messages. */
  role: string;
}

/** Every layer, by name. */
export const LAYERS: Readonly<Record<string, Layer>> = {
  projectConfig: {
    paths: ["deno.json"],
    mayImport: [],
    role: "the project's configuration (its version, tasks and permissions)",
  },
  core: {
    paths: ["kernel/core/"],
    mayImport: ["projectConfig"],
    role: "errors, ids, bytes and format helpers used everywhere; imports nothing of fazt",
  },
  store: {
    paths: ["kernel/store/"],
    mayImport: ["core"],
    role: "node:sqlite and migrations; knows nothing above it",
  },
  appFormat: {
    paths: ["apps/"],
    mayImport: ["core"],
    npm: ["zod", "fflate"],
    role: "the app format (manifest, archive intake, packing)",
  },
  stdlib: {
    paths: ["stdlib/"],
    mayImport: [],
    role: "prebundled libraries for require()",
  },
  runtime: {
    paths: ["runtime/"],
    mayImport: ["core"],
    role:
      "the sandbox, its bridge protocol, its pool and process plumbing; no kernel internals but core",
  },
  sandboxChild: {
    paths: ["runtime/child/"],
    mayImport: ["runtime", "core"],
    role: "code inside the sandbox process: the bridge protocol and core helpers only",
  },
  services: {
    paths: ["kernel/services/"],
    mayImport: ["core", "store", "appFormat", "stdlib", "runtime"],
    npm: ["zod", "fflate", "aws4fetch"],
    role: "domain services; no transport, no operation, no composition root",
  },
  capabilities: {
    paths: ["kernel/capabilities/"],
    mayImport: ["core", "services", "runtime", "appFormat", "stdlib"],
    npm: ["zod"],
    role: "the fazt.* capabilities the sandbox calls; services below them, no transport",
  },
  ops: {
    paths: ["kernel/ops/"],
    mayImport: ["core", "services", "appFormat", "runtime"],
    npm: ["zod"],
    role: "operations (zod schema + handler + scope); no transport",
  },
  http: {
    paths: ["kernel/http/"],
    mayImport: ["core", "ops", "services", "appFormat", "runtime", "dashboardServe"],
    npm: "*",
    role: "the HTTP transport: listener, mounts, REST, MCP, static serving",
  },
  cli: {
    paths: ["kernel/cli/"],
    mayImport: ["core", "ops", "services", "store", "appFormat", "http", "boot"],
    npm: "*",
    role: "the fazt command line: a client of the operations (and `serve`)",
  },
  boot: {
    paths: ["kernel/boot/"],
    mayImport: [
      "core",
      "store",
      "services",
      "capabilities",
      "ops",
      "http",
      "runtime",
      "appFormat",
      "stdlib",
    ],
    npm: "*",
    role: "the composition root: each subsystem installs itself",
  },
  main: {
    paths: ["main.ts"],
    mayImport: ["cli", "runtime", "sandboxChild", "services"],
    role: "the entry: argv → CLI, a sandbox, or an app SQL process",
  },
  dashboardSrc: {
    paths: ["dashboard/src/"],
    mayImport: [],
    npm: ["preact", "fflate"],
    role: "the SPA: talks to the public API only, through its generated client",
  },
  dashboardServe: {
    paths: ["dashboard/serve.ts", "dashboard/dist/"],
    mayImport: [],
    role: "the built SPA, served from memory",
  },
  dashboardBuild: {
    paths: ["dashboard/build.ts", "dashboard/codegen/"],
    mayImport: ["core", "ops", "services", "http", "appFormat", "dashboardSrc", "dashboardServe"],
    npm: "*",
    role: "build tools: generate the client from the registry, bundle the SPA",
  },
  stdlibBuild: {
    paths: ["stdlib/build.ts"],
    mayImport: ["stdlib"],
    npm: "*",
    role: "builds the stdlib bundles",
  },
  tools: {
    paths: ["tools/"],
    mayImport: ["projectConfig"],
    role: "developer tools: the `fazt` launcher installer and the test suite's setup",
  },
};

/** The programs whose import graphs are checked. */
export const ENTRY_POINTS: readonly string[] = [
  "main.ts",
  "runtime/child/main.ts",
  "kernel/services/appdata/sql/sql_process_main.ts",
  "dashboard/src/main.tsx",
  "dashboard/build.ts",
  "dashboard/codegen/gen_api.ts",
  "stdlib/build.ts",
  "tools/install.ts",
  "tools/test_setup.ts",
];

/** The layer a repository-relative path belongs to (longest prefix), or undefined. */
export function layerOf(path: string): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const [name, layer] of Object.entries(LAYERS)) {
    for (const prefix of layer.paths) {
      if ((path === prefix || path.startsWith(prefix)) && prefix.length > bestLength) {
        best = name;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}
