/**
 * The kernel database: one SQLite file opened twice through `node:sqlite`.
 * The read connection serves the hot path and always sees the last
 * committed state (WAL snapshot); every write goes through one serialized
 * writer, so a transaction that awaits (a deploy streaming a large file)
 * can never interleave with another write on the same connection.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { applyMigrations, type Migration } from "./migrations.ts";

/** A synchronous SQLite connection (node:sqlite). */
export type Connection = DatabaseSync;

/** Options for {@linkcode openDatabase}. */
export interface OpenDatabaseOptions {
  /** Path of the database file. */
  path: string;
  /** Migrations applied at open, in order (idempotent). */
  migrations: readonly Migration[];
  /** How long a connection waits for a lock held by another process, in ms. */
  busyTimeoutMs?: number;
}

/** The kernel database with its read connection and serialized writer. */
export interface Database {
  /** The read connection: never use it to write. */
  readonly read: Connection;
  /**
   * Runs `fn` inside one write transaction (`BEGIN IMMEDIATE`), after every
   * earlier write has finished. Commits when `fn` resolves, rolls back when
   * it throws; either way the next queued write starts afterwards.
   */
  write<T>(fn: (db: Connection) => T | Promise<T>): Promise<T>;
  /**
   * Runs `fn` on the writer outside any transaction (for a checkpoint,
   * which cannot run inside one), after every earlier write has finished;
   * later writes wait for it.
   */
  exclusive<T>(fn: (db: Connection) => T): Promise<T>;
  /** The path of the database file. */
  readonly path: string;
  /** The schema version after migrations. */
  readonly schemaVersion: number;
  /** Checkpoints the WAL into the main file and truncates it. */
  checkpoint(): Promise<void>;
  /** Waits for queued writes, checkpoints and closes both connections. */
  close(): Promise<void>;
}

/** The size the WAL file is cut back to when SQLite restarts it. */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

/** How many compiled statements each connection keeps for reuse. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * Makes `conn.prepare(sql)` return the statement compiled earlier for the
 * same text (the least recently used of {@linkcode STATEMENT_CACHE_SIZE}
 * evicted). A compiled statement holds ~2 KB of native memory that V8 does
 * not see, so code that prepares per call (a deploy of 8,000 files prepared
 * ~40,000) piles up hundreds of MB before a garbage collection frees them,
 * and the allocator keeps the pages afterwards. Statements here are run to
 * completion (`get`, `all`, `run`) before the next call, so sharing one is
 * safe; a caller that iterates must prepare with options (never cached).
 */
function cacheStatements(conn: Connection): void {
  const compile = conn.prepare.bind(conn);
  const cache = new Map<string, StatementSync>();
  const prepare = (sql: string, ...rest: unknown[]): StatementSync => {
    if (rest.length > 0) return (compile as (...a: unknown[]) => StatementSync)(sql, ...rest);
    const hit = cache.get(sql);
    if (hit) {
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = compile(sql);
    cache.set(sql, statement);
    if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return statement;
  };
  Object.defineProperty(conn, "prepare", { value: prepare });
}

function configure(conn: Connection, busyTimeoutMs: number): void {
  cacheStatements(conn);
  conn.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  conn.exec("PRAGMA foreign_keys = ON");
  conn.exec("PRAGMA synchronous = NORMAL");
}

/**
 * Opens (creating if needed) the kernel database: WAL journal, foreign keys,
 * busy timeout, and `auto_vacuum = INCREMENTAL`, which SQLite only accepts
 * before the first table exists, so it is set on a fresh file before the
 * migrations create any.
 */
export function openDatabase(options: OpenDatabaseOptions): Database {
  const busy = options.busyTimeoutMs ?? 5000;
  const writer = new DatabaseSync(options.path);
  configure(writer, busy);
  let schemaVersion: number;
  try {
    const fresh = (writer.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as {
      n: number;
    }).n === 0;
    if (fresh) writer.exec("PRAGMA auto_vacuum = INCREMENTAL");
    writer.exec("PRAGMA journal_mode = WAL");
    // After a large transaction (a deploy) the WAL shrinks back to this when it restarts.
    writer.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    schemaVersion = applyMigrations(writer, options.migrations);
  } catch (err) {
    writer.close();
    throw err;
  }

  const reader = new DatabaseSync(options.path, { readOnly: true });
  configure(reader, busy);

  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  function write<T>(fn: (db: Connection) => T | Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error("The database is closed."));
    const run = async (): Promise<T> => {
      writer.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(writer);
        writer.exec("COMMIT");
        return result;
      } catch (err) {
        if (writer.isTransaction) writer.exec("ROLLBACK");
        throw err;
      }
    };
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  }

  function exclusive<T>(fn: (db: Connection) => T): Promise<T> {
    if (closed) return Promise.reject(new Error("The database is closed."));
    const run = (): T => fn(writer);
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  }

  async function checkpoint(): Promise<void> {
    await tail;
    writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  return {
    read: reader,
    write,
    exclusive,
    path: options.path,
    schemaVersion,
    checkpoint,
    async close() {
      if (closed) return;
      await checkpoint();
      closed = true;
      reader.close();
      writer.close();
    },
  };
}
