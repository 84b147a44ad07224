/**
 * The `fazt` command line. `serve` runs the server; every other command is
 * generated from the operation registry (words, positionals, flags and help
 * text come from each operation's definition) and runs through the REST
 * API, against a local data folder's server, an in-process kernel, or a
 * remote server. `login` and `remote` are CLI-local commands that manage
 * the stored remotes. Streaming operations (`logs tail`) print one line per
 * entry until the stream ends or the user interrupts.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import { ERROR_CODES, FaztError, toFaztError } from "../core/errors.ts";
import { OPERATIONS } from "../ops/registry.ts";
import type { AnyOperation } from "../ops/operation.ts";
import { Upload } from "../ops/upload.ts";
import { VERSION } from "../core/version.ts";
import { boolFlag, flag, parseArgs, type ParsedArgs } from "./args.ts";
import { type FieldInfo, inputFields } from "./fields.ts";
import { formatOutput } from "./output.ts";
import { openTarget, type Target } from "./target.ts";
import type { FetchLike } from "./api_client.ts";
import { loginCommand, readPassword, REMOTE_COMMANDS, remoteCommand } from "./remote_commands.ts";
import { remotesPath } from "./remotes.ts";
import { serve, SERVE_BOOLEAN_FLAGS, SERVE_FLAGS, serveSettings } from "./serve_command.ts";
import { progressBar, streamWithProgress } from "./progress.ts";
import { SERVICE_COMMANDS, serviceCommand } from "./service_command.ts";
import { upgradeCommand } from "./upgrade_command.ts";
import { RESTORE_USAGE, restoreCommand } from "./restore_command.ts";
import { suggestAppName } from "../../apps/app_name.ts";
import { formatBytes } from "../core/format.ts";
import { countOf } from "../core/text.ts";
import { readStdinValue } from "./stdin_value.ts";

/** Where the CLI writes and what environment it reads. */
export interface CliIo {
  /** Standard output, one line at a time. */
  out(line: string): void;
  /** Standard error, one line at a time. */
  err(line: string): void;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Reads a secret for `fazt login` (default: a line from stdin, prompting on a terminal). */
  readPassword?(prompt: string): Promise<string>;
  /**
   * Reads a value a command takes from standard input, like a secret's
   * (default: a hidden prompt on a terminal, else all of stdin).
   */
  readStdin?(prompt: string): Promise<string>;
  /** Sends HTTP requests for `fazt login` (default: `fetch`). */
  fetch?: FetchLike;
  /**
   * Ends a streaming command when aborted (default: SIGINT or SIGTERM).
   */
  interrupt?: AbortSignal;
  /** Where a download command writes its bytes without `-o` (default: the process's stdout). */
  downloadTo?: WritableStream<Uint8Array>;
}

const GLOBAL_FLAGS = [
  { name: "json", help: "Print the result as JSON." },
  {
    name: "data",
    help: "Local data folder (or FAZT_DATA; default: the current remote, else ./fazt-data).",
  },
  { name: "url", help: "Another server's URL (or FAZT_URL)." },
  { name: "token", help: "API token (or FAZT_TOKEN; default: the one `fazt login` stored)." },
];

/**
 * The heading of each command group in `fazt help`, by the commands' first
 * word. Every first word needs one (tests check it); groups keep the order
 * in which the registry first names them.
 */
export const GROUP_HEADINGS: Readonly<Record<string, string>> = {
  app: "Apps",
  route: "Routes",
  domain: "Custom domains",
  cert: "Certificates",
  secret: "Secrets",
  logs: "Logs",
  data: "App data",
  token: "API tokens",
  auth: "Owner sign-in",
  owner: "Owner account",
  system: "System",
  backup: "Backups",
};

/** How usage and help name a positional argument (`app add` takes `<dir|zip>`, not a body). */
function positionalLabel(op: AnyOperation, field: string): string {
  return op.name === "apps.deploy" && field === "archive" ? "dir|zip" : field;
}

