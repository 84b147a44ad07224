/**
 * Real headless Chromium for browser tests: Debian's `chromium` driven by
 * playwright-core (never a browser download), with the flags this machine
 * needs (no sandbox as root, no background networking on a closed network).
 *
 * @module
 */
import { type BrowserContext, chromium } from "playwright-core";

/** The browser: Debian's Chromium (CI installs it with apt). */
export const CHROMIUM: string = Deno.env.get("FAZT_CHROMIUM") ?? "/usr/bin/chromium";

/** Chromium's command-line flags for tests. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Fails (never skips) when Chromium is missing, naming what to install. */
export async function requireChromium(): Promise<void> {
  try {
    const info = await Deno.stat(CHROMIUM);
    if (info.isFile) return;
  } catch { /* reported below */ }
  throw new Error(
    `Chromium is not installed at ${CHROMIUM}, and the browser tests need it. ` +
      "Install Debian's package (`apt-get install -y chromium`) or set FAZT_CHROMIUM to a " +
      "Chromium binary. These tests fail rather than skip so that CI cannot pass without it.",
  );
}

/** Launches Chromium with a fresh profile in `profileDir`. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
    reducedMotion: "reduce",
  });
}
