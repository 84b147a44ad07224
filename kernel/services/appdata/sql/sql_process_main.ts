/**
 * An app's SQL process: runs that app's SQL statements on its `sql.db`,
 * one at a time, for the kernel (see `sql_process.ts`), so a statement that
 * runs forever or returns too much costs this process, never the kernel's
 * event loop or memory. The kernel kills it when a statement runs too long.
 *
 * It opens both connections (read-write and read-only, every isolation
 * lock of `sql_connection.ts` in place), then drops every permission it
 * holds, file access included: SQLite keeps the files it opened (and their
 * `-wal`/`-shm`) without asking Deno again, and ATTACH, the one way to open
 * another file, is refused by the authorizer. Only then does it say it is
 * ready and read requests.
 *
 * Started as `deno run … sql_process_main.ts <appDir>` from source, or as
 * `fazt __sql <appDir>` (see `main.ts`).
 *
 * @module
 */
import { readLines } from "../../../../runtime/process/lines.ts";
import { FaztError } from "../../../core/errors.ts";
import { type AppSqlConnection, openAppSql } from "./sql_connection.ts";
import {
  decodeParams,
  encodeError,
  type SqlAnswer,
  type SqlInit,
  type SqlRequest,
  stringifyRows,
} from "./sql_wire.ts";

/** The file holding an app's own SQL tables, inside its data folder. */
const SQL_DB_FILE = "sql.db";

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

const encoder = new TextEncoder();

async function writeLine(text: string): Promise<void> {
  const bytes = encoder.encode(text + "\n");
  let at = 0;
  while (at < bytes.length) at += await Deno.stdout.write(bytes.subarray(at));
}

function send(answer: SqlAnswer): Promise<void> {
  return writeLine(JSON.stringify(answer));
}

/** The answer to one request, as a line of JSON. */
function answer(conn: AppSqlConnection, req: SqlRequest): string {
  if (req.t !== "all" && req.t !== "run") {
    throw new FaztError("internal", `Unknown request "${req.t}" to the SQL process.`);
  }
  try {
    const params = decodeParams(req.params);
    if (req.t === "run") {
      const result = conn.run(req.sql, params);
      return JSON.stringify({ t: "result", id: req.id, result } satisfies SqlAnswer);
    }
    const rows = conn.all(req.sql, params, req.readOnly);
    return `{"t":"rows","id":${req.id},"rows":${stringifyRows(rows)}}`;
  } catch (err) {
    return JSON.stringify({ t: "error", id: req.id, error: encodeError(err) } satisfies SqlAnswer);
  }
}

/** Serves one app's SQL over stdin/stdout until stdin closes. */
export async function runSqlProcess(appDir: string | undefined): Promise<void> {
  if (!appDir) {
    console.error("usage: sql_process_main.ts <appDir>");
    Deno.exit(2);
  }
  const lines = readLines(Deno.stdin.readable);
  const first = await lines.next();
  if (first.done) return;
  const init = JSON.parse(first.value) as SqlInit;
  let conn: AppSqlConnection;
  try {
    conn = openAppSql(`${appDir.replace(/\/+$/, "")}/${SQL_DB_FILE}`, {
      busyTimeoutMs: init.busyTimeoutMs,
      maxSqlBytes: init.maxSqlBytes,
      maxRows: init.maxRows,
      maxResultBytes: init.maxResultBytes,
      heapLimitBytes: init.heapLimitBytes,
    });
    conn.openReadOnly();
    for (const name of PERMISSIONS) {
      await Deno.permissions.revoke({ name } as Deno.PermissionDescriptor);
    }
  } catch (err) {
    await send({ t: "fatal", message: err instanceof Error ? err.message : String(err) });
    Deno.exit(1);
  }
  await send({ t: "ready" });
  for await (const line of lines) {
    let req: SqlRequest;
    try {
      req = JSON.parse(line);
    } catch {
      continue;
    }
    let text: string;
    try {
      text = answer(conn, req);
    } catch (err) {
      const id = (req as { id?: number }).id ?? 0;
      text = JSON.stringify({ t: "error", id, error: encodeError(err) } satisfies SqlAnswer);
    }
    await writeLine(text);
  }
  conn.close();
}

// Run directly from source. (In a bundle every module is "main"; there
// `main.ts` calls runSqlProcess for `__sql` itself.)
if (import.meta.main && Deno.args[0] !== "__sql") {
  await runSqlProcess(Deno.args[0]);
}
