/**
 * An app's `logo.svg`, which the dashboard shows: small, and inert. SVG can
 * run scripts, react to events and load things from elsewhere, so a logo is
 * refused unless it is a plain drawing — no `<script>`, no `on…` event
 * attributes, no `<foreignObject>`, no links or `url(…)`s except to `#ids`
 * of the same file, no `javascript:`, no DOCTYPE or entities, no style
 * sheets pulled in. The check refuses rather than rewrites (a sanitiser
 * that edits markup is one parser difference away from a bypass), and the
 * dashboard adds its own walls on top: the logo is served with a CSP that
 * forbids scripts and shown only through `<img>`, which never runs them.
 *
 * @module
 */

/** The logo's path in an app's folder. */
export const LOGO_FILE = "logo.svg";

/** The largest logo accepted: 64 KiB. */
export const LOGO_MAX_BYTES = 64 * 1024;

/** What a logo may not hold, each with the reason shown to the author. */
const FORBIDDEN: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /<!DOCTYPE|<!ENTITY/i, why: "a DOCTYPE or entity declaration" },
  { pattern: /<\?xml-stylesheet/i, why: "a style sheet processing instruction" },
  { pattern: /<script/i, why: "a <script> element" },
  { pattern: /<foreignObject/i, why: "a <foreignObject> element" },
  { pattern: /<(iframe|embed|object|audio|video)\b/i, why: "embedded content" },
  { pattern: /\son[a-z]+\s*=/i, why: "an event handler attribute (on…=)" },
  { pattern: /javascript:/i, why: "a javascript: URL" },
  { pattern: /\bhref\s*=\s*["']\s*(?!#)/i, why: "a link to something outside the file" },
  { pattern: /\bsrc\s*=/i, why: "a src attribute" },
  { pattern: /url\(\s*["']?\s*(?!#)/i, why: "a url(…) outside the file" },
  { pattern: /@import/i, why: "a CSS @import" },
  { pattern: /attributeName\s*=\s*["'](xlink:)?href/i, why: "an animated link" },
];

/** Why a logo of `size` bytes is too large, or `undefined` when it is not. */
export function logoSizeProblem(size: number): string | undefined {
  return size > LOGO_MAX_BYTES
    ? `${LOGO_FILE} is ${size.toLocaleString("en")} bytes; a logo may be at most 64 KiB (${
      LOGO_MAX_BYTES.toLocaleString("en")
    } bytes). Simplify or optimise it (svgo).`
    : undefined;
}

/**
 * Why `bytes` is not an acceptable `logo.svg`, as a sentence for the app's
 * author, or `undefined` when it is one.
 */
export function logoProblem(bytes: Uint8Array): string | undefined {
  const tooLarge = logoSizeProblem(bytes.length);
  if (tooLarge) return tooLarge;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `${LOGO_FILE} is not UTF-8 text. Save it as a plain SVG file.`;
  }
  if (!/<svg[\s/>]/i.test(text)) {
    return `${LOGO_FILE} has no <svg> element. Save it as a plain SVG file.`;
  }
  for (const { pattern, why } of FORBIDDEN) {
    const at = pattern.exec(text);
    if (at) {
      const line = text.slice(0, at.index).split("\n").length;
      return `${LOGO_FILE} holds ${why} (line ${line}). The dashboard shows only plain drawings: remove scripts, event handlers, embedded content and references to other files.`;
    }
  }
  return undefined;
}
