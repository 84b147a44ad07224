/**
 * The CLI-local commands for remotes (not registry operations):
 * `fazt login <url>` stores an API token for a server and makes it the
 * current remote; `fazt remote list|use|rm` manage the stored remotes.
 *
 * @module
 */
import { FaztError } from "../core/errors.ts";
import { login as loginOp, logout as logoutOp, whoami as whoamiOp } from "../ops/auth_ops.ts";
import { createToken } from "../ops/token_ops.ts";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from "../http/session_cookie.ts";
import { boolFlag, flag, parseArgs, type ParsedArgs } from "./args.ts";
import { createApiClient, type FetchLike } from "./api_client.ts";
import { formatTable } from "./output.ts";
import {
  addRemote,
  checkRemoteName,
  defaultRemoteName,
  loadRemotes,
  normalizeUrl,
  type RemotesConfig,
  remotesPath,
  removeRemote,
  saveRemotes,
  useRemote,
} from "./remotes.ts";

/** What the remote commands need from the CLI's surroundings. */
export interface RemoteIo {
  /** Standard output, one line at a time. */
  out(line: string): void;
  /** Standard error, one line at a time. */
  err(line: string): void;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Reads a secret (default: a line from stdin, prompting on a terminal). */
  readPassword?(prompt: string): Promise<string>;
  /** Sends HTTP requests (default: `fetch`). */
  fetch?: FetchLike;
}

/** The words of the CLI-local commands, with one-line summaries for `fazt help`. */
export const REMOTE_COMMANDS: readonly { words: string; summary: string }[] = [
  { words: "login <url>", summary: "Log in to a server and make it the current remote" },
  { words: "remote list", summary: "List the stored remotes" },
  { words: "remote use <name>", summary: "Make a stored remote the current one" },
  { words: "remote rm <name>", summary: "Forget a stored remote" },
];

const LOGIN_HELP = `Usage: fazt login <url> [--name NAME] (--email EMAIL | --token TOKEN) [--json]

Logs in to the fazt server at <url>, stores an API token for it and makes it
the current remote: commands without --url or --data then go to it.

  --email EMAIL   Log in as the owner. The password is read from stdin (one
                  line); on a terminal fazt asks for it, hiding it where the
                  terminal allows (otherwise it is shown as you type). fazt
                  creates an admin token named "cli on <this machine>" and
                  ends the login session.
  --token TOKEN   Store an existing API token (e.g. from \`fazt token create\`);
                  \`--token -\` reads it from stdin (keeps it out of shell history).
  --name NAME     The remote's name (default: the URL's host, e.g. example.com).
  --json          Print the result as JSON.

Remotes are stored in $XDG_CONFIG_HOME/fazt/remotes.json (or
~/.config/fazt/remotes.json), readable only by you. The token is never printed.`;

const REMOTE_HELP = `Usage: fazt remote [list] [--json]
       fazt remote use <name>
       fazt remote rm <name>

Manages the servers stored by \`fazt login <url>\`. The current remote (marked
with *) receives commands that have no --url or --data. \`remote rm\` only
forgets the token here; revoke it on the server with \`fazt token revoke ID\`.`;

