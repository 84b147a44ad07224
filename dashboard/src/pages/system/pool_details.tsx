/**
 * The app sandbox pool's counters: warm processes, the spare, cold
 * starts, and how many were killed or evicted.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { count } from "../../lib/format.ts";
import { Detail, DetailsList } from "../../components/details_list.tsx";

/** The counters as a name/value list. */
export function PoolDetails(
  { runtime }: { runtime: Output<"system.status">["runtime"] },
): VNode {
  return (
    <DetailsList>
      <Detail name="Warm">{count(runtime.warm)}</Detail>
      <Detail name="Spare ready">{runtime.spare ? "yes" : "no"}</Detail>
      <Detail name="Cold starts">{count(runtime.coldStarts)}</Detail>
      <Detail name="Killed">{count(runtime.killed)}</Detail>
      <Detail name="Evicted">{count(runtime.evicted)}</Detail>
    </DetailsList>
  );
}
