/**
 * The kernel's side of app SQL: each app's statements run in a child
 * process of that app's own (`sql_process_main.ts`), never on the kernel's
 * thread, because `node:sqlite` here has no way to interrupt a statement.
 * A statement that runs too long gets its process killed (SIGKILL) and
 * fails with `gateway_timeout`; the next call starts a fresh process. The
 * child bounds results while stepping, so a huge result is refused there
 * and never crosses into the kernel; its V8 heap is capped, so running out
 * of memory ends only that process.
 *
 * A process starts on the app's first SQL call, serves calls one at a time
 * (in order), stops after a while unused (or at once when the memory guard
 * asks, see {@linkcode SqlProcess.stopIdle}), and is stopped when the app's
 * data is closed or dropped. Parameters and SQL text are validated here
 * first, so bad calls never reach the process.
 *
 * @module
 */
import { readLines } from "../../../../runtime/process/lines.ts";
import { deprioritize } from "../../../../runtime/process/priority.ts";
import { FaztError } from "../../../core/errors.ts";
import {
  bindParams,
  checkSqlText,
  type SqlExecResult,
  type SqlParams,
  type SqlRow,
} from "./sql_connection.ts";
import {
  decodeError,
  decodeRows,
  encodeParams,
  type SqlAnswer,
  type SqlInit,
  type SqlRequest,
} from "./sql_wire.ts";
import { selfSpawnSpec, type SpawnSpec } from "../../../../runtime/process/launcher.ts";

/** An app's SQL, as the SQL store uses it. */
export interface AppSql {
  /** Runs one statement and returns its rows (on the read-only connection when `readOnly`). */
  all(sql: string, params: SqlParams | undefined, readOnly: boolean): Promise<SqlRow[]>;
  /** Runs one statement and reports its changes. */
  run(sql: string, params: SqlParams | undefined): Promise<SqlExecResult>;
}

/** The V8 heap of an app's SQL process, in MiB. */
export const SQL_PROCESS_HEAP_MB = 128;

/** How long an unused SQL process is kept, in ms. */
export const DEFAULT_SQL_IDLE_MS = 2 * 60_000;

/** How long a SQL process may take to start, in ms. */
const START_TIMEOUT_MS = 30_000;

/** How long a stopping SQL process may take to close its database, in ms. */
const STOP_GRACE_MS = 2000;

/** How to start the SQL process serving the app whose data folder is `dir` (default: fazt's own). */
export function sqlSpawnSpec(dir: string): Promise<SpawnSpec> {
  return selfSpawnSpec({
    script: new URL("./sql_process_main.ts", import.meta.url),
    dispatch: "__sql",
    args: [dir],
    heapMb: SQL_PROCESS_HEAP_MB,
    permissions: [`--allow-read=${dir}`, `--allow-write=${dir}`],
  });
}

/**
 * How an app's limits reach its SQL process (see
 * `kernel/services/cockpit/app_resources.ts`); every member is called for the app the
 * process serves.
 */
export interface SqlLimits {
  /** Right after the process is spawned (e.g. to put it in the app's memory group). */
  spawned(pid: number): void;
  /** Once the process is ready (e.g. to set its memory ceiling); awaited before the first call. */
  ready(pid: number): Promise<void>;
  /** Why the process ended when its limits ended it, else null. */
  exitReason(pid: number, status: Deno.CommandStatus): Promise<string | null>;
  /** SQLite's hard heap limit for the process, in bytes. */
  heapLimitBytes(): number;
}

/** Options for {@linkcode SqlProcess}. */
export interface SqlProcessOptions {
  /** The app's data folder (it must exist); the database is `sql.db` in it. */
  dir: string;
  /** How long a connection waits for a lock, in ms. */
  busyTimeoutMs: number;
  /** Longest statement, in UTF-8 bytes. */
  maxSqlBytes: number;
  /** Most rows a query returns. */
  maxRows: number;
  /** Largest query result, in bytes. */
  maxResultBytes: number;
  /** Longest one call may run, in ms. */
  timeoutMs: number;
  /** How long an unused process is kept, in ms (default 2 minutes). */
  idleMs?: number;
  /** How to start the process (default {@linkcode sqlSpawnSpec}). */
  spawn?: (dir: string) => Promise<SpawnSpec>;
  /** The app's resource limits (default: none). */
  limits?: SqlLimits;
}

