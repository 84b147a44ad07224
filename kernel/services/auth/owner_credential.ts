/**
 * The local owner credential: on first boot fazt creates an admin token and
 * writes it to `<data>/owner.token` (mode 0600), so the CLI on the same
 * machine, given `--data DIR`, works without a login.
 *
 * @module
 */
import { join } from "node:path";
import type { TokenService } from "./token_service.ts";

/** The file name of the owner token inside the data folder. */
export const OWNER_TOKEN_FILE = "owner.token";

/** Reads the owner token of a data folder, if present. */
export async function readOwnerToken(dataDir: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(join(dataDir, OWNER_TOKEN_FILE))).trim();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Makes sure the data folder holds a valid owner token, creating one when
 * the file is missing or its token no longer authenticates.
 */
export async function ensureOwnerToken(dataDir: string, tokens: TokenService): Promise<string> {
  const existing = await readOwnerToken(dataDir);
  if (existing && tokens.authenticate(existing)) return existing;
  const { token } = await tokens.create({ name: "owner (local CLI)", scopes: ["admin"] });
  const path = join(dataDir, OWNER_TOKEN_FILE);
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, token + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
  return token;
}
