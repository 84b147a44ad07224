/**
 * Event-loop probes for tests: busy work, and a TCP echo whose round trip
 * needs the event loop to poll for I/O.
 *
 * @module
 */

/** Keeps the thread busy for `ms`, as request work does. */
export function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* work */ }
}

/** An echo pair: {@linkcode echoPair}. */
export interface EchoPair {
  /** Sends a byte and resolves when it came back. */
  roundTrip(): Promise<void>;
  /** Closes both ends. */
  close(): Promise<void>;
}

/**
 * A TCP echo pair in this process: `roundTrip()` resolves once the echo came
 * back, which needs the event loop to poll for I/O (twice).
 */
export async function echoPair(): Promise<EchoPair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  listener.close();
  const echo = (async () => {
    const buf = new Uint8Array(16);
    for (;;) {
      const n = await server.read(buf).catch(() => null);
      if (n === null) return;
      await server.write(buf.subarray(0, n));
    }
  })();
  const buf = new Uint8Array(16);
  return {
    async roundTrip() {
      await client.write(new Uint8Array([7]));
      await client.read(buf);
    },
    async close() {
      client.close();
      server.close();
      await echo;
    },
  };
}
