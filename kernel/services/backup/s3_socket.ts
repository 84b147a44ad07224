/**
 * The connection under the S3 target's HTTP requests: a `node:stream`
 * Duplex over `Deno.connect` or `Deno.connectTls`, handed to `node:http`
 * as its socket. Why not `node:https`: in Deno 2.9 it asks for sys access
 * to "ca", which no `--allow-sys=NAME` grants (only a bare `--allow-sys`),
 * while `Deno.connectTls` verifies servers against Deno's own root store
 * with net access alone. Why not `fetch`: it sends a streamed body
 * chunked and drops its Content-Length, which S3 refuses.
 *
 * @module
 */
import { Duplex } from "node:stream";

/** Options for {@linkcode openSocket}. */
export interface SocketOptions {
  /** Extra root certificates (PEM) to trust, for a server with a private CA. */
  caCerts?: string[];
  /** Destroys the socket with `onIdle()`'s error when no byte moves for this long (ms). */
  idleMs: number;
  /** The error an idle socket is destroyed with. */
  onIdle(): Error;
}

/**
 * Opens a connection to `url`'s host and port (TLS for `https:`) and
 * returns it at once as a Duplex; connecting finishes in the background,
 * and a failure to connect destroys the Duplex with that error.
 */
export function openSocket(url: URL, options: SocketOptions): Duplex {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const tls = url.protocol === "https:";
  const port = Number(url.port) || (tls ? 443 : 80);
  const connecting = tls
    ? Deno.connectTls({ hostname, port, caCerts: options.caCerts })
    : Deno.connect({ hostname, port });
  let conn: Deno.Conn | undefined;
  const ready = connecting.then((c) => {
    conn = c;
    return { writer: c.writable.getWriter(), reader: c.readable.getReader() };
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => socket.destroy(options.onIdle()), options.idleMs);
  };
  const socket: Duplex = new Duplex({
    read() {
      ready.then(({ reader }) => reader.read()).then(({ value, done }) => {
        touch();
        socket.push(done ? null : value);
      }, (err) => socket.destroy(err));
    },
    write(chunk: Uint8Array, _encoding, done) {
      ready.then(({ writer }) => writer.write(chunk)).then(() => {
        touch();
        done();
      }, done);
    },
    destroy(err, done) {
      clearTimeout(timer);
      ready.catch(() => {}).finally(() => {
        try {
          conn?.close();
        } catch {
          // Already closed by the other side.
        }
      });
      done(err);
    },
  });
  touch();
  return socket;
}