/** The CLI's one line for an operation. */
function summaryOf(op: AnyOperation): string {
  return op.cli.summary ?? op.summary;
}

/** The CLI's help text for an input field. */
function fieldHelp(op: AnyOperation, f: FieldInfo): string {
  return op.cli.help?.[f.name] ?? (f.description || f.kind);
}

/** The operation a command line names, with the words it used. */
function findCommand(words: string[]): AnyOperation | undefined {
  return OPERATIONS.find((op) => op.cli.words.every((w, i) => words[i] === w));
}

/** The flag that reads a file into input field `field`, if the operation has one. */
function fileFlagOf(op: AnyOperation, field: string): string | undefined {
  return Object.entries(op.cli.fileFlags ?? {}).find(([, target]) => target === field)?.[0];
}

/** The flag that sets input field `field`: its alias, its file flag, or its own name. */
function flagOf(op: AnyOperation, field: string): string {
  return Object.entries(op.cli.flagAliases ?? {}).find(([, target]) => target === field)?.[0] ??
    fileFlagOf(op, field) ?? field;
}

function usage(op: AnyOperation): string {
  const fields = inputFields(op);
  const pos = (op.cli.positionals ?? []).map((p) => {
    const f = fields.find((x) => x.name === p)!;
    const label = positionalLabel(op, p);
    return f.optional ? `[${label}]` : `<${label}>`;
  });
  const flags = fields.filter((f) =>
    !(op.cli.positionals ?? []).includes(f.name) && !op.cli.secretInputs?.[f.name]
  ).map((f) => ({
    ...f,
    field: f.name,
    name: flagOf(op, f.name),
    file: fileFlagOf(op, f.name) !== undefined,
  }));
  return `fazt ${op.cli.words.join(" ")}${pos.length ? " " + pos.join(" ") : ""}${
    flags.map((f) => {
      const one = f.kind === "boolean"
        ? `--${f.name}`
        : `--${f.name} ${f.file ? "FILE" : f.name.toUpperCase()}`;
      if (op.cli.stdinInputs?.includes(f.field)) return ` [${one}]`;
      const many = f.kind === "array" ? `${one}...` : one;
      return f.optional ? ` [${many}]` : ` ${many}`;
    })
      .join("")
  }${op.http.download ? " [-o FILE]" : ""} [--json]`;
}

function commandHelp(op: AnyOperation): string {
  const fields = inputFields(op);
  const lines = [`Usage: ${usage(op)}`, "", op.cli.description ?? op.description, ""];
  if (fields.length) {
    lines.push("Arguments and flags:");
    for (const f of fields) {
      const env = op.cli.secretInputs?.[f.name];
      const name = (op.cli.positionals ?? []).includes(f.name)
        ? positionalLabel(op, f.name)
        : env
        ? f.name
        : `--${flagOf(op, f.name)}`;
      const notes = [
        ...(env ? [`from ${env}${f.optional ? "" : " or standard input"}, never a flag`] : []),
        ...(op.cli.stdinInputs?.includes(f.name)
          ? ["default: standard input, typed at a hidden prompt or piped in"]
          : []),
        ...(fileFlagOf(op, f.name) ? ["a file: its text is sent"] : []),
        ...(f.kind === "array" ? ["repeatable"] : []),
        ...(f.nullable ? ['"none" for null'] : []),
        ...(f.optional ? ["optional"] : []),
      ];
      lines.push(
        `  ${name.padEnd(16)} ${fieldHelp(op, f)}${notes.length ? ` (${notes.join(", ")})` : ""}`,
      );
    }
    lines.push("");
  }
  lines.push("Global flags:");
  for (const g of GLOBAL_FLAGS) lines.push(`  --${g.name.padEnd(14)} ${g.help}`);
  return lines.join("\n");
}

