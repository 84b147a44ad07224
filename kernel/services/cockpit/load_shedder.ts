/**
 * The cockpit rule's budgets: the owner can always reach the cockpit, even
 * while apps are flooded. Requests are admitted into one of two separate
 * concurrency budgets — `user` (app traffic) and `cockpit` (`/_fazt/*` on
 * the admin host: API, MCP, cockpit pages, health) — so a flood of app
 * requests can never use up the owner's slots. Under memory pressure the
 * memory guard calls `setPressure("shed")` and every user request is shed
 * while the cockpit keeps its own budget.
 *
 * A shed request costs one counter check; the HTTP layer answers it with
 * {@linkcode shedError} (`unavailable`: 503 + `Retry-After: 5`).
 *
 * @example
 * ```ts
 * const shedder = createLoadShedder({});
 * const release = shedder.enter("user");
 * if (!release) throw shedError("user"); // the HTTP layer renders it: 503
 * try { return await serve(req); } finally { release(); }
 * ```
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";

/** Which budget a request counts against. */
export type LoadKind = "user" | "cockpit";

/** Memory pressure as set by the memory guard. */
export type Pressure = "ok" | "shed";

/** Counters of one budget. */
export interface BudgetStats {
  /** Requests admitted and not yet released. */
  inflight: number;
  /** Requests refused since start. */
  shed: number;
}

/** Counters of the load shedder. */
export interface LoadShedderStats {
  /** App traffic. */
  user: BudgetStats;
  /** The owner's cockpit. */
  cockpit: BudgetStats;
  /** The current pressure level. */
  pressure: Pressure;
}

/** The load shedder. */
export interface LoadShedder {
  /**
   * Admits a request into its budget and returns the function that releases
   * the slot (call it exactly once when the response is done; extra calls
   * are ignored), or null when the request must be shed.
   */
  enter(kind: LoadKind): (() => void) | null;
  /**
   * Sheds a request without trying its budget (a queue ahead of it is
   * full): counts it and returns its {@linkcode shedError}.
   */
  shed(kind: LoadKind): FaztError;
  /** `"shed"` refuses every user request; the cockpit keeps its own budget. */
  setPressure(level: Pressure): void;
  /** Current counters. */
  stats(): LoadShedderStats;
}

/** Options for {@linkcode createLoadShedder}. */
export interface LoadShedderOptions {
  /** User requests in flight at most. Default 256. */
  userConcurrency?: number;
  /** Cockpit requests in flight at most. Default 64. */
  cockpitConcurrency?: number;
}

/** Seconds a shed client is asked to wait. */
export const SHED_RETRY_AFTER_SECONDS = 5;

const MESSAGES: Record<LoadKind, string> = {
  user: "fazt is under heavy load and is serving its owner first. Try again in a few seconds.",
  cockpit:
    "fazt's cockpit is answering as many requests as it allows at once. Try again in a few seconds.",
};

const RETRY_AFTER = Object.freeze({ "retry-after": String(SHED_RETRY_AFTER_SECONDS) });

const ERRORS: Readonly<Record<LoadKind, FaztError>> = Object.freeze({
  user: new FaztError("unavailable", MESSAGES.user, { headers: RETRY_AFTER }),
  cockpit: new FaztError("unavailable", MESSAGES.cockpit, { headers: RETRY_AFTER }),
});
for (const err of Object.values(ERRORS)) Object.freeze(err.details);

/**
 * The error for a request shed from `kind`'s budget: `unavailable` (HTTP
 * 503) with `Retry-After: 5`, the same instance every time. Made once, so
 * shedding stays cheap under a flood: a new error costs more than the rest
 * of a refusal (~3.5 µs for its stack trace, measured).
 */
export function shedError(kind: LoadKind = "user"): FaztError {
  return ERRORS[kind];
}

function positive(n: number, what: string): number {
  if (!(Number.isSafeInteger(n) && n > 0)) {
    throw new FaztError("invalid_input", `${what} must be a whole number above 0; got ${n}.`);
  }
  return n;
}

/** Creates the load shedder. */
export function createLoadShedder(options: LoadShedderOptions = {}): LoadShedder {
  const limits: Record<LoadKind, number> = {
    user: positive(options.userConcurrency ?? 256, "The user concurrency"),
    cockpit: positive(options.cockpitConcurrency ?? 64, "The cockpit concurrency"),
  };
  const budgets: Record<LoadKind, BudgetStats> = {
    user: { inflight: 0, shed: 0 },
    cockpit: { inflight: 0, shed: 0 },
  };
  let pressure: Pressure = "ok";

  return {
    enter(kind) {
      const b = budgets[kind];
      if ((kind === "user" && pressure === "shed") || b.inflight >= limits[kind]) {
        b.shed++;
        return null;
      }
      b.inflight++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        b.inflight--;
      };
    },
    shed(kind) {
      budgets[kind].shed++;
      return ERRORS[kind];
    },
    setPressure(level) {
      pressure = level;
    },
    stats() {
      return {
        user: { ...budgets.user },
        cockpit: { ...budgets.cockpit },
        pressure,
      };
    },
  };
}
