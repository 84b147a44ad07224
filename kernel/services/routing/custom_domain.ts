/**
 * The rules for custom domains: full DNS names outside the primary domain
 * that point at an app (`shop.example.org`). A name is checked once, here,
 * before it is stored (lowercase, ASCII, no trailing dot), so the route
 * table can match it exactly. Names under the primary domain are not custom
 * domains: they are app names and aliases (`fazt route add`).
 *
 * @module
 */
import { FaztError } from "../../core/errors.ts";
import { RESERVED_NAMES } from "../../../apps/app_name.ts";

/** The longest DNS name, in characters, without the trailing dot. */
export const MAX_DOMAIN_LENGTH = 253;

const LABEL_CHARS = /^[a-z0-9-]+$/;
const NON_ASCII = /[^\p{ASCII}]/u;
/** A last label the URL standard reads as part of an IPv4 address (`1`, `0x7f`). */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;

/**
 * True for a route host that is a custom domain. Aliases are single labels
 * and the root route is `@`, so a dot is what tells them apart.
 */
export function isCustomDomain(host: string): boolean {
  return host.includes(".");
}

/** Lowercase and without a trailing dot: how a domain is stored and looked up. */
export function canonicalDomain(raw: string): string {
  const lower = raw.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function invalid(domain: string, why: string): FaztError {
  return new FaztError("invalid_input", `"${domain}" cannot be a custom domain: ${why}`, {
    details: { domain },
  });
}

/** The ASCII (punycode) form of an internationalized name, if it has one. */
function asciiForm(name: string): string | undefined {
  try {
    return new URL(`http://${name}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Why `name` breaks the DNS name rules, or undefined (`name` is canonical). */
function syntaxProblem(name: string): string | undefined {
  if (name.length > MAX_DOMAIN_LENGTH) {
    return `it is ${name.length} characters long; a domain name has at most ${MAX_DOMAIN_LENGTH}.`;
  }
  const labels = name.split(".");
  if (labels.length < 2) {
    return 'a custom domain is a full name with at least one dot, such as "shop.example.org".';
  }
  for (const label of labels) {
    if (label === "") {
      return "it has an empty label (a leading dot or two dots in a row).";
    }
    if (label.length > 63) {
      return `its label "${
        label.slice(0, 20)
      }…" is ${label.length} characters long; each part between dots has at most 63.`;
    }
    if (!LABEL_CHARS.test(label)) {
      return `its label "${label}" holds characters other than letters, digits and hyphens.`;
    }
    if (label.startsWith("-") || label.endsWith("-")) {
      return `its label "${label}" starts or ends with a hyphen.`;
    }
  }
  if (NUMERIC_LABEL.test(labels.at(-1)!)) {
    return "it is an IP address (or reads as one). IP addresses always serve the dashboard, never an app.";
  }
  if (labels.some((l) => l.startsWith("xn--")) && asciiForm(name) !== name) {
    return "one of its xn-- labels is not valid punycode of a normalized name (IDNA).";
  }
  return undefined;
}

/**
 * Checks a custom domain and returns its stored form (lowercase, no
 * trailing dot). Throws `invalid_input` naming the rule it breaks:
 * ASCII only (internationalized names as punycode, `xn--…`), labels of 1–63
 * letters, digits and inner hyphens, at most 253 characters, at least one
 * dot, not an IP address, not `localhost`, and not the primary domain,
 * the admin host or any name under the primary domain (those are app names
 * and aliases).
 */
export function checkCustomDomain(raw: string, primaryDomain: string): string {
  if (raw.trim() === "") throw invalid(raw, "give a domain name, such as shop.example.org.");
  if (NON_ASCII.test(raw)) {
    const ascii = asciiForm(raw.trim().toLowerCase());
    throw invalid(
      raw,
      `give internationalized names in their ASCII (punycode) form${
        ascii && !NON_ASCII.test(ascii) ? `: "${ascii}"` : ", with xn-- labels"
      }.`,
    );
  }
  const name = canonicalDomain(raw);
  const problem = syntaxProblem(name);
  if (problem) {
    const alias = /^[a-z0-9-]+$/.test(name)
      ? ` To serve an app on a subdomain of ${primaryDomain}, add an alias: \`fazt route add ${name} <app>\`.`
      : "";
    throw invalid(raw, problem + alias);
  }
  if (name === primaryDomain) {
    throw invalid(
      raw,
      `it is the primary domain. Serve an app there with \`fazt route add @ <app>\`.`,
    );
  }
  if (name.endsWith(`.${primaryDomain}`)) {
    const label = name.slice(0, -primaryDomain.length - 1);
    throw invalid(
      raw,
      RESERVED_NAMES.has(label)
        ? `"${label}" under the primary domain is kept for fazt itself (admin.${primaryDomain} is the dashboard's host); it never serves an app.`
        : `it is under the primary domain ${primaryDomain}, whose subdomains are app names and aliases.${
          label.includes(".") ? "" : ` Add an alias instead: \`fazt route add ${label} <app>\`.`
        }`,
    );
  }
  if (name === "localhost" || name.endsWith(".localhost")) {
    throw invalid(
      raw,
      "localhost names always point at the visitor's own machine, so they cannot be a name of your own for an app.",
    );
  }
  return name;
}