/** The top-level help text, listing every command. */
export function topHelp(): string {
  const lines = [
    `fazt ${VERSION}: your personal cloud in one executable.`,
    "",
    "Usage: fazt <command> [arguments] [flags]",
    "",
    "Server:",
    `  ${"serve".padEnd(22)} Run the server (flags: ${
      SERVE_FLAGS.map((f) => "--" + f.flag).join(" ")
    })`,
    `  ${"upgrade".padEnd(22)} Install a new release, or --rollback (see fazt upgrade --help)`,
    `  ${
      "restore".padEnd(22)
    } Restore a backup into a stopped server's data folder (${RESTORE_USAGE})`,
    "",
    "Remotes:",
    ...REMOTE_COMMANDS.map((c) => `  ${c.words.padEnd(22)} ${c.summary}`),
    "",
    "This machine:",
    ...SERVICE_COMMANDS.map((c) => `  ${c.words.padEnd(22)} ${c.summary}`),
  ];
  const groups = new Map<string, AnyOperation[]>();
  for (const op of OPERATIONS) {
    const g = op.cli.words[0];
    groups.set(g, [...groups.get(g) ?? [], op]);
  }
  for (const [g, ops] of groups) {
    lines.push("", `${GROUP_HEADINGS[g] ?? g}:`);
    for (const op of ops) lines.push(`  ${op.cli.words.join(" ").padEnd(22)} ${summaryOf(op)}`);
  }
  lines.push("", "Run `fazt <command> --help` for a command's arguments.");
  return lines.join("\n");
}

function toValue(f: FieldInfo, values: string[]): unknown {
  const v = values.at(-1)!;
  if (f.nullable && v === "none") return null;
  switch (f.kind) {
    case "number": {
      const n = Number(v);
      if (v.trim() === "" || Number.isNaN(n)) {
        throw new FaztError("invalid_input", `--${f.name} must be a number (got "${v}").`);
      }
      return n;
    }
    case "boolean":
      return v !== "false";
    case "array":
      return values;
    default:
      return v;
  }
}

function buildInput(op: AnyOperation, args: ParsedArgs): Record<string, unknown> {
  const fields = inputFields(op);
  const positionals = op.cli.positionals ?? [];
  const input: Record<string, unknown> = {};
  const rest = args.positionals.slice(op.cli.words.length);
  const extra = rest.length - positionals.length;
  const fromStdin = op.cli.stdinInputs ?? [];
  if (extra > 0 && fromStdin.length > 0) {
    const field = fromStdin[0];
    throw new FaztError(
      "invalid_input",
      `The ${field} is not an argument (it would stay in your shell history and show in the process list). Leave it out and type it when asked, pipe it in (printf '%s' "$VALUE" | fazt ${
        op.cli.words.join(" ")
      } …), or give --${flagOf(op, field)} in scripts. Usage: ${usage(op)}`,
    );
  }
  if (extra > 0) {
    throw new FaztError("invalid_input", `Too many arguments. Usage: ${usage(op)}`);
  }
  positionals.forEach((name, i) => {
    if (rest[i] === undefined) return;
    input[name] = toValue(fields.find((f) => f.name === name)!, [rest[i]]);
  });
  const globals = new Set(GLOBAL_FLAGS.map((g) => g.name).concat("help"));
  for (const [given, values] of args.flags) {
    if (globals.has(given)) continue;
    const name = op.cli.flagAliases?.[given] ?? op.cli.fileFlags?.[given] ?? given;
    const env = op.cli.secretInputs?.[name];
    if (env) {
      throw new FaztError(
        "invalid_input",
        `--${given} is never a flag (its value would show in the process list). Set ${env} or type it when asked.`,
      );
    }
    const f = fields.find((x) => x.name === name);
    if (!f || positionals.includes(name) || flagOf(op, name) !== given && fileFlagOf(op, name)) {
      throw new FaztError("invalid_input", `Unknown flag --${given}. Usage: ${usage(op)}`);
    }
    const value = toValue(f, values);
    input[name] = Array.isArray(value) && Array.isArray(input[name])
      ? [...input[name] as unknown[], ...value]
      : value;
  }
  for (const f of fields) {
    if (
      !f.optional && input[f.name] === undefined && !op.cli.secretInputs?.[f.name] &&
      !fromStdin.includes(f.name)
    ) {
      const or = f.nullable ? ' (or "none")' : "";
      const file = fileFlagOf(op, f.name);
      throw new FaztError(
        "invalid_input",
        `Missing ${file ? `--${file} FILE` : f.name}${or}. Usage: ${usage(op)}`,
      );
    }
  }
  return input;
}