/** Runs `fazt login …`; returns the exit code. */
export async function loginCommand(argv: readonly string[], io: RemoteIo): Promise<number> {
  const args = parseArgs(argv, new Set(["json", "help"]));
  if (boolFlag(args, "help")) {
    io.out(LOGIN_HELP);
    return 0;
  }
  onlyFlags(args, ["name", "email", "token", "json", "help"], "fazt login");
  const [, rawUrl, ...extra] = args.positionals;
  if (!rawUrl || extra.length > 0) {
    throw new FaztError(
      "invalid_input",
      "Give one server URL: `fazt login https://example.com --email you@example.com`.",
    );
  }
  const url = normalizeUrl(rawUrl);
  const name = checkRemoteName(flag(args, "name") ?? defaultRemoteName(url));
  const email = flag(args, "email");
  const givenToken = flag(args, "token");
  if ((email === undefined) === (givenToken === undefined)) {
    throw new FaztError(
      "invalid_input",
      "Pass either --email EMAIL (the password is read from stdin) or --token TOKEN.",
    );
  }
  const file = requireRemotesPath(io);
  const config = await loadRemotes(file);
  const send = io.fetch ?? fetch;

  let token: string;
  let tokenName: string | undefined;
  if (givenToken !== undefined) {
    token = (givenToken === "-" ? await (io.readPassword ?? readPassword)("Token: ") : givenToken)
      .trim();
    if (token === "") {
      throw new FaztError("invalid_input", "The token is empty. Pass the API token after --token.");
    }
  } else {
    const password = await (io.readPassword ?? readPassword)("Password: ");
    if (password === "") {
      throw new FaztError(
        "invalid_input",
        "No password given. Type it when asked, or pipe it in: `printf '%s\\n' \"$PASSWORD\" | fazt login URL --email EMAIL`.",
      );
    }
    const created = await tokenFromPassword(url, email!, password, send);
    token = created.token;
    tokenName = created.name;
  }

  const me = await createApiClient(url, token, send).call(whoamiOp, {}) as WhoAmI;
  if (me.kind === "anonymous") {
    throw new FaztError(
      "unauthorized",
      `The server at ${url} does not accept this token (mistyped, revoked or expired). Create one there with \`fazt token create --name NAME --scope admin\`, or log in with --email.`,
    );
  }
  const replaced = Object.hasOwn(config.remotes, name);
  await saveRemotes(
    file,
    addRemote(config, name, { url, token, addedAt: new Date().toISOString() }),
  );

  if (boolFlag(args, "json")) {
    io.out(JSON.stringify(
      {
        name,
        url,
        current: true,
        file,
        owner: me.owner?.email ?? null,
        tokenId: me.tokenId,
        tokenName: tokenName ?? null,
        scopes: me.scopes,
      },
      null,
      2,
    ));
  } else {
    io.out(`Logged in to ${url}${me.owner ? ` as ${me.owner.email}` : ""}.`);
    io.out(
      `${
        replaced ? "Replaced" : "Stored"
      } remote "${name}" in ${file}; it is now the current remote.`,
    );
    io.out(
      `Token ${me.tokenId ?? "?"}${tokenName ? ` ("${tokenName}")` : ""}, scopes: ${
        me.scopes.join(", ") || "none"
      }.`,
    );
  }
  return 0;
}

/** Runs `fazt remote …`; returns the exit code. */
export async function remoteCommand(argv: readonly string[], io: RemoteIo): Promise<number> {
  const args = parseArgs(argv, new Set(["json", "help"]));
  const [, sub = "list", ...rest] = args.positionals;
  if (boolFlag(args, "help") || sub === "help") {
    io.out(REMOTE_HELP);
    return 0;
  }
  onlyFlags(args, ["json", "help"], `fazt remote ${sub}`);
  const json = boolFlag(args, "json");
  const file = requireRemotesPath(io);
  const config = await loadRemotes(file);
  switch (sub) {
    case "list":
    case "ls": {
      if (rest.length > 0) throw new FaztError("invalid_input", "Usage: fazt remote list [--json]");
      listRemotes(config, io, json);
      return 0;
    }
    case "use": {
      const name = oneName(rest, "use");
      await saveRemotes(file, useRemote(config, name));
      if (json) io.out(JSON.stringify({ current: name, url: config.remotes[name].url }, null, 2));
      else io.out(`Now using remote "${name}" (${config.remotes[name].url}).`);
      return 0;
    }
    case "rm":
    case "remove": {
      const name = oneName(rest, "rm");
      const next = removeRemote(config, name);
      await saveRemotes(file, next);
      const wasCurrent = config.current === name;
      if (json) {
        io.out(JSON.stringify({ removed: name, current: next.current }, null, 2));
      } else {
        io.out(`Removed remote "${name}".`);
        if (wasCurrent) {
          io.out(
            "No remote is current now: commands use --data or ./fazt-data until you run `fazt remote use NAME`.",
          );
        }
      }
      return 0;
    }
    default:
      throw new FaztError(
        "invalid_input",
        `Unknown command "fazt remote ${sub}". Try: remote list, remote use <name>, remote rm <name>.`,
      );
  }
}

function listRemotes(config: RemotesConfig, io: RemoteIo, json: boolean): void {
  const rows = Object.entries(config.remotes).map(([name, r]) => ({
    name,
    url: r.url,
    addedAt: r.addedAt,
    current: name === config.current,
  }));
  if (json) {
    io.out(JSON.stringify({ current: config.current, remotes: rows }, null, 2));
    return;
  }
  if (rows.length === 0) {
    io.out("No remotes yet. Add one with `fazt login <url>`.");
    return;
  }
  const lines = formatTable(rows, ["name", "url", "addedAt"]).split("\n");
  io.out(lines.map((l, i) => `${i > 0 && rows[i - 1].current ? "*" : " "} ${l}`).join("\n"));
}

