/**
 * Real headless Chromium for browser tests: Debian's `chromium` driven by
 * playwright-core (never a browser download), with the flags this machine
 * needs (no sandbox as root, no background networking on a closed network),
 * and the accessibility check every dashboard page passes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type BrowserContext, chromium, type Page } from "playwright-core";

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

/**
 * Finds controls without a name in the page: inputs without a label,
 * buttons and links without text, click handlers on things that are not
 * buttons. (A string, evaluated in the page: tests have no DOM types.)
 */
const A11Y_PROBE = `(() => {
  const out = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
      el.getAttribute("aria-labelledby");
    if (!named) out.push("unlabelled " + el.tagName.toLowerCase() + "#" + el.id);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    const name = (el.getAttribute("aria-label") || el.textContent || "").trim();
    if (!name) out.push("nameless " + el.tagName.toLowerCase() + "." + el.className);
  }
  for (const el of document.querySelectorAll("[onclick], div[tabindex], span[tabindex]")) {
    if (el.getAttribute("role") !== "log") out.push("clickable " + el.tagName + " that is no button");
  }
  return out;
})()`;

/** Every input, select and textarea has a label; every button and link has a name. */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  assert.deepEqual(
    await page.evaluate<string[]>(A11Y_PROBE),
    [],
    `accessibility problems on ${where}`,
  );
}

/** The script errors `page` reports from now on (refused API calls, expected, are left out). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      errors.push(msg.text());
    }
  });
  return errors;
}
