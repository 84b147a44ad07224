/**
 * MCP resources: an app's files (`fazt://apps/{app}/files/{+path}`) and
 * its recent logs (`fazt://apps/{app}/logs`). Every list and read runs an
 * operation (`apps.list`, `apps.files`, `apps.read_file`, `logs.query`)
 * through the executor, so scopes and app limits are those of the tools.
 *
 * @module
 */
// @ts-types="@modelcontextprotocol/sdk/types"
import type {
  ListResourcesResult,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import type { AnyOperation, OperationContext } from "../../ops/operation.ts";
import { execute } from "../../ops/executor.ts";
import { FaztError, toFaztError } from "../../core/errors.ts";
import { mayUse } from "./mcp_tools.ts";

/** The URI templates of fazt's resources. */
export const RESOURCE_TEMPLATES: readonly ResourceTemplate[] = Object.freeze([
  {
    uriTemplate: "fazt://apps/{app}/files/{+path}",
    name: "app-file",
    title: "A file of an app",
    description:
      "One file of an app's live version (up to 1 MiB): text as text, anything else as a base64 blob. Needs apps:read.",
  },
  {
    uriTemplate: "fazt://apps/{app}/logs",
    name: "app-logs",
    title: "An app's recent logs",
    description: "The app's last 100 log entries as JSON, oldest first. Needs logs:read.",
    mimeType: "application/json",
  },
]);

/** Resources per page of `resources/list`. */
export const RESOURCES_PAGE_SIZE = 500;

/** How many recent entries the logs resource holds. */
const LOG_ENTRIES = 100;

/** The URI of one of an app's files. */
export function fileUri(app: string, path: string): string {
  return `fazt://apps/${encodeURIComponent(app)}/files/${
    path.split("/").map(encodeURIComponent).join("/")
  }`;
}

/** The URI of an app's logs. */
export function logsUri(app: string): string {
  return `fazt://apps/${encodeURIComponent(app)}/logs`;
}

/**
 * A resource request that failed, shaped as the SDK sends JSON-RPC errors:
 * a numeric `code`, the FaztError's message, and fazt's code in `data`.
 */
export class ResourceError extends Error {
  /** The JSON-RPC error code (-32002 resource not found, -32602 invalid params, …). */
  readonly code: number;
  /** fazt's error code and details. */
  readonly data: { code: string; details: Record<string, unknown> };

  constructor(err: FaztError) {
    super(err.message, { cause: err.cause });
    this.name = "ResourceError";
    this.code = err.code === "not_found"
      ? -32002
      : err.code === "invalid_input" || err.code === "bad_request"
      ? -32602
      : err.code === "internal"
      ? -32603
      : -32001;
    this.data = { code: err.code, details: err.details };
  }
}

type Parsed = { kind: "file"; app: string; path: string } | { kind: "logs"; app: string };

function parseUri(uri: string): Parsed {
  const m = /^fazt:\/\/apps\/([^/]+)\/(?:files\/(.+)|(logs))$/.exec(uri);
  try {
    if (m && m[2] !== undefined) {
      return {
        kind: "file",
        app: decodeURIComponent(m[1]),
        path: m[2].split("/").map(decodeURIComponent).join("/"),
      };
    }
    if (m && m[3] !== undefined) return { kind: "logs", app: decodeURIComponent(m[1]) };
  } catch {
    // a malformed %-escape: unknown resource below
  }
  throw new FaztError(
    "not_found",
    `No resource has the URI ${
      JSON.stringify(uri)
    }. fazt serves fazt://apps/{app}/files/{path} and fazt://apps/{app}/logs.`,
  );
}

/** Reads resources through operations (found by name in the registry given). */
export interface ResourceReader {
  /** `resources/list`: the files and logs of the apps the caller may see, a page at a time. */
  list(ctx: OperationContext, cursor?: string): Promise<ListResourcesResult>;
  /** `resources/read`. Throws {@linkcode ResourceError}. */
  read(uri: string, ctx: OperationContext): Promise<ReadResourceResult>;
}

/** Makes the resource reader over `operations`. */
export function createResourceReader(operations: readonly AnyOperation[]): ResourceReader {
  const op = (name: string): AnyOperation => {
    const found = operations.find((o) => o.name === name);
    if (!found) throw new Error(`MCP resources need the operation ${name}.`);
    return found;
  };
  const listApps = op("apps.list");
  const listFiles = op("apps.files");
  const readFile = op("apps.read_file");
  const queryLogs = op("logs.query");

  async function all(ctx: OperationContext): Promise<Resource[]> {
    if (!mayUse(ctx.principal, listApps)) return [];
    const apps = await execute(listApps, {}, ctx) as {
      id: string;
      name: string;
      version: number | null;
    }[];
    const withFiles = mayUse(ctx.principal, listFiles);
    const withLogs = mayUse(ctx.principal, queryLogs);
    const out: Resource[] = [];
    for (const app of apps) {
      if (withLogs) {
        out.push({
          uri: logsUri(app.name),
          name: `${app.name} logs`,
          title: `Recent logs of ${app.name}`,
          mimeType: "application/json",
        });
      }
      if (!withFiles || app.version === null) continue;
      let files: { path: string; size: number; contentType: string }[];
      try {
        files = await execute(listFiles, { app: app.id }, ctx) as typeof files;
      } catch (err) {
        if (err instanceof FaztError && err.code === "not_found") continue; // deleted meanwhile
        throw err;
      }
      for (const f of files) {
        out.push({
          uri: fileUri(app.name, f.path),
          name: `${app.name}/${f.path}`,
          mimeType: f.contentType,
          size: f.size,
        });
      }
    }
    return out;
  }

  return {
    async list(ctx, cursor) {
      const start = cursor === undefined ? 0 : Number.parseInt(cursor, 10);
      if (!Number.isSafeInteger(start) || start < 0) {
        throw new ResourceError(
          new FaztError("invalid_input", "The cursor is not one resources/list returned."),
        );
      }
      try {
        const resources = await all(ctx);
        const end = start + RESOURCES_PAGE_SIZE;
        return {
          resources: resources.slice(start, end),
          ...(end < resources.length ? { nextCursor: String(end) } : {}),
        };
      } catch (err) {
        throw new ResourceError(toFaztError(err));
      }
    },

    async read(uri, ctx) {
      try {
        const target = parseUri(uri);
        if (target.kind === "logs") {
          const entries = await execute(queryLogs, { app: target.app, limit: LOG_ENTRIES }, ctx);
          return {
            contents: [{ uri, mimeType: "application/json", text: JSON.stringify(entries) }],
          };
        }
        const file = await execute(readFile, { app: target.app, path: target.path }, ctx) as {
          contentType: string;
          encoding: "utf-8" | "base64";
          content: string;
        };
        return {
          contents: [
            file.encoding === "utf-8"
              ? { uri, mimeType: file.contentType, text: file.content }
              : { uri, mimeType: file.contentType, blob: file.content },
          ],
        };
      } catch (err) {
        throw new ResourceError(toFaztError(err));
      }
    },
  };
}
