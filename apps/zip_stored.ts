/**
 * Zips files (path → bytes) without compressing them, for deploys whose
 * files arrive inline (`apps.deploy_files`): the deploy pipeline checks and
 * compresses each file itself.
 *
 * @module
 */

/**
 * The zip of `entries`. fflate is imported on use: with the
 * node:worker_threads it loads, it costs the server several MB from boot
 * otherwise.
 */
export async function zipStored(entries: Record<string, Uint8Array>): Promise<Uint8Array> {
  const { zipSync } = await import("fflate");
  return zipSync(entries, { level: 0 });
}
