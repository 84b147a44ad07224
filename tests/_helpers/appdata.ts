/**
 * App data test helpers: an app data service on a temp data folder that is
 * closed and removed after each test, shared app IDs, a controllable clock and
 * an assertion for {@linkcode FaztError} codes.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type AppData,
  type AppDataService,
  type AppDataServiceOptions,
  createAppDataService,
} from "../../kernel/services/appdata/app_data_service.ts";
import { type ErrorCode, FaztError } from "../../kernel/core/errors.ts";

/** A valid app ID. */
export const APP_A = "app_aaaaaaaaaaaaaaaa";
/** A second valid app ID, distinct from {@linkcode APP_A}. */
export const APP_B = "app_bbbbbbbbbbbbbbbb";
/** The time (ms since the epoch) the test clock of {@linkcode withApp} starts at. */
export const T0 = 1_700_000_000_000;

/** What {@linkcode withApp} hands to a test besides the app. */
export interface AppEnv {
  /** The service the app belongs to. */
  service: AppDataService;
  /** The temp data folder. */
  dataDir: string;
  /** The service's clock; set `t` to move time. */
  clock: { t: number };
}

/** Runs `fn` with a fresh temp data folder, removed afterwards. */
export async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-appdata-" });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Runs `fn` with an app data service on a temp data folder, closing it afterwards. */
export async function withService(
  fn: (service: AppDataService, dataDir: string) => Promise<void>,
  options: Partial<AppDataServiceOptions> = {},
): Promise<void> {
  await withDataDir(async (dataDir) => {
    const service = createAppDataService({ dataDir, ...options });
    try {
      await fn(service, dataDir);
    } finally {
      await service.close();
    }
  });
}

/** Runs `fn` with the data of {@linkcode APP_A} on a service whose clock starts at {@linkcode T0}. */
export async function withApp(
  fn: (app: AppData, env: AppEnv) => Promise<void>,
  options: Partial<AppDataServiceOptions> = {},
): Promise<void> {
  const clock = { t: T0 };
  await withService(
    (service, dataDir) => fn(service.forApp(APP_A), { service, dataDir, clock }),
    { now: () => clock.t, ...options },
  );
}

/** Asserts that `p` rejects with a {@linkcode FaztError} of `code` (and `message`, if given). */
export async function rejectsWith(
  p: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FaztError, `expected a FaztError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}
