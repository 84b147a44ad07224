/**
 * The secrets subsystem: per-app secrets, encrypted at rest under the key
 * in `<data>/secrets.key` (made on first boot, mode 0600).
 *
 * @module
 */
import {
  createSecretService,
  loadSecretKey,
  type SecretService,
} from "../../services/secrets/secret_service.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** Per-app secrets. */
    secrets: SecretService;
    /** The data folder's 32-byte key that seals secrets and private keys at rest. */
    secretKey: Uint8Array;
  }
}

/** Builds the secret service. */
export const secrets: Subsystem = {
  name: "secrets",
  async install(ctx) {
    const key = await loadSecretKey(ctx.config.dataDir);
    ctx.provide("secretKey", key);
    ctx.provide("secrets", createSecretService({ db: ctx.get("db"), key }));
  },
};
