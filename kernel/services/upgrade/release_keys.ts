/**
 * The release public keys this build of fazt trusts: raw 32-byte Ed25519
 * keys, base64. A release manifest must be signed by one of them (several
 * allow a key rotation: a release signed with the new key ships a build
 * that lists both). They are constants compiled into the binary; nothing
 * at run time (no flag, no environment variable, no file) adds a key.
 * Tests run fazt with an import map that replaces this module by one
 * holding their own test key (see docs/UPGRADES.md).
 *
 * @module
 */

/**
 * The trusted keys. Empty until the project's release key pair exists:
 * with no key every release is refused, so a build can never accept a
 * release nobody could sign on purpose. `generateReleaseKeyPair` in
 * `release_manifest.ts` makes a pair; its public half goes here.
 */
export const RELEASE_PUBLIC_KEYS: readonly string[] = [];

/**
 * Where releases are published: `<url>/<version>/manifest.json` and
 * `<url>/latest/manifest.json`. Null until the project publishes releases;
 * then `fazt upgrade` needs `--releases URL` or `--from`.
 */
export const RELEASES_URL: string | null = null;