/**
 * Fills the operation's secret inputs from their environment variables; a
 * required one left unset is read from standard input (prompting, without
 * echo, on a terminal).
 */
async function readSecretInputs(
  op: AnyOperation,
  input: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  for (const [field, env] of Object.entries(op.cli.secretInputs ?? {})) {
    const f = inputFields(op).find((x) => x.name === field);
    const given = io.env(env)?.trim() || undefined;
    const value = given ?? (f?.optional ? undefined : (
      await (io.readPassword ?? readPassword)(`${field} (or set ${env}): `)
    ).trim());
    if (value) input[field] = value;
    else if (!f?.optional) {
      throw new FaztError(
        "invalid_input",
        `Missing ${field}: set ${env} or give it on standard input. Usage: ${usage(op)}`,
      );
    }
  }
}

/**
 * Reads the operation's stdin inputs that no flag gave: a hidden prompt on
 * a terminal, else all of standard input. An empty value is refused (stdin
 * was probably not meant for it).
 */
async function readStdinInputs(
  op: AnyOperation,
  input: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  for (const field of op.cli.stdinInputs ?? []) {
    if (input[field] !== undefined) continue;
    const value = await (io.readStdin ?? readStdinValue)(`${field} (hidden): `);
    if (value === "") {
      throw new FaztError(
        "invalid_input",
        `No ${field} on standard input. Type it when asked, pipe it in, or give --${
          flagOf(op, field)
        }. Usage: ${usage(op)}`,
      );
    }
    input[field] = value;
  }
}

/**
 * Replaces the paths given to file flags (`--cert FILE`) with the files'
 * text, refusing files larger than the operation's request body limit.
 */
async function readFileFlags(op: AnyOperation, input: Record<string, unknown>): Promise<void> {
  const limit = op.http.maxBodyBytes ?? 1024 * 1024;
  for (const [flag, field] of Object.entries(op.cli.fileFlags ?? {})) {
    const path = input[field];
    if (typeof path !== "string") continue;
    const info = await Deno.stat(path).catch(() => undefined);
    if (!info?.isFile) {
      throw new FaztError("invalid_input", `--${flag}: no file at "${path}".`, {
        details: { flag, path },
      });
    }
    if (info.size > limit) {
      throw new FaztError(
        "invalid_input",
        `--${flag}: "${path}" is ${formatBytes(info.size)}, more than this command sends (${
          formatBytes(limit)
        }).`,
        { details: { flag, path } },
      );
    }
    input[field] = await Deno.readTextFile(path);
  }
}

