/**
 * The details the apps list shows beyond `apps.list` (traffic of the last
 * 24 hours and the live version's deploy time): `apps.get` for each app, a
 * few at a time, filled in as they arrive.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { call, type Output } from "../../api.ts";

/** How many `apps.get` calls run at once. */
const CONCURRENCY = 4;

/** `apps.get` of each app in `apps`, by app ID, as they arrive. */
export function useAppDetails(
  apps: Output<"apps.list"> | undefined,
): Record<string, Output<"apps.get">> {
  const [details, setDetails] = useState<Record<string, Output<"apps.get">>>({});
  useEffect(() => {
    if (!apps) return;
    let live = true;
    const queue = [...apps];
    const worker = async () => {
      for (let a = queue.shift(); a && live; a = queue.shift()) {
        try {
          const d = await call("apps.get", { app: a.id });
          if (live) setDetails((prev) => ({ ...prev, [a.id]: d }));
        } catch { /* the row shows what apps.list gave */ }
      }
    };
    for (let i = 0; i < CONCURRENCY; i++) worker();
    return () => {
      live = false;
    };
  }, [apps]);
  return details;
}
