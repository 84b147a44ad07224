/**
 * The rules for app names. A name is a DNS label because it becomes the
 * app's subdomain (`<name>.<domain>`); some labels are kept for fazt itself
 * and for common infrastructure hosts.
 *
 * @module
 */
import { FaztError } from "../kernel/core/errors.ts";

/** Lowercase DNS label: letters, digits and inner hyphens, 1–63 characters. */
export const APP_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Names no app may take. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "_fazt",
  "fazt",
  "www",
  "api",
  "admin",
  "dashboard",
  "mail",
  "email",
  "smtp",
  "imap",
  "pop",
  "pop3",
  "ftp",
  "ssh",
  "ns",
  "ns1",
  "ns2",
  "dns",
  "mx",
  "localhost",
  "root",
  "auth",
  "login",
  "static",
  "cdn",
  "status",
  "system",
  "autoconfig",
  "autodiscover",
  "wpad",
  "isatap",
]);

/**
 * Returns the error that makes `name` unusable as an app name (or alias),
 * or `undefined` when it is fine.
 */
export function appNameProblem(name: string): FaztError | undefined {
  if (RESERVED_NAMES.has(name.toLowerCase())) {
    return new FaztError(
      "reserved_name",
      `The name "${name}" is reserved for fazt. Choose another name, for example "my-${name}".`,
      { details: { name } },
    );
  }
  if (!APP_NAME_PATTERN.test(name)) {
    return new FaztError(
      "invalid_name",
      `The name "${name}" is not a valid app name. Use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (it becomes the subdomain).`,
      { details: { name } },
    );
  }
  return undefined;
}

/** Throws when `name` is not a usable app name. */
export function assertAppName(name: string): void {
  const problem = appNameProblem(name);
  if (problem) throw problem;
}

/**
 * Turns a folder or file name into a likely app name (`My Site_v2` →
 * `my-site-v2`), or `undefined` when nothing usable is left.
 */
export function suggestAppName(raw: string): string | undefined {
  const name = raw.toLowerCase().replace(/\.zip$/, "").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return name && !appNameProblem(name) ? name : undefined;
}