/** `fazt app add <dir|zip>`: packs a folder (or reads a zip) and picks the name. */
async function prepareDeploy(
  input: Record<string, unknown>,
  io: CliIo,
  json: boolean,
): Promise<void> {
  const source = String(input.archive);
  const info = await Deno.stat(source).catch(() => undefined);
  if (!info) {
    throw new FaztError("invalid_input", `Nothing at "${source}": give a folder or a .zip file.`);
  }
  let zip: Uint8Array;
  let appJson: Uint8Array | undefined;
  // Zip code (fflate, which loads node:worker_threads) is imported here, on use, so
  // `fazt serve` never loads it.
  const { packFolder, readArchiveFile } = await import("../../apps/pack.ts");
  if (info.isDirectory) {
    const packed = await packFolder(source);
    for (const s of packed.skipped) io.err(`skipped ${s}`);
    zip = packed.zip;
    appJson = await Deno.readFile(`${source}/app.json`).catch(() => undefined);
    if (!json) io.err(`packed ${countOf(packed.files, "file")} (${formatBytes(packed.bytes)})`);
  } else {
    zip = await readArchiveFile(source);
    const { unzipSync } = await import("fflate");
    try {
      appJson = unzipSync(zip, { filter: (f) => f.name === "app.json" })["app.json"];
    } catch {
      appJson = undefined;
    }
  }
  if (input.app === undefined) {
    let fromManifest: string | undefined;
    try {
      const name = appJson ? JSON.parse(new TextDecoder().decode(appJson)).name : undefined;
      fromManifest = typeof name === "string" ? name : undefined;
    } catch {
      fromManifest = undefined;
    }
    input.app = fromManifest ?? suggestAppName(basename(source.replace(/\/+$/, "")));
  }
  const bar = progressBar(
    zip.length,
    "uploading",
    Deno.stderr,
    "the server is checking and storing the files…",
  );
  input.archive = new Upload(streamWithProgress(zip, (n) => bar.update(n)), zip.length);
  input.finish = () => bar.finish();
}

/**
 * `-o FILE` / `--output FILE` of a download command, taken out of `argv`
 * (it is not an operation input).
 */
function takeOutputFlag(argv: string[]): { argv: string[]; output?: string } {
  const rest: string[] = [];
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === "-o" || a === "--output") {
      output = argv[++i];
      if (output === undefined) {
        throw new FaztError("invalid_input", `The flag ${a} needs a file name.`);
      }
    } else if (a.startsWith("--output=")) output = a.slice("--output=".length);
    else rest.push(a);
  }
  return { argv: rest, output };
}

/** An upload command's positional names a file: its bytes are streamed as the body. */
async function prepareUpload(op: AnyOperation, input: Record<string, unknown>): Promise<void> {
  const field = op.http.upload!.field;
  const path = String(input[field]);
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) {
    throw new FaztError("invalid_input", `No file at "${path}".`, { details: { path } });
  }
  const file = await Deno.open(path);
  input[field] = new Upload(file.readable, info.size);
}

/**
 * Runs a download operation and writes the body to `output` (written to a
 * temporary name, renamed when complete) or to standard output.
 */
async function downloadCommand(
  op: AnyOperation,
  input: Record<string, unknown>,
  target: Target,
  io: CliIo,
  output: string | undefined,
): Promise<number> {
  try {
    const res = await target.client.respond(op, input);
    if (!res.body) throw new FaztError("internal", "The server sent no body.");
    if (output === undefined) {
      if (!io.downloadTo && Deno.stdout.isTerminal()) {
        await res.body.cancel();
        throw new FaztError(
          "invalid_input",
          `${op.name} answers with a file; give -o FILE or redirect the output (> FILE).`,
        );
      }
      await res.body.pipeTo(io.downloadTo ?? Deno.stdout.writable, {
        preventClose: !io.downloadTo,
      });
      return 0;
    }
    const partial = `${output}.partial`;
    const file = await Deno.open(partial, { create: true, write: true, truncate: true });
    try {
      await res.body.pipeTo(file.writable);
    } catch (err) {
      await Deno.remove(partial).catch(() => {});
      throw new FaztError("unavailable", `The download broke off: ${(err as Error).message}.`);
    }
    await Deno.rename(partial, output);
    const size = (await Deno.stat(output)).size;
    io.err(`wrote ${output} (${formatBytes(size)})`);
    return 0;
  } finally {
    await target.close();
  }
}

