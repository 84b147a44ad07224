/**
 * The ports the fetch standard blocks ("bad ports": SMTP, SSH, IRC, …), so an
 * app's HTTP request cannot be aimed at a server of another protocol that
 * might act on it (cross-protocol attacks, mail relaying). Deno's `fetch`
 * refuses them; the egress guard keeps refusing them now that it sends
 * requests through its own transport.
 *
 * Source: https://fetch.spec.whatwg.org/#port-blocking
 *
 * @module
 */

/** The blocked ports, as numbers. */
export const BLOCKED_PORTS: ReadonlySet<number> = new Set([
  0,
  1,
  7,
  9,
  11,
  13,
  15,
  17,
  19,
  20,
  21,
  22,
  23,
  25,
  37,
  42,
  43,
  53,
  69,
  77,
  79,
  87,
  95,
  101,
  102,
  103,
  104,
  109,
  110,
  111,
  113,
  115,
  117,
  119,
  123,
  135,
  137,
  139,
  143,
  161,
  179,
  389,
  427,
  465,
  512,
  513,
  514,
  515,
  526,
  530,
  531,
  532,
  540,
  548,
  554,
  556,
  563,
  587,
  601,
  636,
  989,
  990,
  993,
  995,
  1719,
  1720,
  1723,
  2049,
  3659,
  4045,
  4190,
  5060,
  5061,
  6000,
  6566,
  6665,
  6666,
  6667,
  6668,
  6669,
  6679,
  6697,
  10080,
]);

/**
 * True when `url` names a blocked port explicitly (default ports never are).
 *
 * @example
 * ```ts
 * isBlockedPort(new URL("http://example.com:25/")); // true
 * isBlockedPort(new URL("https://example.com/")); // false
 * ```
 */
export function isBlockedPort(url: URL): boolean {
  return url.port !== "" && BLOCKED_PORTS.has(Number(url.port));
}
