/**
 * What the TLS service tests share: a kernel database in a temporary
 * folder, a service wired to pebble and to the HTTP-01 fixture, its log, and
 * an HTTPS listener stand-in that picks certificates through the service
 * (SNI) the way fazt's HTTPS listener will.
 *
 * @module
 */
import https from "node:https";
import tls from "node:tls";
import { randomBytes } from "node:crypto";
import { type Database, openDatabase } from "../../../../kernel/store/database.ts";
import { KERNEL_MIGRATIONS } from "../../../../kernel/store/schema.ts";
import {
  createTlsService,
  type TlsServiceOptions,
} from "../../../../kernel/services/tls/certificates.ts";
import type { TlsService } from "../../../../kernel/services/tls/tls_service.ts";
import type { Pebble } from "../../../_helpers/pebble.ts";

/** A temporary kernel database and the secrets key. */
export interface TestStore {
  /** The database. */
  db: Database;
  /** Its file. */
  path: string;
  /** The 32-byte secrets key. */
  key: Uint8Array;
  /** Closes the database and removes the folder. */
  remove(): Promise<void>;
}

/** Opens a fresh kernel database. */
export async function testStore(): Promise<TestStore> {
  const dir = await Deno.makeTempDir({ prefix: "fazt-tls-" });
  const path = `${dir}/kernel.db`;
  const db = openDatabase({ path, migrations: KERNEL_MIGRATIONS });
  return {
    db,
    path,
    key: randomBytes(32),
    async remove() {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A log line the service wrote. */
export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
}

/** A service under test and what it logged. */
export interface ServiceUnderTest {
  service: TlsService;
  logs: LogLine[];
}

/** Creates the service against `pebble`, serving the names in `served`. */
export function serviceFor(
  store: TestStore,
  pebble: Pebble,
  served: Set<string>,
  options: Partial<TlsServiceOptions> = {},
): ServiceUnderTest {
  const logs: LogLine[] = [];
  const service = createTlsService({
    db: store.db,
    key: store.key,
    directoryUrl: pebble.directoryUrl,
    email: "owner@example.test",
    acmeCaPem: [pebble.acmeCaPem],
    allowed: (name) => served.has(name),
    log: (level, message) => logs.push({ level, message }),
    ...options,
  });
  return { service, logs };
}

/** An HTTPS server on 127.0.0.1 that takes each hello's certificate from `service`. */
export interface SniServer {
  port: number;
  close(): Promise<void>;
}

/** Starts an {@linkcode SniServer}; it answers `hello <host>`. */
export function startSniServer(service: () => TlsService): Promise<SniServer> {
  const server = https.createServer({
    SNICallback: (name, done) => {
      service().certificateFor(name).then(
        (pair) =>
          pair
            ? done(null, tls.createSecureContext({ cert: pair.certPem, key: pair.keyPem }))
            : done(new Error(`no certificate for ${name}`)),
        done,
      );
    },
  }, (req, res) => res.end(`hello ${req.headers.host}`));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
