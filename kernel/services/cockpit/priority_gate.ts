/**
 * CPU priority for the cockpit. fazt answers every request on one
 * JavaScript thread, and Deno hands that thread every request that arrived
 * since it last looked, in one batch: under a flood of 64 connections a
 * cockpit request waited behind a batch of 64 app requests, ~5 ms (measured).
 * Most of a static request's cost is spent before and after fazt's handler
 * (Deno turning hyper's request into a `Request`, writing the response), so
 * holding app requests back for a time slice alone barely helped (4 ms).
 *
 * The gate keeps the batches small instead. User traffic (app requests)
 * runs at once while the thread has time: at most `turnMs` of user work in
 * one turn of the event loop. Past that, user requests wait in a FIFO queue
 * and the queue drains one turn at a time with an {@linkcode IoYield}
 * between turns, so the connections that became readable meanwhile get
 * their turn. Each drain runs as many requests as fit into `turnMs` at the
 * measured cost of a whole request (the time between two drains over the
 * requests the earlier one ran: everything the thread did for them, inside
 * fazt's handler or not). A waiting app connection sends nothing new
 * (HTTP/1.1 waits for its response), so the next batch holds only the
 * requests the last turn answered plus whatever the owner sent; a cockpit
 * request never waits at the gate. Measured: cockpit median under a 64-
 * connection static flood 5.3 → 1.3 ms, and the flood's own throughput did
 * not drop.
 *
 * When the thread has time the queue stays empty and the gate costs a clock
 * read per request and a `setImmediate` per event-loop turn. A request
 * enters the load shedder's budget when its turn comes, not while it waits.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { IoYield } from "./io_yield.ts";

/** Default milliseconds of user work per event-loop turn. */
export const DEFAULT_TURN_MS = 1;

/** Counters of the gate. */
export interface PriorityGateStats {
  /** User requests waiting for their turn now. */
  queued: number;
  /** User requests that waited for a turn since start. */
  deferred: number;
}

/** The gate user requests pass before they run. */
export interface PriorityGate {
  /**
   * Runs `work` now if this turn has time left and nobody is waiting;
   * otherwise queues it and returns a promise of its result. With the queue
   * full ({@linkcode MAX_QUEUED}), returns null at once instead, without
   * running `work` (the caller sheds the request; `work` must not return null).
   */
  run<T>(work: () => T | Promise<T>): T | Promise<T> | null;
  /** Current counters. */
  stats(): PriorityGateStats;
}

/** Options for {@linkcode createPriorityGate}. */
export interface PriorityGateOptions {
  /** Yields to I/O between turns. */
  yieldToIo: Pick<IoYield, "next">;
  /** Milliseconds of user work per turn (default {@linkcode DEFAULT_TURN_MS}). */
  turnMs?: number;
}

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Most requests waiting at once. HTTP/1.1 clients wait for one response per
 * connection and the listener allows 1024 connections, so only requests
 * from elsewhere (HTTP/2 streams, in-process callers) could reach it.
 */
export const MAX_QUEUED = 4096;

/** Compact the queue's consumed head past this many entries. */
const COMPACT_AT = 1024;

/** Creates the gate. */
export function createPriorityGate(options: PriorityGateOptions): PriorityGate {
  const turnMs = options.turnMs ?? DEFAULT_TURN_MS;
  let queue: (Job | undefined)[] = [];
  let head = 0;
  let deferred = 0;
  /** When user work began in this turn of the event loop; -1 when none did yet. */
  let turnStart = -1;
  let draining = false;
  /** When the last drain began, and how many requests it ran while more waited (0: none waited). */
  let lastDrain = 0;
  let lastRan = 0;
  /** Milliseconds of the thread's time per user request, all of it (moving average; 0: unknown). */
  let cost = 0;

  const endTurn = () => {
    turnStart = -1;
  };

  /** Whether this turn has time left for user work (opening the turn if none began yet). */
  function hasTime(): boolean {
    const now = performance.now();
    if (turnStart < 0) {
      turnStart = now;
      setImmediate(endTurn);
      return true;
    }
    return now - turnStart < turnMs;
  }

  const waiting = () => queue.length - head;

  function scheduleDrain(): void {
    if (draining) return;
    draining = true;
    options.yieldToIo.next().then(drain);
  }

  function runNext(): void {
    const job = queue[head]!;
    queue[head++] = undefined;
    try {
      job.resolve(job.work());
    } catch (err) {
      job.reject(err);
    }
  }

  function drain(): void {
    draining = false;
    const start = performance.now();
    if (lastRan > 0) {
      // One slow turn (a GC pause, a long cockpit request) must not starve apps for long.
      const sample = Math.min(turnMs, (start - lastDrain) / lastRan);
      cost = cost === 0 ? sample : cost * 0.8 + sample * 0.2;
    }
    let budget = cost === 0 ? Infinity : Math.max(1, Math.floor(turnMs / cost));
    const before = waiting();
    turnStart = -1;
    while (waiting() > 0 && budget-- > 0 && hasTime()) runNext();
    lastDrain = start;
    lastRan = waiting() > 0 ? before - waiting() : 0;
    if (waiting() === 0) {
      queue = [];
      head = 0;
      return;
    }
    if (head > COMPACT_AT) {
      queue = queue.slice(head);
      head = 0;
    }
    scheduleDrain();
  }

  return {
    run<T>(work: () => T | Promise<T>): T | Promise<T> | null {
      if (waiting() === 0 && hasTime()) return work();
      if (waiting() >= MAX_QUEUED) return null;
      deferred++;
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        scheduleDrain();
      });
    },
    stats() {
      return { queued: waiting(), deferred };
    },
  };
}