/** Runs the CLI with `argv` and returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = false;
  try {
    if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
      io.out(topHelp());
      return 0;
    }
    if (argv[0] === "version" || argv[0] === "--version") {
      io.out(`fazt ${VERSION}`);
      return 0;
    }
    if (argv[0] === "serve") {
      const args = parseArgs(argv.slice(1), SERVE_BOOLEAN_FLAGS);
      if (boolFlag(args, "help")) {
        io.out("Usage: fazt serve [flags]\n\nRuns the server.\n");
        for (const f of SERVE_FLAGS) io.out(`  --${f.flag.padEnd(14)} ${f.help} Env: ${f.env}.`);
        return 0;
      }
      const known = new Set<string>(SERVE_FLAGS.map((f) => f.flag));
      for (const name of args.flags.keys()) {
        if (!known.has(name)) {
          throw new FaztError(
            "invalid_input",
            `Unknown flag --${name} for fazt serve. Run \`fazt serve --help\` for its flags.`,
          );
        }
      }
      if (args.positionals.length > 0) {
        throw new FaztError(
          "invalid_input",
          `fazt serve takes no arguments (got "${
            args.positionals[0]
          }"); settings are flags, like --port 8080.`,
        );
      }
      return await serve(serveSettings(args, io.env), io.out);
    }
    if (argv[0] === "upgrade") {
      json = argv.includes("--json");
      return await upgradeCommand(argv.slice(1), io);
    }
    if (argv[0] === "restore") {
      json = argv.includes("--json");
      return await restoreCommand(argv, io);
    }
    if (argv[0] === "login") {
      json = argv.includes("--json");
      return await loginCommand(argv, io);
    }
    if (argv[0] === "service") return await serviceCommand(argv, io);
    if (argv[0] === "remote" || argv[0] === "remotes") {
      json = argv.includes("--json");
      return await remoteCommand(argv, io);
    }
    const op = findCommand(argv);
    if (!op) {
      const group = OPERATIONS.filter((o) => o.cli.words[0] === argv[0]);
      throw new FaztError(
        "invalid_input",
        group.length
          ? `Unknown command "fazt ${argv.slice(0, 2).join(" ")}". Try: ${
            group.map((o) => o.cli.words.join(" ")).join(", ")
          }.`
          : `Unknown command "${argv[0]}". Run \`fazt help\` to see the commands.`,
      );
    }
    const booleanFields = inputFields(op).filter((f) => f.kind === "boolean").map((f) => f.name);
    const booleans = new Set([
      "json",
      "help",
      ...booleanFields,
      ...Object.entries(op.cli.flagAliases ?? {}).filter(([, f]) => booleanFields.includes(f))
        .map(([alias]) => alias),
    ]);
    const download = op.http.download ? takeOutputFlag(argv) : undefined;
    const args = parseArgs(download?.argv ?? argv, booleans);
    json = boolFlag(args, "json");
    if (boolFlag(args, "help")) {
      io.out(commandHelp(op));
      return 0;
    }
    const input = buildInput(op, args);
    await readFileFlags(op, input);
    await readSecretInputs(op, input, io);
    await readStdinInputs(op, input, io);
    if (op.name === "apps.deploy") await prepareDeploy(input, io, json);
    // A backup folder given on the command line is relative to where the command runs.
    if (
      op.name.startsWith("backups.") && typeof input.to === "string" && !input.to.includes("://")
    ) {
      input.to = resolve(input.to);
    }
    if (op.http.upload && op.name !== "apps.deploy") await prepareUpload(op, input);
    const finish = input.finish as (() => void) | undefined;
    delete input.finish;
    // An empty variable counts as unset (e.g. `FAZT_URL= fazt …`).
    const env = (name: string) => io.env(name) || undefined;
    const target = await openTarget({
      url: flag(args, "url") ?? env("FAZT_URL"),
      token: flag(args, "token") ?? env("FAZT_TOKEN"),
      dataDir: flag(args, "data") ?? env("FAZT_DATA"),
      remotesFile: remotesPath((name) => io.env(name)),
    });
    if (op.http.stream) return await streamCommand(op, input, target, io, json);
    if (download) return await downloadCommand(op, input, target, io, download.output);
    let output: unknown;
    try {
      output = await target.client.call(op, input);
    } finally {
      finish?.();
      await target.close();
    }
    if (json) io.out(JSON.stringify(output, null, 2));
    else if (op.name === "apps.deploy") io.out(describeDeploy(output as DeployOutput));
    else if (op.name === "apps.import") io.out(describeImport(output as ImportOutput));
    else io.out(formatOutput(output, op.cli.columns));
    return 0;
  } catch (err) {
    const e = toFaztError(err);
    if (e.code === "internal") io.err(`fazt: ${(e.cause as Error)?.stack ?? e.cause}`);
    if (json) io.err(JSON.stringify(e.toJSON(), null, 2));
    else io.err(`error: ${e.message}`);
    return ERROR_CODES[e.code].exit;
  }
}

/**
 * Runs a streaming operation, printing each output as one line (JSON lines
 * with --json) until the stream ends or the user interrupts (exit 130).
 */
