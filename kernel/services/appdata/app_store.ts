/**
 * An app's open `store.db` with its compiled statements. Each SQL text is
 * prepared once per connection and reused until the store closes: compiling
 * costs more than running most of these statements, and every compiled
 * statement holds native memory until it is garbage collected. The read
 * connection and the writer are different connections, so each has its own
 * cache; statements of a closed connection are dropped with it.
 *
 * Writes are small synchronous functions. Those queued while the writer is
 * busy share one transaction (group commit): committing costs far more than
 * one kv or document statement, so concurrent writes of one app cost one
 * commit between them. Each write runs in its own savepoint, so one that
 * fails changes nothing and does not disturb the others; each promise
 * settles after the shared commit. A write that makes a single change, as
 * one statement (SQLite makes each statement atomic), needs no savepoint:
 * it says so with `{ single: true }` and saves two statements per write.
 *
 * @module
 */
import type { StatementSync } from "node:sqlite";
import type { Connection, Database } from "../../store/database.ts";

/**
 * How many statements each connection keeps. The stores' own statements
 * are a few dozen; the rest of the room is for document filters, whose SQL
 * depends on the shape of the filter.
 */
export const MAX_CACHED_STATEMENTS = 128;

/** The most writes that share one transaction. */
export const MAX_WRITES_PER_COMMIT = 256;

/** Statements prepared on one connection, the least recently used evicted first. */
export class StatementCache {
  readonly #conn: Connection;
  readonly #max: number;
  #statements = new Map<string, StatementSync>();

  /** A cache of statements prepared on `conn`, holding at most `max`. */
  constructor(conn: Connection, max: number = MAX_CACHED_STATEMENTS) {
    this.#conn = conn;
    this.#max = max;
  }

  /** The connection the statements belong to. */
  get connection(): Connection {
    return this.#conn;
  }

  /** How many statements are cached. */
  get size(): number {
    return this.#statements.size;
  }

  /** The statement for `sql`, prepared on first use. */
  prepare(sql: string): StatementSync {
    const cached = this.#statements.get(sql);
    if (cached) {
      // Moves it to the most recently used end (a Map keeps insertion order).
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = this.#conn.prepare(sql);
    this.#statements.set(sql, statement);
    if (this.#statements.size > this.#max) {
      this.#statements.delete(this.#statements.keys().next().value!);
    }
    return statement;
  }

  /** Forgets every statement (when the connection closes). */
  clear(): void {
    this.#statements.clear();
  }
}

/** The writer inside one write transaction. */
export interface StoreWriter {
  /** A statement on the writer connection, prepared once. */
  prepare(sql: string): StatementSync;
  /** Runs SQL once without caching its statement (schema changes). */
  exec(sql: string): void;
}

/** Options of {@linkcode AppStore.write}. */
export interface WriteOptions {
  /**
   * `fn` changes the file with one statement that matters, or none, so
   * when it throws nothing it did needs undoing: it runs without a
   * savepoint. Only statements whose effect is invisible to the app (the
   * kv store's purge of expired keys) may come before that one.
   */
  single?: boolean;
}

/** Bookkeeping of the kv store's batched purge of expired keys. */
export interface KvPurgeState {
  /** When the last purge ran (ms since the epoch, by the store's clock); `null` before the first. */
  lastAt: number | null;
  /** Writes since the last purge. */
  writes: number;
}

/** An app's open `store.db`. */
export interface AppStore {
  /** A statement on the read connection, prepared once. Never use it to write. */
  read(sql: string): StatementSync;
  /**
   * Runs `fn` (synchronous) inside a write transaction, after every earlier
   * write has finished; it may share the transaction with other writes
   * queued at the same time, each in its own savepoint. Settles once the
   * transaction has committed (or with `fn`'s error, having changed nothing).
   */
  write<T>(fn: (w: StoreWriter) => T, options?: WriteOptions): Promise<T>;
  /** The kv store's purge bookkeeping for this file. */
  readonly kvPurge: KvPurgeState;
  /** Waits for queued writes, closes the file and drops every cached statement. */
  close(): Promise<void>;
}

/** One queued write. */
interface Job {
  fn: (w: StoreWriter) => unknown;
  /** Runs without a savepoint (see {@linkcode WriteOptions.single}). */
  single: boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** Set when `fn` threw (inside its savepoint, which was rolled back). */
  failed: boolean;
  result: unknown;
}

/**
 * Wraps an open database with per-connection statement caches and group
 * commit; `onCommit` runs after every committed transaction (the app data
 * service asks the file's vacuum to look for pages to give back).
 */
export function createAppStore(db: Database, onCommit?: () => void): AppStore {
  const reads = new StatementCache(db.read);
  let writes: StatementCache | null = null;
  const writer: StoreWriter = {
    prepare: (sql) => writes!.prepare(sql),
    exec: (sql) => writes!.connection.exec(sql),
  };
  /** Writes waiting for the transaction that will run them; `null` when none is queued. */
  let queued: Job[] | null = null;

  function cacheFor(conn: Connection): StatementCache {
    if (writes?.connection !== conn) {
      writes?.clear();
      writes = new StatementCache(conn);
    }
    return writes;
  }

  /** Runs `jobs` in the open transaction; throws (rolling back all of them) only if it broke. */
  function runJobs(conn: Connection, jobs: Job[]): void {
    const cache = cacheFor(conn);
    if (jobs.length === 1) {
      // Alone in its transaction: an error rolls the whole transaction back.
      jobs[0].result = jobs[0].fn(writer);
      return;
    }
    for (const job of jobs) {
      if (job.single) {
        try {
          job.result = job.fn(writer);
        } catch (err) {
          // The failed statement undid itself; a broken transaction fails the batch.
          if (!conn.isTransaction) throw err;
          job.failed = true;
          job.result = err;
        }
        continue;
      }
      cache.prepare("SAVEPOINT fazt_write").run();
      try {
        job.result = job.fn(writer);
      } catch (err) {
        // SQLite rolls back the whole transaction on some errors (a full
        // disk, I/O): then every job of the batch fails with that error.
        if (!conn.isTransaction) throw err;
        job.failed = true;
        job.result = err;
        cache.prepare("ROLLBACK TO fazt_write").run();
      }
      cache.prepare("RELEASE fazt_write").run();
    }
  }

  return {
    read: (sql) => reads.prepare(sql),
    write<T>(fn: (w: StoreWriter) => T, options?: WriteOptions): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const job: Job = {
          fn,
          single: options?.single === true,
          resolve: resolve as (value: unknown) => void,
          reject,
          failed: false,
          result: undefined,
        };
        if (queued) {
          queued.push(job);
          if (queued.length >= MAX_WRITES_PER_COMMIT) queued = null;
          return;
        }
        const jobs = queued = [job];
        db.write((conn) => {
          if (queued === jobs) queued = null;
          runJobs(conn, jobs);
        }).then(
          () => {
            for (const j of jobs) j.failed ? j.reject(j.result) : j.resolve(j.result);
            onCommit?.();
          },
          (err) => {
            // The transaction never ran (the file is closed) or did not commit.
            if (queued === jobs) queued = null;
            for (const j of jobs) j.reject(err);
          },
        );
      });
    },
    kvPurge: { lastAt: null, writes: 0 },
    async close() {
      try {
        await db.close();
      } finally {
        reads.clear();
        writes?.clear();
        writes = null;
      }
    },
  };
}