function oneName(rest: string[], sub: string): string {
  if (rest.length !== 1) {
    throw new FaztError(
      "invalid_input",
      `Usage: fazt remote ${sub} <name>. Run \`fazt remote list\` to see the names.`,
    );
  }
  return rest[0];
}

function onlyFlags(args: ParsedArgs, allowed: readonly string[], command: string): void {
  for (const name of args.flags.keys()) {
    if (!allowed.includes(name)) {
      throw new FaztError(
        "invalid_input",
        `Unknown flag --${name} for ${command}. Run \`${command} --help\`.`,
      );
    }
  }
}

function requireRemotesPath(io: RemoteIo): string {
  const file = remotesPath((name) => io.env(name));
  if (!file) {
    throw new FaztError(
      "invalid_input",
      "Cannot tell where to store remotes: set HOME (or XDG_CONFIG_HOME) and try again.",
    );
  }
  return file;
}

interface WhoAmI {
  kind: "token" | "session" | "anonymous";
  scopes: string[];
  tokenId: string | null;
  owner: { id: string; email: string } | null;
}

/**
 * Logs in with email and password, creates an admin token with the session
 * (same-origin, as the CSRF guard requires) and ends the session.
 */
async function tokenFromPassword(
  url: string,
  email: string,
  password: string,
  send: FetchLike,
): Promise<{ token: string; name: string }> {
  const res = await createApiClient(url, undefined, send, { origin: url })
    .respond(loginOp, { email, password });
  await res.body?.cancel();
  const session = res.headers.getSetCookie().map((c) => c.split(";")[0].trim())
    .find((c) =>
      [SESSION_COOKIE, SECURE_SESSION_COOKIE].some((name) =>
        c.startsWith(`${name}=`) && c.length > name.length + 1
      )
    );
  if (!session) {
    throw new FaztError(
      "internal",
      `${url} accepted the login but set no session cookie. Is it a fazt server? Log in with --token instead.`,
    );
  }
  const client = createApiClient(url, undefined, send, { cookie: session, origin: url });
  const name = `cli on ${await machineName()}`;
  try {
    const created = await client.call(createToken, { name, scopes: ["admin"] }) as {
      token: string;
    };
    return { token: created.token, name };
  } finally {
    await client.call(logoutOp, {}).catch(() => {});
  }
}

/**
 * This machine's name for the token's label: `/etc/hostname` when readable
 * (fazt runs without the permission `Deno.hostname()` needs).
 */
async function machineName(): Promise<string> {
  try {
    const name = (await Deno.readTextFile("/etc/hostname")).trim().split(/\s/)[0];
    // deno-lint-ignore no-control-regex
    if (name && name.length <= 80 && !/[\x00-\x1f\x7f]/.test(name)) return name;
  } catch {
    // No such file (macOS, Windows) or unreadable: fall through.
  }
  return "this machine";
}

/**
 * Reads a password: on a terminal, prompts on stderr and reads with echo
 * off (raw mode) when the terminal allows; otherwise reads one line from
 * stdin.
 */
export async function readPassword(prompt: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) return await readLine(Deno.stdin.readable);
  const enc = new TextEncoder();
  Deno.stderr.writeSync(enc.encode(prompt));
  try {
    Deno.stdin.setRaw(true);
  } catch {
    return await readLine(Deno.stdin.readable);
  }
  const bytes: number[] = [];
  const buf = new Uint8Array(64);
  try {
    read: while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      for (const b of buf.subarray(0, n)) {
        if (b === 0x0d || b === 0x0a) break read;
        if (b === 0x03) throw new FaztError("invalid_input", "Cancelled.");
        if (b === 0x04) {
          if (bytes.length === 0) throw new FaztError("invalid_input", "Cancelled.");
          break read;
        }
        if (b === 0x7f || b === 0x08) {
          while (bytes.length > 0 && (bytes.pop()! & 0xc0) === 0x80) { /* UTF-8 continuation */ }
          continue;
        }
        bytes.push(b);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(enc.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Reads the first line of a stream (without its line ending), or all of it without one. */
export async function readLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return text.split("\n")[0].replace(/\r$/, "");
}
