/**
 * An operation is one capability of fazt, defined once as data: name,
 * description, zod input and output, required scope, transport hints and a
 * handler. REST routes, CLI commands, the OpenAPI document (and later MCP
 * tools and the dashboard client) are all generated from these definitions.
 *
 * @module
 */
import type { z } from "zod";
import type { Principal, Scope } from "../services/auth/scopes.ts";
import type { Services } from "./services.ts";

/** HTTP methods the REST codec maps operations to. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** How an operation appears in the REST API. */
export interface OperationHttp {
  /** The method. */
  method: HttpMethod;
  /** Path under `/_fazt/api`, with `{param}` placeholders naming input fields. */
  path: string;
  /** Success status (default 200). */
  status?: number;
  /**
   * When set, the request body is a raw upload bound to this input field
   * (other fields come from the path and query string).
   */
  upload?: { field: string; contentTypes: readonly string[] };
  /** Largest JSON body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * `set`: the output's `session` field becomes the session cookie (and is
   * removed from the body); `clear`: the cookie is cleared.
   */
  session?: "set" | "clear";
  /**
   * The operation uses the known-device cookie (`kernel/http/device_cookie.ts`):
   * the codec hands the request's cookie to the handler (`ctx.knownDevice`)
   * and sets the output's `device` field, when present, as that cookie
   * (removing it from the body).
   */
  knownDevice?: boolean;
  /** The handler returns an async iterable of outputs, sent as server-sent events. */
  stream?: boolean;
  /**
   * The handler returns a `Download` (`kernel/ops/download.ts`) of this media
   * type, sent as the response body: an attachment the browser saves, or with
   * `inline`, something a page shows (an app's logo in an `<img>`).
   */
  download?: { contentType: string; inline?: boolean };
}

/** How an operation appears in the CLI. */
export interface OperationCli {
  /** The command words, e.g. `["app", "list"]`. */
  words: readonly string[];
  /** Input fields taken as positional arguments, in order. */
  positionals?: readonly string[];
  /** For list outputs: the columns of the human-readable table. */
  columns?: readonly string[];
  /** Extra flag names for input fields, e.g. `{ name: "app" }` makes `--name` set `app`. */
  flagAliases?: Readonly<Record<string, string>>;
  /**
   * Flags that name a file whose text becomes an input field, e.g.
   * `{ cert: "certPem" }`: `--cert FILE` sends the file's text as `certPem`.
   * The CLI reads the file, so a key never sits on the command line.
   */
  fileFlags?: Readonly<Record<string, string>>;
  /**
   * Input fields that are secrets, each with the environment variable the
   * CLI reads it from, e.g. `{ secretAccessKey: "FAZT_S3_SECRET_ACCESS_KEY" }`.
   * They take no flag (a flag's value shows in the process list); a required
   * one the variable does not give is read from standard input.
   */
  secretInputs?: Readonly<Record<string, string>>;
  /**
   * Input fields the CLI reads from standard input by default (a hidden
   * prompt on a terminal, else everything piped in, one trailing newline
   * trimmed), so a value never lands in shell history or the process list;
   * `--<field> VALUE` still sets it, for scripts. Never positionals.
   */
  stdinInputs?: readonly string[];
  /** The CLI's one line, when the command takes other arguments than the API (a folder, not a body). */
  summary?: string;
  /** The CLI's paragraph, when it differs from the API's (flags instead of field names). */
  description?: string;
  /** CLI help for input fields the command line gives differently (e.g. a folder for an upload). */
  help?: Readonly<Record<string, string>>;
}

/** Behaviour hints (mirrored into MCP tool annotations). */
export interface OperationHints {
  /** The operation changes nothing. */
  readOnly?: boolean;
  /** The operation may delete data. */
  destructive?: boolean;
  /** Repeating the call has no further effect. */
  idempotent?: boolean;
}

/** What a handler gets besides its input. */
export interface OperationContext {
  /** The authenticated caller. */
  principal: Principal;
  /** Kernel services. */
  services: Services;
  /** A request ID for logs. */
  requestId: string;
  /** The caller's IP address (`local` for in-process calls). */
  clientIp: string;
  /** Aborted when the caller goes away (for streams). */
  signal?: AbortSignal;
  /** The caller's known-device cookie, for operations with `http.knownDevice`. */
  knownDevice?: string;
}

/** Who may call an operation: a scope, or anyone. */
export type Access = Scope | "public";

/** One operation. */
export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** Stable dotted name, e.g. `apps.list`. */
  name: string;
  /** One line for lists and help. */
  summary: string;
  /** A paragraph for help text and API docs. */
  description: string;
  /** The input schema (a zod object). */
  input: I;
  /** The output schema. */
  output: O;
  /** Required scope. */
  access: Access;
  /** The input field naming an app, for tokens limited to some apps. */
  appField?: string;
  /**
   * The handler itself narrows its result to the caller's apps, so tokens
   * limited to some apps may call it (list operations).
   */
  filtersByApp?: boolean;
  /** Behaviour hints. */
  hints: OperationHints;
  /** REST mapping. */
  http: OperationHttp;
  /** CLI mapping. */
  cli: OperationCli;
  /**
   * Does the work; throws `FaztError` for anything the caller can fix.
   * Streaming operations (`http.stream`) return an async iterable of outputs.
   */
  handler(
    input: z.output<I>,
    ctx: OperationContext,
  ): Promise<z.input<O> | AsyncIterable<z.input<O>>>;
}

/** Defines an operation with its types inferred from the schemas. */
export function defineOperation<I extends z.ZodType, O extends z.ZodType>(
  op: Operation<I, O>,
): Operation<I, O> {
  return op;
}

/** An operation of any input and output. */
// deno-lint-ignore no-explicit-any -- a heterogeneous list of operations needs erased generics
export type AnyOperation = Operation<any, any>;