async function streamCommand(
  op: AnyOperation,
  input: Record<string, unknown>,
  target: Target,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const interrupt = io.interrupt ? { signal: io.interrupt, dispose() {} } : onInterrupt();
  try {
    for await (const item of target.client.stream(op, input, interrupt.signal)) {
      io.out(json ? JSON.stringify(item) : formatStreamItem(item));
    }
  } finally {
    interrupt.dispose();
    await target.close();
  }
  if (interrupt.signal.aborted) return 130;
  io.err("The server ended the stream. Run the command again to keep following.");
  return 0;
}

/** An abort signal fired by SIGINT or SIGTERM, and a way to stop listening. */
function onInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const added = signals.filter((s) => {
    try {
      Deno.addSignalListener(s, abort);
      return true;
    } catch {
      return false;
    }
  });
  return {
    signal: controller.signal,
    dispose: () => added.forEach((s) => Deno.removeSignalListener(s, abort)),
  };
}

/** One line for a streamed output: `<at> <level> <source> <message>` for log entries. */
export function formatStreamItem(item: unknown): string {
  const e = item as Record<string, unknown> | null;
  if (
    e && typeof e === "object" && typeof e.at === "string" && typeof e.level === "string" &&
    typeof e.source === "string" && typeof e.message === "string"
  ) {
    const message = e.message.replace(/\r?\n/g, "\n    ");
    return `${e.at} ${e.level.padEnd(5)} ${e.source.padEnd(6)} ${message}`;
  }
  return typeof item === "string" ? item : JSON.stringify(item);
}

interface DeployOutput {
  app: { id: string; name: string; url: string };
  version: { number: number; files: number; bytes: number };
  created: boolean;
}

interface ImportOutput {
  app: { id: string; name: string; url: string };
  version: { files: number; bytes: number };
  sourceId: string;
  withData: boolean;
}

function describeImport(o: ImportOutput): string {
  return [
    `Imported ${o.app.name}: version 1 is live (${countOf(o.version.files, "file")}, ${
      formatBytes(o.version.bytes)
    }${o.withData ? ", with its data" : ", without data"})`,
    `  id    ${o.app.id}${o.app.id === o.sourceId ? " (kept)" : ` (was ${o.sourceId})`}`,
    `  name  ${o.app.name}`,
    `  url   ${o.app.url}`,
  ].join("\n");
}

function describeDeploy(o: DeployOutput): string {
  return [
    `${o.created ? "Created" : "Updated"} ${o.app.name}: version ${o.version.number} is live (${
      countOf(o.version.files, "file")
    }, ${formatBytes(o.version.bytes)})`,
    `  id    ${o.app.id}`,
    `  name  ${o.app.name}`,
    `  url   ${o.app.url}`,
  ].join("\n");
}
