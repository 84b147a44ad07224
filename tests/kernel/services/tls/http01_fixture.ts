/**
 * A stand-in for fazt's plain-HTTP listener in TLS tests: a loopback server
 * that answers `GET /.well-known/acme-challenge/<token>` with what `answer`
 * gives (the service's `challengeAnswer`), or 404 while `failing` is set.
 *
 * @module
 */

/** The running fixture. */
export interface Http01Fixture {
  /** Its port on 127.0.0.1 (give it to pebble as `httpPort`). */
  port: number;
  /** While true, every challenge gets 404 (the validation fails). */
  failing: boolean;
  /** Validation requests received. */
  requests: number;
  /** Stops the server. */
  close(): Promise<void>;
}

const PREFIX = "/.well-known/acme-challenge/";

/** Starts the fixture; `answer` is looked up at each request. */
export function startHttp01Fixture(answer: (token: string) => string | null): Http01Fixture {
  const fixture = {
    failing: false,
    requests: 0,
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    fixture.requests++;
    const path = new URL(req.url).pathname;
    const key = path.startsWith(PREFIX) && !fixture.failing
      ? answer(path.slice(PREFIX.length))
      : null;
    return key === null
      ? new Response("not found", { status: 404 })
      : new Response(key, { headers: { "content-type": "application/octet-stream" } });
  });
  return Object.assign(fixture, {
    port: server.addr.port,
    close: () => server.shutdown(),
  });
}
