/**
 * Operations on app logs: query, and a live tail streamed as server-sent
 * events.
 *
 * @module
 */
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { LOG_LEVELS, type LogEntry } from "../services/logs/log_service.ts";
import { queryInt } from "./number_input.ts";

const app = z.string().min(1).max(100).describe("App name or ID.");

/** A log entry as the API shows it. */
export const LogView = z.object({
  at: z.string(),
  level: z.enum(LOG_LEVELS),
  source: z.enum(["kernel", "app"]),
  message: z.string(),
  requestId: z.string().nullable(),
});

function view(e: LogEntry): z.input<typeof LogView> {
  return {
    at: new Date(e.at).toISOString(),
    level: e.level,
    source: e.source,
    message: e.message,
    requestId: e.requestId,
  };
}

/** `logs.query` */
export const queryLogs = defineOperation({
  name: "logs.query",
  summary: "Read an app's logs",
  description: "Returns an app's recent log entries, oldest first, with optional filters.",
  input: z.strictObject({
    app,
    since: z.iso.datetime({ offset: true }).optional().describe(
      "Only entries at or after this ISO time.",
    ),
    level: z.enum(LOG_LEVELS).optional().describe("Only entries at least this severe."),
    contains: z.string().max(200).optional().describe("Only entries whose message contains this."),
    limit: queryInt(1, 1000).optional().describe(
      "At most this many (default 100).",
    ),
  }),
  output: z.array(LogView),
  access: "logs:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/logs" },
  cli: {
    words: ["logs", "query"],
    positionals: ["app"],
    columns: ["at", "level", "source", "message"],
  },
  handler: ({ app: ref, since, level, contains, limit }, { services }) => {
    const target = services.apps.resolve(ref);
    return Promise.resolve(
      services.logs.query(target.id, {
        since: since ? Date.parse(since) : undefined,
        level,
        contains,
        limit,
      }).map(view),
    );
  },
});

/** `logs.tail` */
export const tailLogs = defineOperation({
  name: "logs.tail",
  summary: "Follow an app's logs live",
  description:
    "Streams an app's log entries as they happen (server-sent events), after the last few entries.",
  input: z.strictObject({
    app,
    backlog: queryInt(0, 1000).optional().describe(
      "How many recent entries to send first (default 20).",
    ),
  }),
  output: LogView,
  access: "logs:read",
  appField: "app",
  hints: { readOnly: true },
  http: { method: "GET", path: "/apps/{app}/logs/stream", stream: true },
  cli: {
    words: ["logs", "tail"],
    positionals: ["app"],
    description:
      "Prints an app's log entries as they happen, after the last few entries, until you stop it (Ctrl-C).",
  },
  handler: ({ app: ref, backlog }, { services, signal }) => {
    const target = services.apps.resolve(ref);
    const recent = services.logs.query(target.id, { limit: backlog ?? 20 });
    return Promise.resolve(follow(services.logs, target.id, recent, signal));
  },
});

async function* follow(
  logs: { subscribe(appId: string, fn: (e: LogEntry) => void): () => void },
  appId: string,
  recent: LogEntry[],
  signal: AbortSignal | undefined,
): AsyncGenerator<z.input<typeof LogView>> {
  const queue: LogEntry[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = logs.subscribe(appId, (e) => {
    queue.push(e);
    wake?.();
  });
  const aborted = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    for (const e of recent) yield view(e);
    while (!signal?.aborted) {
      while (queue.length > 0) yield view(queue.shift()!);
      await Promise.race([new Promise<void>((r) => wake = r), aborted]);
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}

/** Every log operation. */
export const LOG_OPERATIONS = [queryLogs, tailLogs];
