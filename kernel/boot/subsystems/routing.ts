/**
 * The routing subsystem: the in-memory host → app table, and the change
 * signal every committed change to apps, versions or routes raises (the
 * table reloads on it; other subsystems listen too, e.g. the runtime keeps
 * a spare sandbox only while some app has server code).
 *
 * @module
 */
import { createRouteTable, type RouteTable } from "../../services/routing/route_table.ts";
import type { Subsystem } from "../subsystem.ts";

/** Raised after every committed change to apps, versions or routes. */
export interface AppChanges {
  /** Tells every listener (in the order they listen). */
  emit(): void;
  /** Adds a listener. */
  listen(fn: () => void): void;
}

declare module "../subsystem.ts" {
  interface Parts {
    /** Host → live app routing. */
    routes: RouteTable;
    /** The change signal. */
    appChanges: AppChanges;
  }
}

/** Builds the route table and the change signal. */
export const routing: Subsystem = {
  name: "routing",
  install(ctx) {
    const routes = createRouteTable(ctx.get("db").read, ctx.config.domain);
    const listeners: (() => void)[] = [() => routes.reload()];
    ctx.provide("routes", routes);
    ctx.provide("appChanges", {
      emit: () => listeners.forEach((fn) => fn()),
      listen: (fn) => void listeners.push(fn),
    });
  },
};
