/**
 * A JSON value shown indented, in a code block (a kv value, a document).
 *
 * @module
 */
import type { VNode } from "preact";

/** `value` as indented JSON. */
export function JsonBlock({ value }: { value: unknown }): VNode {
  return <pre class="code">{JSON.stringify(value, null, 2)}</pre>;
}