type Request =
  | { t: "all"; sql: string; params: ReturnType<typeof encodeParams>; readOnly: boolean }
  | { t: "run"; sql: string; params: ReturnType<typeof encodeParams> };

interface Job {
  request: Request;
  resolve(answer: SqlAnswer): void;
  reject(err: Error): void;
}

type Timer = ReturnType<typeof setTimeout>;

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** One running SQL process. */
class SqlChild {
  readonly #proc: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #answers = new Map<
    number,
    { resolve(answer: SqlAnswer): void; reject(err: FaztError): void }
  >();
  #ready!: { resolve(): void; reject(err: Error): void };
  #stderr = "";
  #killedFor: FaztError | null = null;
  #exited = false;
  /** Resolves once the process is ready for requests. */
  readonly ready: Promise<void>;
  /** Resolves once the process has exited and its pipes are closed. */
  readonly exited: Promise<void>;

  readonly #limits: SqlLimits | undefined;

  constructor(spec: SpawnSpec, init: SqlInit, limits?: SqlLimits) {
    this.#limits = limits;
    this.#proc = new Deno.Command(spec.command, {
      args: spec.args,
      env: spec.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    deprioritize(this.#proc.pid);
    limits?.spawned(this.#proc.pid);
    this.#writer = this.#proc.stdin.getWriter();
    this.ready = new Promise<void>((resolve, reject) => this.#ready = { resolve, reject });
    this.ready.catch(() => {});
    this.exited = Promise.all([this.#pumpStdout(), this.#pumpStderr()]).then(async () => {
      const status = await this.#proc.status;
      this.#exited = true;
      await this.#writer.close().catch(() => this.#writer.abort().catch(() => {}));
      const limited = this.#killedFor === null
        ? await this.#limits?.exitReason(this.#proc.pid, status).catch(() => null)
        : null;
      const err = this.#killedFor ??
        (limited
          ? new FaztError("unavailable", limited, { cause: this.#stderr })
          : this.#crashError(status));
      this.#ready.reject(err);
      for (const pending of this.#answers.values()) pending.reject(err);
      this.#answers.clear();
    });
    this.#write(init);
  }

  /** The process ID. */
  get pid(): number {
    return this.#proc.pid;
  }

  /** True once the process has exited (or was killed). */
  get dead(): boolean {
    return this.#exited || this.#killedFor !== null;
  }

  #crashError(status: Deno.CommandStatus): FaztError {
    const outOfMemory = status.code === 133 || status.signal === "SIGTRAP" ||
      status.signal === "SIGABRT" || /out of memory/i.test(this.#stderr);
    if (outOfMemory) {
      return new FaztError(
        "payload_too_large",
        `The SQL statement needed more than the ${SQL_PROCESS_HEAP_MB} MiB of memory an app's ` +
          "SQL may use and was stopped. Ask for fewer or smaller rows (add a LIMIT).",
        { cause: this.#stderr },
      );
    }
    return new FaztError(
      "unavailable",
      `The app's SQL process stopped unexpectedly (exit code ${status.code}). Try again.`,
      { cause: this.#stderr },
    );
  }

  async #pumpStdout(): Promise<void> {
    try {
      for await (const line of readLines(this.#proc.stdout)) {
        let msg: SqlAnswer;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.t === "ready") this.#ready.resolve();
        else if (msg.t === "fatal") {
          this.#ready.reject(
            new FaztError(
              "unavailable",
              `The app's SQL database could not be opened: ${msg.message}`,
            ),
          );
        } else {
          const pending = this.#answers.get(msg.id);
          this.#answers.delete(msg.id);
          pending?.resolve(msg);
        }
      }
    } catch {
      // the pipe broke: the process is gone
    }
  }

  async #pumpStderr(): Promise<void> {
    try {
      for await (const line of readLines(this.#proc.stderr)) {
        this.#stderr = (this.#stderr + line + "\n").slice(-4000);
      }
    } catch {
      // the process is gone
    }
  }

  #write(msg: SqlInit | SqlRequest): void {
    if (this.#exited) return;
    this.#writer.write(this.#encoder.encode(JSON.stringify(msg) + "\n")).catch(() => {});
  }

  /**
   * Sends one request and waits for its answer, at most `timeoutMs`: then
   * the process is killed (and reaped) and the call fails with
   * `gateway_timeout`.
   */
  async request(id: number, request: Request, timeoutMs: number): Promise<SqlAnswer> {
    if (this.dead) {
      throw this.#killedFor ?? new FaztError("unavailable", "The SQL process stopped.");
    }
    let timer: Timer | undefined;
    try {
      return await new Promise<SqlAnswer>((resolve, reject) => {
        this.#answers.set(id, { resolve, reject });
        timer = setTimeout(async () => {
          this.#answers.delete(id);
          const err = new FaztError(
            "gateway_timeout",
            `The SQL query ran longer than ${seconds(timeoutMs)} and was stopped. ` +
              "Make it cheaper (add an index, a LIMIT or a WHERE), or split the work.",
            { details: { timeoutMs } },
          );
          this.kill(err);
          await this.exited;
          reject(err);
        }, timeoutMs);
        this.#write({ ...request, id });
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process at once; pending calls fail with `reason`. */
  kill(reason: FaztError): void {
    if (this.#exited) return;
    this.#killedFor ??= reason;
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  /**
   * Stops the process: closes its stdin so it closes its database and
   * exits, and kills it if it has not within `graceMs`.
   */
  async stop(graceMs: number, reason: FaztError): Promise<void> {
    if (!this.#exited) {
      await this.#writer.close().catch(() => {});
      let timer: Timer | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.kill(reason);
          resolve();
        }, graceMs);
      });
      await Promise.race([this.exited, late]);
      clearTimeout(timer);
    }
    await this.exited;
  }
}

/**
 * One app's SQL process, started when needed. Calls run one at a time in
 * the order they were made.
 */
export class SqlProcess implements AppSql {
  readonly #options: SqlProcessOptions;
  readonly #idleMs: number;
  #child: SqlChild | null = null;
  #starting: Promise<SqlChild> | null = null;
  #queue: Job[] = [];
  #running = false;
  #closed = false;
  #idleTimer: Timer | undefined;
  #nextId = 1;
  #stopping = new Set<Promise<void>>();

  constructor(options: SqlProcessOptions) {
    this.#options = options;
    this.#idleMs = options.idleMs ?? DEFAULT_SQL_IDLE_MS;
  }

  /** The running process's ID, or `null` when none runs. */
  get pid(): number | null {
    return this.#child && !this.#child.dead ? this.#child.pid : null;
  }

  async all(sql: string, params: SqlParams | undefined, readOnly: boolean): Promise<SqlRow[]> {
    const args = bindParams(params);
    checkSqlText(sql, this.#options.maxSqlBytes);
    const answer = await this.#call({ t: "all", sql, params: encodeParams(args), readOnly });
    if (answer.t !== "rows") throw this.#unexpected(answer);
    return decodeRows(answer.rows);
  }

  async run(sql: string, params: SqlParams | undefined): Promise<SqlExecResult> {
    const args = bindParams(params);
    checkSqlText(sql, this.#options.maxSqlBytes);
    const answer = await this.#call({ t: "run", sql, params: encodeParams(args) });
    if (answer.t !== "result") throw this.#unexpected(answer);
    return { changes: answer.result.changes, lastInsertRowid: answer.result.lastInsertRowid };
  }

  /** Stops the process (pending calls fail with `unavailable`); later calls fail too. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    const closed = new FaztError("unavailable", "The app's SQL was closed.");
    for (const job of this.#queue.splice(0)) job.reject(closed);
    const child = this.#child ?? await this.#starting?.catch(() => null) ?? null;
    this.#child = null;
    if (child) {
      // A call still running is cut short: it already lost its caller.
      if (this.#running) child.kill(closed);
      await child.stop(STOP_GRACE_MS, closed);
    }
    await Promise.all(this.#stopping);
  }

  #unexpected(answer: SqlAnswer): FaztError {
    if (answer.t === "error") return decodeError(answer.error);
    return new FaztError("internal", "The app's SQL process answered out of turn.");
  }

  #call(request: Request): Promise<SqlAnswer> {
    if (this.#closed) {
      return Promise.reject(new FaztError("unavailable", "The app's SQL was closed."));
    }
    clearTimeout(this.#idleTimer);
    return new Promise<SqlAnswer>((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
        try {
          const child = await this.#ensureChild();
          const answer = await child.request(this.#nextId++, job.request, this.#options.timeoutMs);
          if (child.dead && this.#child === child) this.#child = null;
          job.resolve(answer);
        } catch (err) {
          if (this.#child?.dead) this.#child = null;
          job.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.#running = false;
    }
    this.#scheduleIdleStop();
  }

  async #ensureChild(): Promise<SqlChild> {
    if (this.#closed) throw new FaztError("unavailable", "The app's SQL was closed.");
    if (this.#child && !this.#child.dead) return this.#child;
    this.#child = null;
    this.#starting = this.#start();
    try {
      this.#child = await this.#starting;
      return this.#child;
    } finally {
      this.#starting = null;
    }
  }

  async #start(): Promise<SqlChild> {
    const o = this.#options;
    const spec = await (o.spawn ?? sqlSpawnSpec)(o.dir);
    const child = new SqlChild(spec, {
      t: "init",
      busyTimeoutMs: o.busyTimeoutMs,
      maxSqlBytes: o.maxSqlBytes,
      maxRows: o.maxRows,
      maxResultBytes: o.maxResultBytes,
      heapLimitBytes: o.limits?.heapLimitBytes(),
    }, o.limits);
    let timer: Timer | undefined;
    const tooSlow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new FaztError(
          "unavailable",
          `The app's SQL process did not start within ${seconds(START_TIMEOUT_MS)}.`,
        );
        child.kill(err);
        reject(err);
      }, START_TIMEOUT_MS);
    });
    try {
      await Promise.race([child.ready, tooSlow]);
      await o.limits?.ready(child.pid);
      return child;
    } catch (err) {
      child.kill(err instanceof FaztError ? err : new FaztError("unavailable", String(err)));
      await child.exited;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Kills the running process at once, busy or not (its limits were
   * exceeded); a call in progress fails with `reason`. Returns whether a
   * process was running. The next call starts a fresh one.
   */
  kill(reason: FaztError): boolean {
    const child = this.#child;
    if (!child || child.dead) return false;
    child.kill(reason);
    return true;
  }

  /**
   * Stops the process now if it is idle: running, no call in progress or
   * queued. The next call starts a fresh one (the database is on disk, so
   * nothing is lost). Returns whether a process was stopped. The memory
   * guard calls this under pressure; the idle timer calls it too.
   */
  stopIdle(): boolean {
    const child = this.#child;
    if (this.#running || this.#queue.length > 0 || this.#starting || !child) return false;
    clearTimeout(this.#idleTimer);
    this.#child = null;
    if (child.dead) return false;
    const stopped = child.stop(STOP_GRACE_MS, new FaztError("unavailable", "Stopped idle."))
      .finally(() => this.#stopping.delete(stopped));
    this.#stopping.add(stopped);
    return true;
  }

  #scheduleIdleStop(): void {
    clearTimeout(this.#idleTimer);
    if (this.#closed || !this.#child) return;
    const timer = this.#idleTimer = setTimeout(() => this.stopIdle(), this.#idleMs);
    Deno.unrefTimer(timer);
  }
}
